//! VpcAssociationPolicy: whether and how a Gateway's service network is
//! associated with the cluster's VPC. A change re-plans the targeted
//! Gateway (before and after, so a retargeted policy re-plans both), and
//! the policy's own status is judged on the pass it marks.

use serde_json::Value;

use super::{GATEWAY_GROUP, Identity, Kind, POLICY_GROUP, Scope, insert_keyed};
use crate::crds::PolicyTargetReference;
use crate::index::{Dirty, Graph};
use crate::snapshot::{Key, ManifestError, Snapshot};

/// The VpcAssociationPolicy kind's identity.
pub const ID: Identity = Identity {
    group: POLICY_GROUP,
    version: "v1alpha1",
    kind: "VpcAssociationPolicy",
    plural: "vpcassociationpolicies",
    scope: Scope::Namespaced,
};

/// `application-networking.k8s.aws/v1alpha1` VpcAssociationPolicy, decoded
/// as [`crate::crds::VpcAssociationPolicy`].
pub struct VpcAssociationPolicyKind;

impl Kind for VpcAssociationPolicyKind {
    fn identity(&self) -> &'static Identity {
        &ID
    }

    fn insert(&self, snapshot: &mut Snapshot, object: Value) -> Result<(), ManifestError> {
        insert_keyed(&ID, &mut snapshot.vpc_association_policies, object)
    }

    fn remove(&self, snapshot: &mut Snapshot, key: &Key) {
        snapshot.vpc_association_policies.remove(key);
    }

    fn keys(&self, snapshot: &Snapshot) -> Vec<Key> {
        snapshot.vpc_association_policies.keys().cloned().collect()
    }

    /// The targeted Gateway, and the policy's status.
    fn dirties(&self, snapshot: &Snapshot, _: &Graph, key: &Key) -> Dirty {
        let mut d = Dirty::default();
        d.policies.insert((ID.kind.to_string(), key.clone()));
        let target = snapshot.vpc_association_policies.get(key);
        if let Some(gw) = target.and_then(|p| targeted_gateway(&p.spec.target_ref, key)) {
            d.gateways.insert(gw);
        }
        d
    }
}

/// The Gateway a policy in namespace `key.0` targets, if it targets one of
/// its own namespace.
pub fn targeted_gateway(t: &PolicyTargetReference, key: &Key) -> Option<Key> {
    let same_namespace = t.namespace.as_ref().is_none_or(|ns| ns == &key.0);
    (t.group == GATEWAY_GROUP && t.kind == "Gateway" && same_namespace)
        .then(|| (key.0.clone(), t.name.clone()))
}
