//! A VpcAssociationPolicy's say on the cluster VPC's association, against
//! lattice-sim: security groups on create, one update when they change,
//! the association removed when the policy says not to associate, and
//! nothing read or written for it without a policy.

use crate::common::*;
use lattice_core::plan::*;
use lattice_sim::RunningSim;
use lattice_sim::client as sim_client;

fn with_policy(associate: bool, groups: &[&str]) -> Plan {
    let mut plan = network_only("mesh");
    plan.service_networks[0].vpc_association = Some(VpcAssociationPlan {
        associate,
        security_group_ids: groups.iter().map(|g| g.to_string()).collect(),
        policy: "default/vap".into(),
        tags: Default::default(),
    });
    plan
}

/// The cluster VPC's association's security groups, or `None` without one.
async fn held(sim: &RunningSim) -> Option<Vec<String>> {
    let c = sim_client(&sim.url());
    let listed = c
        .list_service_network_vpc_associations()
        .vpc_identifier(lattice_core::ClusterConfig::default().vpc_id)
        .send()
        .await
        .expect("list");
    let id = listed.items().first()?.id()?.to_string();
    let got = c
        .get_service_network_vpc_association()
        .service_network_vpc_association_identifier(id)
        .send()
        .await
        .expect("get");
    Some(got.security_group_ids().to_vec())
}

#[tokio::test]
async fn a_policy_sets_the_associations_security_groups_or_removes_it() {
    let sim = sim().await;
    let mut a = applier(&sim, fast());
    apply_ok(&mut a, &with_policy(true, &["sg-0a1b2c3d"])).await;
    assert_eq!(held(&sim).await, Some(vec!["sg-0a1b2c3d".to_string()]));

    let r = apply_ok(&mut a, &with_policy(true, &["sg-0a1b2c3d"])).await;
    assert_eq!(r.writes(), 0, "{r}");

    let r = apply_ok(&mut a, &with_policy(true, &["sg-0a1b2c3d", "sg-9f8e7d6c"])).await;
    assert_eq!(
        writes(&r),
        [("UpdateServiceNetworkVpcAssociation".to_string(), 1)].into(),
        "{r}"
    );
    let mut groups = held(&sim).await.unwrap_or_default();
    groups.sort();
    assert_eq!(groups, ["sg-0a1b2c3d", "sg-9f8e7d6c"]);

    let r = apply_ok(&mut a, &with_policy(false, &[])).await;
    assert_eq!(
        writes(&r),
        [("DeleteServiceNetworkVpcAssociation".to_string(), 1)].into(),
        "{r}"
    );
    assert_eq!(held(&sim).await, None);
    let r = apply_ok(&mut a, &with_policy(false, &[])).await;
    assert_eq!(r.writes(), 0, "{r}");
}

#[tokio::test]
async fn without_a_policy_the_association_is_neither_read_nor_changed() {
    let sim = sim().await;
    let mut a = applier(&sim, fast());
    apply_ok(&mut a, &network_only("mesh")).await;
    assert_eq!(held(&sim).await, Some(vec![]));
    sim.reset_call_counts();
    let r = apply_ok(&mut a, &network_only("mesh")).await;
    assert_eq!(r.writes(), 0, "{r}");
    let calls = sim.call_counts();
    assert!(
        !calls.contains_key("GetServiceNetworkVpcAssociation"),
        "{calls:?}"
    );
}
