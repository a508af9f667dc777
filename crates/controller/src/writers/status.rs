//! The status writer: the one place that writes route, Gateway and
//! GatewayClass status.
//!
//! What each status should say, and whether it changed, is computed by
//! `lattice_core::status` (pure); this module only sends the patches.

use futures::StreamExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use lattice_core::index::{Dirty, Index, RouteKey};
use lattice_core::status::{self, ApplyOutcome, StatusPatch, StatusTarget};
use serde_json::{Value, json};

use super::FIELD_MANAGER;
use crate::pass::{Applied, Planned};
use crate::{Controller, kinds};

impl Controller {
    /// Writes the statuses the pass changed: dirty routes, dirty Gateways
    /// and our GatewayClasses, given what the apply did (`None`: no applier).
    pub(crate) async fn write_statuses(
        &self,
        index: &Index,
        dirty: &Dirty,
        planned: &Planned,
        applied: Option<&Applied>,
        now: &Time,
    ) {
        let outcome = |key: &RouteKey| self.route_outcome(key, applied);
        let gateways = applied.map_or(ApplyOutcome::Pending, |a| {
            status::gateway_outcome(a.report.failures.len())
        });
        let (routes, objects) = tokio::task::block_in_place(|| {
            let snapshot = index.snapshot();
            let (input, plan) = (&planned.input, &planned.plan);
            (
                status::route_statuses(snapshot, &dirty.routes, input, plan, &outcome, now),
                status::gateway_statuses(
                    index,
                    &dirty.gateways,
                    &input.service_networks,
                    &gateways,
                    now,
                ),
            )
        });
        let client = &self.client;
        let limit = self.options.max_concurrent_writes;
        futures::stream::iter(objects)
            .for_each_concurrent(limit, |p| async move {
                if let Err(e) = write_object_status(client, &p).await {
                    tracing::warn!(object = ?p.target, error = %e, "status write failed; the next pass retries");
                }
            })
            .await;
        futures::stream::iter(routes)
            .for_each_concurrent(limit, |(key, parents)| async move {
                if let Err(e) = write(client, &key, parents).await {
                    tracing::warn!(route = %key, error = %e, "status write failed; the next pass retries");
                }
            })
            .await;
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

/// Patches a Gateway's or GatewayClass's status.
async fn write_object_status(client: &kube::Client, patch: &StatusPatch) -> kube::Result<()> {
    let (api, name): (Api<DynamicObject>, &str) = match &patch.target {
        StatusTarget::GatewayClass(name) => {
            (Api::all_with(client.clone(), &kinds::gateway_class()), name)
        }
        StatusTarget::Gateway((ns, name)) => (
            Api::namespaced_with(client.clone(), ns, &kinds::gateway()),
            name,
        ),
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
