//! Status and Events of ClusterLatticePlugins and LatticePlugins: which
//! digest serves, for how many routes, and why a new version does not.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::events::{Event, EventType};
use lattice_core::crds::plugins::{ClusterLatticePlugin, LatticePlugin, PluginStatus};
use lattice_core::index::Index;
use lattice_core::plugins::{Choice, verdicts};
use lattice_core::status::{PluginFacts, plugin_status, same_conditions};
use serde_json::json;

use super::FIELD_MANAGER;
use crate::Controller;
use crate::plugins::host::{Notice, PluginHost, objects};
use crate::shared_index::SharedIndex;

/// Kubernetes caps an Event's note at 1 KiB.
const MAX_NOTE: usize = 1000;

impl Controller {
    /// Writes the status of every plugin object whose status changed.
    pub(crate) async fn write_plugin_statuses(&self, index: &SharedIndex, now: &Time) {
        let Some(host) = &self.plugins else { return };
        let changed = changed_statuses(host, &index.read(), now);
        for (id, status) in changed {
            match patch(&self.client, &id, &status).await {
                Ok(()) => {
                    host.written
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(id, status);
                }
                Err(e) => {
                    tracing::debug!(plugin = ?id, error = %e, "plugin status not written; retried next pass")
                }
            }
        }
    }

    /// An Event on the plugin object `notice` is about.
    pub(crate) async fn write_plugin_event(&self, index: &SharedIndex, notice: &Notice) {
        let Some(host) = &self.plugins else { return };
        let Some(reference) = reference(&index.read(), &host.options.namespace, &notice.id) else {
            return;
        };
        let event = Event {
            type_: if notice.warning {
                EventType::Warning
            } else {
                EventType::Normal
            },
            reason: notice.reason.into(),
            note: Some(notice.message.chars().take(MAX_NOTE).collect()),
            action: "Load".into(),
            secondary: None,
        };
        if let Err(e) = self.recorder().publish(&event, &reference).await {
            tracing::debug!(plugin = ?notice.id, error = %e, "could not record an event");
        }
    }
}

/// The plugin object `id`, to record an Event on.
fn reference(
    index: &Index,
    namespace: &str,
    id: &Choice,
) -> Option<k8s_openapi::api::core::v1::ObjectReference> {
    let o = objects(index.snapshot(), namespace)
        .into_iter()
        .find(|o| o.id == *id)?;
    let (kind, namespace) = match &o.id {
        Choice::Namespaced((ns, _)) => ("LatticePlugin", Some(ns.clone())),
        _ => ("ClusterLatticePlugin", None),
    };
    Some(k8s_openapi::api::core::v1::ObjectReference {
        api_version: Some("lattice-host.io/v1alpha1".into()),
        kind: Some(kind.into()),
        namespace,
        name: o.meta.name.clone(),
        uid: o.meta.uid.clone(),
        ..Default::default()
    })
}

/// The statuses that differ from what the objects hold (and from what was
/// last written).
fn changed_statuses(host: &PluginHost, index: &Index, now: &Time) -> Vec<(Choice, PluginStatus)> {
    let snapshot = index.snapshot();
    let objects = objects(snapshot, &host.options.namespace);
    if objects.is_empty() {
        return Vec::new();
    }
    let verdicts = verdicts(snapshot);
    let routes = route_counts(host, index);
    let written = host.written.lock().unwrap_or_else(|p| p.into_inner());
    let mut out = Vec::new();
    for o in &objects {
        let verdict = match &o.id {
            Choice::Cluster(n) => verdicts.cluster.get(n),
            Choice::Namespaced(k) => verdicts.namespaced.get(k),
            Choice::Default => None,
        };
        let Some(verdict) = verdict else { continue };
        let (generation, attempt, serving) = host.facts(&o.id);
        let facts = PluginFacts {
            generation: generation.or(o.meta.generation),
            attempt,
            serving,
            routes: routes.get(&o.id).copied().unwrap_or(0),
        };
        let existing = o.status.cloned().unwrap_or_default();
        let status = plugin_status(verdict, &facts, &existing, now);
        let held = written.get(&o.id).unwrap_or(&existing);
        if !same_status(held, &status) {
            out.push((o.id.clone(), status));
        }
    }
    out
}

fn same_status(a: &PluginStatus, b: &PluginStatus) -> bool {
    a.observed_generation == b.observed_generation
        && a.active_digest == b.active_digest
        && a.routes == b.routes
        && same_conditions(&a.conditions, &b.conditions)
}

/// How many routes each serving plugin object decides now, over its stage.
fn route_counts(host: &PluginHost, index: &Index) -> BTreeMap<Choice, u32> {
    let table = host.table();
    let mut counts = BTreeMap::new();
    if table.serving.is_empty() {
        return counts;
    }
    let snapshot = index.snapshot();
    for r in index.all_routes().routes {
        for c in table.route_choices(snapshot, &r) {
            if c != Choice::Default {
                *counts.entry(c).or_insert(0) += 1;
            }
        }
    }
    counts
}

async fn patch(client: &kube::Client, id: &Choice, status: &PluginStatus) -> kube::Result<()> {
    let params = PatchParams {
        field_manager: Some(FIELD_MANAGER.into()),
        ..Default::default()
    };
    let body = Patch::Merge(json!({ "status": status }));
    match id {
        Choice::Cluster(name) => {
            let api: Api<ClusterLatticePlugin> = Api::all(client.clone());
            api.patch_status(name, &params, &body).await.map(|_| ())
        }
        Choice::Namespaced((ns, name)) => {
            let api: Api<LatticePlugin> = Api::namespaced(client.clone(), ns);
            api.patch_status(name, &params, &body).await.map(|_| ())
        }
        Choice::Default => Ok(()),
    }
}
