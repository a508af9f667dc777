//! IAMAuthPolicy: an IAM auth policy on a Gateway's service network or a
//! route's service. A change re-plans its target; the index asks before and
//! after, so a retargeted policy re-plans both the old and the new target.

use serde_json::Value;

use super::{GATEWAY_GROUP, Identity, Kind, POLICY_GROUP, Scope, find, gateway, insert_keyed};
use crate::crds::PolicyTargetReference;
use crate::index::{Dirty, Graph, RouteKey};
use crate::snapshot::{Key, ManifestError, Snapshot};

const ID: Identity = Identity {
    group: POLICY_GROUP,
    version: "v1alpha1",
    kind: "IAMAuthPolicy",
    plural: "iamauthpolicies",
    scope: Scope::Namespaced,
};

/// `application-networking.k8s.aws/v1alpha1` IAMAuthPolicy, decoded as
/// [`crate::crds::IAMAuthPolicy`].
pub struct IamAuthPolicyKind;

impl Kind for IamAuthPolicyKind {
    fn identity(&self) -> &'static Identity {
        &ID
    }

    fn insert(&self, snapshot: &mut Snapshot, object: Value) -> Result<(), ManifestError> {
        insert_keyed(&ID, &mut snapshot.iam_auth_policies, object)
    }

    fn remove(&self, snapshot: &mut Snapshot, key: &Key) {
        snapshot.iam_auth_policies.remove(key);
    }

    fn keys(&self, snapshot: &Snapshot) -> Vec<Key> {
        snapshot.iam_auth_policies.keys().cloned().collect()
    }

    /// The target: a Gateway, or a route of any route kind. The target's
    /// namespace defaults to the policy's.
    fn dirties(&self, snapshot: &Snapshot, _: &Graph, key: &Key) -> Dirty {
        let target = snapshot
            .iam_auth_policies
            .get(key)
            .map(|p| &p.spec.target_ref);
        gateway_or_route_policy(&ID, key, target)
    }
}

/// What a policy on a Gateway or a route dirties: its target (whose
/// namespace defaults to the policy's) and its own status.
pub(super) fn gateway_or_route_policy(
    id: &Identity,
    key: &Key,
    target: Option<&PolicyTargetReference>,
) -> Dirty {
    let mut d = Dirty::default();
    d.policies.insert((id.kind.to_string(), key.clone()));
    let Some(t) = target else {
        return d;
    };
    let object = (
        t.namespace.clone().unwrap_or_else(|| key.0.clone()),
        t.name.clone(),
    );
    if t.kind == gateway::ID.kind {
        d.gateways.insert(object);
    } else if let Some(route) = find(GATEWAY_GROUP, &t.kind).and_then(|k| k.as_route()) {
        d.routes.insert(RouteKey::new(route.route_kind(), &object));
    }
    d
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{mk_gateway, mk_route, route_names};
    use crate::index::Index;

    fn mk_policy(kind: &str, target: &str) -> serde_json::Value {
        json!({"apiVersion":"application-networking.k8s.aws/v1alpha1","kind":"IAMAuthPolicy",
            "metadata":{"name":"p","namespace":"app"},
            "spec":{"targetRef":{"group":"gateway.networking.k8s.io","kind":kind,"name":target},"policy":"{}"}})
    }

    fn index() -> Index {
        let mut ix = Index::default();
        ix.apply(mk_gateway("mesh", "lattice")).unwrap();
        ix.apply(mk_route("GRPCRoute", "g", "mesh", json!([])))
            .unwrap();
        ix
    }

    #[test]
    fn a_policy_on_a_gateway_dirties_that_gateway_and_not_its_routes() {
        let mut ix = index();
        let d = ix.apply(mk_policy("Gateway", "mesh")).unwrap();
        assert_eq!(d.gateways, [("app".to_string(), "mesh".to_string())].into());
        assert!(d.routes.is_empty());
    }

    #[test]
    fn a_policy_moved_from_a_gateway_to_a_route_dirties_both() {
        let mut ix = index();
        ix.apply(mk_policy("Gateway", "mesh")).unwrap();
        let d = ix.apply(mk_policy("GRPCRoute", "g")).unwrap();
        assert_eq!(route_names(&d), vec!["g"]);
        assert_eq!(d.gateways.len(), 1);
    }

    #[test]
    fn a_policy_on_a_kind_we_do_not_plan_dirties_only_its_own_status() {
        let mut ix = index();
        let d = ix.apply(mk_policy("Service", "web")).unwrap();
        assert!(d.routes.is_empty() && d.gateways.is_empty());
        assert_eq!(d.policies.len(), 1);
    }
}
