//! Scoped passes: only the services and target groups in scope are read,
//! changed or deleted; the rest of Lattice is left as it is.

use crate::common::*;
use lattice_apply::Scope;
use lattice_core::plan::*;

fn scope(services: &[&str], target_groups: &[&str]) -> Scope {
    Scope {
        services: services.iter().map(|s| s.to_string()).collect(),
        target_groups: target_groups.iter().map(|s| s.to_string()).collect(),
    }
}

fn set_weights(plan: &mut Plan, service: usize, a: u32, b: u32) {
    let rule = &mut plan.services[service].listeners[0].rules[2];
    if let Action::Forward(ws) = &mut rule.action {
        ws[0].weight = a;
        ws[1].weight = b;
    }
}

#[tokio::test]
async fn a_scoped_pass_reads_and_writes_only_the_services_in_scope() {
    let sim = sim().await;
    let mut plan = routes(30);
    let mut a = applier(&sim, fast());
    apply_ok(&mut a, &plan).await;

    set_weights(&mut plan, 7, 50, 50);
    let r = a.apply_scoped(&plan, &scope(&["route-7-bench"], &[])).await;
    assert!(r.is_success(), "{r}");
    assert_eq!(writes(&r), [("UpdateRule".to_string(), 1)].into(), "{r}");
    for op in ["ListListeners", "ListRules"] {
        assert_eq!(r.calls.get(op), Some(&1), "{op}: {:?}", r.calls);
    }
    // Its rules forward to two groups: their targets are read, nobody else's.
    assert_eq!(r.calls.get("ListTargets"), Some(&2), "{:?}", r.calls);
    assert_holds_exactly(&sim, &plan).await;
}

#[tokio::test]
async fn a_route_gone_from_the_plan_is_deleted_by_its_scope_and_nothing_else() {
    let sim = sim().await;
    let mut plan = routes(5);
    let mut a = applier(&sim, fast());
    apply_ok(&mut a, &plan).await;

    // Route 4 is deleted; route 3 is gone from the plan too, but not in scope.
    let tgs4 = [
        "k8s-svc-4-a-bench-8080-http-http1",
        "k8s-svc-4-b-bench-8080-http-http1",
    ];
    plan.services.truncate(3);
    plan.target_groups.truncate(6);
    let r = a
        .apply_scoped(&plan, &scope(&["route-4-bench"], &tgs4))
        .await;
    assert!(r.is_success(), "{r}");
    assert_eq!(
        writes(&r),
        [
            ("DeleteService".to_string(), 1),
            ("DeleteServiceNetworkServiceAssociation".to_string(), 1),
            ("DeleteTargetGroup".to_string(), 2),
            ("DeregisterTargets".to_string(), 0),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect(),
        "{r}"
    );
    let dump = sim.state_dump();
    let names = |kind: &str| -> Vec<String> {
        dump[kind]
            .as_object()
            .map(|m| {
                m.values()
                    .filter_map(|v| v["name"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(names("services").contains(&"route-3-bench".to_string()));
    assert!(!names("services").contains(&"route-4-bench".to_string()));

    // A full pass then removes route 3 as well.
    let r = apply_ok(&mut a, &plan).await;
    assert_eq!(writes(&r).get("DeleteService"), Some(&1), "{r}");
    assert_holds_exactly(&sim, &plan).await;
}

#[tokio::test]
async fn a_target_group_in_scope_that_the_plan_still_wants_is_kept() {
    let sim = sim().await;
    let mut plan = routes(2);
    let mut a = applier(&sim, fast());
    apply_ok(&mut a, &plan).await;

    // Route 0 goes, but the desired state still holds one of its groups
    // (another route wants it): only the other group is deleted.
    let kept = "k8s-svc-0-a-bench-8080-http-http1";
    let gone = "k8s-svc-0-b-bench-8080-http-http1";
    plan.services.remove(0);
    plan.target_groups.retain(|t| t.name != gone);
    let r = a
        .apply_scoped(&plan, &scope(&["route-0-bench"], &[kept, gone]))
        .await;
    assert!(r.is_success(), "{r}");
    assert_eq!(writes(&r).get("DeleteTargetGroup"), Some(&1), "{r}");
    assert_holds_exactly(&sim, &plan).await;
}

#[tokio::test]
async fn an_empty_scope_makes_no_calls() {
    let sim = sim().await;
    let plan = routes(3);
    let mut a = applier(&sim, fast());
    apply_ok(&mut a, &plan).await;
    let r = a.apply_scoped(&plan, &Scope::default()).await;
    assert!(r.is_success() && r.calls.is_empty(), "{r}");
}
