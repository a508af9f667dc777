//! LambdaTarget: a Lambda function as a route backend. A change re-plans
//! the routes that name it, as a Service's does.

use serde_json::Value;

use super::{Identity, Kind, PLUGIN_GROUP, Scope, insert_keyed};
use crate::index::{Dirty, Graph};
use crate::snapshot::{Key, ManifestError, Snapshot};

/// The LambdaTarget kind's identity.
pub const ID: Identity = Identity {
    group: PLUGIN_GROUP,
    version: "v1alpha1",
    kind: crate::crds::lambda_target::KIND,
    plural: "lambdatargets",
    scope: Scope::Namespaced,
};

/// `lattice-host.io/v1alpha1` LambdaTarget, decoded as
/// [`crate::crds::LambdaTarget`].
pub struct LambdaTargetKind;

impl Kind for LambdaTargetKind {
    fn identity(&self) -> &'static Identity {
        &ID
    }

    fn insert(&self, snapshot: &mut Snapshot, object: Value) -> Result<(), ManifestError> {
        insert_keyed(&ID, &mut snapshot.lambda_targets, object)
    }

    fn remove(&self, snapshot: &mut Snapshot, key: &Key) {
        snapshot.lambda_targets.remove(key);
    }

    fn keys(&self, snapshot: &Snapshot) -> Vec<Key> {
        snapshot.lambda_targets.keys().cloned().collect()
    }

    /// The routes with the LambdaTarget as a backend.
    fn dirties(&self, _: &Snapshot, graph: &Graph, key: &Key) -> Dirty {
        Dirty {
            routes: graph.routes_of_lambda_target(key),
            ..Dirty::default()
        }
    }
}

/// Whether a backendRef's group and kind name a LambdaTarget.
pub fn is_lambda_target(group: &str, kind: &str) -> bool {
    group == ID.group && kind == ID.kind
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{mk_route, mk_service, route_names};
    use crate::index::Index;

    fn mk_lambda(name: &str, function: &str) -> serde_json::Value {
        json!({"apiVersion":"lattice-host.io/v1alpha1","kind":"LambdaTarget",
            "metadata":{"name":name,"namespace":"app"},
            "spec":{"functionArn":format!("arn:aws:lambda:us-west-2:123456789012:function:{function}")}})
    }

    fn lambda_ref(name: &str) -> serde_json::Value {
        json!({"group":"lattice-host.io","kind":"LambdaTarget","name":name})
    }

    #[test]
    fn a_changed_or_deleted_lambda_target_dirties_the_routes_that_name_it() {
        let mut ix = Index::default();
        ix.apply(mk_lambda("fn", "books")).unwrap();
        ix.apply(mk_route(
            "HTTPRoute",
            "a",
            "mesh",
            json!([lambda_ref("fn")]),
        ))
        .unwrap();
        ix.apply(mk_route(
            "HTTPRoute",
            "b",
            "mesh",
            json!([{"name":"fn","port":80}]),
        ))
        .unwrap();
        let d = ix.apply(mk_lambda("fn", "books-v2")).unwrap();
        assert_eq!(route_names(&d), vec!["a"]);
        let d = ix.delete("lattice-host.io/v1alpha1", "LambdaTarget", "app", "fn");
        assert_eq!(route_names(&d), vec!["a"]);
        assert!(ix.snapshot().lambda_targets.is_empty());
    }

    #[test]
    fn a_service_of_the_same_name_does_not_dirty_a_route_to_the_lambda_target() {
        let mut ix = Index::default();
        ix.apply(mk_route(
            "HTTPRoute",
            "a",
            "mesh",
            json!([lambda_ref("fn")]),
        ))
        .unwrap();
        let d = ix.apply(mk_service("app", "fn")).unwrap();
        assert!(route_names(&d).is_empty(), "{d:?}");
    }
}
