//! The status writer: the one place that writes route, Gateway and
//! GatewayClass status.
//!
//! What each status should say, and whether it changed, is computed by
//! `lattice_core::status` (pure); this module only sends the patches.

use futures::StreamExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use lattice_apply::ApplyReport;
use lattice_core::index::{Dirty, RouteKey};
use lattice_core::plan::{ApplyProblem, ResourceKind, ResourceRef};
use lattice_core::snapshot::Key;
use lattice_core::status::{
    self, ApplyOutcome, ExportState, NetworkState, StatusPatch, StatusTarget,
};
use serde_json::{Value, json};

use super::FIELD_MANAGER;
use crate::pass::{Applied, Planned};
use crate::shared_index::SharedIndex;
use crate::{Controller, kinds};

impl Controller {
    /// Writes the statuses the pass changed: dirty routes, dirty Gateways
    /// and our GatewayClasses, given what the apply did (`None`: no applier).
    /// Returns what to write again: the objects whose write may pass next
    /// time.
    pub(crate) async fn write_statuses(
        &self,
        index: &SharedIndex,
        dirty: &Dirty,
        planned: &Planned,
        applied: Option<&Applied>,
        now: &Time,
    ) -> Dirty {
        let outcome = |key: &RouteKey| self.route_outcome(key, applied);
        let gateways = applied.map_or(ApplyOutcome::Pending, |a| {
            status::gateway_outcome(a.report.failures.len())
        });
        let (routes, objects) = tokio::task::block_in_place(|| {
            let index = index.read();
            let snapshot = index.snapshot();
            let (attached, plan) = (&planned.attached, &planned.plan);
            let mut objects = status::gateway_statuses(
                &index,
                &dirty.gateways,
                &attached.service_networks,
                &gateways,
                now,
            );
            // Policies are few and judged on every pass.
            objects.extend(status::policy_statuses(snapshot, now));
            // ServiceNetwork objects too, after a whole pass (which reads
            // every network): those its plan declared, and the dirty ones
            // (one whose name is invalid declares nothing). One that came
            // in while the pass ran was not planned, so it is not judged by
            // it: its network may be there, not yet adopted. Its own event
            // brings the next pass. Otherwise only the dirty ones' names.
            let whole = applied.filter(|a| a.whole);
            let names = match whole {
                Some(_) => {
                    let desired = self.desired.lock().unwrap_or_else(|p| p.into_inner());
                    let planned =
                        |n: &&String| desired.declares(n) || dirty.service_networks.contains(*n);
                    let names = snapshot.service_networks.keys().filter(planned);
                    names.cloned().collect()
                }
                None => dirty.service_networks.clone(),
            };
            let state = |name: &str| whole.map(|a| network_state(&a.report, name));
            objects.extend(status::service_network_statuses(
                snapshot, &names, &state, now,
            ));
            let state = |key: &Key| applied.map(|a| export_state(plan, &a.problems, key));
            objects.extend(status::service_export_statuses(
                snapshot,
                &dirty.service_exports,
                plan,
                &state,
                now,
            ));
            // A route changed since it was planned is dirty again: its
            // status waits for the pass that plans what it says now.
            let routes = planned.unchanged(snapshot, &dirty.routes);
            (
                status::route_statuses(snapshot, &routes, attached, plan, &outcome, now),
                objects,
            )
        });
        let client = &self.client;
        let limit = self.options.max_concurrent_writes;
        // A write that failed for a reason that may pass (a conflict, a
        // throttled or restarting API server) marks its object dirty again:
        // nothing else would bring it back before the resync.
        let mut again = Dirty::default();
        let failed: Vec<StatusTarget> = futures::stream::iter(objects)
            .map(|p| async move {
                let e = write_object_status(client, &p).await.err()?;
                worth_retrying(&p.target, &e).then_some(p.target)
            })
            .buffer_unordered(limit)
            .filter_map(std::future::ready)
            .collect()
            .await;
        for target in failed {
            match target {
                StatusTarget::Gateway(key) => {
                    again.gateways.insert(key);
                }
                StatusTarget::GatewayClass(name) => {
                    again.classes.insert(name);
                }
                StatusTarget::Policy(kind, key) => {
                    again.policies.insert((kind.to_string(), key));
                }
                StatusTarget::ServiceNetwork(name) => {
                    again.service_networks.insert(name);
                }
                StatusTarget::ServiceExport(key) => {
                    again.service_exports.insert(key);
                }
            }
        }
        let failed: Vec<RouteKey> = futures::stream::iter(routes)
            .map(|(key, parents)| async move {
                let e = write(client, &key, parents).await.err()?;
                worth_retrying(format_args!("{key}"), &e).then_some(key)
            })
            .buffer_unordered(limit)
            .filter_map(std::future::ready)
            .collect()
            .await;
        again.routes.extend(failed);
        again
    }
}

/// What a whole pass's report says of the network `name`: left alone on
/// purpose (a diagnostic), failed, in Lattice, or not.
fn network_state(report: &ApplyReport, name: &str) -> NetworkState {
    let about = |r: &ResourceRef| r.kind == ResourceKind::ServiceNetwork && r.name == name;
    if let Some(d) = report.diagnostics.iter().find(|d| about(&d.resource)) {
        return NetworkState::Refused {
            reason: d.reason.clone(),
            message: d.message.clone(),
        };
    }
    if let Some(f) = report.failures.iter().find(|f| about(&f.resource)) {
        return NetworkState::Refused {
            reason: "Pending".into(),
            message: format!(
                "{} failed ({}): {}; retried",
                f.operation, f.code, f.message
            ),
        };
    }
    match report.service_networks.get(name) {
        Some(n) => NetworkState::Present {
            arn: n.arn.clone(),
            id: n.id.clone(),
        },
        None => NetworkState::Absent,
    }
}

/// Says why a status write failed, and whether it may pass next time. A
/// write this replica refused to send (it no longer leads) is neither
/// reported nor retried: the new leader re-checks everything.
fn worth_retrying(object: impl std::fmt::Debug, e: &kube::Error) -> bool {
    if crate::fence::is_not_leading(e) {
        return false;
    }
    tracing::warn!(?object, error = %e, "status write failed; the next pass retries");
    retryable(e)
}

/// Whether a failed write may succeed if sent again: a conflict, a
/// throttled or failing API server, or no answer at all. A refusal (403,
/// 404, 422) would fail the same way.
fn retryable(e: &kube::Error) -> bool {
    match e {
        kube::Error::Api(s) => s.code == 409 || s.code == 429 || s.code >= 500,
        _ => true,
    }
}

/// Patches a route's status.
async fn write(client: &kube::Client, key: &RouteKey, parents: Vec<Value>) -> kube::Result<()> {
    let ar = kinds::route(key.kind);
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), &key.namespace, &ar);
    let patch = json!({"status": {"parents": parents}});
    let params = PatchParams {
        field_manager: Some(FIELD_MANAGER.into()),
        ..Default::default()
    };
    api.patch_status(&key.name, &params, &Patch::Merge(&patch))
        .await
        .map(|_| ())
}

/// Patches a Gateway's, GatewayClass's or policy's status.
async fn write_object_status(client: &kube::Client, patch: &StatusPatch) -> kube::Result<()> {
    let (api, name): (Api<DynamicObject>, &str) = match &patch.target {
        StatusTarget::GatewayClass(name) => {
            (Api::all_with(client.clone(), &kinds::gateway_class()), name)
        }
        StatusTarget::Gateway((ns, name)) => (
            Api::namespaced_with(client.clone(), ns, &kinds::gateway()),
            name,
        ),
        StatusTarget::Policy(kind, (ns, name)) => (
            Api::namespaced_with(client.clone(), ns, &kinds::policy(kind)),
            name,
        ),
        StatusTarget::ServiceNetwork(name) => (
            Api::all_with(client.clone(), &kinds::service_network()),
            name,
        ),
        StatusTarget::ServiceExport((ns, name)) => {
            // No status subresource: the status goes with the object.
            let api: Api<DynamicObject> =
                Api::namespaced_with(client.clone(), ns, &kinds::policy("ServiceExport"));
            let params = PatchParams {
                field_manager: Some(FIELD_MANAGER.into()),
                ..Default::default()
            };
            let patch = json!({ "status": &patch.status });
            return api
                .patch(name, &params, &Patch::Merge(&patch))
                .await
                .map(|_| ());
        }
    };
    let params = PatchParams {
        field_manager: Some(FIELD_MANAGER.into()),
        ..Default::default()
    };
    api.patch_status(
        name,
        &params,
        &Patch::Merge(&json!({ "status": &patch.status })),
    )
    .await
    .map(|_| ())
}

/// What the apply did with the export `key`'s target groups: failed where
/// a problem names one of them.
fn export_state(
    plan: &lattice_core::plan::Plan,
    problems: &[ApplyProblem],
    key: &Key,
) -> ExportState {
    let groups: Vec<&str> = plan
        .target_groups
        .iter()
        .filter(|t| {
            t.export
                .as_ref()
                .is_some_and(|e| (&e.namespace, &e.name) == (&key.0, &key.1))
        })
        .map(|t| t.name.as_str())
        .collect();
    let failed: Vec<&str> = problems
        .iter()
        .filter(|p| groups.contains(&p.resource.name.as_str()))
        .map(|p| p.message.as_str())
        .collect();
    match failed.is_empty() {
        true => ExportState::Ready,
        false => ExportState::Failed(failed.join("; ")),
    }
}
