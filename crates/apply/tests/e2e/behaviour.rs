//! Reshuffles, churn, ownership, faults, interrupted applies and steady state,
//! against lattice-sim through the real aws-sdk-vpclattice client.

use crate::common;
use common::*;
use lattice_apply::ApplyOptions;
use lattice_core::model::naming::managed_by_tag;
use lattice_core::plan::*;
use lattice_sim::client as sim_client;
use lattice_sim::{FaultRules, FaultSpec};
use std::time::Duration;

fn faults(spec: FaultSpec) -> FaultRules {
    [("*".to_string(), spec)].into_iter().collect()
}

#[tokio::test]
async fn priority_reshuffles_go_through_batch_update_rule() {
    let sim = sim().await;
    let mut a = applier(&sim, fast());
    let mut plan = routes(1);
    let base = plan.services[0].listeners[0].rules[0].clone();
    plan.services[0].listeners[0].rules = (1..=14u32)
        .map(|i| {
            let mut r = base.clone();
            r.priority = i;
            r.r#match.path = Some(PathMatchPlan {
                r#type: "prefix".into(),
                value: format!("/p{i}"),
                case_sensitive: true,
            });
            r
        })
        .collect();
    apply_ok(&mut a, &plan).await;
    // Reverse every priority: 14 moves, all onto each other's places.
    for r in &mut plan.services[0].listeners[0].rules {
        r.priority = 15 - r.priority;
    }
    let r = apply_ok(&mut a, &plan).await;
    let w = writes(&r);
    assert!(w.keys().all(|k| k == "BatchUpdateRule"), "{r}");
    assert!(w["BatchUpdateRule"] <= 4, "{r}");
    assert_holds_exactly(&sim, &plan).await;

    // A swap of two is one call.
    let rules = &mut plan.services[0].listeners[0].rules;
    rules.swap(0, 1);
    let (p0, p1) = (rules[0].priority, rules[1].priority);
    rules[0].priority = p1;
    rules[1].priority = p0;
    let r = apply_ok(&mut a, &plan).await;
    assert_eq!(writes(&r), [("BatchUpdateRule".to_string(), 1)].into());
    assert_holds_exactly(&sim, &plan).await;
}

#[tokio::test]
async fn target_churn_registers_and_deregisters_only_the_difference() {
    let sim = sim().await;
    let mut a = applier(&sim, fast());
    let mut plan = routes(2);
    plan.target_groups[0].targets = (0..150)
        .map(|i| TargetPlan {
            ip: format!("10.50.{}.{}", i / 100, i % 100 + 1),
            port: 8080,
        })
        .collect();
    let r = apply_ok(&mut a, &plan).await;
    assert_eq!(
        writes(&r)["RegisterTargets"],
        2 + 3,
        "150 targets in two chunks, three more groups"
    );
    // Half the endpoints roll over.
    for t in plan.target_groups[0].targets.iter_mut().take(75) {
        t.ip = t.ip.replace("10.50.", "10.60.");
    }
    plan.target_groups[2].targets.pop();
    let r = apply_ok(&mut a, &plan).await;
    assert_eq!(
        writes(&r),
        [
            ("DeregisterTargets".to_string(), 2),
            ("RegisterTargets".to_string(), 1)
        ]
        .into()
    );
    assert_holds_exactly(&sim, &plan).await;
}

async fn untagged_service(sim: &lattice_sim::RunningSim, name: &str) {
    let c = sim_client(&sim.url());
    c.create_service()
        .name(name)
        .send()
        .await
        .expect("create untagged service");
}

#[tokio::test]
async fn an_untagged_service_is_conflicted_without_adoption_and_adopted_with_it() {
    let sim = sim().await;
    let plan = routes(1);
    untagged_service(&sim, &plan.services[0].name).await;
    let mut a = applier(&sim, fast());
    let r = a.apply(&plan).await;
    assert!(
        r.diagnostics
            .iter()
            .any(|d| d.reason == "Conflicted" && d.object.contains(&plan.services[0].name)),
        "{r}"
    );
    assert_eq!(
        writes(&r).get("CreateListener"),
        None,
        "a conflicted service is never modified"
    );

    let mut a = applier(
        &sim,
        ApplyOptions {
            allow_adoption: true,
            ..fast()
        },
    );
    let r = apply_ok(&mut a, &plan).await;
    assert_eq!(writes(&r).get("TagResource"), Some(&1));
    assert_holds_exactly(&sim, &plan).await;
}

#[tokio::test]
async fn another_clusters_service_is_taken_over_only_with_allow_takeover_from() {
    let sim = sim().await;
    let plan = routes(1);
    let name = plan.services[0].name.clone();
    let c = sim_client(&sim.url());
    c.create_service()
        .name(&name)
        .tags(managed_by_tag(), "999/other/vpc-9")
        .send()
        .await
        .expect("create");
    let mut a = applier(
        &sim,
        ApplyOptions {
            allow_adoption: true,
            ..fast()
        },
    );
    let r = a.apply(&plan).await;
    assert!(
        r.diagnostics
            .iter()
            .any(|d| d.reason == "Conflicted" && d.message.contains("999/other/vpc-9")),
        "{r}"
    );
    let mut plan = plan;
    plan.services[0].allow_takeover_from = Some("999/other/vpc-9".into());
    let mut a = applier(&sim, fast());
    let r = apply_ok(&mut a, &plan).await;
    assert!(r.diagnostics.is_empty(), "{r}");
    assert_holds_exactly(&sim, &plan).await;
}

#[tokio::test]
async fn garbage_collection_leaves_other_owners_alone() {
    let sim = sim().await;
    let c = sim_client(&sim.url());
    c.create_service()
        .name("not-ours")
        .tags(managed_by_tag(), "999/other/vpc-9")
        .send()
        .await
        .expect("create");
    c.create_service()
        .name("untagged-one")
        .send()
        .await
        .expect("create");
    let mut a = applier(
        &sim,
        ApplyOptions {
            allow_adoption: true,
            ..fast()
        },
    );
    apply_ok(&mut a, &routes(1)).await;
    let r = apply_ok(&mut a, &Plan::default()).await;
    assert_eq!(writes(&r).get("DeleteService"), Some(&1), "{r}");
    assert_eq!(
        sim.state_dump()["services"].as_object().map(|m| m.len()),
        Some(2)
    );
}

#[tokio::test]
async fn converging_200_routes_under_20_percent_throttling_and_5xx_ends_exactly_at_the_plan() {
    let sim = sim().await;
    sim.set_faults(faults(FaultSpec {
        throttle_rate: 0.1,
        error_rate: 0.1,
        ..Default::default()
    }));
    let plan = routes(200);
    let mut a = applier(&sim, ApplyOptions::unlimited(32));
    let r = a.apply(&plan).await;
    assert!(r.is_success(), "{r}");
    let calls = sim.call_counts();
    assert!(
        calls.get("CreateService").copied().unwrap_or(0) > 200,
        "faults were injected: {calls:?}"
    );
    sim.set_faults(FaultRules::default());
    assert_holds_exactly(&sim, &plan).await;
}

#[tokio::test]
async fn dropped_connections_after_lattice_acted_do_not_duplicate_anything() {
    let sim = sim().await;
    sim.set_faults(faults(FaultSpec {
        drop_after_rate: 0.2,
        ..Default::default()
    }));
    let plan = routes(30);
    let mut a = applier(&sim, fast());
    // Retries reuse the create's clientToken, so a create whose answer was lost
    // is answered again instead of failing with ConflictException: one pass.
    let r = a.apply(&plan).await;
    assert!(r.is_success(), "{r}");
    let dropped_creates: u64 = sim
        .call_counts()
        .iter()
        .filter(|(k, _)| k.starts_with("Create"))
        .map(|(_, v)| v)
        .sum::<u64>()
        - r.ops
            .iter()
            .filter(|(k, _)| k.starts_with("Create"))
            .map(|(_, v)| v)
            .sum::<u64>();
    assert!(dropped_creates > 0, "some creates were retried");
    sim.set_faults(FaultRules::default());
    assert_holds_exactly(&sim, &plan).await;
}

#[tokio::test]
async fn an_apply_killed_between_two_operations_converges_when_re_run() {
    let sim = sim().await;
    sim.set_faults(faults(FaultSpec {
        latency_ms: 5,
        ..Default::default()
    }));
    let plan = routes(40);
    let mut a = applier(&sim, ApplyOptions::unlimited(4));
    let killed = tokio::time::timeout(Duration::from_millis(150), a.apply(&plan)).await;
    assert!(killed.is_err(), "the first pass must be cut short");
    let done = sim
        .call_counts()
        .iter()
        .filter(|(k, _)| k.starts_with("Create"))
        .map(|(_, v)| v)
        .sum::<u64>();
    assert!(done > 0, "something was created before the kill");
    // A new process: nothing cached.
    let mut b = applier(&sim, fast());
    apply_ok(&mut b, &plan).await;
    sim.set_faults(FaultRules::default());
    assert_holds_exactly(&sim, &plan).await;
}

#[tokio::test]
async fn a_steady_state_second_pass_makes_no_writes_and_only_list_calls() {
    let sim = sim().await;
    let plan = routes(20);
    let mut a = applier(&sim, fast());
    apply_ok(&mut a, &plan).await;
    let r = apply_ok(&mut a, &plan).await;
    assert!(writes(&r).is_empty(), "{r}");
    assert!(
        r.calls
            .keys()
            .all(|k| k.starts_with("List") && k != "ListTagsForResource"),
        "{:?}",
        r.calls
    );
}

#[tokio::test]
async fn a_rejected_operation_is_reported_with_its_object_and_lattices_error() {
    let sim = sim().await;
    let mut plan = routes(1);
    plan.target_groups[0].targets[0].ip = "not-an-ip".into();
    let mut a = applier(&sim, fast());
    let r = a.apply(&plan).await;
    assert!(!r.is_success());
    let f = &r.failures[0];
    assert!(f.object.contains(&plan.target_groups[0].name), "{f:?}");
    assert_eq!(f.operation, "RegisterTargets");
    assert!(!f.code.is_empty() && !f.message.is_empty(), "{f:?}");
    // Everything else went ahead; once the plan is fixed, the next pass finishes the job.
    assert!(r.created.len() > 10, "{r}");
    plan.target_groups[0].targets[0].ip = "10.0.0.99".into();
    let r = apply_ok(&mut a, &plan).await;
    assert_eq!(writes(&r), [("RegisterTargets".to_string(), 1)].into());
    assert_holds_exactly(&sim, &plan).await;
}

#[tokio::test]
async fn resources_still_being_created_do_not_stop_a_converge_or_a_churn() {
    let sim = sim().await;
    sim.set_status_delay(Duration::from_millis(300));
    let mut plan = routes(5);
    let mut a = applier(&sim, fast());
    apply_ok(&mut a, &plan).await;
    // Targets churn while the old ones drain.
    plan.target_groups[0].targets[0].ip = "10.99.0.1".into();
    let r = apply_ok(&mut a, &plan).await;
    assert_eq!(
        writes(&r),
        [
            ("DeregisterTargets".to_string(), 1),
            ("RegisterTargets".to_string(), 1)
        ]
        .into()
    );
    let r = apply_ok(&mut a, &plan).await;
    assert!(
        writes(&r).is_empty(),
        "draining targets are not re-deregistered: {r}"
    );
}

/// Issue 15 (a pause past the Lease mid-apply): once the fence says no,
/// not one more operation is sent; the rest fail `LeadershipLost`, and a
/// later pass that may write again finishes the job.
#[tokio::test]
async fn a_fence_that_closes_mid_apply_stops_every_later_write() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let sim = sim().await;
    // Open for the first five operations, closed after.
    let asked = Arc::new(AtomicUsize::new(0));
    let count = asked.clone();
    let fence: lattice_apply::Fence = Arc::new(move || count.fetch_add(1, Ordering::SeqCst) < 5);
    let plan = routes(3);
    let mut a = applier(&sim, ApplyOptions::unlimited(4)).with_fence(fence);
    let r = a.apply(&plan).await;
    assert_eq!(writes(&r).values().sum::<u64>(), 5, "{r}");
    assert!(asked.load(Ordering::SeqCst) > 5);
    assert!(r.failures.iter().any(|f| f.code == "LeadershipLost"), "{r}");
    // Leading again (a fresh applier here): the pass finishes what was left.
    apply_ok(&mut applier(&sim, fast()), &plan).await;
    assert_holds_exactly(&sim, &plan).await;
}
