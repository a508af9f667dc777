//! One apply test per resource kind: create, update in place, delete — against
//! lattice-sim through the real aws-sdk-vpclattice client.

use crate::common;
use common::*;
use lattice_core::plan::*;

#[tokio::test]
async fn service_networks_are_created_updated_in_place_and_deleted() {
    let sim = sim().await;
    let mut a = applier(&sim, fast());
    let mut plan = network_only("gateway");
    let r = apply_ok(&mut a, &plan).await;
    assert_eq!(
        writes(&r),
        [
            ("CreateServiceNetwork".to_string(), 1),
            ("CreateServiceNetworkVpcAssociation".to_string(), 1)
        ]
        .into()
    );
    assert_holds_exactly(&sim, &plan).await;

    plan.service_networks[0].auth_type = "AWS_IAM".into();
    plan.service_networks[0].auth_policy = Some(POLICY.into());
    let r = apply_ok(&mut a, &plan).await;
    assert_eq!(
        writes(&r),
        [
            ("PutAuthPolicy".to_string(), 1),
            ("UpdateServiceNetwork".to_string(), 1)
        ]
        .into()
    );
    assert_holds_exactly(&sim, &plan).await;

    let r = apply_ok(&mut a, &Plan::default()).await;
    assert_eq!(
        writes(&r),
        [
            ("DeleteServiceNetwork".to_string(), 1),
            ("DeleteServiceNetworkVpcAssociation".to_string(), 1)
        ]
        .into()
    );
    assert_holds_exactly(&sim, &Plan::default()).await;
}

#[tokio::test]
async fn services_are_created_updated_in_place_and_deleted() {
    let sim = sim().await;
    let mut a = applier(&sim, fast());
    let mut plan = routes(2);
    apply_ok(&mut a, &plan).await;
    assert_holds_exactly(&sim, &plan).await;

    plan.services[0].auth_type = "AWS_IAM".into();
    plan.services[0].auth_policy = Some(POLICY.into());
    let r = apply_ok(&mut a, &plan).await;
    assert_eq!(
        writes(&r),
        [
            ("PutAuthPolicy".to_string(), 1),
            ("UpdateService".to_string(), 1)
        ]
        .into()
    );
    assert_holds_exactly(&sim, &plan).await;

    let gone = plan.services.remove(1);
    plan.target_groups
        .retain(|t| !t.routes.contains(&gone.route));
    let r = apply_ok(&mut a, &plan).await;
    assert_eq!(
        writes(&r),
        [
            ("DeleteService".to_string(), 1),
            ("DeleteServiceNetworkServiceAssociation".to_string(), 1),
            ("DeleteTargetGroup".to_string(), 2)
        ]
        .into()
    );
    assert_holds_exactly(&sim, &plan).await;
}

#[tokio::test]
async fn target_groups_are_created_and_deleted_and_their_targets_updated() {
    let sim = sim().await;
    let mut a = applier(&sim, fast());
    let mut plan = routes(1);
    apply_ok(&mut a, &plan).await;
    // A rule now forwards to a new group only; the old one goes.
    let mut tg = plan.target_groups[1].clone();
    tg.name = "k8s-svc-0-c-bench-8080-http-http1".into();
    tg.targets[0].ip = "10.7.7.7".into();
    let old = plan.target_groups[1].name.clone();
    plan.target_groups[1] = tg;
    for r in &mut plan.services[0].listeners[0].rules {
        if let Action::Forward(w) = &mut r.action {
            for x in w.iter_mut().filter(|x| x.target_group == old) {
                x.target_group = "k8s-svc-0-c-bench-8080-http-http1".into();
            }
        }
    }
    let r = apply_ok(&mut a, &plan).await;
    let w = writes(&r);
    assert_eq!(w.get("CreateTargetGroup"), Some(&1));
    assert_eq!(w.get("DeleteTargetGroup"), Some(&1));
    assert_eq!(
        w.get("BatchUpdateRule"),
        Some(&1),
        "two rules change action: {r}"
    );
    assert_holds_exactly(&sim, &plan).await;
}

#[tokio::test]
async fn listeners_are_created_updated_in_place_and_deleted() {
    let sim = sim().await;
    let mut a = applier(&sim, fast());
    let mut plan = routes(1);
    apply_ok(&mut a, &plan).await;

    plan.services[0].listeners[0].default_action = Action::FixedResponse(503);
    let r = apply_ok(&mut a, &plan).await;
    assert_eq!(writes(&r), [("UpdateListener".to_string(), 1)].into());
    assert_holds_exactly(&sim, &plan).await;

    let mut second = plan.services[0].listeners[0].clone();
    second.port = 8080;
    second.rules.truncate(1);
    plan.services[0].listeners.push(second);
    let r = apply_ok(&mut a, &plan).await;
    assert_eq!(
        writes(&r),
        [
            ("CreateListener".to_string(), 1),
            ("CreateRule".to_string(), 1)
        ]
        .into()
    );
    assert_holds_exactly(&sim, &plan).await;

    plan.services[0].listeners.remove(0);
    let r = apply_ok(&mut a, &plan).await;
    assert_eq!(writes(&r), [("DeleteListener".to_string(), 1)].into());
    assert_holds_exactly(&sim, &plan).await;
}

#[tokio::test]
async fn rules_are_created_updated_in_place_and_deleted() {
    let sim = sim().await;
    let mut a = applier(&sim, fast());
    let mut plan = routes(1);
    apply_ok(&mut a, &plan).await;

    let rules = &mut plan.services[0].listeners[0].rules;
    rules[2].action = Action::FixedResponse(418);
    let r = apply_ok(&mut a, &plan).await;
    assert_eq!(writes(&r), [("UpdateRule".to_string(), 1)].into());
    assert_holds_exactly(&sim, &plan).await;

    let mut extra = plan.services[0].listeners[0].rules[0].clone();
    extra.priority = 10;
    extra.r#match.method = Some("POST".into());
    plan.services[0].listeners[0].rules.push(extra);
    let r = apply_ok(&mut a, &plan).await;
    assert_eq!(writes(&r), [("CreateRule".to_string(), 1)].into());

    plan.services[0].listeners[0].rules.remove(1);
    let r = apply_ok(&mut a, &plan).await;
    assert_eq!(writes(&r), [("DeleteRule".to_string(), 1)].into());
    assert_holds_exactly(&sim, &plan).await;
}

#[tokio::test]
async fn service_network_associations_are_created_and_deleted() {
    let sim = sim().await;
    // A second service network that is not ours: services may still join it.
    lattice_sim::client(&sim.url())
        .create_service_network()
        .name("other")
        .send()
        .await
        .expect("create");
    let mut a = applier(&sim, fast());
    let mut plan = routes(1);
    apply_ok(&mut a, &plan).await;

    plan.services[0].service_networks = vec!["other".into()];
    let r = apply_ok(&mut a, &plan).await;
    assert_eq!(
        writes(&r),
        [
            ("CreateServiceNetworkServiceAssociation".to_string(), 1),
            ("DeleteServiceNetworkServiceAssociation".to_string(), 1)
        ]
        .into()
    );
    assert_no_work(&sim, &plan).await;
}
