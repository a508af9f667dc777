//! From empty or from converged: what gets created, updated, and in which order.

use super::*;

#[test]
fn an_empty_lattice_gets_one_create_per_resource_in_dependency_order() {
    let plan = mk_plan(3);
    let d = diff(&Observed::default(), &plan, &cfg(), &opts());
    deps_point_backwards(&d.ops);
    assert_eq!(ops_named(&d.ops, "CreateServiceNetwork").len(), 1);
    assert_eq!(
        ops_named(&d.ops, "CreateServiceNetworkVpcAssociation").len(),
        1
    );
    assert_eq!(ops_named(&d.ops, "CreateTargetGroup").len(), 6);
    assert_eq!(ops_named(&d.ops, "RegisterTargets").len(), 6);
    assert_eq!(ops_named(&d.ops, "CreateService").len(), 3);
    assert_eq!(
        ops_named(&d.ops, "CreateServiceNetworkServiceAssociation").len(),
        3
    );
    assert_eq!(ops_named(&d.ops, "CreateListener").len(), 3);
    assert_eq!(ops_named(&d.ops, "CreateRule").len(), 9);
    assert_eq!(d.ops.len() as u64, crate::fixtures::min_writes(&plan));
    assert!(d.diagnostics.is_empty());
}

#[test]
fn a_rule_waits_for_its_listener_and_its_target_groups() {
    let plan = mk_plan(1);
    let d = diff(&Observed::default(), &plan, &cfg(), &opts());
    let rule = index_of(&d.ops, |k| {
        matches!(k, OpKind::CreateRule { priority: 3, .. })
    });
    let listener = index_of(&d.ops, |k| matches!(k, OpKind::CreateListener { .. }));
    let tgs: Vec<usize> = d
        .ops
        .iter()
        .enumerate()
        .filter(|(_, o)| o.kind.operation() == "CreateTargetGroup")
        .map(|(i, _)| i)
        .collect();
    for dep in std::iter::once(listener).chain(tgs) {
        assert!(d.ops[rule].deps.contains(&dep));
    }
}

#[test]
fn a_converged_lattice_needs_no_operation() {
    let plan = mk_plan(5);
    let d = diff(&converged(&plan), &plan, &cfg(), &opts());
    assert_eq!(d.ops, vec![]);
    assert!(d.diagnostics.is_empty());
}

#[test]
fn targets_register_and_deregister_in_chunks_of_one_hundred() {
    let mut plan = mk_plan(1);
    plan.target_groups[0].targets = (0..250)
        .map(|i| TargetPlan {
            ip: format!("10.9.{}.{}", i / 200, i % 200),
            port: 8080,
        })
        .collect();
    let d = diff(&converged(&mk_plan(1)), &plan, &cfg(), &opts());
    let reg: Vec<usize> = ops_named(&d.ops, "RegisterTargets")
        .iter()
        .map(|o| match &o.kind {
            OpKind::RegisterTargets { targets, .. } => targets.len(),
            _ => 0,
        })
        .collect();
    assert_eq!(reg, vec![100, 100, 50]);
    let dereg = ops_named(&d.ops, "DeregisterTargets");
    assert_eq!(dereg.len(), 1);
}

#[test]
fn a_listener_whose_protocol_changed_is_replaced() {
    let mut plan = mk_plan(1);
    plan.services[0].listeners[0].protocol = "HTTPS".into();
    let d = diff(&converged(&mk_plan(1)), &plan, &cfg(), &opts());
    deps_point_backwards(&d.ops);
    let names: Vec<&str> = d.ops.iter().map(|o| o.kind.operation()).collect();
    assert_eq!(&names[..2], &["DeleteListener", "CreateListener"]);
    assert_eq!(ops_named(&d.ops, "CreateRule").len(), 3);
    assert_eq!(d.ops[1].deps, vec![0]);
}

#[test]
fn a_service_network_gets_the_cluster_vpc_association_when_it_lacks_one() {
    let plan = mk_plan(1);
    let mut obs = converged(&plan);
    obs.vpc_associations.clear();
    let d = diff(&obs, &plan, &cfg(), &opts());
    assert_eq!(d.ops.len(), 1);
    assert!(
        matches!(&d.ops[0].kind, OpKind::CreateVpcAssociation { vpc, .. } if *vpc == cfg().vpc_id)
    );
}

#[test]
fn auth_type_and_policy_changes_update_in_place() {
    let mut plan = mk_plan(1);
    plan.services[0].auth_type = "AWS_IAM".into();
    plan.services[0].auth_policy = Some(r#"{"Version":"2012-10-17"}"#.into());
    let d = diff(&converged(&mk_plan(1)), &plan, &cfg(), &opts());
    assert_eq!(
        d.ops.iter().map(|o| o.kind.operation()).collect::<Vec<_>>(),
        vec!["UpdateService", "PutAuthPolicy"]
    );
    let mut obs = converged(&plan);
    obs.services[0].auth_policy = Some(Some(r#"{ "Version" : "2012-10-17" }"#.into()));
    assert_eq!(
        diff(&obs, &plan, &cfg(), &opts()).ops,
        vec![],
        "equal JSON is equal"
    );
}

#[test]
fn a_service_joining_an_unknown_service_network_is_reported() {
    let mut plan = mk_plan(1);
    plan.services[0].service_networks.push("nowhere".into());
    let d = diff(&converged(&mk_plan(1)), &plan, &cfg(), &opts());
    assert_eq!(d.ops, vec![]);
    assert_eq!(d.diagnostics[0].reason, "NotFound");
}
