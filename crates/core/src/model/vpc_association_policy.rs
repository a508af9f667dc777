//! VpcAssociationPolicy: what a Gateway's service network asks of the
//! cluster VPC's association. The oldest valid policy targeting a Gateway
//! wins; the others are `Conflicted` in their status.

use crate::crds::VpcAssociationPolicy;
use crate::kinds::vpc_association_policy::targeted_gateway;
use crate::model::age;
use crate::plan::VpcAssociationPlan;
use crate::snapshot::{Key, Snapshot};
use kube::Resource;

/// The policy that decides the association of Gateway `gateway`'s network.
pub fn for_gateway<'a>(
    snapshot: &'a Snapshot,
    gateway: &Key,
) -> Option<(&'a Key, &'a VpcAssociationPolicy)> {
    snapshot
        .vpc_association_policies
        .iter()
        .filter(|(k, p)| targeted_gateway(&p.spec.target_ref, k).as_ref() == Some(gateway))
        .filter(|(_, p)| invalid(p).is_none())
        .min_by_key(|(k, p)| age(Some(p.meta()), *k))
}

/// Why VPC Lattice cannot take the policy, if it cannot: a security group
/// id is `sg-` and lowercase letters and digits, 3 to 32 characters.
pub fn invalid(p: &VpcAssociationPolicy) -> Option<String> {
    let sgs = p.spec.security_group_ids.iter().flatten();
    sgs.enumerate().find_map(|(i, sg)| {
        let ok = sg.len() <= 32
            && sg.strip_prefix("sg-").is_some_and(|r| {
                !r.is_empty()
                    && r.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            });
        (!ok).then(|| {
            format!("spec.securityGroupIds[{i}]: {sg:?} is not a security group id (sg-…)")
        })
    })
}

/// The association the Gateway's network asks for, if a policy says.
pub fn plan(snapshot: &Snapshot, gateway: &Key) -> Option<VpcAssociationPlan> {
    let (key, p) = for_gateway(snapshot, gateway)?;
    Some(VpcAssociationPlan {
        associate: p.spec.associate_with_vpc.unwrap_or(true),
        security_group_ids: p.spec.security_group_ids.clone().unwrap_or_default(),
        policy: format!("{}/{}", key.0, key.1),
        tags: super::tags::of_object(p.meta()),
    })
}
