//! A `LAMBDA` target group: created with its function as the one target
//! (no port), a changed function is one register and one deregister, and
//! what Lattice cannot change is said, not attempted.

use super::*;

const ARN: &str = "arn:aws:lambda:us-west-2:123456789012:function:books";

fn lambda(arn: &str, version: Option<&str>) -> LambdaPlan {
    LambdaPlan {
        function_arn: arn.into(),
        event_structure_version: version.map(str::to_string),
    }
}

/// A one-route plan whose first group is the function `l`.
fn plan_with(l: LambdaPlan) -> Plan {
    let mut plan = mk_plan(1);
    let tg = &mut plan.target_groups[0];
    (tg.port, tg.protocol, tg.protocol_version) = (0, String::new(), None);
    tg.targets.clear();
    tg.lambda = Some(Box::new(l));
    plan
}

fn function(arn: &str) -> TargetPlan {
    TargetPlan {
        ip: arn.into(),
        port: 0,
    }
}

#[test]
fn a_new_lambda_group_is_created_with_its_function_registered_without_a_port() {
    let plan = plan_with(lambda(ARN, Some("V2")));
    let d = diff(&Observed::default(), &plan, &cfg(), &opts());
    deps_point_backwards(&d.ops);
    let create = index_of(
        &d.ops,
        |k| matches!(k, OpKind::CreateTargetGroup { lambda: Some(l), .. } if *l == lambda(ARN, Some("V2"))),
    );
    let registers: Vec<&Op> = ops_named(&d.ops, "RegisterTargets")
        .into_iter()
        .filter(|o| o.object == format!("target group {}", plan.target_groups[0].name))
        .collect();
    assert_eq!(registers.len(), 1, "{:?}", d.ops);
    let OpKind::RegisterTargets { targets, .. } = &registers[0].kind else {
        panic!("{:?}", registers[0].kind);
    };
    assert_eq!(targets, &vec![function(ARN)]);
    assert_eq!(registers[0].deps, vec![create]);
}

#[test]
fn a_converged_lambda_group_needs_nothing() {
    let plan = plan_with(lambda(ARN, None));
    let d = diff(&converged(&plan), &plan, &cfg(), &opts());
    assert!(d.ops.is_empty(), "{:?}", d.ops);
    assert!(d.diagnostics.is_empty(), "{:?}", d.diagnostics);
}

#[test]
fn a_changed_function_registers_the_new_one_and_deregisters_the_old() {
    let old = plan_with(lambda(ARN, None));
    let obs = converged(&old);
    let next = "arn:aws:lambda:us-west-2:123456789012:function:books:v2";
    let plan = plan_with(lambda(next, None));
    let d = diff(&obs, &plan, &cfg(), &opts());
    let kinds: Vec<&OpKind> = d.ops.iter().map(|o| &o.kind).collect();
    let key = crate::ops::Key::TargetGroup(plan.target_groups[0].name.clone());
    assert_eq!(
        kinds,
        vec![
            &OpKind::RegisterTargets {
                target_group: key.clone(),
                targets: vec![function(next)],
            },
            &OpKind::DeregisterTargets {
                target_group: key,
                targets: vec![function(ARN)],
            },
        ]
    );
}

#[test]
fn a_changed_event_structure_version_is_immutable_and_changes_nothing() {
    let obs = converged(&plan_with(lambda(ARN, Some("V1"))));
    let plan = plan_with(lambda(ARN, Some("V2")));
    let d = diff(&obs, &plan, &cfg(), &opts());
    assert!(d.ops.is_empty(), "{:?}", d.ops);
    assert_eq!(d.diagnostics.len(), 1, "{:?}", d.diagnostics);
    let diag = &d.diagnostics[0];
    assert_eq!(diag.reason, "Immutable");
    assert!(
        diag.message
            .contains("event structure version V1; the plan wants V2"),
        "{}",
        diag.message
    );
    // Without a version in the plan, Lattice's (whatever it is) is right.
    let plan = plan_with(lambda(ARN, None));
    let d = diff(&obs, &plan, &cfg(), &opts());
    assert!(d.ops.is_empty() && d.diagnostics.is_empty(), "{d:?}");
}

#[test]
fn a_lambda_group_no_plan_wants_is_deleted_as_any_group_of_ours() {
    let obs = converged(&plan_with(lambda(ARN, None)));
    let mut plan = mk_plan(1);
    plan.target_groups.remove(0);
    plan.services[0].listeners[0]
        .rules
        .retain(|r| match &r.action {
            Action::Forward(w) => w
                .iter()
                .all(|t| t.target_group != obs.target_groups[0].name),
            Action::FixedResponse(_) => true,
        });
    let d = diff(&obs, &plan, &cfg(), &opts());
    let deletes = ops_named(&d.ops, "DeleteTargetGroup");
    assert_eq!(deletes.len(), 1, "{:?}", d.ops);
    assert_eq!(
        deletes[0].kind,
        OpKind::DeleteTargetGroup {
            id: obs.target_groups[0].id.clone()
        }
    );
}
