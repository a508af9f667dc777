//! ReferenceGrant: lets routes in other namespaces use Services in its own.
//! A change re-plans the routes with a backend in its namespace.

use serde_json::Value;

use super::{GATEWAY_GROUP, Identity, Kind, Scope, insert_keyed};
use crate::index::{Dirty, Graph};
use crate::snapshot::{Key, ManifestError, Snapshot};

const ID: Identity = Identity {
    group: GATEWAY_GROUP,
    version: "v1beta1",
    kind: "ReferenceGrant",
    plural: "referencegrants",
    scope: Scope::Namespaced,
};

/// `gateway.networking.k8s.io/v1beta1` ReferenceGrant.
pub struct ReferenceGrantKind;

impl Kind for ReferenceGrantKind {
    fn identity(&self) -> &'static Identity {
        &ID
    }

    fn insert(&self, snapshot: &mut Snapshot, object: Value) -> Result<(), ManifestError> {
        insert_keyed(&ID, &mut snapshot.reference_grants, object)
    }

    fn remove(&self, snapshot: &mut Snapshot, key: &Key) {
        snapshot.reference_grants.remove(key);
    }

    fn keys(&self, snapshot: &Snapshot) -> Vec<Key> {
        snapshot.reference_grants.keys().cloned().collect()
    }

    /// Routes in other namespaces with a backend in the grant's namespace.
    fn dirties(&self, _: &Snapshot, graph: &Graph, key: &Key) -> Dirty {
        Dirty {
            routes: graph.routes_crossing_into(&key.0),
            ..Dirty::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{mk_route, route_names};
    use crate::index::Index;

    fn mk_grant(ns: &str) -> serde_json::Value {
        json!({"apiVersion":"gateway.networking.k8s.io/v1beta1","kind":"ReferenceGrant",
            "metadata":{"name":"g","namespace":ns},
            "spec":{"from":[{"group":"gateway.networking.k8s.io","kind":"HTTPRoute","namespace":"app"}],
                    "to":[{"group":"","kind":"Service"}]}})
    }

    #[test]
    fn a_reference_grant_dirties_only_routes_with_backends_in_its_namespace() {
        let mut ix = Index::default();
        let local = json!([{"name":"web","port":80}]);
        let crossing = json!([{"name":"db","namespace":"data","port":5432}]);
        ix.apply(mk_route("HTTPRoute", "local", "mesh", local))
            .unwrap();
        ix.apply(mk_route("HTTPRoute", "crossing", "mesh", crossing))
            .unwrap();
        assert_eq!(
            route_names(&ix.apply(mk_grant("data")).unwrap()),
            vec!["crossing"]
        );
        // A grant in the routes' own namespace grants nothing they need.
        assert!(ix.apply(mk_grant("app")).unwrap().is_empty());
        let d = ix.delete(
            "gateway.networking.k8s.io/v1beta1",
            "ReferenceGrant",
            "data",
            "g",
        );
        assert_eq!(route_names(&d), vec!["crossing"]);
    }
}
