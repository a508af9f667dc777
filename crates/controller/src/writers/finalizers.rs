//! Finalizers on routes and Gateways: deleting one removes its Lattice
//! resources first, and a Gateway waits while routes still attach to it.
//!
//! A finalizer is added once the controller plans the object, and removed
//! only after an apply without failures, when the desired state no longer
//! holds anything of it.

use futures::StreamExt;
use kube::api::{Api, ApiResource, DynamicObject, Patch, PatchParams};
use lattice_core::Snapshot;
use lattice_core::index::{Dirty, Index};
use lattice_core::plan::PlanInput;
use lattice_plugin_sdk::types::RouteKind;
use serde_json::json;

use crate::pass::Applied;
use crate::{Controller, kinds};

/// This controller's finalizer.
pub const FINALIZER: &str = "application-networking.k8s.aws/resources";

/// A finalizer list to write, guarded by the resourceVersion it was read at.
pub struct Change {
    ar: ApiResource,
    namespace: String,
    name: String,
    finalizers: Vec<String>,
    resource_version: Option<String>,
    /// The object, to reconcile again if the write fails.
    pub retry: Dirty,
}

fn change(
    ar: ApiResource,
    (namespace, name): (String, String),
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    wanted: bool,
    settled: bool,
    retry: Dirty,
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
        retry,
    })
}

impl Controller {
    /// Adds and removes finalizers on the dirty objects. Finalizers change
    /// only when changes reach Lattice: without an applier nothing would ever
    /// clean up, and deletions would hang. Returns what to look at again.
    pub(crate) async fn write_finalizers(
        &self,
        index: &Index,
        dirty: &Dirty,
        input: &PlanInput,
        applied: &Applied,
    ) -> Dirty {
        let settled = applied.report.is_success();
        let client = &self.client;
        // A write that still loses its race after retrying in place marks
        // its object dirty again, for the next pass.
        let failed: Vec<Dirty> =
            futures::stream::iter(changes(index.snapshot(), dirty, input, settled))
                .map(|c| async move {
                    let retry = c.retry.clone();
                    write(client, c).await.err().map(|e| {
                    tracing::debug!(error = %e, "finalizer update failed; the next pass retries");
                    retry
                })
                })
                .buffer_unordered(self.options.max_concurrent_writes)
                .filter_map(std::future::ready)
                .collect()
                .await;
        let mut again = Dirty::default();
        for d in failed {
            again.merge(d);
        }
        if !settled {
            // Deletions wait on a clean apply: try them again next pass.
            again.merge(deleting(index.snapshot(), dirty));
        }
        again
    }
}

/// The dirty routes being deleted, and the dirty Gateways.
fn deleting(snapshot: &Snapshot, dirty: &Dirty) -> Dirty {
    Dirty {
        routes: dirty
            .routes
            .iter()
            .filter(|k| {
                snapshot
                    .route_meta(k)
                    .is_some_and(|m| m.deletion_timestamp.is_some())
            })
            .cloned()
            .collect(),
        gateways: dirty.gateways.clone(),
        ..Dirty::default()
    }
}

/// What the dirty objects' finalizers should become. `settled` says the
/// last apply had no failures, so what is no longer wanted is gone.
fn changes(snapshot: &Snapshot, dirty: &Dirty, input: &PlanInput, settled: bool) -> Vec<Change> {
    let mut out = Vec::new();
    // A set, not a walk of the input per route: the first pass at 10,000
    // routes has 10,000 of each.
    let planned: std::collections::HashSet<(RouteKind, &str, &str)> = input
        .routes
        .iter()
        .map(|r| (r.kind, r.id.namespace.as_str(), r.id.name.as_str()))
        .collect();
    for key in &dirty.routes {
        let Some(meta) = snapshot.route_meta(key) else {
            continue;
        };
        let wanted = planned.contains(&(key.kind, key.namespace.as_str(), key.name.as_str()));
        out.extend(change(
            kinds::route(key.kind),
            (key.namespace.clone(), key.name.clone()),
            meta,
            wanted,
            settled,
            Dirty {
                routes: [key.clone()].into(),
                ..Default::default()
            },
        ));
    }
    // The input holds the service networks of exactly the dirty Gateways.
    let networks = &input.service_networks;
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
            Dirty {
                gateways: [key.clone()].into(),
                ..Default::default()
            },
        ));
    }
    out
}

/// Writes one finalizer list, guarded by the resourceVersion it was computed
/// from. On a 409 (our own status write, or another writer, got there first)
/// it re-reads the object and applies the same change to the fresh list, as
/// client-go's `RetryOnConflict` does; after a few tries the next pass retries.
async fn write(client: &kube::Client, c: Change) -> kube::Result<()> {
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), &c.namespace, &c.ar);
    let adding = c.finalizers.iter().any(|f| f == FINALIZER);
    let (mut finalizers, mut version) = (c.finalizers, c.resource_version);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let patch = json!({"metadata": {"finalizers": finalizers, "resourceVersion": version}});
        match api
            .patch(&c.name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
        {
            Err(kube::Error::Api(e)) if e.code == 409 && attempt <= 3 => {
                let fresh = api.get(&c.name).await?;
                let mut list = fresh.metadata.finalizers.unwrap_or_default();
                let has = list.iter().any(|f| f == FINALIZER);
                match (adding, has) {
                    (true, true) | (false, false) => return Ok(()),
                    (true, false) if fresh.metadata.deletion_timestamp.is_none() => {
                        list.push(FINALIZER.to_string())
                    }
                    (true, false) => return Ok(()),
                    (false, true) => list.retain(|f| f != FINALIZER),
                }
                finalizers = list;
                version = fresh.metadata.resource_version;
            }
            other => return other.map(|_| ()),
        }
    }
}
