//! Scoped passes: only the services and target groups in scope are read,
//! changed or deleted; the rest of Lattice is left as it is.

use crate::common::*;
use lattice_apply::{Applier, Scope};
use lattice_core::plan::*;
use lattice_sim::RunningSim;
use std::collections::BTreeMap;

fn scope(services: &[&str], target_groups: &[&str]) -> Scope {
    Scope {
        services: services.iter().map(|s| s.to_string()).collect(),
        target_groups: target_groups.iter().map(|s| s.to_string()).collect(),
    }
}

/// lattice-sim holding `n` synthetic routes, applied by a fast applier.
async fn applied(n: usize) -> (RunningSim, Plan, Applier) {
    let sim = sim().await;
    let plan = routes(n);
    let mut a = applier(&sim, fast());
    apply_ok(&mut a, &plan).await;
    (sim, plan, a)
}

fn set_weights(plan: &mut Plan, service: usize, a: u32, b: u32) {
    let rule = plan.services[service].listeners[0].rules.last_mut();
    if let Some(Action::Forward(ws)) = rule.map(|r| &mut r.action) {
        ws[0].weight = a;
        ws[1].weight = b;
    }
}

#[tokio::test]
async fn a_scoped_pass_reads_and_writes_only_the_services_in_scope() {
    let (sim, mut plan, mut a) = applied(30).await;

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

/// The reads of a pass, by operation.
fn reads(r: &lattice_apply::ApplyReport) -> BTreeMap<&str, u64> {
    r.calls
        .iter()
        .filter(|(k, _)| k.starts_with("List") || k.starts_with("Get"))
        .map(|(k, v)| (k.as_str(), *v))
        .collect()
}

#[tokio::test]
async fn a_change_costs_what_it_changes_not_what_the_account_holds() {
    // 250 routes: 3 pages of services and 5 of target groups to list.
    let (sim, mut plan, mut a) = applied(250).await;
    change_route_7(&sim, &mut a, &mut plan).await;
}

/// Changes route 7's weights in a scoped pass, which must read only what
/// one change reads (known names by id; only the service network list is
/// paged), in 10 calls.
async fn change_route_7(sim: &RunningSim, a: &mut Applier, plan: &mut Plan) {
    let seven = plan.services.iter().position(|s| s.name == "route-7-bench");
    set_weights(plan, seven.expect("route 7 is planned"), 50, 50);
    let r = a.apply_scoped(plan, &scope(&["route-7-bench"], &[])).await;
    assert!(r.is_success(), "{r}");
    let expected: BTreeMap<&str, u64> = [
        ("GetService", 1),
        ("GetTargetGroup", 2),
        ("ListListeners", 1),
        ("ListRules", 1),
        ("ListServiceNetworkServiceAssociations", 1),
        ("ListServiceNetworks", 1),
        ("ListTargets", 2),
    ]
    .into();
    assert_eq!(reads(&r), expected, "{r}");
    assert_eq!(r.total_calls(), 10, "{r}");
    assert_holds_exactly(sim, plan).await;
}

#[tokio::test]
async fn a_compacted_cache_that_forgot_a_deleted_route_and_rule_still_knows_the_rest() {
    let (sim, mut plan, mut a) = applied(250).await;
    // Route 3 goes, and route 7 loses its first rule; a whole pass
    // deletes route 3's service and groups, and the rule.
    plan.services.retain(|s| s.name != "route-3-bench");
    plan.target_groups
        .retain(|t| !t.routes.iter().any(|r| r.ends_with("/route-3")));
    let seven = plan.services.iter_mut().find(|s| s.name == "route-7-bench");
    let rules = &mut seven.expect("route 7 is planned").listeners[0].rules;
    rules.remove(0);
    assert_eq!(rules.len(), 2);
    let r = apply_ok(&mut a, &plan).await;
    assert_eq!(writes(&r).get("DeleteRule"), Some(&1), "{r}");
    a.compact();
    change_route_7(&sim, &mut a, &mut plan).await;
}

#[tokio::test]
async fn a_name_never_seen_is_listed_and_then_known() {
    let sim = sim().await;
    // Enough routes that listing costs more calls than reading by id.
    let all = routes(250);
    let mut plan = all.clone();
    plan.services.truncate(249);
    plan.target_groups.truncate(498);
    let mut a = applier(&sim, fast());
    apply_ok(&mut a, &plan).await;

    // Route 249 is new: its names were never listed, so the pass lists.
    let new = scope(
        &["route-249-bench"],
        &[
            "k8s-svc-249-a-bench-8080-http-http1",
            "k8s-svc-249-b-bench-8080-http-http1",
        ],
    );
    let r = a.apply_scoped(&all, &new).await;
    assert!(r.is_success(), "{r}");
    assert_eq!(r.calls.get("ListServices"), Some(&3), "{r}");
    assert_eq!(r.calls.get("ListTargetGroups"), Some(&5), "{r}");
    assert_eq!(writes(&r).get("CreateService"), Some(&1), "{r}");

    // What it created is known: the next change to it reads by id.
    let mut plan = all;
    set_weights(&mut plan, 249, 50, 50);
    let r = a.apply_scoped(&plan, &new).await;
    assert!(r.is_success(), "{r}");
    assert_eq!(r.calls.get("ListServices"), None, "{r}");
    assert_eq!(r.calls.get("ListTargetGroups"), None, "{r}");
    assert_eq!(r.calls.get("GetService"), Some(&1), "{r}");
    assert_eq!(r.calls.get("GetTargetGroup"), Some(&2), "{r}");
    assert_holds_exactly(&sim, &plan).await;
}

#[tokio::test]
async fn a_scope_wider_than_the_list_is_listed() {
    let (sim, mut plan, mut a) = applied(150).await;

    // Three services by id would be three calls; the list is two pages.
    for i in [1, 2, 3] {
        set_weights(&mut plan, i, 50, 50);
    }
    let names = ["route-1-bench", "route-2-bench", "route-3-bench"];
    let r = a.apply_scoped(&plan, &scope(&names, &[])).await;
    assert!(r.is_success(), "{r}");
    assert_eq!(r.calls.get("ListServices"), Some(&2), "{r}");
    assert_eq!(r.calls.get("GetService"), None, "{r}");
    assert_eq!(writes(&r).get("UpdateRule"), Some(&3), "{r}");
    assert_holds_exactly(&sim, &plan).await;
}

#[tokio::test]
async fn a_service_deleted_behind_its_back_is_found_missing_and_recreated() {
    let (sim, plan, mut a) = applied(3).await;

    // Someone deletes route 1's service (associations and listeners first).
    let c = lattice_sim::client(&sim.url());
    let services = c.list_services().send().await.expect("services");
    let svc = services
        .items()
        .iter()
        .find(|s| s.name() == Some("route-1-bench"))
        .and_then(|s| s.id())
        .expect("route-1-bench")
        .to_string();
    let assocs = c
        .list_service_network_service_associations()
        .service_identifier(&svc)
        .send()
        .await
        .expect("associations");
    for x in assocs.items() {
        let id = x.id().expect("id");
        c.delete_service_network_service_association()
            .service_network_service_association_identifier(id)
            .send()
            .await
            .expect("delete association");
    }
    c.delete_service()
        .service_identifier(&svc)
        .send()
        .await
        .expect("delete service");

    // Its remembered id is gone: the pass lists, and recreates the service.
    let r = a.apply_scoped(&plan, &scope(&["route-1-bench"], &[])).await;
    assert!(r.is_success(), "{r}");
    assert_eq!(r.calls.get("ListServices"), Some(&1), "{r}");
    assert_eq!(writes(&r).get("CreateService"), Some(&1), "{r}");
    assert_holds_exactly(&sim, &plan).await;
}

#[tokio::test]
async fn a_route_gone_from_the_plan_is_deleted_by_its_scope_and_nothing_else() {
    let (sim, mut plan, mut a) = applied(5).await;

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
    let (sim, mut plan, mut a) = applied(2).await;

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
    let (_sim, plan, mut a) = applied(3).await;
    let r = a.apply_scoped(&plan, &Scope::default()).await;
    assert!(r.is_success() && r.calls.is_empty(), "{r}");
}
