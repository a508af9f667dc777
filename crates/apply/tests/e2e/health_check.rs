//! A target group's health check against lattice-sim: created as planned,
//! read back by the AWS SDK, changed with one `UpdateTargetGroup`, and never
//! read or written for a group whose plan sets none.

use crate::common::*;
use lattice_apply::{ApplyReport, Scope};
use lattice_core::plan::*;
use lattice_sim::RunningSim;
use lattice_sim::client as sim_client;
use std::collections::BTreeMap;

fn checked(interval: i32) -> HealthCheckPlan {
    HealthCheckPlan {
        path: Some("/healthz".into()),
        health_check_interval_seconds: Some(interval),
        http_code: Some("200-299".into()),
        ..Default::default()
    }
}

/// `routes(n)` with route 0's first group asking for `h`.
fn plan_with(n: usize, h: Option<HealthCheckPlan>) -> Plan {
    let mut plan = routes(n);
    plan.target_groups[0].health_check = h.map(Box::new);
    plan
}

/// The health check Lattice holds for the group named `name`, as the AWS
/// SDK reads it.
async fn held(sim: &RunningSim, name: &str) -> aws_sdk_vpclattice::types::HealthCheckConfig {
    let c = sim_client(&sim.url());
    let listed = c.list_target_groups().send().await.expect("list");
    let tg = listed.items().iter().find(|t| t.name() == Some(name));
    let id = tg.and_then(|t| t.id()).expect("listed");
    let got = c
        .get_target_group()
        .target_group_identifier(id)
        .send()
        .await;
    let got = got.expect("get");
    got.config()
        .and_then(|c| c.health_check())
        .cloned()
        .expect("health check")
}

fn count(r: &ApplyReport, op: &str) -> u64 {
    r.calls.get(op).copied().unwrap_or(0)
}

#[tokio::test]
async fn a_planned_health_check_is_created_and_one_changed_field_is_one_update() {
    let sim = sim().await;
    let mut a = applier(&sim, fast());
    let mut plan = plan_with(2, Some(checked(10)));
    let name = plan.target_groups[0].name.clone();
    let r = apply_ok(&mut a, &plan).await;
    assert_eq!(count(&r, "UpdateTargetGroup"), 0, "{r}");
    assert_eq!(count(&r, "GetTargetGroup"), 0, "nothing to read yet: {r}");

    let hc = held(&sim, &name).await;
    assert_eq!(hc.path(), Some("/healthz"));
    assert_eq!(hc.health_check_interval_seconds(), Some(10));
    let code = aws_sdk_vpclattice::types::Matcher::HttpCode("200-299".into());
    assert_eq!(hc.matcher(), Some(&code));
    // Fields the plan leaves out are Lattice's.
    assert_eq!(hc.health_check_timeout_seconds(), Some(5));

    // What was created is remembered: the same plan again reads no group.
    let r = apply_ok(&mut a, &plan).await;
    assert_eq!(r.writes(), 0, "{r}");
    assert_eq!(count(&r, "GetTargetGroup"), 0, "{r}");

    sim.reset_call_counts();
    plan.target_groups[0].health_check = Some(Box::new(checked(20)));
    let r = apply_ok(&mut a, &plan).await;
    assert_eq!(
        writes(&r),
        [("UpdateTargetGroup".to_string(), 1)].into(),
        "{r}"
    );
    assert_eq!(sim.call_counts().get("UpdateTargetGroup"), Some(&1));
    assert_eq!(r.ops.get("UpdateTargetGroup"), Some(&1));
    assert!(
        r.updated
            .contains(&format!("target group {name} (UpdateTargetGroup)")),
        "{r}"
    );
    let hc = held(&sim, &name).await;
    assert_eq!(hc.health_check_interval_seconds(), Some(20));
    assert_eq!(hc.path(), Some("/healthz"), "a field the plan keeps stays");

    sim.reset_call_counts();
    let r = apply_ok(&mut a, &plan).await;
    assert_eq!(r.writes(), 0, "{r}");
    let sim_writes: BTreeMap<_, _> = sim
        .call_counts()
        .into_iter()
        .filter(|(k, _)| !k.starts_with("List") && !k.starts_with("Get"))
        .collect();
    assert!(sim_writes.is_empty(), "{sim_writes:?}");
    // A cold applier reads the one group that has a health check, no other.
    assert_no_work(&sim, &plan).await;
    let cold = applier(&sim, fast()).apply(&plan).await;
    assert_eq!(count(&cold, "GetTargetGroup"), 1, "{cold}");
}

#[tokio::test]
async fn without_a_health_check_in_the_plan_no_group_is_read_or_updated() {
    let sim = sim().await;
    let mut a = applier(&sim, fast());
    let plan = plan_with(20, None);
    let name = plan.target_groups[0].name.clone();
    let first = apply_ok(&mut a, &plan).await;
    // Someone else turns the checks off: the plan sets nothing, so it stays.
    let c = sim_client(&sim.url());
    let listed = c
        .list_target_groups()
        .max_results(100)
        .send()
        .await
        .expect("list");
    let id = listed
        .items()
        .iter()
        .find(|t| t.name() == Some(name.as_str()));
    let off = aws_sdk_vpclattice::types::HealthCheckConfig::builder()
        .enabled(false)
        .build();
    c.update_target_group()
        .target_group_identifier(id.and_then(|t| t.id()).expect("id"))
        .health_check(off)
        .send()
        .await
        .expect("update");
    let steady = apply_ok(&mut a, &plan).await;
    let cold = applier(&sim, fast()).apply(&plan).await;
    for r in [&first, &steady, &cold] {
        assert_eq!(count(r, "GetTargetGroup"), 0, "{r}");
        assert_eq!(count(r, "UpdateTargetGroup"), 0, "{r}");
    }
    assert_eq!(steady.writes(), 0, "{steady}");
    // Steady state is list pages only.
    assert!(
        steady.calls.keys().all(|k| k.starts_with("List")),
        "{:?}",
        steady.calls
    );
    eprintln!("no health check, 20 routes: first {:?}", first.calls);
    eprintln!("no health check, 20 routes: steady {:?}", steady.calls);
    assert_eq!(held(&sim, &name).await.enabled(), Some(false));
}

#[tokio::test]
async fn a_health_check_planned_after_its_group_was_made_is_read_once_then_set() {
    let sim = sim().await;
    let mut a = applier(&sim, fast());
    let mut plan = plan_with(2, None);
    let name = plan.target_groups[0].name.clone();
    apply_ok(&mut a, &plan).await;
    // A group made without a health check in its plan does not keep the
    // one Lattice answered (no pass reads it): the first plan to set one
    // reads that group once, and no other.
    plan.target_groups[0].health_check = Some(Box::new(checked(10)));
    let r = apply_ok(&mut a, &plan).await;
    assert_eq!(count(&r, "GetTargetGroup"), 1, "{r}");
    assert_eq!(count(&r, "UpdateTargetGroup"), 1, "{r}");
    let hc = held(&sim, &name).await;
    assert_eq!(hc.health_check_interval_seconds(), Some(10));
    assert_eq!(hc.health_check_timeout_seconds(), Some(5), "Lattice's own");
    let r = apply_ok(&mut a, &plan).await;
    assert_eq!(r.writes(), 0, "{r}");
    assert_eq!(
        count(&r, "GetTargetGroup"),
        0,
        "what was written is known: {r}"
    );
}

#[tokio::test]
async fn a_scoped_pass_knows_the_health_check_from_the_group_it_reads_by_id() {
    let sim = sim().await;
    let mut a = applier(&sim, fast());
    // 250 routes: enough groups that a scoped pass reads its two by id.
    let plan = plan_with(250, Some(checked(10)));
    apply_ok(&mut a, &plan).await;
    // Someone else changes the check: what the applier remembers is stale.
    let name = plan.target_groups[0].name.clone();
    let c = sim_client(&sim.url());
    let at = c
        .list_target_groups()
        .max_results(100)
        .send()
        .await
        .expect("list");
    let id = at.items().iter().find(|t| t.name() == Some(name.as_str()));
    let slow = aws_sdk_vpclattice::types::HealthCheckConfig::builder()
        .health_check_interval_seconds(60)
        .build();
    c.update_target_group()
        .target_group_identifier(id.and_then(|t| t.id()).expect("id"))
        .health_check(slow)
        .send()
        .await
        .expect("update");
    let scope = Scope {
        services: ["route-0-bench".to_string()].into(),
        target_groups: Default::default(),
    };
    let r = a.apply_scoped(&plan, &scope).await;
    assert!(r.is_success(), "{r}");
    assert_eq!(
        writes(&r),
        [("UpdateTargetGroup".to_string(), 1)].into(),
        "{r}"
    );
    // One GetTargetGroup per group in scope, as without a health check:
    // its answer carries the health check.
    assert_eq!(count(&r, "GetTargetGroup"), 2, "{r}");
    // The nine reads of any such scoped pass (`scope.rs`), and the write.
    assert_eq!(r.total_calls(), 10, "{r}");
    assert_eq!(
        held(&sim, &name).await.health_check_interval_seconds(),
        Some(10)
    );
    let again = a.apply_scoped(&plan, &scope).await;
    assert_eq!(again.writes(), 0, "{again}");
    assert_holds_exactly(&sim, &plan).await;
}

#[tokio::test]
async fn a_health_check_beyond_lattice_s_limits_fails_its_group_alone() {
    let sim = sim().await;
    let mut a = applier(&sim, fast());
    let mut plan = plan_with(2, Some(checked(3)));
    let name = plan.target_groups[0].name.clone();
    let r = a.apply(&plan).await;
    let f = r
        .failures
        .iter()
        .find(|f| f.operation == "CreateTargetGroup");
    let f = f.unwrap_or_else(|| panic!("no failed create: {r}"));
    assert_eq!(f.object, format!("target group {name}"));
    assert_eq!(f.resource.name, name);
    assert_eq!(f.code, "InvalidHealthCheck");
    assert!(
        f.message.contains("healthCheckIntervalSeconds"),
        "{}",
        f.message
    );
    // Refused before any call; every other group is created.
    let groups = plan.target_groups.len() as u64;
    assert_eq!(
        sim.call_counts().get("CreateTargetGroup"),
        Some(&(groups - 1))
    );
    assert!(
        r.failures
            .iter()
            .all(|f| f.resource.routes.contains(&"bench/route-0".to_string())),
        "{r}"
    );

    // On a group that exists, the update fails the same way, uncalled.
    plan.target_groups[0].health_check = Some(Box::new(checked(10)));
    apply_ok(&mut a, &plan).await;
    sim.reset_call_counts();
    plan.target_groups[0].health_check = Some(Box::new(HealthCheckPlan {
        healthy_threshold_count: Some(11),
        ..checked(10)
    }));
    let r = a.apply(&plan).await;
    assert_eq!(r.failures.len(), 1, "{r}");
    assert_eq!(r.failures[0].operation, "UpdateTargetGroup");
    assert_eq!(r.failures[0].object, format!("target group {name}"));
    assert_eq!(sim.call_counts().get("UpdateTargetGroup"), None);
}
