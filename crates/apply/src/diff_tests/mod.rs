//! Unit tests of the pure diff: small builders, one behaviour per test.

mod converge;
mod default_network;
mod garbage;
mod health_checks;
mod kept;
mod lambda;
mod multicluster;
mod ownership;
mod resources;
mod rules;
mod service_networks;
mod tags;

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
    let vpc = cfg().vpc_id;
    Observed {
        service_networks: plan
            .service_networks
            .iter()
            .enumerate()
            .map(|(i, s)| obs_network(i, s, plan))
            .collect(),
        services: plan
            .services
            .iter()
            .enumerate()
            .map(|(i, s)| obs_service(i, s))
            .collect(),
        target_groups: plan
            .target_groups
            .iter()
            .enumerate()
            .map(|(i, t)| obs_target_group(i, t, &vpc))
            .collect(),
        vpc_associations: plan
            .service_networks
            .iter()
            .map(|s| ObsVpcAssociation {
                arn: format!("arn:snva-{}", s.name),
                owner: Owner::Ours,
                security_group_ids: None,
                id: format!("snva-{}", s.name),
                service_network: s.name.clone(),
                vpc: vpc.clone(),
                tags: Some(Tags::new()),
            })
            .collect(),
        access_logs: vec![],
    }
}

fn obs_network(i: usize, s: &ServiceNetworkPlan, plan: &Plan) -> ObsServiceNetwork {
    ObsServiceNetwork {
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
        tags: Some(s.tags.clone().unwrap_or_default()),
    }
}

fn obs_service(i: usize, s: &ServicePlan) -> ObsService {
    ObsService {
        certificate_arn: s.certificate_arn.clone(),
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
            .map(|(j, l)| obs_listener(&format!("{i}-{j}"), l, &s.tags))
            .collect(),
        associations: s
            .service_networks
            .iter()
            .map(|sn| ObsServiceAssociation {
                id: format!("snsa-{i}-{sn}"),
                arn: format!("arn:snsa-{i}-{sn}"),
                service_network: sn.clone(),
                tags: Some(s.tags.clone()),
            })
            .collect(),
        tags: Some(s.tags.clone()),
    }
}

fn obs_listener(ij: &str, l: &ListenerPlan, tags: &Tags) -> ObsListener {
    ObsListener {
        id: format!("listener-{ij}"),
        arn: format!("arn:listener-{ij}"),
        name: listener_name(&l.protocol, l.port),
        port: l.port,
        protocol: l.protocol.clone(),
        default_action: l.default_action.clone(),
        rules: l
            .rules
            .iter()
            .enumerate()
            .map(|(k, r)| ObsRule {
                id: format!("rule-{ij}-{k}"),
                arn: format!("arn:rule-{ij}-{k}"),
                name: rule_name(&r.r#match),
                priority: r.priority,
                r#match: r.r#match.clone(),
                action: r.action.clone(),
                tags: Some(tags.clone()),
            })
            .collect(),
        tags: Some(tags.clone()),
    }
}

fn obs_target_group(i: usize, t: &TargetGroupPlan, vpc: &str) -> ObsTargetGroup {
    ObsTargetGroup {
        id: format!("tg-{i}"),
        arn: format!("arn:tg-{i}"),
        name: t.name.clone(),
        owner: Owner::Ours,
        // A LAMBDA group lists no port, protocol or VPC.
        port: t.lambda.is_none().then_some(t.port),
        protocol: t.lambda.is_none().then(|| t.protocol.clone()),
        vpc: t.lambda.is_none().then(|| vpc.to_string()),
        targets: crate::diff::planned_targets(t),
        health_check: t.health_check.as_deref().cloned(),
        tags: Some(t.tags.clone()),
        exported: t.export.is_some(),
        lambda_event_structure_version: t
            .lambda
            .as_ref()
            .map(|l| l.event_structure_version.clone().unwrap_or("V1".into())),
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
