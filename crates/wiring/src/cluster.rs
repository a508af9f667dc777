//! A cluster's objects, listed once into a [`Snapshot`]: what the offline
//! commands (`explain --kubeconfig`) plan, as the controller's watches
//! would see it.

use kube::api::{Api, DynamicObject, ListParams};
use lattice_core::Snapshot;
use lattice_core::kinds::ALL;

/// Why the cluster could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// The API server refused a list.
    #[error("listing {kind}: {source}")]
    List {
        /// The kind.
        kind: &'static str,
        /// What the API server said.
        source: kube::Error,
    },
}

/// Lists every kind the controller watches. A kind the cluster does not
/// serve (its CRD is not installed) is empty, as it is for the controller.
pub async fn snapshot(client: &kube::Client) -> Result<Snapshot, ClusterError> {
    let mut snapshot = Snapshot::default();
    for kind in ALL {
        let id = kind.identity();
        let api: Api<DynamicObject> = Api::all_with(client.clone(), &id.api_resource());
        let list = match api.list(&ListParams::default()).await {
            Ok(l) => l,
            Err(kube::Error::Api(e)) if e.code == 404 => continue,
            Err(source) => {
                return Err(ClusterError::List {
                    kind: id.kind,
                    source,
                });
            }
        };
        for item in list.items {
            let mut v = serde_json::to_value(item).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("apiVersion".into(), id.api_version().into());
                o.insert("kind".into(), id.kind.into());
            }
            if let Err(e) = snapshot.add_manifest(v) {
                tracing::warn!(kind = id.kind, error = %e, "ignoring an object that does not fit its schema");
            }
        }
    }
    Ok(snapshot)
}
