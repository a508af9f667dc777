//! LatticePlugin: namespaced. It can only decide routes of its own
//! namespace, so a change re-plans every route there (not only its
//! `targetRefs`: taking or losing a namespace-wide scope moves them all).

use serde_json::Value;

use super::{Identity, Kind, PLUGIN_GROUP, Scope, insert_keyed, routes_in};
use crate::index::{Dirty, Graph};
use crate::snapshot::{Key, ManifestError, Snapshot};

const ID: Identity = Identity {
    group: PLUGIN_GROUP,
    version: "v1alpha1",
    kind: "LatticePlugin",
    plural: "latticeplugins",
    scope: Scope::Namespaced,
};

/// `lattice-host.io/v1alpha1` LatticePlugin, decoded as
/// [`crate::crds::LatticePlugin`].
pub struct LatticePluginKind;

impl Kind for LatticePluginKind {
    fn identity(&self) -> &'static Identity {
        &ID
    }

    fn insert(&self, snapshot: &mut Snapshot, object: Value) -> Result<(), ManifestError> {
        insert_keyed(&ID, &mut snapshot.lattice_plugins, object)
    }

    fn remove(&self, snapshot: &mut Snapshot, key: &Key) {
        snapshot.lattice_plugins.remove(key);
    }

    fn keys(&self, snapshot: &Snapshot) -> Vec<Key> {
        snapshot.lattice_plugins.keys().cloned().collect()
    }

    /// The routes of its namespace, when the plugin is in the snapshot.
    fn dirties(&self, snapshot: &Snapshot, _: &Graph, key: &Key) -> Dirty {
        if snapshot.lattice_plugins.contains_key(key) {
            routes_in(snapshot, &key.0)
        } else {
            Dirty::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{mk_route, route_names};
    use crate::index::Index;

    fn mk_plugin(namespace: &str) -> serde_json::Value {
        json!({"apiVersion":"lattice-host.io/v1alpha1","kind":"LatticePlugin",
            "metadata":{"name":"p","namespace":namespace},
            "spec":{"stage":"auth","source":{"configMap":{"name":"p","key":"p.wasm"}},
                "targetRefs":[{"group":"gateway.networking.k8s.io","kind":"HTTPRoute","name":"a"}]}})
    }

    #[test]
    fn a_namespaced_plugin_change_dirties_every_route_of_its_namespace_only() {
        let mut ix = Index::default();
        ix.apply(mk_route("HTTPRoute", "a", "mesh", json!([])))
            .unwrap();
        ix.apply(mk_route("TLSRoute", "b", "mesh", json!([])))
            .unwrap();
        assert_eq!(
            route_names(&ix.apply(mk_plugin("app")).unwrap()),
            ["a", "b"]
        );
        assert!(ix.apply(mk_plugin("elsewhere")).unwrap().is_empty());
        let d = ix.delete("lattice-host.io/v1alpha1", "LatticePlugin", "app", "p");
        assert_eq!(route_names(&d), ["a", "b"]);
    }

    #[test]
    fn a_namespaced_plugin_keeps_its_target_refs_and_source() {
        let mut ix = Index::default();
        ix.apply(mk_plugin("app")).unwrap();
        let p = &ix.snapshot().lattice_plugins[&("app".to_string(), "p".to_string())];
        assert_eq!(p.spec.target_refs[0].name, "a");
        let cm = p.spec.plugin.source.config_map.as_ref().unwrap();
        assert_eq!((cm.name.as_str(), cm.namespace.as_deref()), ("p", None));
    }
}
