//! Kept routes (issue 10, "a plugin failure never destroys anything"): the
//! service and target groups of a route a plugin failed on stay exactly as
//! Lattice has them, while the rest of the plan converges.

use super::*;
use crate::fixtures::{group, keep};

const KEPT_SERVICE: &str = "route-1-bench";

/// The ops that name any of `names` as their resource or in their object.
fn touching<'a>(ops: &'a [Op], names: &[String]) -> Vec<&'a Op> {
    ops.iter()
        .filter(|o| {
            names
                .iter()
                .any(|n| o.resource.name == *n || o.object.contains(n.as_str()))
        })
        .collect()
}

fn kept_names() -> Vec<String> {
    vec![KEPT_SERVICE.to_string(), group(1, 'a'), group(1, 'b')]
}

/// Route 0 moves one endpoint and shifts its weights; the rest stays.
fn change_route_0(plan: &mut Plan) {
    plan.target_groups[0].targets[0].ip = "10.99.0.1".into();
    if let Action::Forward(ws) = &mut plan.services[0].listeners[0].rules[2].action {
        ws[0].weight = 50;
        ws[1].weight = 50;
    }
}

#[test]
fn a_kept_route_that_lattice_has_gets_no_operation_while_the_others_converge() {
    let before = mk_plan(3);
    let obs = converged(&before);
    let mut plan = before.clone();
    change_route_0(&mut plan);
    keep(&mut plan, 1);

    let d = diff(&obs, &plan, &cfg(), &opts());
    deps_point_backwards(&d.ops);
    assert_eq!(touching(&d.ops, &kept_names()), Vec::<&Op>::new());
    let names: Vec<&str> = d.ops.iter().map(|o| o.kind.operation()).collect();
    assert_eq!(
        names,
        ["RegisterTargets", "DeregisterTargets", "UpdateRule"],
        "route 0 converges, and nothing else happens"
    );
    assert!(d.diagnostics.is_empty(), "{:?}", d.diagnostics);

    // Dropped rather than kept, the same route would be torn down.
    plan.kept.clear();
    let dropped = diff(&obs, &plan, &cfg(), &opts());
    for op in ["DeleteService", "DeleteTargetGroup"] {
        assert!(!ops_named(&dropped.ops, op).is_empty(), "{op}");
    }
}

#[test]
fn a_kept_route_that_lattice_lacks_is_not_created() {
    let mut plan = mk_plan(3);
    keep(&mut plan, 1);
    let d = diff(&Observed::default(), &plan, &cfg(), &opts());
    assert_eq!(touching(&d.ops, &kept_names()), Vec::<&Op>::new());
    assert_eq!(ops_named(&d.ops, "CreateService").len(), 2);
    assert_eq!(ops_named(&d.ops, "CreateTargetGroup").len(), 4);
}

#[test]
fn a_group_shared_by_a_kept_and_a_healthy_route_is_still_updated_for_the_healthy_one() {
    let before = mk_plan(2);
    let obs = converged(&before);
    let mut plan = before.clone();
    keep(&mut plan, 1);
    // The kept route also resolves to route 0's first group.
    let shared = group(0, 'a');
    plan.kept[0].target_groups.push(shared.clone());
    plan.target_groups[0].targets[0].ip = "10.99.0.1".into();

    let d = diff(&obs, &plan, &cfg(), &opts());
    let shared_ops: Vec<&str> = touching(&d.ops, std::slice::from_ref(&shared))
        .iter()
        .map(|o| o.kind.operation())
        .collect();
    assert_eq!(shared_ops, ["RegisterTargets", "DeregisterTargets"]);
    assert_eq!(touching(&d.ops, &kept_names()), Vec::<&Op>::new());
}

#[test]
fn a_kept_route_is_left_alone_by_a_scoped_diff_too() {
    let before = mk_plan(2);
    let obs = converged(&before);
    let mut plan = before.clone();
    keep(&mut plan, 1);
    let scoped = DiffOptions {
        scoped: true,
        ..opts()
    };
    let d = diff(&obs, &plan, &cfg(), &scoped);
    assert_eq!(d.ops, vec![]);
    assert!(d.diagnostics.is_empty(), "{:?}", d.diagnostics);
}

#[test]
fn a_service_and_group_the_plan_has_are_managed_even_when_also_kept() {
    let before = mk_plan(2);
    let obs = converged(&before);
    let mut plan = before.clone();
    keep(&mut plan, 1);
    // Route 0 is also (wrongly) kept under its own names: the plan wins.
    plan.kept.push(KeptRoute {
        service: "route-0-bench".into(),
        target_groups: vec![group(0, 'a')],
        ..plan.kept[0].clone()
    });
    plan.target_groups[0].targets[0].ip = "10.99.0.1".into();
    plan.services[0].listeners[0].rules.pop();

    let d = diff(&obs, &plan, &cfg(), &opts());
    let names: Vec<&str> = d.ops.iter().map(|o| o.kind.operation()).collect();
    assert_eq!(
        names,
        ["RegisterTargets", "DeregisterTargets", "DeleteRule"]
    );
}
