//! Plugin objects in the running controller: where their components come
//! from (`sources`), what serves each route's stages (`serving`), loads and
//! swaps (`host`), the safety gate (`gate`), and the ConfigMaps they may
//! read (`config_maps`). Status and Events are in `writers/plugins.rs`.

pub(crate) mod config_maps;
pub(crate) mod gate;
pub(crate) mod host;
pub(crate) mod serving;
pub(crate) mod sources;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use lattice_core::index::Dirty;
use lattice_core::kinds::PLUGIN_GROUP;
use tokio::sync::mpsc;

use crate::shared_index::SharedIndex;
use crate::{Change, Controller};
use host::PluginEvent;

/// Fetches a plugin object's component as the controller does (the
/// ConfigMap and pull secret from `namespace` unless the spec names
/// another), verified against its pin: for the offline commands that show
/// what the controller would run. Returns the bytes and where they came
/// from, or what is wrong, naming the field.
pub async fn fetch_component(
    client: &kube::Client,
    namespace: &str,
    spec: &lattice_core::crds::plugins::PluginSpec,
    cache_dir: Option<&std::path::Path>,
) -> Result<(Vec<u8>, String), String> {
    let ctx = sources::SourceContext {
        client,
        namespace,
        cache_dir,
        max_bytes: sources::MAX_COMPONENT_BYTES,
    };
    let f = sources::fetch(&ctx, spec)
        .await
        .map_err(|e| e.to_string())?;
    Ok((f.bytes, f.origin))
}

/// Whether a watch change is about a plugin object.
pub(crate) fn is_plugin_change(change: &Change) -> bool {
    let group = match change {
        Change::Apply(v) => v
            .get("apiVersion")
            .and_then(|a| a.as_str())
            .and_then(|a| a.split_once('/'))
            .map(|(g, _)| g.to_string()),
        Change::Delete { group, .. } | Change::Relisted { group, .. } => Some(group.clone()),
    };
    group.as_deref() == Some(PLUGIN_GROUP)
}

impl Controller {
    /// Whether the first pass may run: every plugin found at start loaded
    /// or refused.
    pub(crate) fn plugins_settled(&self) -> bool {
        self.plugins.as_ref().is_none_or(|h| h.settled())
    }

    /// Starts loads for changed plugin objects; returns the routes a
    /// deleted one hands back.
    pub(crate) async fn reconcile_plugins(
        &self,
        index: &SharedIndex,
        tx: &mpsc::Sender<PluginEvent>,
        leading: bool,
    ) -> Dirty {
        let Some(host) = &self.plugins else {
            return Dirty::default();
        };
        let dirty = host.reconcile(&index.read(), &self.client, tx);
        self.metrics.plugin_objects(host.states());
        if leading {
            self.write_plugin_statuses(index, &now()).await;
        }
        dirty
    }

    /// Takes one event from the plugin loads or the ConfigMap watch.
    pub(crate) async fn plugin_event(
        &self,
        index: &SharedIndex,
        event: PluginEvent,
        tx: &mpsc::Sender<PluginEvent>,
        leading: bool,
    ) -> Dirty {
        let Some(host) = &self.plugins else {
            return Dirty::default();
        };
        let PluginEvent::Loaded(loaded) = event else {
            return match host.config_map(&event) {
                true => self.reconcile_plugins(index, tx, leading).await,
                false => Dirty::default(),
            };
        };
        let (dirty, notice) = {
            let index = index.read();
            let gate = |table: &_, id: &_, candidate: &_, max| {
                self.gate(&index, table, id, candidate, max)
            };
            let host::Loaded { id, key, result } = *loaded;
            host.finish(id, key, result, gate, &index)
        };
        self.metrics.plugin_objects(host.states());
        if let Some(n) = &notice {
            let plugin = &n.id;
            match n.warning {
                true => tracing::warn!(%plugin, reason = n.reason, "{}", n.message),
                false => tracing::info!(%plugin, reason = n.reason, "{}", n.message),
            }
        }
        if leading {
            if let Some(n) = &notice {
                self.write_plugin_event(index, n).await;
            }
            self.write_plugin_statuses(index, &now()).await;
        }
        dirty
    }
}

fn now() -> Time {
    Time(k8s_openapi::jiff::Timestamp::now())
}
