//! The Go controller's output annotations: on programmed routes, the
//! Lattice service's ARN and the domain name Lattice assigned to it; on an
//! AccessLogPolicy, its subscription's ARN and the name of its target. All
//! come from the apply report, so writing them costs no Lattice call.

use std::collections::BTreeMap;

use kube::api::{Api, DynamicObject, Patch, PatchParams};
use lattice_apply::ServiceEndpoint;
use lattice_core::index::{
    ACCESS_LOG_SUBSCRIPTION_ANNOTATIONS, Dirty, Index, OUTPUT_ANNOTATIONS, RouteKey,
};
use serde_json::{Map, Value};

use crate::pass::Applied;
use crate::shared_index::SharedIndex;
use crate::{Controller, kinds};

/// Output annotations to write, by route.
pub(crate) type RouteAnnotations = BTreeMap<RouteKey, Map<String, Value>>;

impl Controller {
    /// The annotations each dirty route whose service Lattice now holds
    /// lacks, or holds with another value. The finalizer writer sends them
    /// in the same patch as the route's finalizers: two writes would race
    /// (the second's resourceVersion is stale once the first lands) and
    /// come back as two watch events.
    pub(crate) fn route_annotations(
        &self,
        index: &Index,
        dirty: &Dirty,
        applied: &Applied,
    ) -> RouteAnnotations {
        let desired = self.desired.lock().unwrap_or_else(|p| p.into_inner());
        dirty
            .routes
            .iter()
            .filter_map(|key| {
                let service = desired.service_name(key)?;
                let endpoint = applied.report.services.get(service)?;
                let patch = missing(index, key, endpoint);
                (!patch.is_empty()).then(|| (key.clone(), patch))
            })
            .collect()
    }
}

/// The annotations `key` lacks, or holds with another value.
fn missing(index: &Index, key: &RouteKey, endpoint: &ServiceEndpoint) -> Map<String, Value> {
    let [arn_key, dns_key, ..] = OUTPUT_ANNOTATIONS;
    let current = index.snapshot().route_meta(key).and_then(|m| m.annotations);
    let mut patch = Map::new();
    for (k, v) in [
        (arn_key, Some(endpoint.arn.as_str())),
        (dns_key, endpoint.dns_name.as_deref()),
    ] {
        if let Some(v) = v
            && current.as_ref().and_then(|a| a.get(k)).map(String::as_str) != Some(v)
        {
            patch.insert(k.to_string(), v.into());
        }
    }
    patch
}

impl Controller {
    /// Annotates each AccessLogPolicy whose subscription the pass read or
    /// created, where an annotation is missing or says something else.
    pub(crate) async fn write_access_log_annotations(
        &self,
        index: &SharedIndex,
        applied: &Applied,
    ) {
        let subscriptions = &applied.report.access_log_subscriptions;
        let wanted: Vec<((String, String), Map<String, Value>)> = index
            .read()
            .snapshot()
            .access_log_policies
            .iter()
            .filter_map(|(key, p)| {
                let arn = subscriptions.get(&format!("{}/{}", key.0, key.1))?;
                let [arn_key, target_key] = ACCESS_LOG_SUBSCRIPTION_ANNOTATIONS;
                let current = p.metadata.annotations.as_ref();
                let mut patch = Map::new();
                for (k, v) in [(arn_key, arn), (target_key, &p.spec.target_ref.name)] {
                    if current.and_then(|a| a.get(k)) != Some(v) {
                        patch.insert(k.to_string(), v.as_str().into());
                    }
                }
                (!patch.is_empty()).then(|| (key.clone(), patch))
            })
            .collect();
        let ar = kinds::policy("AccessLogPolicy");
        for ((namespace, name), patch) in wanted {
            let api: Api<DynamicObject> =
                Api::namespaced_with(self.client.clone(), &namespace, &ar);
            let body = serde_json::json!({"metadata": {"annotations": patch}});
            if let Err(e) = api
                .patch(&name, &PatchParams::default(), &Patch::Merge(&body))
                .await
            {
                tracing::debug!(policy = %name, error = %e, "could not annotate; a later pass retries");
            }
        }
    }
}
