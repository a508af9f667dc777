//! Gateway: a service network. A change re-plans the Gateway itself and the
//! routes attached to it.

use serde_json::Value;

use super::{GATEWAY_GROUP, Identity, Kind, Scope, insert_keyed};
use crate::index::{Dirty, Graph};
use crate::snapshot::{Key, ManifestError, Snapshot};

/// The Gateway kind's identity.
pub(super) const ID: Identity = Identity {
    group: GATEWAY_GROUP,
    version: "v1",
    kind: "Gateway",
    plural: "gateways",
    scope: Scope::Namespaced,
};

/// `gateway.networking.k8s.io/v1` Gateway.
pub struct GatewayKind;

impl Kind for GatewayKind {
    fn identity(&self) -> &'static Identity {
        &ID
    }

    fn insert(&self, snapshot: &mut Snapshot, object: Value) -> Result<(), ManifestError> {
        insert_keyed(&ID, &mut snapshot.gateways, object)
    }

    fn remove(&self, snapshot: &mut Snapshot, key: &Key) {
        snapshot.gateways.remove(key);
    }

    fn keys(&self, snapshot: &Snapshot) -> Vec<Key> {
        snapshot.gateways.keys().cloned().collect()
    }

    /// The Gateway, and the routes attached to it.
    fn dirties(&self, _: &Snapshot, graph: &Graph, key: &Key) -> Dirty {
        Dirty {
            routes: graph.routes_of_gateway(key),
            gateways: [key.clone()].into(),
            ..Dirty::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{mk_gateway, mk_route, route_names};
    use crate::index::Index;
    use crate::snapshot::Snapshot;

    #[test]
    fn a_gateway_without_a_namespace_is_filed_under_default() {
        let mut s = Snapshot::default();
        let mut gw = mk_gateway("mesh", "lattice");
        gw["metadata"].as_object_mut().unwrap().remove("namespace");
        assert!(s.add_manifest(gw).unwrap());
        assert!(s.gateways.contains_key(&("default".into(), "mesh".into())));
    }

    #[test]
    fn a_deleted_gateway_dirties_itself_and_the_routes_that_named_it() {
        let mut ix = Index::default();
        ix.apply(mk_gateway("mesh", "lattice")).unwrap();
        ix.apply(mk_route("TLSRoute", "t", "mesh", json!([])))
            .unwrap();
        let d = ix.delete("gateway.networking.k8s.io/v1", "Gateway", "app", "mesh");
        assert_eq!(route_names(&d), vec!["t"]);
        assert_eq!(d.gateways, [("app".to_string(), "mesh".to_string())].into());
        assert!(ix.snapshot().gateways.is_empty());
    }
}
