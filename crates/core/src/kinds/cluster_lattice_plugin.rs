//! ClusterLatticePlugin: cluster-scoped, keyed `("", name)`. It can change
//! which plugin decides any route (its selector, its delegation, its age
//! against other cluster plugins), so a change re-plans every route.

use serde_json::Value;

use super::{Identity, Kind, PLUGIN_GROUP, Scope, all_routes, decode};
use crate::crds::ClusterLatticePlugin;
use crate::index::{Dirty, Graph};
use crate::snapshot::{Key, ManifestError, Snapshot};

const ID: Identity = Identity {
    group: PLUGIN_GROUP,
    version: "v1alpha1",
    kind: "ClusterLatticePlugin",
    plural: "clusterlatticeplugins",
    scope: Scope::Cluster,
};

/// `lattice-host.io/v1alpha1` ClusterLatticePlugin, decoded as
/// [`crate::crds::ClusterLatticePlugin`].
pub struct ClusterLatticePluginKind;

impl Kind for ClusterLatticePluginKind {
    fn identity(&self) -> &'static Identity {
        &ID
    }

    fn insert(&self, snapshot: &mut Snapshot, object: Value) -> Result<(), ManifestError> {
        let (_, name) = ID.key_of(&object);
        let plugin: ClusterLatticePlugin = decode(&ID, object)?;
        snapshot.cluster_lattice_plugins.insert(name, plugin);
        Ok(())
    }

    fn remove(&self, snapshot: &mut Snapshot, key: &Key) {
        snapshot.cluster_lattice_plugins.remove(&key.1);
    }

    fn keys(&self, snapshot: &Snapshot) -> Vec<Key> {
        let names = snapshot.cluster_lattice_plugins.keys();
        names.map(|n| ID.key(None, n)).collect()
    }

    /// Every route, when the plugin is in the snapshot.
    fn dirties(&self, snapshot: &Snapshot, _: &Graph, key: &Key) -> Dirty {
        if snapshot.cluster_lattice_plugins.contains_key(&key.1) {
            all_routes(snapshot)
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

    fn mk_cluster_plugin(stage: &str) -> serde_json::Value {
        json!({"apiVersion":"lattice-host.io/v1alpha1","kind":"ClusterLatticePlugin",
            "metadata":{"name":"p"},
            "spec":{"stage":stage,"source":{"file":"/p.wasm"}}})
    }

    #[test]
    fn a_cluster_plugin_change_dirties_every_route_of_every_kind() {
        let mut ix = Index::default();
        ix.apply(mk_route("HTTPRoute", "h", "mesh", json!([])))
            .unwrap();
        ix.apply(mk_route("GRPCRoute", "g", "mesh", json!([])))
            .unwrap();
        let d = ix.apply(mk_cluster_plugin("weighting")).unwrap();
        assert_eq!(route_names(&d), vec!["h", "g"]);
        let d = ix.delete("lattice-host.io/v1alpha1", "ClusterLatticePlugin", "", "p");
        assert_eq!(d.routes.len(), 2);
        assert!(ix.snapshot().cluster_lattice_plugins.is_empty());
    }

    #[test]
    fn a_cluster_plugin_with_an_unknown_stage_is_refused_by_name() {
        let mut ix = Index::default();
        let err = ix.apply(mk_cluster_plugin("routing")).unwrap_err();
        assert!(err.to_string().contains("ClusterLatticePlugin p"), "{err}");
    }
}
