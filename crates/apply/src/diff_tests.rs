//! Unit tests of the pure diff: small builders, one behaviour per test.

use crate::diff::{DiffOptions, diff};
use crate::fixtures::synthetic_plan;
use crate::model::*;
use crate::names::{listener_name, rule_name};
use crate::ops::{Op, OpKind};
use lattice_core::ClusterConfig;
use lattice_core::plan::*;

fn cfg() -> ClusterConfig {
    ClusterConfig::default()
}

fn opts() -> DiffOptions {
    DiffOptions {
        prune: true,
        ..Default::default()
    }
}

fn mk_plan(n: usize) -> Plan {
    synthetic_plan(n)
}

/// What Lattice holds once `plan` is applied, every resource ours.
fn converged(plan: &Plan) -> Observed {
    let cfg = cfg();
    Observed {
        service_networks: plan
            .service_networks
            .iter()
            .enumerate()
            .map(|(i, s)| ObsServiceNetwork {
                id: format!("sn-{i}"),
                arn: format!("arn:sn-{i}"),
                name: s.name.clone(),
                owner: Owner::Ours,
                auth_type: Some(s.auth_type.clone()),
                auth_policy: Some(s.auth_policy.clone()),
                vpc_association_count: 1,
                service_association_count: plan
                    .services
                    .iter()
                    .filter(|x| x.service_networks.contains(&s.name))
                    .count() as u64,
            })
            .collect(),
        services: plan
            .services
            .iter()
            .enumerate()
            .map(|(i, s)| ObsService {
                id: format!("svc-{i}"),
                arn: format!("arn:svc-{i}"),
                name: s.name.clone(),
                owner: Owner::Ours,
                auth_type: Some(s.auth_type.clone()),
                custom_domain_name: s.custom_domain_name.clone(),
                dns_name: None,
                auth_policy: Some(s.auth_policy.clone()),
                listeners: s
                    .listeners
                    .iter()
                    .enumerate()
                    .map(|(j, l)| ObsListener {
                        id: format!("listener-{i}-{j}"),
                        arn: format!("arn:listener-{i}-{j}"),
                        name: listener_name(&l.protocol, l.port),
                        port: l.port,
                        protocol: l.protocol.clone(),
                        default_action: l.default_action.clone(),
                        rules: l
                            .rules
                            .iter()
                            .enumerate()
                            .map(|(k, r)| ObsRule {
                                id: format!("rule-{i}-{j}-{k}"),
                                arn: format!("arn:rule-{i}-{j}-{k}"),
                                name: rule_name(&r.r#match),
                                priority: r.priority,
                                r#match: r.r#match.clone(),
                                action: r.action.clone(),
                            })
                            .collect(),
                    })
                    .collect(),
                associations: s
                    .service_networks
                    .iter()
                    .map(|sn| ObsServiceAssociation {
                        id: format!("snsa-{i}-{sn}"),
                        service_network: sn.clone(),
                    })
                    .collect(),
            })
            .collect(),
        target_groups: plan
            .target_groups
            .iter()
            .enumerate()
            .map(|(i, t)| ObsTargetGroup {
                id: format!("tg-{i}"),
                arn: format!("arn:tg-{i}"),
                name: t.name.clone(),
                owner: Owner::Ours,
                port: Some(t.port),
                protocol: Some(t.protocol.clone()),
                vpc: Some(cfg.vpc_id.clone()),
                targets: t.targets.clone(),
            })
            .collect(),
        vpc_associations: plan
            .service_networks
            .iter()
            .map(|s| ObsVpcAssociation {
                id: format!("snva-{}", s.name),
                service_network: s.name.clone(),
                vpc: cfg.vpc_id.clone(),
            })
            .collect(),
    }
}

fn ops_named<'a>(ops: &'a [Op], name: &str) -> Vec<&'a Op> {
    ops.iter().filter(|o| o.kind.operation() == name).collect()
}

fn deps_point_backwards(ops: &[Op]) {
    for (i, o) in ops.iter().enumerate() {
        assert!(
            o.deps.iter().all(|&d| d < i),
            "op {i} {:?} depends forward: {:?}",
            o.kind.operation(),
            o.deps
        );
    }
}

fn index_of(ops: &[Op], pred: impl Fn(&OpKind) -> bool) -> usize {
    ops.iter().position(|o| pred(&o.kind)).expect("op present")
}

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
fn swapped_priorities_become_one_batch_update() {
    let plan = mk_plan(1);
    let mut obs = converged(&plan);
    let rules = &mut obs.services[0].listeners[0].rules;
    rules[0].priority = 2;
    rules[1].priority = 1;
    let d = diff(&obs, &plan, &cfg(), &opts());
    assert_eq!(d.ops.len(), 1);
    let OpKind::BatchUpdateRule { changes, .. } = &d.ops[0].kind else {
        panic!("{:?}", d.ops)
    };
    assert_eq!(changes.len(), 2);
    assert!(
        changes
            .iter()
            .all(|c| c.r#match.is_none() && c.action.is_none())
    );
}

#[test]
fn a_changed_weight_is_one_update_rule_with_only_the_action() {
    let mut plan = mk_plan(1);
    let Action::Forward(w) = &mut plan.services[0].listeners[0].rules[2].action else {
        panic!()
    };
    w[0].weight = 50;
    w[1].weight = 50;
    let d = diff(&converged(&mk_plan(1)), &plan, &cfg(), &opts());
    assert_eq!(d.ops.len(), 1);
    let OpKind::UpdateRule { change, .. } = &d.ops[0].kind else {
        panic!("{:?}", d.ops)
    };
    assert!(change.priority.is_none() && change.r#match.is_none() && change.action.is_some());
}

#[test]
fn an_obsolete_rule_is_deleted_before_a_new_rule_takes_its_priority() {
    let mut plan = mk_plan(1);
    plan.services[0].listeners[0].rules[1].r#match.path = Some(PathMatchPlan {
        r#type: "exact".into(),
        value: "/new".into(),
        case_sensitive: true,
    });
    let d = diff(&converged(&mk_plan(1)), &plan, &cfg(), &opts());
    assert_eq!(
        d.ops.iter().map(|o| o.kind.operation()).collect::<Vec<_>>(),
        vec!["DeleteRule", "CreateRule"]
    );
    assert_eq!(d.ops[1].deps, vec![0]);
}

#[test]
fn a_drifted_rule_with_our_name_is_updated_in_place() {
    let plan = mk_plan(1);
    let mut obs = converged(&plan);
    obs.services[0].listeners[0].rules[0].r#match.method = Some("PUT".into());
    let d = diff(&obs, &plan, &cfg(), &opts());
    assert_eq!(d.ops.len(), 1);
    let OpKind::UpdateRule { change, .. } = &d.ops[0].kind else {
        panic!("{:?}", d.ops)
    };
    assert!(change.r#match.is_some());
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
fn an_untagged_service_is_left_alone_without_adoption() {
    let plan = mk_plan(1);
    let mut obs = converged(&plan);
    obs.services[0].owner = Owner::Untagged;
    obs.services[0].auth_type = Some("AWS_IAM".into());
    let d = diff(&obs, &plan, &cfg(), &opts());
    assert_eq!(d.ops, vec![]);
    assert_eq!(d.diagnostics.len(), 1);
    assert_eq!(d.diagnostics[0].reason, "Conflicted");
}

#[test]
fn an_untagged_service_is_tagged_before_it_is_changed_when_adoption_is_allowed() {
    let plan = mk_plan(1);
    let mut obs = converged(&plan);
    obs.services[0].owner = Owner::Untagged;
    obs.services[0].auth_type = Some("AWS_IAM".into());
    let d = diff(
        &obs,
        &plan,
        &cfg(),
        &DiffOptions {
            allow_adoption: true,
            ..opts()
        },
    );
    assert_eq!(
        d.ops.iter().map(|o| o.kind.operation()).collect::<Vec<_>>(),
        vec!["TagResource", "UpdateService"]
    );
    assert_eq!(d.ops[1].deps, vec![0]);
}

#[test]
fn another_clusters_service_is_taken_over_only_when_the_route_allows_it() {
    let plan = mk_plan(1);
    let mut obs = converged(&plan);
    obs.services[0].owner = Owner::Other("1/other/vpc-1".into());
    let d = diff(&obs, &plan, &cfg(), &opts());
    assert_eq!((d.ops.len(), d.diagnostics.len()), (0, 1));
    let mut plan = plan;
    plan.services[0].allow_takeover_from = Some("1/other/vpc-1".into());
    let d = diff(&obs, &plan, &cfg(), &opts());
    assert_eq!(
        d.ops.iter().map(|o| o.kind.operation()).collect::<Vec<_>>(),
        vec!["TagResource"]
    );
    assert!(d.diagnostics.is_empty());
}

#[test]
fn a_conflicted_target_group_blocks_the_rules_that_use_it() {
    let plan = mk_plan(1);
    let mut obs = converged(&plan);
    obs.target_groups[0].owner = Owner::Other("someone".into());
    obs.services[0].listeners[0].rules.clear();
    let d = diff(&obs, &plan, &cfg(), &opts());
    // Rules 1 and 3 use the first group; rule 2 only the second.
    assert_eq!(ops_named(&d.ops, "CreateRule").len(), 1);
    assert_eq!(
        d.diagnostics
            .iter()
            .filter(|x| x.reason == "Conflicted")
            .count(),
        3
    );
}

#[test]
fn garbage_is_only_our_own_and_goes_in_reverse_dependency_order() {
    let plan = mk_plan(2);
    let mut obs = converged(&plan);
    obs.services[1].owner = Owner::Untagged;
    let keep = mk_plan(0);
    let d = diff(
        &obs,
        &Plan {
            service_networks: keep.service_networks.clone(),
            ..Default::default()
        },
        &cfg(),
        &opts(),
    );
    deps_point_backwards(&d.ops);
    assert_eq!(
        ops_named(&d.ops, "DeleteService").len(),
        1,
        "the untagged service stays"
    );
    let del_svc = index_of(&d.ops, |k| matches!(k, OpKind::DeleteService { .. }));
    let del_assoc = index_of(&d.ops, |k| {
        matches!(k, OpKind::DeleteServiceAssociation { .. })
    });
    assert!(d.ops[del_svc].deps.contains(&del_assoc));
    for tg in ops_named(&d.ops, "DeleteTargetGroup") {
        assert!(tg.deps.contains(&del_svc));
    }
    assert_eq!(ops_named(&d.ops, "DeleteTargetGroup").len(), 4);
    assert!(
        ops_named(&d.ops, "DeleteServiceNetwork").is_empty(),
        "the plan still has it"
    );
}

#[test]
fn without_pruning_nothing_is_deleted() {
    let plan = mk_plan(2);
    let d = diff(
        &converged(&plan),
        &mk_plan(1),
        &cfg(),
        &DiffOptions::default(),
    );
    assert!(d.ops.iter().all(|o| !o.kind.is_delete()), "{:?}", d.ops);
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

#[test]
fn our_service_network_stays_while_other_services_use_it() {
    let plan = mk_plan(1);
    let mut obs = converged(&plan);
    obs.service_networks[0].service_association_count = 2;
    let d = diff(&obs, &Plan::default(), &cfg(), &opts());
    assert!(ops_named(&d.ops, "DeleteServiceNetwork").is_empty());
    assert_eq!(ops_named(&d.ops, "DeleteService").len(), 1);
    assert!(d.diagnostics.iter().any(|x| x.reason == "InUse"));
}
