//! A synthetic plan of N routes, and the fewest writes any plan needs from
//! empty: the converge benchmark's input and the measure its calls are held to.
//!
//! Each route is one service (HTTP:80, default 404) joining one service network,
//! with 3 rules forwarding to 2 target groups of 2 endpoints each.

use lattice_core::plan::*;

/// The service network every synthetic route joins.
pub const BENCH_NETWORK: &str = "bench";

fn tg(name: String, i: usize, base: u8) -> TargetGroupPlan {
    let (a, b) = ((i / 250) as u8, (i % 250) as u8);
    TargetGroupPlan {
        name,
        backend: format!("bench/svc-{i}:8080"),
        port: 8080,
        protocol: "HTTP".into(),
        protocol_version: Some("HTTP1".into()),
        targets: (0..2)
            .map(|k| TargetPlan {
                ip: format!("10.{a}.{b}.{}", base + k),
                port: 8080,
            })
            .collect(),
        routes: vec![format!("bench/route-{i}")],
        health_check: None,
        tags: Tags::new(),
        export: None,
        import: None,
        lambda: None,
    }
}

fn prefix(p: &str) -> MatchPlan {
    MatchPlan {
        method: None,
        path: Some(PathMatchPlan {
            r#type: "prefix".into(),
            value: p.into(),
            case_sensitive: true,
        }),
        headers: vec![],
    }
}

/// The plan of `n` synthetic routes.
pub fn synthetic_plan(n: usize) -> Plan {
    let mut plan = Plan {
        service_networks: vec![ServiceNetworkPlan {
            vpc_association: None,
            name: BENCH_NETWORK.into(),
            gateway: "bench/bench".into(),
            auth_type: "NONE".into(),
            auth_policy: None,
            auth_origin: None,
            access_logs: vec![],
            tags: None,
        }],
        ..Default::default()
    };
    for i in 0..n {
        let (a, b) = (
            format!("k8s-svc-{i}-a-bench-8080-http-http1"),
            format!("k8s-svc-{i}-b-bench-8080-http-http1"),
        );
        plan.target_groups.push(tg(a.clone(), i, 1));
        plan.target_groups.push(tg(b.clone(), i, 3));
        let w = |t: &str, weight| WeightedTargetGroup {
            target_group: t.to_string(),
            weight,
        };
        let origin = |k| Origin {
            rule_index: k,
            match_index: Some(0),
            plugin: "bench".into(),
            weighting: None,
        };
        let rules = vec![
            RulePlan {
                priority: 1,
                r#match: prefix("/v1"),
                action: Action::Forward(vec![w(&a, 1)]),
                origin: origin(0),
            },
            RulePlan {
                priority: 2,
                r#match: prefix("/v2"),
                action: Action::Forward(vec![w(&b, 1)]),
                origin: origin(1),
            },
            RulePlan {
                priority: 3,
                r#match: prefix("/"),
                action: Action::Forward(vec![w(&a, 90), w(&b, 10)]),
                origin: origin(2),
            },
        ];
        plan.services.push(ServicePlan {
            certificate_arn: None,
            name: format!("route-{i}-bench"),
            route: format!("bench/route-{i}"),
            route_kind: "HTTPRoute".into(),
            custom_domain_name: None,
            allow_takeover_from: None,
            auth_type: "NONE".into(),
            auth_policy: None,
            service_networks: vec![BENCH_NETWORK.into()],
            listeners: vec![ListenerPlan {
                port: 80,
                protocol: "HTTP".into(),
                default_action: Action::FixedResponse(404),
                rules,
            }],
            auth_origin: None,
            access_logs: vec![],
            tags: Tags::new(),
        });
    }
    plan
}

/// The fewest write calls that build `plan` from empty.
pub fn min_writes(plan: &Plan) -> u64 {
    let sn = plan.service_networks.len() as u64 * 2; // create + VPC association
    let policies = plan
        .service_networks
        .iter()
        .filter(|s| s.auth_policy.is_some())
        .count()
        + plan
            .services
            .iter()
            .filter(|s| s.auth_policy.is_some())
            .count();
    let tgs: u64 = plan
        .target_groups
        .iter()
        // A LAMBDA group's one target is its function.
        .map(|t| 1 + (t.targets.len() + usize::from(t.lambda.is_some())).div_ceil(100) as u64)
        .sum();
    let svcs: u64 = plan
        .services
        .iter()
        .map(|s| {
            1 + s.service_networks.len() as u64
                + s.listeners
                    .iter()
                    .map(|l| 1 + l.rules.len() as u64)
                    .sum::<u64>()
        })
        .sum();
    sn + policies as u64 + tgs + svcs
}

/// The Lattice name of synthetic route `route`'s target group `ab` (`a` or `b`).
pub fn group(route: usize, ab: char) -> String {
    format!("k8s-svc-{route}-{ab}-bench-8080-http-http1")
}

/// `plan` (a [`synthetic_plan`]) with route `i` kept, as a plugin failure
/// under `KeepLastGood` leaves it: its service moved from `services` to
/// `kept`, and its two groups, which no other route uses, out of
/// `target_groups`.
///
/// # Panics
/// If the plan has no route `i`.
pub fn keep(plan: &mut Plan, i: usize) {
    let name = format!("route-{i}-bench");
    let Some(at) = plan.services.iter().position(|s| s.name == name) else {
        panic!("no service {name} in the plan");
    };
    let s = plan.services.remove(at);
    let groups = vec![group(i, 'a'), group(i, 'b')];
    plan.target_groups.retain(|t| !groups.contains(&t.name));
    plan.kept.push(KeptRoute {
        route: s.route,
        route_kind: s.route_kind,
        service: s.name,
        target_groups: groups,
        plugin: "mapping@sha256:00".into(),
        message: "trapped: unreachable".into(),
    });
}
