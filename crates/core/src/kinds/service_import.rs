//! ServiceImport: a route backend that names target groups exported
//! elsewhere. A change (its annotations say which groups) re-plans the
//! routes that name it.

use serde_json::Value;

use super::{Identity, Kind, POLICY_GROUP, Scope, insert_keyed, with_spec};
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

    fn insert(&self, snapshot: &mut Snapshot, object: Value) -> Result<(), ManifestError> {
        insert_keyed(&ID, &mut snapshot.service_imports, with_spec(object))
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{mk_route, route_names};
    use crate::index::Index;

    fn mk_import(annotations: serde_json::Value) -> serde_json::Value {
        json!({"apiVersion":"application-networking.k8s.aws/v1alpha1","kind":"ServiceImport",
            "metadata":{"name":"inv","namespace":"app","annotations":annotations}})
    }

    #[test]
    fn a_changed_or_deleted_import_dirties_the_routes_that_name_it() {
        let mut ix = Index::default();
        ix.apply(mk_import(json!({}))).unwrap();
        let import =
            json!({"group":"application-networking.k8s.aws","kind":"ServiceImport","name":"inv"});
        ix.apply(mk_route("HTTPRoute", "a", "mesh", json!([import])))
            .unwrap();
        ix.apply(mk_route(
            "HTTPRoute",
            "b",
            "mesh",
            json!([{"name":"web","port":80}]),
        ))
        .unwrap();
        let annotated = mk_import(json!({"application-networking.k8s.aws/aws-vpc":"vpc-1"}));
        assert_eq!(route_names(&ix.apply(annotated).unwrap()), vec!["a"]);
        let gone = ix.delete(
            "application-networking.k8s.aws/v1alpha1",
            "ServiceImport",
            "app",
            "inv",
        );
        assert_eq!(route_names(&gone), vec!["a"]);
    }
}
