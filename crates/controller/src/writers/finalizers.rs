//! Finalizers on routes, Gateways and ServiceNetwork objects: deleting one
//! removes its Lattice resources first, a Gateway waits while routes still
//! attach to it, and a ServiceNetwork while its network is still in use.
//!
//! A finalizer is added once the controller plans the object, and removed
//! only after an apply without failures, when the desired state no longer
//! holds anything of it. A route's output annotations (annotations.rs) go
//! in the same patch as its finalizers: one write and one watch event per
//! route, and no race between two writes to the same metadata.

use futures::StreamExt;
use kube::api::{Api, ApiResource, DynamicObject, Patch, PatchParams};
use lattice_core::Snapshot;
use lattice_core::index::Dirty;
use lattice_core::plan::Attached;
use serde_json::{Map, Value, json};

use crate::pass::Applied;
use crate::shared_index::SharedIndex;
use crate::writers::annotations::RouteAnnotations;
use crate::{Controller, kinds};

/// This controller's finalizer.
pub const FINALIZER: &str = "application-networking.k8s.aws/resources";

/// A metadata patch: a finalizer list, guarded by the resourceVersion it
/// was read at, and annotations to merge.
pub struct Change {
    ar: ApiResource,
    namespace: String,
    name: String,
    finalizers: Option<Vec<String>>,
    annotations: Map<String, Value>,
    resource_version: Option<String>,
    /// The object, to reconcile again if the write fails.
    pub retry: Dirty,
}

/// The Go controller's finalizers on the kinds this one finalizes
/// (`gateway_controller.go`, `route_controller.go` in
/// `aws-application-networking-k8s`). Replaced by [`FINALIZER`] when this
/// controller takes an object over: left behind with the Go controller
/// scaled to zero, they would keep a deleted object `Terminating` forever.
pub const GO_FINALIZERS: [&str; 5] = [
    "gateway.k8s.aws/resources",
    "servicenetwork.k8s.aws/resources",
    "httproute.k8s.aws/resources",
    "grpcroute.k8s.aws/resources",
    "tlsroute.k8s.aws/resources",
];

/// The Go controller's finalizers on its policy kinds, ServiceExports and
/// ServiceImports, by kind (`iamauthpolicy_controller.go`,
/// `vpcassociationpolicy_controller.go`, `accesslogpolicy_controller.go`,
/// `serviceexport_controller.go`, `serviceimport_controller.go`). This
/// controller needs none on them (a removed one re-plans what used it), so
/// they are removed: left behind, an object deleted after the switch would
/// stay `Terminating`.
pub const GO_POLICY_FINALIZERS: [(&str, &str); 5] = [
    (
        "IAMAuthPolicy",
        "application-networking.k8s.aws/iam-auth-policy",
    ),
    (
        "VpcAssociationPolicy",
        "vpcassociationpolicies.application-networking.k8s.aws/resources",
    ),
    ("AccessLogPolicy", "accesslogpolicy.k8s.aws/resources"),
    ("ServiceExport", "serviceexport.k8s.aws/resources"),
    ("ServiceImport", "serviceimport.k8s.aws/resource"),
];

fn is_ours(f: &str) -> bool {
    f == FINALIZER || GO_FINALIZERS.contains(&f)
}

/// The finalizer list to write, if it changes: ours added (and the Go
/// controller's replaced) while the object is wanted, and both removed
/// once it is being deleted and Lattice no longer holds anything of it.
fn next_finalizers(
    list: &[String],
    deleting: bool,
    wanted: bool,
    settled: bool,
) -> Option<Vec<String>> {
    let has = list.iter().any(|f| f == FINALIZER);
    let go = list.iter().any(|f| GO_FINALIZERS.contains(&f.as_str()));
    if !deleting && wanted && (!has || go) {
        let mut out: Vec<String> = list.iter().filter(|f| !is_ours(f)).cloned().collect();
        out.push(FINALIZER.to_string());
        return Some(out);
    }
    if deleting && (has || go) && !wanted && settled {
        return Some(list.iter().filter(|f| !is_ours(f)).cloned().collect());
    }
    None
}

fn change(
    ar: ApiResource,
    (namespace, name): (String, String),
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    wanted: bool,
    settled: bool,
    retry: Dirty,
) -> Option<Change> {
    let list = meta.finalizers.clone().unwrap_or_default();
    let deleting = meta.deletion_timestamp.is_some();
    let finalizers = next_finalizers(&list, deleting, wanted, settled)?;
    Some(Change {
        ar,
        namespace,
        name,
        finalizers: Some(finalizers),
        annotations: Map::new(),
        resource_version: meta.resource_version.clone(),
        retry,
    })
}

impl Controller {
    /// Adds and removes finalizers on the dirty objects, with each route's
    /// output annotations. Finalizers change only when changes reach
    /// Lattice: without an applier nothing would ever clean up, and
    /// deletions would hang. Returns what to look at again.
    pub(crate) async fn write_finalizers(
        &self,
        index: &SharedIndex,
        dirty: &Dirty,
        attached: &Attached,
        applied: &Applied,
    ) -> Dirty {
        let settled = applied.report.is_success();
        let client = &self.client;
        let mut held = std::collections::BTreeSet::new();
        let changes = {
            let index = index.read();
            let annotations = self.route_annotations(&index, dirty, applied);
            let mut out = changes(index.snapshot(), dirty, attached, applied, &mut held);
            out.extend(route_changes(
                index.snapshot(),
                dirty,
                attached,
                settled,
                annotations,
            ));
            out
        };
        if !held.is_empty() {
            let mut later = self.recheck.lock().unwrap_or_else(|p| p.into_inner());
            later.service_networks.extend(held);
        }
        // A write that loses its race marks its object dirty again, for
        // the next pass.
        let failed: Vec<Dirty> = futures::stream::iter(changes)
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
            again.merge(deleting(index.read().snapshot(), dirty));
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
        service_networks: dirty
            .service_networks
            .iter()
            .filter(|n| {
                snapshot
                    .service_networks
                    .get(*n)
                    .is_some_and(|o| o.metadata.deletion_timestamp.is_some())
            })
            .cloned()
            .collect(),
        ..Dirty::default()
    }
}

/// The dirty policies that carry the Go controller's finalizer, without it.
fn policy_changes(snapshot: &Snapshot, dirty: &Dirty) -> Vec<Change> {
    let mut out = Vec::new();
    for (kind, key) in &dirty.policies {
        let Some((_, go)) = GO_POLICY_FINALIZERS.iter().find(|(k, _)| k == kind) else {
            continue;
        };
        let Some(meta) = policy_meta(snapshot, kind, key) else {
            continue;
        };
        let list = meta.finalizers.clone().unwrap_or_default();
        if !list.iter().any(|f| f == go) {
            continue;
        }
        out.push(Change {
            ar: kinds::policy(kind),
            namespace: key.0.clone(),
            name: key.1.clone(),
            finalizers: Some(list.into_iter().filter(|f| f != go).collect()),
            annotations: Map::new(),
            resource_version: meta.resource_version.clone(),
            retry: Dirty {
                policies: [(kind.clone(), key.clone())].into(),
                ..Default::default()
            },
        });
    }
    out
}

fn policy_meta<'s>(
    snapshot: &'s Snapshot,
    kind: &str,
    key: &lattice_core::snapshot::Key,
) -> Option<&'s k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta> {
    match kind {
        "IAMAuthPolicy" => snapshot.iam_auth_policies.get(key).map(|p| &p.metadata),
        "VpcAssociationPolicy" => snapshot
            .vpc_association_policies
            .get(key)
            .map(|p| &p.metadata),
        "AccessLogPolicy" => snapshot.access_log_policies.get(key).map(|p| &p.metadata),
        "ServiceExport" => snapshot.service_exports.get(key).map(|p| &p.metadata),
        "ServiceImport" => snapshot.service_imports.get(key).map(|p| &p.metadata),
        _ => None,
    }
}

/// ServiceNetwork objects' finalizers: ours while the object declares its
/// network; once it is deleted, kept while a settled whole pass still finds
/// the network ours in Lattice (in use, so not deleted: `held` gets its
/// name, to look again later). A network that is not ours was never going
/// to be deleted: the object may go at once.
fn network_changes(
    snapshot: &Snapshot,
    dirty: &Dirty,
    applied: &Applied,
    held: &mut std::collections::BTreeSet<String>,
) -> Vec<Change> {
    let settled = applied.whole && applied.report.is_success();
    let names: Vec<&String> = if applied.whole {
        snapshot.service_networks.keys().collect()
    } else {
        dirty.service_networks.iter().collect()
    };
    let mut out = Vec::new();
    for name in names {
        let Some(object) = snapshot.service_networks.get(name) else {
            continue;
        };
        let (wanted, waits) = match object.metadata.deletion_timestamp {
            None => {
                let declared = lattice_core::model::service_network::declared(snapshot, name);
                (declared.is_some(), false)
            }
            Some(_) => {
                let networks = &applied.report.service_networks;
                let kept = networks.get(name).is_some_and(|n| n.ours);
                (kept, kept && settled)
            }
        };
        if waits {
            held.insert(name.clone());
        }
        out.extend(change(
            kinds::service_network(),
            (String::new(), name.clone()),
            &object.metadata,
            wanted,
            settled,
            Dirty {
                service_networks: [name.clone()].into(),
                ..Default::default()
            },
        ));
    }
    out
}

/// What the dirty objects' finalizers should become. `settled` says the
/// last apply had no failures, so what is no longer wanted is gone.
fn changes(
    snapshot: &Snapshot,
    dirty: &Dirty,
    attached: &Attached,
    applied: &Applied,
    held: &mut std::collections::BTreeSet<String>,
) -> Vec<Change> {
    let settled = applied.report.is_success();
    let mut out = network_changes(snapshot, dirty, applied, held);
    out.extend(policy_changes(snapshot, dirty));
    // The input held the service networks of exactly the dirty Gateways.
    let networks = &attached.service_networks;
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

/// The dirty routes' metadata patches: finalizers as [`change`] decides,
/// with the output annotations each lacks. A route whose finalizers stay
/// gets its annotations alone, unguarded (a merge of annotations loses
/// nothing to a concurrent write).
fn route_changes(
    snapshot: &Snapshot,
    dirty: &Dirty,
    attached: &Attached,
    settled: bool,
    mut annotations: RouteAnnotations,
) -> Vec<Change> {
    let mut out = Vec::new();
    for key in &dirty.routes {
        let Some(meta) = snapshot.route_meta(key) else {
            continue;
        };
        let wanted = attached.routes.contains_key(key);
        let retry = || Dirty {
            routes: [key.clone()].into(),
            ..Default::default()
        };
        let id = || (key.namespace.clone(), key.name.clone());
        let notes = annotations.remove(key).unwrap_or_default();
        match change(
            kinds::route(key.kind),
            id(),
            &meta,
            wanted,
            settled,
            retry(),
        ) {
            Some(c) => out.push(Change {
                annotations: notes,
                ..c
            }),
            None if !notes.is_empty() => {
                let (namespace, name) = id();
                out.push(Change {
                    ar: kinds::route(key.kind),
                    namespace,
                    name,
                    finalizers: None,
                    annotations: notes,
                    resource_version: None,
                    retry: retry(),
                })
            }
            None => {}
        }
    }
    out
}

/// The metadata patch of `finalizers` (guarded by `version`) and
/// `annotations`, each left out when there is nothing to write.
fn metadata_patch(
    finalizers: &Option<Vec<String>>,
    version: &Option<String>,
    annotations: &Map<String, Value>,
) -> Value {
    let mut metadata = Map::new();
    if let Some(f) = finalizers {
        metadata.insert("finalizers".into(), json!(f));
        metadata.insert("resourceVersion".into(), json!(version));
    }
    if !annotations.is_empty() {
        metadata.insert("annotations".into(), Value::Object(annotations.clone()));
    }
    json!({ "metadata": metadata })
}

/// Writes one metadata patch; its finalizer list is guarded by the
/// resourceVersion it was computed from. A conflict (another writer got
/// there first) fails the write, and the next pass retries from the
/// watch's newer copy: the run loop keeps the index current while a pass
/// writes, so no re-read (and no `get` permission) is needed.
async fn write(client: &kube::Client, c: Change) -> kube::Result<()> {
    let api: Api<DynamicObject> = if c.namespace.is_empty() {
        Api::all_with(client.clone(), &c.ar)
    } else {
        Api::namespaced_with(client.clone(), &c.namespace, &c.ar)
    };
    let patch = metadata_patch(&c.finalizers, &c.resource_version, &c.annotations);
    api.patch(&c.name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(fs: &[&str]) -> Vec<String> {
        fs.iter().map(|f| f.to_string()).collect()
    }

    #[test]
    fn a_wanted_object_gets_ours_in_place_of_the_go_controllers() {
        let go = list(&["httproute.k8s.aws/resources", "example.com/keep"]);
        assert_eq!(
            next_finalizers(&go, false, true, true),
            Some(list(&["example.com/keep", FINALIZER]))
        );
        let ours = list(&[FINALIZER]);
        assert_eq!(next_finalizers(&ours, false, true, true), None);
        // Not ours to plan: the Go controller's finalizer stays.
        assert_eq!(next_finalizers(&go, false, false, true), None);
    }

    #[test]
    fn a_deleted_object_loses_both_once_lattice_is_settled() {
        let both = list(&["gateway.k8s.aws/resources", "example.com/keep"]);
        assert_eq!(next_finalizers(&both, true, false, false), None);
        assert_eq!(
            next_finalizers(&both, true, false, true),
            Some(list(&["example.com/keep"]))
        );
    }
}
