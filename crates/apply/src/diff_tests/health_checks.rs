//! A target group's health check: created with the group, updated only when
//! a field the plan sets differs, never touched when the plan sets none.

use super::*;

fn interval(s: i32) -> HealthCheckPlan {
    HealthCheckPlan {
        health_check_interval_seconds: Some(s),
        ..Default::default()
    }
}

/// What Lattice holds when nobody asked for anything (lattice-sim's and
/// Lattice's defaults).
fn lattice_default() -> HealthCheckPlan {
    HealthCheckPlan {
        enabled: Some(true),
        protocol: Some("HTTP".into()),
        protocol_version: Some("HTTP1".into()),
        path: Some("/".into()),
        health_check_interval_seconds: Some(30),
        health_check_timeout_seconds: Some(5),
        healthy_threshold_count: Some(5),
        unhealthy_threshold_count: Some(2),
        http_code: Some("200".into()),
        ..Default::default()
    }
}

/// A converged one-route plan whose first group holds `held` and whose plan
/// asks for `want`.
fn with(held: Option<HealthCheckPlan>, want: Option<HealthCheckPlan>) -> (Plan, Observed) {
    let mut plan = mk_plan(1);
    let mut obs = converged(&plan);
    obs.target_groups[0].health_check = held;
    plan.target_groups[0].health_check = want.map(Box::new);
    (plan, obs)
}

#[test]
fn a_set_field_that_differs_is_one_update_with_the_whole_health_check() {
    let (plan, obs) = with(Some(lattice_default()), Some(interval(10)));
    let d = diff(&obs, &plan, &cfg(), &opts());
    assert_eq!(d.ops.len(), 1, "{:?}", d.ops);
    let OpKind::UpdateTargetGroup { id, health_check } = &d.ops[0].kind else {
        panic!("{:?}", d.ops[0].kind);
    };
    assert_eq!(id, &obs.target_groups[0].id);
    // Lattice replaces the whole configuration: what it holds is sent back
    // with the plan's one field laid over it.
    let want = HealthCheckPlan {
        health_check_interval_seconds: Some(10),
        ..lattice_default()
    };
    assert_eq!(health_check, &want);
    assert_eq!(
        d.ops[0].object,
        format!("target group {}", plan.target_groups[0].name)
    );
    assert_eq!(d.ops[0].resource.kind, ResourceKind::TargetGroup);
}

#[test]
fn a_health_check_lattice_already_holds_is_left_alone() {
    let (plan, obs) = with(Some(lattice_default()), Some(interval(30)));
    assert!(diff(&obs, &plan, &cfg(), &opts()).ops.is_empty());
    let (plan, obs) = with(Some(lattice_default()), Some(HealthCheckPlan::default()));
    assert!(diff(&obs, &plan, &cfg(), &opts()).ops.is_empty());
}

#[test]
fn no_health_check_in_the_plan_never_updates_one() {
    // Whatever Lattice holds (or whether it was read at all).
    for held in [None, Some(interval(99)), Some(lattice_default())] {
        let (plan, obs) = with(held, None);
        assert!(diff(&obs, &plan, &cfg(), &opts()).ops.is_empty());
    }
}

#[test]
fn a_health_check_not_read_is_sent_as_the_plan_sets_it() {
    let (plan, obs) = with(None, Some(interval(10)));
    let d = diff(&obs, &plan, &cfg(), &opts());
    let ups = ops_named(&d.ops, "UpdateTargetGroup");
    assert_eq!(ups.len(), 1);
    assert!(
        matches!(&ups[0].kind, OpKind::UpdateTargetGroup { health_check, .. } if *health_check == interval(10))
    );
}

#[test]
fn a_new_group_is_created_with_the_plan_s_health_check_and_no_update() {
    let mut plan = mk_plan(1);
    plan.target_groups[0].health_check = Some(Box::new(interval(10)));
    let d = diff(&Observed::default(), &plan, &cfg(), &opts());
    assert!(ops_named(&d.ops, "UpdateTargetGroup").is_empty());
    let creates = ops_named(&d.ops, "CreateTargetGroup");
    let carried: Vec<_> = creates
        .iter()
        .map(|o| match &o.kind {
            OpKind::CreateTargetGroup { health_check, .. } => health_check.clone(),
            k => panic!("{k:?}"),
        })
        .collect();
    assert_eq!(carried, vec![Some(interval(10)), None]);
}

#[test]
fn a_claimed_group_is_updated_after_the_claim_and_nothing_waits_for_the_update() {
    let (plan, mut obs) = with(Some(lattice_default()), Some(interval(10)));
    obs.target_groups[0].owner = Owner::Untagged;
    let o = DiffOptions {
        allow_adoption: true,
        ..opts()
    };
    let d = diff(&obs, &plan, &cfg(), &o);
    deps_point_backwards(&d.ops);
    let claim = index_of(&d.ops, |k| matches!(k, OpKind::Claim { .. }));
    let update = index_of(&d.ops, |k| matches!(k, OpKind::UpdateTargetGroup { .. }));
    assert_eq!(d.ops[update].deps, vec![claim]);
    assert!(d.ops.iter().all(|o| !o.deps.contains(&update)));
}
