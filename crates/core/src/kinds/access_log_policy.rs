//! AccessLogPolicy: an access log destination on a Gateway's service
//! network or a route's service. A change re-plans its target; the index
//! asks before and after, so a retargeted policy re-plans both targets.
//! The policy's own status is judged on every pass, so it is marked too.

use serde_json::Value;

use super::{Identity, Kind, POLICY_GROUP, Scope, insert_keyed};
use crate::index::{Dirty, Graph};
use crate::snapshot::{Key, ManifestError, Snapshot};

/// The AccessLogPolicy kind's identity.
pub const ID: Identity = Identity {
    group: POLICY_GROUP,
    version: "v1alpha1",
    kind: "AccessLogPolicy",
    plural: "accesslogpolicies",
    scope: Scope::Namespaced,
};

/// `application-networking.k8s.aws/v1alpha1` AccessLogPolicy, decoded as
/// [`crate::crds::AccessLogPolicy`].
pub struct AccessLogPolicyKind;

impl Kind for AccessLogPolicyKind {
    fn identity(&self) -> &'static Identity {
        &ID
    }

    fn insert(&self, snapshot: &mut Snapshot, object: Value) -> Result<(), ManifestError> {
        insert_keyed(&ID, &mut snapshot.access_log_policies, object)
    }

    fn remove(&self, snapshot: &mut Snapshot, key: &Key) {
        snapshot.access_log_policies.remove(key);
    }

    fn keys(&self, snapshot: &Snapshot) -> Vec<Key> {
        snapshot.access_log_policies.keys().cloned().collect()
    }

    /// The target: a Gateway, or a route of any route kind. The target's
    /// namespace defaults to the policy's.
    fn dirties(&self, snapshot: &Snapshot, _: &Graph, key: &Key) -> Dirty {
        let target = snapshot
            .access_log_policies
            .get(key)
            .map(|p| &p.spec.target_ref);
        super::iam_auth_policy::gateway_or_route_policy(&ID, key, target)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{mk_gateway, mk_route, route_names};
    use crate::index::Index;

    fn mk_policy(kind: &str, target: &str) -> serde_json::Value {
        json!({"apiVersion":"application-networking.k8s.aws/v1alpha1","kind":"AccessLogPolicy",
            "metadata":{"name":"p","namespace":"app"},
            "spec":{"targetRef":{"group":"gateway.networking.k8s.io","kind":kind,"name":target},
                "destinationArn":"arn:aws:s3:::logs"}})
    }

    #[test]
    fn a_policy_moved_from_a_gateway_to_a_route_dirties_both_and_itself() {
        let mut ix = Index::default();
        ix.apply(mk_gateway("mesh", "lattice")).unwrap();
        ix.apply(mk_route("HTTPRoute", "r", "mesh", json!([])))
            .unwrap();
        let d = ix.apply(mk_policy("Gateway", "mesh")).unwrap();
        assert_eq!(d.gateways, [("app".to_string(), "mesh".to_string())].into());
        let d = ix.apply(mk_policy("HTTPRoute", "r")).unwrap();
        assert_eq!(route_names(&d), vec!["r"]);
        assert_eq!((d.gateways.len(), d.policies.len()), (1, 1));
    }
}
