//! Kubernetes Events: a Warning on a route whose apply just failed, or
//! whose plugin just failed (Lattice keeps it), and on a Gateway whose
//! service network Lattice refused, so `kubectl describe` shows it next to
//! the conditions. Plugin objects' Events are in `plugins.rs`.

use std::collections::BTreeMap;

use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use lattice_core::index::RouteKey;
use lattice_core::kinds::{GatewayKind, Kind};
use lattice_core::plan::ResourceKind;
use lattice_core::snapshot::Key;

use crate::pass::Applied;

use crate::Controller;
use crate::shared_index::SharedIndex;

/// Kubernetes caps an Event's note at 1 KiB.
const MAX_NOTE: usize = 1000;

impl Controller {
    /// The one recorder of this controller: it keeps the Events it sent, so
    /// a repeat becomes a count on the same Event (an EventSeries), as
    /// client-go's recorder does, instead of a new object.
    pub(crate) fn recorder(&self) -> &Recorder {
        self.recorder.get_or_init(|| {
            let reporter = Reporter {
                controller: "lattice-host".into(),
                instance: self.options.instance.clone(),
            };
            Recorder::new(self.client.clone(), reporter)
        })
    }

    /// An `ApplyFailed` or `PluginFailed` Warning on each route that just failed.
    pub(crate) async fn write_events(
        &self,
        index: &SharedIndex,
        failed: &BTreeMap<RouteKey, (&'static str, String)>,
    ) {
        for (key, (reason, message)) in failed {
            self.warn(index, key, reason, message).await;
        }
    }

    /// An `ApplyFailed` Warning on each Gateway whose service network (or
    /// its VPC association or auth policy) Lattice just refused; once per
    /// new message, so a failure that persists is not re-announced each pass.
    pub(crate) async fn write_gateway_events(&self, index: &SharedIndex, applied: &Applied) {
        let mut now: BTreeMap<Key, String> = BTreeMap::new();
        for p in &applied.problems {
            let r = &p.resource;
            let network = matches!(
                r.kind,
                ResourceKind::ServiceNetwork | ResourceKind::ServiceNetworkVpcAssociation
            ) || (r.kind == ResourceKind::AuthPolicy && r.routes.is_empty());
            let index = index.read();
            let gateway = index.snapshot().gateways.keys().find(|(_, n)| *n == r.name);
            if let (true, Some(key)) = (network, gateway) {
                let m = now.entry(key.clone()).or_default();
                if !m.is_empty() {
                    m.push_str("; ");
                }
                m.push_str(&p.message);
            }
        }
        let new: Vec<(Key, String)> = {
            let mut seen = self
                .gateway_failures
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let new = now
                .iter()
                .filter(|(k, m)| seen.get(*k) != Some(*m))
                .map(|(k, m)| (k.clone(), m.clone()))
                .collect();
            *seen = now;
            new
        };
        for ((ns, name), message) in new {
            let uid = index
                .read()
                .snapshot()
                .gateways
                .get(&(ns.clone(), name.clone()))
                .and_then(|g| g.metadata.uid.clone());
            let reference = k8s_openapi::api::core::v1::ObjectReference {
                api_version: Some(GatewayKind.identity().api_version()),
                kind: Some("Gateway".into()),
                namespace: Some(ns),
                name: Some(name),
                uid,
                ..Default::default()
            };
            self.publish_warning(&reference, "ApplyFailed", &message)
                .await;
        }
    }

    /// A Kubernetes Event on a route whose apply just failed.
    async fn warn(&self, index: &SharedIndex, key: &RouteKey, reason: &str, message: &str) {
        let Some(uid) = index.read().snapshot().route_meta(key).map(|m| m.uid) else {
            return;
        };
        let reference = k8s_openapi::api::core::v1::ObjectReference {
            api_version: Some(
                lattice_core::kinds::route(key.kind)
                    .identity()
                    .api_version(),
            ),
            kind: Some(key.kind.kind_name().into()),
            namespace: Some(key.namespace.clone()),
            name: Some(key.name.clone()),
            uid,
            ..Default::default()
        };
        self.publish_warning(&reference, reason, message).await;
    }

    async fn publish_warning(
        &self,
        reference: &k8s_openapi::api::core::v1::ObjectReference,
        reason: &str,
        message: &str,
    ) {
        let event = Event {
            type_: EventType::Warning,
            reason: reason.into(),
            note: Some(message.chars().take(MAX_NOTE).collect()),
            action: "Apply".into(),
            secondary: None,
        };
        if let Err(e) = self.recorder().publish(&event, reference).await {
            let object = reference.name.as_deref().unwrap_or_default();
            tracing::debug!(object, error = %e, "could not record an event");
        }
    }
}
