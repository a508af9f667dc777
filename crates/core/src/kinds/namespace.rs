//! Namespace: cluster-scoped, keyed `("", name)`. Only its labels matter,
//! and only to a ClusterLatticePlugin's `namespaceSelector` and a Gateway
//! listener's `allowedRoutes.namespaces.selector`: a change re-plans the
//! routes of the namespace (and the Gateways that select by label) when
//! something selects namespaces, and nothing otherwise.

use k8s_openapi::api::core::v1::Namespace;
use serde_json::Value;

use super::{CORE_GROUP, Identity, Kind, Scope, decode, routes_in};
use crate::index::{Dirty, Graph};
use crate::model::listeners;
use crate::snapshot::{Key, ManifestError, Snapshot};

const ID: Identity = Identity {
    group: CORE_GROUP,
    version: "v1",
    kind: "Namespace",
    plural: "namespaces",
    scope: Scope::Cluster,
};

/// Core `v1` Namespace.
pub struct NamespaceKind;

impl Kind for NamespaceKind {
    fn identity(&self) -> &'static Identity {
        &ID
    }

    fn insert(&self, snapshot: &mut Snapshot, object: Value) -> Result<(), ManifestError> {
        let (_, name) = ID.key_of(&object);
        let namespace: Namespace = decode(&ID, object)?;
        snapshot.namespaces.insert(name, namespace);
        Ok(())
    }

    fn remove(&self, snapshot: &mut Snapshot, key: &Key) {
        snapshot.namespaces.remove(&key.1);
    }

    fn keys(&self, snapshot: &Snapshot) -> Vec<Key> {
        let names = snapshot.namespaces.keys();
        names.map(|n| ID.key(None, n)).collect()
    }

    /// The routes of the namespace, when a cluster plugin or a Gateway
    /// listener selects namespaces by label; and those Gateways, whose
    /// `attachedRoutes` may change.
    fn dirties(&self, snapshot: &Snapshot, _: &Graph, key: &Key) -> Dirty {
        let plugins = snapshot
            .cluster_lattice_plugins
            .values()
            .any(|p| p.spec.namespace_selector.is_some());
        let gateways: std::collections::BTreeSet<Key> = snapshot
            .gateways
            .iter()
            .filter(|(_, gw)| gw.spec.listeners.iter().any(listeners::selects_namespaces))
            .map(|(k, _)| k.clone())
            .collect();
        if !plugins && gateways.is_empty() {
            return Dirty::default();
        }
        let mut dirty = routes_in(snapshot, &key.1);
        dirty.gateways.extend(gateways);
        dirty
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{mk_route, route_names};
    use crate::index::Index;

    fn mk_namespace(name: &str, team: &str) -> serde_json::Value {
        json!({"apiVersion":"v1","kind":"Namespace",
            "metadata":{"name":name,"labels":{"team":team}}})
    }

    fn mk_selective_cluster_plugin() -> serde_json::Value {
        json!({"apiVersion":"lattice-host.io/v1alpha1","kind":"ClusterLatticePlugin",
            "metadata":{"name":"split"},
            "spec":{"stage":"weighting","source":{"file":"/p.wasm"},
                "namespaceSelector":{"matchLabels":{"team":"books"}}}})
    }

    #[test]
    fn a_namespace_is_stored_by_name_with_its_labels() {
        let mut ix = Index::default();
        ix.apply(mk_namespace("app", "books")).unwrap();
        let labels = ix.snapshot().namespaces["app"].metadata.labels.clone();
        assert_eq!(labels.unwrap()["team"], "books");
    }

    #[test]
    fn a_namespace_label_change_dirties_nothing_without_a_selective_cluster_plugin() {
        let mut ix = Index::default();
        ix.apply(mk_route("HTTPRoute", "r", "mesh", json!([])))
            .unwrap();
        ix.apply(mk_namespace("app", "books")).unwrap();
        assert!(ix.apply(mk_namespace("app", "music")).unwrap().is_empty());
    }

    #[test]
    fn a_namespace_label_change_dirties_the_routes_of_that_namespace_under_a_selector() {
        let mut ix = Index::default();
        ix.apply(mk_route("HTTPRoute", "r", "mesh", json!([])))
            .unwrap();
        ix.apply(mk_selective_cluster_plugin()).unwrap();
        ix.apply(mk_namespace("app", "books")).unwrap();
        ix.apply(mk_namespace("other", "books")).unwrap();
        let d = ix.apply(mk_namespace("app", "music")).unwrap();
        assert_eq!(route_names(&d), vec!["r"]);
        assert!(ix.apply(mk_namespace("other", "music")).unwrap().is_empty());
    }
}
