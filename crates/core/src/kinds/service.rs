//! Service: a route backend. A change re-plans the routes that use it.

use serde_json::Value;

use super::{CORE_GROUP, Identity, Kind, Scope, insert_keyed};
use crate::index::{Dirty, Graph};
use crate::snapshot::{Key, ManifestError, Snapshot};

const ID: Identity = Identity {
    group: CORE_GROUP,
    version: "v1",
    kind: "Service",
    plural: "services",
    scope: Scope::Namespaced,
};

/// `v1` Service.
pub struct ServiceKind;

impl Kind for ServiceKind {
    fn identity(&self) -> &'static Identity {
        &ID
    }

    fn insert(&self, snapshot: &mut Snapshot, object: Value) -> Result<(), ManifestError> {
        insert_keyed(&ID, &mut snapshot.services, object)
    }

    fn remove(&self, snapshot: &mut Snapshot, key: &Key) {
        snapshot.services.remove(key);
    }

    fn keys(&self, snapshot: &Snapshot) -> Vec<Key> {
        snapshot.services.keys().cloned().collect()
    }

    /// The routes with the Service as a backend.
    fn dirties(&self, _: &Snapshot, graph: &Graph, key: &Key) -> Dirty {
        Dirty {
            routes: graph.routes_of_service(key),
            ..Dirty::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{mk_route, mk_service, route_names};
    use crate::index::Index;

    #[test]
    fn a_deleted_service_dirties_the_routes_that_use_it() {
        let mut ix = Index::default();
        ix.apply(mk_service("app", "web")).unwrap();
        ix.apply(mk_route(
            "HTTPRoute",
            "a",
            "mesh",
            json!([{"name":"web","port":80}]),
        ))
        .unwrap();
        assert_eq!(
            route_names(&ix.delete("v1", "Service", "app", "web")),
            vec!["a"]
        );
        assert!(ix.snapshot().services.is_empty());
    }
}
