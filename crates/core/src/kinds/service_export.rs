//! ServiceExport: a standalone target group of a Service for other
//! clusters. A change re-plans its own groups; its Service and
//! EndpointSlices re-plan it too ([`exports_of_service`]).

use serde_json::Value;

use super::{Identity, Kind, POLICY_GROUP, Scope, decode};
use crate::index::{Dirty, Graph};
use crate::model::service_export::exported_service;
use crate::snapshot::{Key, ManifestError, Snapshot};

/// The ServiceExport kind's identity.
pub const ID: Identity = Identity {
    group: POLICY_GROUP,
    version: "v1alpha1",
    kind: "ServiceExport",
    plural: "serviceexports",
    scope: Scope::Namespaced,
};

/// `application-networking.k8s.aws/v1alpha1` ServiceExport, decoded as
/// [`crate::crds::ServiceExport`].
pub struct ServiceExportKind;

impl Kind for ServiceExportKind {
    fn identity(&self) -> &'static Identity {
        &ID
    }

    fn insert(&self, snapshot: &mut Snapshot, mut object: Value) -> Result<(), ManifestError> {
        let key = ID.key_of(&object);
        // The CRD does not require `spec`, as the Go controller's does not.
        if let Some(o) = object.as_object_mut() {
            o.entry("spec")
                .or_insert_with(|| Value::Object(Default::default()));
        }
        snapshot.service_exports.insert(key, decode(&ID, object)?);
        Ok(())
    }

    fn remove(&self, snapshot: &mut Snapshot, key: &Key) {
        snapshot.service_exports.remove(key);
    }

    fn keys(&self, snapshot: &Snapshot) -> Vec<Key> {
        snapshot.service_exports.keys().cloned().collect()
    }

    fn dirties(&self, _: &Snapshot, _: &Graph, key: &Key) -> Dirty {
        let mut d = Dirty::default();
        d.service_exports.insert(key.clone());
        d.policies.insert((ID.kind.to_string(), key.clone()));
        d
    }
}

/// The exports of the Service `service`: exports are few, so a walk of
/// them is cheaper than an index kept in step.
pub fn exports_of_service(snapshot: &Snapshot, service: &Key) -> Vec<Key> {
    snapshot
        .service_exports
        .iter()
        .filter(|(k, e)| k.0 == service.0 && exported_service(e) == service.1)
        .map(|(k, _)| k.clone())
        .collect()
}
