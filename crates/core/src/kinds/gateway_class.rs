//! GatewayClass: cluster-scoped, so its key is `("", name)` everywhere. A
//! change re-plans the Gateways of the class and their routes.

use gateway_api::gatewayclasses::GatewayClass;
use serde_json::Value;

use super::{GATEWAY_GROUP, Identity, Kind, Scope, decode};
use crate::index::{Dirty, Graph};
use crate::snapshot::{Key, ManifestError, Snapshot};

const ID: Identity = Identity {
    group: GATEWAY_GROUP,
    version: "v1",
    kind: "GatewayClass",
    plural: "gatewayclasses",
    scope: Scope::Cluster,
};

/// `gateway.networking.k8s.io/v1` GatewayClass.
pub struct GatewayClassKind;

impl Kind for GatewayClassKind {
    fn identity(&self) -> &'static Identity {
        &ID
    }

    fn insert(&self, snapshot: &mut Snapshot, object: Value) -> Result<(), ManifestError> {
        let (_, name) = ID.key_of(&object);
        let class: GatewayClass = decode(&ID, object)?;
        snapshot.gateway_classes.insert(name, class);
        Ok(())
    }

    fn remove(&self, snapshot: &mut Snapshot, key: &Key) {
        snapshot.gateway_classes.remove(&key.1);
    }

    fn keys(&self, snapshot: &Snapshot) -> Vec<Key> {
        let names = snapshot.gateway_classes.keys();
        names.map(|n| ID.key(None, n)).collect()
    }

    /// The class itself, its Gateways, and their routes.
    fn dirties(&self, snapshot: &Snapshot, graph: &Graph, key: &Key) -> Dirty {
        let mut d = Dirty::default();
        d.classes.insert(key.1.clone());
        for (gk, gw) in &snapshot.gateways {
            if gw.spec.gateway_class_name == key.1 {
                d.gateways.insert(gk.clone());
                d.routes.extend(graph.routes_of_gateway(gk));
            }
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::json;

    use super::super::testing::{mk_gateway, mk_route, route_names};
    use super::*;
    use crate::index::Index;

    fn mk_class(name: &str) -> Value {
        json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"GatewayClass",
            "metadata":{"name":name},"spec":{"controllerName":"application-networking.k8s.aws/gateway-api-controller"}})
    }

    fn empty_namespace(name: &str) -> Key {
        (String::new(), name.to_string())
    }

    #[test]
    fn a_gateway_class_key_has_an_empty_namespace_in_snapshot_index_and_relist() {
        let mut class = mk_class("lattice");
        // Even a namespace sent by mistake does not make it namespaced.
        class["metadata"]["namespace"] = json!("default");
        assert_eq!(ID.key_of(&class), empty_namespace("lattice"));
        let mut ix = Index::default();
        ix.apply(class).unwrap();
        assert!(ix.snapshot().gateway_classes.contains_key("lattice"));
        let keys = ix.keys(GATEWAY_GROUP, "GatewayClass");
        assert_eq!(keys, vec![empty_namespace("lattice")]);
        // A re-list that saw it keeps it; one that did not drops it.
        let listed: BTreeSet<Key> = [empty_namespace("lattice")].into();
        ix.relist("gateway.networking.k8s.io/v1", "GatewayClass", &listed);
        assert_eq!(ix.snapshot().gateway_classes.len(), 1);
        ix.relist(
            "gateway.networking.k8s.io/v1",
            "GatewayClass",
            &BTreeSet::new(),
        );
        assert!(ix.snapshot().gateway_classes.is_empty());
    }

    #[test]
    fn a_gateway_class_without_gateways_still_dirties_itself_for_its_status() {
        let mut ix = Index::default();
        let d = ix.apply(mk_class("lattice")).unwrap();
        assert!(!d.is_empty());
        assert_eq!(d.classes, ["lattice".to_string()].into());
    }

    #[test]
    fn a_gateway_class_is_deleted_by_its_name_alone() {
        let mut ix = Index::default();
        ix.apply(mk_class("lattice")).unwrap();
        ix.delete(
            "gateway.networking.k8s.io/v1",
            "GatewayClass",
            "",
            "lattice",
        );
        assert!(ix.snapshot().gateway_classes.is_empty());
    }

    #[test]
    fn a_gateway_class_change_dirties_its_gateways_and_their_routes() {
        let mut ix = Index::default();
        ix.apply(mk_gateway("mesh", "lattice")).unwrap();
        ix.apply(mk_gateway("other", "someone-else")).unwrap();
        ix.apply(mk_route("HTTPRoute", "a", "mesh", json!([])))
            .unwrap();
        ix.apply(mk_route("HTTPRoute", "b", "other", json!([])))
            .unwrap();
        let d = ix.apply(mk_class("lattice")).unwrap();
        assert_eq!(route_names(&d), vec!["a"]);
        assert_eq!(d.classes, ["lattice".to_string()].into());
        assert_eq!(d.gateways, [("app".to_string(), "mesh".to_string())].into());
    }
}
