//! Which ConfigMaps exist, at which resourceVersion: a metadata-only watch
//! (no data is held), so a plugin object whose ConfigMap changes is loaded
//! again.

use futures::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, PartialObjectMeta};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event, watcher};
use tokio::sync::mpsc;

use super::host::PluginEvent;

/// Reports every ConfigMap's version until the receiver goes away.
pub(crate) async fn watch(client: kube::Client, tx: mpsc::Sender<PluginEvent>) {
    let api: Api<PartialObjectMeta<ConfigMap>> = Api::all(client);
    let mut events = watcher(api, watcher::Config::default())
        .default_backoff()
        .boxed();
    while let Some(event) = events.next().await {
        let sent = match event {
            Ok(Event::Apply(m) | Event::InitApply(m)) => send(&tx, &m.metadata, true).await,
            Ok(Event::Delete(m)) => send(&tx, &m.metadata, false).await,
            Ok(Event::InitDone) => tx.send(PluginEvent::ConfigMapsListed).await.is_ok(),
            Ok(Event::Init) => true,
            Err(e) => {
                tracing::debug!(error = %e, "ConfigMap watch error; retrying with backoff");
                true
            }
        };
        if !sent {
            return;
        }
    }
}

async fn send(
    tx: &mpsc::Sender<PluginEvent>,
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    present: bool,
) -> bool {
    let key = (
        meta.namespace.clone().unwrap_or_default(),
        meta.name.clone().unwrap_or_default(),
    );
    let version = present.then(|| meta.resource_version.clone().unwrap_or_default());
    tx.send(PluginEvent::ConfigMap { key, version })
        .await
        .is_ok()
}
