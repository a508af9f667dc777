//! Kubernetes Events: a Warning on a route whose apply just failed, or
//! whose plugin just failed (Lattice keeps it), so `kubectl describe` shows
//! it next to the route's conditions.

use std::collections::BTreeMap;

use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use lattice_core::index::{Index, RouteKey};

use crate::Controller;

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
        index: &Index,
        failed: &BTreeMap<RouteKey, (&'static str, String)>,
    ) {
        for (key, (reason, message)) in failed {
            self.warn(index, key, reason, message).await;
        }
    }

    /// A Kubernetes Event on a route whose apply just failed.
    async fn warn(&self, index: &Index, key: &RouteKey, reason: &str, message: &str) {
        let Some(meta) = index.snapshot().route_meta(key) else {
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
            uid: meta.uid.clone(),
            ..Default::default()
        };
        let event = Event {
            type_: EventType::Warning,
            reason: reason.into(),
            note: Some(message.chars().take(MAX_NOTE).collect()),
            action: "Apply".into(),
            secondary: None,
        };
        if let Err(e) = self.recorder().publish(&event, &reference).await {
            tracing::debug!(route = %key, error = %e, "could not record an event");
        }
    }
}
