//! Finalizers on routes and Gateways: deleting one removes its Lattice
//! resources first, and a Gateway waits while routes still attach to it.
//!
//! A finalizer is added once the controller plans the object, and removed
//! only after an apply without failures, when the desired state no longer
//! holds anything of it.

use kube::api::{Api, ApiResource, DynamicObject, Patch, PatchParams};
use lattice_core::Snapshot;
use lattice_core::index::{Dirty, RouteKey};
use lattice_core::plan::PlanInput;
use serde_json::json;

use super::{kinds, route_meta};

/// This controller's finalizer.
pub const FINALIZER: &str = "application-networking.k8s.aws/resources";

/// A finalizer list to write, guarded by the resourceVersion it was read at.
pub struct Change {
    ar: ApiResource,
    namespace: String,
    name: String,
    finalizers: Vec<String>,
    resource_version: Option<String>,
}

fn change(
    ar: ApiResource,
    (namespace, name): (String, String),
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    wanted: bool,
    settled: bool,
) -> Option<Change> {
    let mut finalizers = meta.finalizers.clone().unwrap_or_default();
    let has = finalizers.iter().any(|f| f == FINALIZER);
    let deleting = meta.deletion_timestamp.is_some();
    if !deleting && wanted && !has {
        finalizers.push(FINALIZER.to_string());
    } else if deleting && has && !wanted && settled {
        finalizers.retain(|f| f != FINALIZER);
    } else {
        return None;
    }
    Some(Change {
        ar,
        namespace,
        name,
        finalizers,
        resource_version: meta.resource_version.clone(),
    })
}

/// What the dirty objects' finalizers should become. `settled` says the
/// last apply had no failures, so what is no longer wanted is gone.
pub fn changes(
    snapshot: &Snapshot,
    dirty: &Dirty,
    input: &PlanInput,
    settled: bool,
) -> Vec<Change> {
    let mut out = Vec::new();
    for key in &dirty.routes {
        let Some(meta) = route_meta(snapshot, key) else {
            continue;
        };
        let wanted = input.routes.iter().any(|r| same(r, key));
        out.extend(change(
            kinds::route(key.kind),
            (key.namespace.clone(), key.name.clone()),
            meta,
            wanted,
            settled,
        ));
    }
    let networks = lattice_core::model::service_networks(snapshot);
    for key in &dirty.gateways {
        let Some(gw) = snapshot.gateways.get(key) else {
            continue;
        };
        if !lattice_core::model::parents::is_ours(snapshot, gw) {
            continue;
        }
        let wanted = networks
            .iter()
            .any(|n| n.gateway.namespace == key.0 && n.gateway.name == key.1);
        out.extend(change(
            kinds::gateway(),
            key.clone(),
            &gw.metadata,
            wanted,
            settled,
        ));
    }
    out
}

fn same(r: &lattice_core::model::RouteIntent, key: &RouteKey) -> bool {
    r.kind == key.kind && r.id.namespace == key.namespace && r.id.name == key.name
}

/// Writes one finalizer list; a stale resourceVersion fails with 409 and the
/// next pass tries again with fresh state.
pub async fn write(client: &kube::Client, c: Change) -> kube::Result<()> {
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), &c.namespace, &c.ar);
    let patch =
        json!({"metadata": {"finalizers": c.finalizers, "resourceVersion": c.resource_version}});
    api.patch(&c.name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map(|_| ())
}
