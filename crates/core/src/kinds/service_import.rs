//! ServiceImport: a route backend that names target groups exported
//! elsewhere. A change (its annotations say which groups) re-plans the
//! routes that name it.

use serde_json::Value;

use super::{Identity, Kind, POLICY_GROUP, Scope, decode};
use crate::index::{Dirty, Graph};
use crate::snapshot::{Key, ManifestError, Snapshot};

/// The ServiceImport kind's identity.
pub const ID: Identity = Identity {
    group: POLICY_GROUP,
    version: "v1alpha1",
    kind: "ServiceImport",
    plural: "serviceimports",
    scope: Scope::Namespaced,
};

/// `application-networking.k8s.aws/v1alpha1` ServiceImport, decoded as
/// [`crate::crds::ServiceImport`].
pub struct ServiceImportKind;

impl Kind for ServiceImportKind {
    fn identity(&self) -> &'static Identity {
        &ID
    }

    fn insert(&self, snapshot: &mut Snapshot, mut object: Value) -> Result<(), ManifestError> {
        let key = ID.key_of(&object);
        // Nothing here reads the spec; a manifest without one still names
        // an import.
        if let Some(o) = object.as_object_mut() {
            o.entry("spec")
                .or_insert_with(|| Value::Object(Default::default()));
        }
        snapshot.service_imports.insert(key, decode(&ID, object)?);
        Ok(())
    }

    fn remove(&self, snapshot: &mut Snapshot, key: &Key) {
        snapshot.service_imports.remove(key);
    }

    fn keys(&self, snapshot: &Snapshot) -> Vec<Key> {
        snapshot.service_imports.keys().cloned().collect()
    }

    /// The routes that name it: a route's backends are recorded by
    /// namespace and name whatever their kind.
    fn dirties(&self, _: &Snapshot, graph: &Graph, key: &Key) -> Dirty {
        Dirty {
            routes: graph.routes_of_service(key),
            policies: [(ID.kind.to_string(), key.clone())].into(),
            ..Dirty::default()
        }
    }
}
