//! The planning steps one at a time, with scripted stages and hand-built
//! intents; `tests/model.rs` drives the whole flow from manifests.

use std::collections::BTreeMap;

use lattice_plugin_sdk::types::*;

use super::assemble::{Group, plan_groups, plan_intents, rule_plans, use_target_groups};
use super::decide::{AuthDecision, Pass, policy_diag, rules_to_weigh};
use super::types::*;
use super::{StageError, Stages};
use crate::model::{ListenerIntent, RouteIntent, ServiceNetworkIntent, Target, TargetGroupIntent};

/// Stages that answer each input with a plain function; a batch fails
/// whole when one input does, as a trapping plugin would.
struct Scripted {
    map: fn(&Route) -> Result<MappingResult, String>,
    weigh: fn(&RuleBackends) -> Result<WeightingResult, String>,
    auth: fn(&AuthTarget) -> Result<AuthResult, String>,
    /// Every stage's failure policy.
    policy: FailurePolicy,
    /// The built-in plugins, for `UseDefault`.
    fallback: Option<Box<Scripted>>,
}

fn each<I, O>(items: &[I], f: fn(&I) -> Result<O, String>) -> Result<Vec<O>, StageError> {
    items
        .iter()
        .map(|i| {
            f(i).map_err(|message| StageError {
                plugin: String::new(),
                message,
            })
        })
        .collect()
}

impl Stages for Scripted {
    fn provenance(&self, stage: Stage) -> String {
        format!("{}@test", stage.as_str())
    }
    fn map(&self, routes: &[Route]) -> Result<Vec<MappingResult>, StageError> {
        each(routes, self.map)
    }
    fn weigh(&self, rules: &[RuleBackends]) -> Result<Vec<WeightingResult>, StageError> {
        each(rules, self.weigh)
    }
    fn auth(&self, targets: &[AuthTarget]) -> Result<Vec<AuthResult>, StageError> {
        each(targets, self.auth)
    }
    fn failure_policy(&self, _stage: Stage) -> FailurePolicy {
        self.policy
    }
    fn fallback(&self) -> Option<&dyn Stages> {
        self.fallback.as_deref().map(|f| f as &dyn Stages)
    }
}

/// One forwarding rule per route rule, priorities in rule order.
fn forward_every_rule(r: &Route) -> Result<MappingResult, String> {
    let rules = (0..r.rules.len() as u32)
        .map(|ri| mk_rule(ri, ri + 1, RuleAction::Forward))
        .collect();
    Ok(MappingResult {
        rules,
        ..Default::default()
    })
}

/// Every resolved backend, weight 1.
fn forward_to_every_backend(r: &RuleBackends) -> Result<WeightingResult, String> {
    let ts = r
        .backends
        .iter()
        .filter(|b| b.resolution == Resolution::Resolved)
        .map(|b| WeightedTarget {
            target_group: b.target_group.clone(),
            weight: 1,
        })
        .collect();
    Ok(WeightingResult {
        action: WeightedAction::Forward(ts),
        diagnostics: vec![],
    })
}

fn no_auth(_: &AuthTarget) -> Result<AuthResult, String> {
    Ok(AuthResult {
        auth_type: "NONE".into(),
        policy: None,
        diagnostics: vec![],
    })
}

/// Well-behaved stages that fail closed, as the plan did before failure
/// policies; tests of the other policies say so.
fn stages() -> Scripted {
    Scripted {
        map: forward_every_rule,
        weigh: forward_to_every_backend,
        auth: no_auth,
        policy: FailurePolicy::FailClosed,
        fallback: None,
    }
}

fn id(name: &str) -> ObjectRef {
    ObjectRef {
        namespace: "app".into(),
        name: name.into(),
    }
}

fn mk_rule(rule_index: u32, priority: u32, action: RuleAction) -> MappedRule {
    MappedRule {
        rule_index,
        match_index: None,
        priority,
        r#match: LatticeMatch::default(),
        action,
    }
}

fn tg_name(route: &str, rule: usize) -> String {
    format!("k8s-{route}-{rule}")
}

/// An HTTPRoute `app/<name>` on one HTTP listener; rule `i` has one
/// resolved backend, the target group `k8s-<name>-<i>`.
fn mk_route(name: &str, rules: usize) -> RouteIntent {
    let backend = |ri: usize| Backend {
        target_group: tg_name(name, ri),
        display: format!("Service app/web{ri}:80"),
        weight: None,
        resolution: Resolution::Resolved,
        field: format!("spec.rules[{ri}].backendRefs[0]"),
    };
    let target_groups = (0..rules)
        .map(|ri| {
            let tg = TargetGroupIntent {
                name: tg_name(name, ri),
                backend: format!("app/web{ri}:80"),
                port: 80,
                protocol: "HTTP".into(),
                protocol_version: Some("HTTP1".into()),
                targets: vec![Target {
                    ip: "10.0.0.1".into(),
                    port: 8080,
                }],
                health_check: None,
                import: None,
                lambda: None,
            };
            (tg.name.clone(), tg)
        })
        .collect();
    RouteIntent {
        kind: RouteKind::Http,
        id: id(name),
        generation: None,
        service_name: format!("{name}-app"),
        custom_domain_name: None,
        certificate_arn: None,
        listeners: vec![ListenerIntent {
            port: 80,
            protocol: "HTTP".into(),
        }],
        service_networks: vec!["mesh".into()],
        route: Route {
            kind: RouteKind::Http,
            id: id(name),
            hostnames: vec![],
            annotations: vec![],
            rules: vec![RouteRule::default(); rules],
        },
        rules: (0..rules)
            .map(|ri| RuleBackends {
                route: id(name),
                rule_index: ri as u32,
                backends: vec![backend(ri)],
            })
            .collect(),
        target_groups,
        auth: Some(mk_auth_target(
            AuthTargetKind::Service,
            id(name),
            "HTTPRoute",
        )),
        parents: vec![0],
        diagnostics: vec![],
        access_logs: vec![],
        tags: Default::default(),
    }
}

/// A TLSRoute on one passthrough listener: no rules of its own in the plan
/// and no auth policy.
fn mk_tls_route(name: &str) -> RouteIntent {
    let mut r = mk_route(name, 1);
    r.kind = RouteKind::Tls;
    r.route.kind = RouteKind::Tls;
    r.listeners = vec![ListenerIntent {
        port: 443,
        protocol: "TLS_PASSTHROUGH".into(),
    }];
    r.auth = None;
    r
}

fn mk_auth_target(kind: AuthTargetKind, id: ObjectRef, object_kind: &str) -> AuthTarget {
    AuthTarget {
        kind,
        id,
        object_kind: object_kind.into(),
        policies: vec![],
    }
}

fn mk_network(name: &str) -> ServiceNetworkIntent {
    ServiceNetworkIntent {
        name: name.into(),
        gateway: id(name),
        auth: mk_auth_target(AuthTargetKind::ServiceNetwork, id(name), "Gateway"),
        invalid_name: None,
        vpc_association: None,
        access_logs: vec![],
    }
}

fn forwards_to(tgs: &[&str]) -> Action {
    Action::Forward(
        tgs.iter()
            .map(|tg| WeightedTargetGroup {
                target_group: tg.to_string(),
                weight: 1,
            })
            .collect(),
    )
}

fn reasons(diags: &[PlanDiagnostic]) -> Vec<(&str, &str, Option<&str>)> {
    diags
        .iter()
        .map(|d| (d.object.as_str(), d.reason.as_str(), d.plugin.as_deref()))
        .collect()
}

/// Maps every route but `bad`, on which it traps.
fn trap_on_bad(r: &Route) -> Result<MappingResult, String> {
    match r.id.name.as_str() {
        "bad" => Err("trapped".into()),
        _ => forward_every_rule(r),
    }
}

#[test]
fn a_route_whose_mapping_plugin_fails_is_kept_as_lattice_has_it() {
    let s = Scripted {
        map: trap_on_bad,
        policy: FailurePolicy::KeepLastGood,
        ..stages()
    };
    let plan = plan_intents(&[mk_route("bad", 1), mk_route("good", 1)], &[], &s);
    let routes: Vec<&str> = plan.services.iter().map(|s| s.route.as_str()).collect();
    assert_eq!(routes, vec!["app/good"]);
    assert_eq!(
        reasons(&plan.diagnostics),
        vec![("HTTPRoute app/bad", "PluginFailed", Some("mapping@test"))]
    );
    assert!(
        plan.diagnostics[0]
            .message
            .starts_with("trapped; failurePolicy KeepLastGood: VPC Lattice keeps"),
        "{}",
        plan.diagnostics[0].message
    );
    let tgs: Vec<&str> = plan.target_groups.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(tgs, vec!["k8s-good-0"]);
    assert_eq!(
        plan.kept,
        vec![KeptRoute {
            route: "app/bad".into(),
            route_kind: "HTTPRoute".into(),
            service: "bad-app".into(),
            target_groups: vec!["k8s-bad-0".into()],
            plugin: "mapping@test".into(),
            message: "trapped".into(),
        }]
    );
}

#[test]
fn a_route_whose_mapping_fails_closed_answers_500_on_every_listener() {
    let s = Scripted {
        map: trap_on_bad,
        ..stages()
    };
    let plan = plan_intents(&[mk_route("bad", 1)], &[], &s);
    assert!(plan.kept.is_empty());
    let svc = &plan.services[0];
    assert_eq!(svc.route, "app/bad");
    assert!(
        svc.listeners
            .iter()
            .all(|l| l.rules.is_empty() && l.default_action == Action::FixedResponse(500))
    );
    assert!(plan.target_groups.is_empty());
}

#[test]
fn a_route_whose_mapping_fails_under_use_default_is_mapped_by_the_built_in() {
    let s = Scripted {
        map: trap_on_bad,
        policy: FailurePolicy::UseDefault,
        fallback: Some(Box::new(stages())),
        ..stages()
    };
    let plan = plan_intents(&[mk_route("bad", 1)], &[], &s);
    assert!(plan.kept.is_empty());
    assert_eq!(plan.services[0].listeners[0].rules.len(), 1);
    assert_eq!(
        plan.diagnostics
            .iter()
            .map(|d| d.condition.as_str())
            .collect::<Vec<_>>(),
        vec!["PartiallyInvalid"]
    );
    // Without built-in plugins to fall back on, the route is kept.
    let s = Scripted {
        map: trap_on_bad,
        policy: FailurePolicy::UseDefault,
        ..stages()
    };
    assert_eq!(plan_intents(&[mk_route("bad", 1)], &[], &s).kept.len(), 1);
}

#[test]
fn a_weighting_failure_under_keep_last_good_holds_the_whole_route() {
    let s = Scripted {
        weigh: |r| match r.rule_index {
            1 => Err("out of fuel".into()),
            _ => forward_to_every_backend(r),
        },
        policy: FailurePolicy::KeepLastGood,
        ..stages()
    };
    let plan = plan_intents(&[mk_route("r", 2), mk_route("other", 1)], &[], &s);
    let routes: Vec<&str> = plan.services.iter().map(|s| s.route.as_str()).collect();
    assert_eq!(routes, vec!["app/other"]);
    assert_eq!(plan.kept.len(), 1);
    assert_eq!(plan.kept[0].message, "spec.rules[1]: out of fuel");
}

#[test]
fn a_mapping_lattice_would_reject_gets_a_diagnostic_and_no_service() {
    let s = Scripted {
        policy: FailurePolicy::KeepLastGood,
        map: |_| {
            Ok(MappingResult {
                rules: vec![mk_rule(0, 0, RuleAction::Forward)],
                ..Default::default()
            })
        },
        ..stages()
    };
    let plan = plan_intents(&[mk_route("r", 1)], &[], &s);
    assert!(plan.services.is_empty());
    assert_eq!(
        reasons(&plan.diagnostics),
        vec![(
            "HTTPRoute app/r",
            "PluginOutputInvalid",
            Some("mapping@test")
        )]
    );
    assert!(
        plan.diagnostics[0]
            .message
            .starts_with("priority 0 outside 1-2000; failurePolicy KeepLastGood")
    );
    assert_eq!(plan.kept[0].message, "priority 0 outside 1-2000");
}

#[test]
fn weights_are_validated_per_rule() {
    let s = Scripted {
        weigh: |r| match r.rule_index {
            1 => Ok(WeightingResult {
                action: WeightedAction::Forward(vec![WeightedTarget {
                    target_group: "not-a-backend".into(),
                    weight: 1,
                }]),
                diagnostics: vec![],
            }),
            _ => forward_to_every_backend(r),
        },
        ..stages()
    };
    let plan = plan_intents(&[mk_route("r", 2)], &[], &s);
    let actions: Vec<&Action> = plan.services[0].listeners[0]
        .rules
        .iter()
        .map(|r| &r.action)
        .collect();
    assert_eq!(
        actions,
        vec![&forwards_to(&["k8s-r-0"]), &Action::FixedResponse(500)]
    );
    assert_eq!(
        reasons(&plan.diagnostics),
        vec![(
            "HTTPRoute app/r",
            "PluginOutputInvalid",
            Some("weighting@test")
        )]
    );
    assert_eq!(
        plan.diagnostics[0].message,
        "spec.rules[1]: target group \"not-a-backend\" is not one of the rule's backends"
    );
    // The rule that fell back to 500 forwards to nothing.
    let tgs: Vec<&str> = plan.target_groups.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(tgs, vec!["k8s-r-0"]);
}

#[test]
fn a_failed_weighting_answers_500_for_its_rule_only() {
    let s = Scripted {
        weigh: |r| match r.rule_index {
            0 => Err("out of fuel".into()),
            _ => forward_to_every_backend(r),
        },
        ..stages()
    };
    let routes = [mk_route("r", 2)];
    let mapped = vec![forward_every_rule(&routes[0].route).ok()];
    let mut pass = Pass::new(&s);
    let actions = pass.weigh_rules(&routes, &mapped);
    assert_eq!(actions.of(0, 0), Action::FixedResponse(500));
    assert_eq!(actions.of(0, 1), forwards_to(&["k8s-r-1"]));
    assert_eq!(
        reasons(&pass.diagnostics),
        vec![("HTTPRoute app/r", "PluginFailed", Some("weighting@test"))]
    );
    assert_eq!(pass.diagnostics[0].message, "spec.rules[0]: out of fuel");
}

#[test]
fn a_rule_nobody_weighed_answers_500() {
    let actions = Pass::new(&stages()).weigh_rules(&[], &[]);
    assert_eq!(actions.of(3, 1), Action::FixedResponse(500));
}

#[test]
fn only_forwarding_rules_and_default_rules_are_weighed_once_each() {
    let mapped = vec![
        Some(MappingResult {
            rules: vec![
                mk_rule(0, 1, RuleAction::Forward),
                MappedRule {
                    match_index: Some(1),
                    ..mk_rule(0, 2, RuleAction::Forward)
                },
                mk_rule(1, 3, RuleAction::FixedResponse(404)),
                mk_rule(2, 4, RuleAction::Forward),
            ],
            default_rule: Some(2),
            diagnostics: vec![],
        }),
        None,
        Some(MappingResult {
            default_rule: Some(0),
            ..Default::default()
        }),
    ];
    assert_eq!(rules_to_weigh(&mapped), vec![(0, 0), (0, 2), (2, 0)]);
}

#[test]
fn only_mapped_routes_that_take_a_policy_are_asked_for_auth() {
    let s = Scripted {
        auth: |t| {
            Ok(AuthResult {
                auth_type: "AWS_IAM".into(),
                policy: Some(format!("{{\"for\":\"{}\"}}", t.id)),
                diagnostics: vec![],
            })
        },
        ..stages()
    };
    let routes = [mk_route("a", 1), mk_route("unmapped", 1), mk_tls_route("t")];
    let mapped = vec![
        Some(MappingResult::default()),
        None,
        Some(MappingResult::default()),
    ];
    let mut pass = Pass::new(&s);
    let (networks, per_route) = pass.decide_auth(&routes, &mapped, &[mk_network("mesh")]);
    let policy = |d: &AuthDecision| match d {
        AuthDecision::Decided(a) => a.policy.clone(),
        other => Some(format!("{other:?}")),
    };
    assert_eq!(
        networks.iter().map(policy).collect::<Vec<_>>(),
        vec![Some("{\"for\":\"app/mesh\"}".to_string())]
    );
    assert_eq!(
        per_route.iter().map(policy).collect::<Vec<_>>(),
        vec![
            Some("{\"for\":\"app/a\"}".to_string()),
            Some("NotAsked".to_string()),
            Some("NotAsked".to_string())
        ]
    );
    assert!(pass.diagnostics.is_empty());
}

#[test]
fn a_failed_auth_plugin_fails_closed_with_no_origin() {
    let s = Scripted {
        auth: |t| match t.kind {
            AuthTargetKind::Service => Err("trapped".into()),
            AuthTargetKind::ServiceNetwork => no_auth(t),
        },
        ..stages()
    };
    let plan = plan_intents(&[mk_route("r", 1)], &[mk_network("mesh")], &s);
    let svc = &plan.services[0];
    assert_eq!(
        (svc.auth_type.as_str(), &svc.auth_policy, &svc.auth_origin),
        ("AWS_IAM", &None, &None)
    );
    let sn = &plan.service_networks[0];
    assert_eq!(
        (sn.auth_type.as_str(), sn.auth_origin.as_deref()),
        ("NONE", Some("auth@test"))
    );
    assert_eq!(
        reasons(&plan.diagnostics),
        vec![("HTTPRoute app/r", "PluginFailed", Some("auth@test"))]
    );
}

#[test]
fn a_service_the_auth_stage_was_not_asked_about_takes_no_policy() {
    assert_eq!(
        AuthDecision::NotAsked.into_fields("auth@test"),
        ("NONE".to_string(), None, None)
    );
}

#[test]
fn auth_diagnostics_about_a_policy_belong_to_that_policy() {
    let mut target = mk_auth_target(AuthTargetKind::Service, id("r"), "HTTPRoute");
    target.policies.push(IamAuthPolicy {
        id: id("p"),
        creation_timestamp: String::new(),
        policy: "{}".into(),
    });
    let at = |field: &str| {
        let d = lattice_plugin_sdk::diagnostic("Accepted", "Conflicted", field, "m");
        let d = policy_diag(&target, d, "auth@test");
        (d.object, d.field)
    };
    assert_eq!(
        at("policies[0].spec.targetRef"),
        ("IAMAuthPolicy app/p".into(), "spec.targetRef".into())
    );
    assert_eq!(
        at("policies[0]"),
        ("IAMAuthPolicy app/p".into(), String::new())
    );
    // No such policy: the diagnostic stays on the target, field and all.
    assert_eq!(
        at("policies[1]"),
        ("HTTPRoute app/r".into(), "policies[1]".into())
    );
    assert_eq!(at("spec"), ("HTTPRoute app/r".into(), "spec".into()));
}

#[test]
fn rules_are_ordered_by_priority_and_name_the_plugins_that_decided_them() {
    let m = MappingResult {
        rules: vec![
            mk_rule(1, 7, RuleAction::FixedResponse(404)),
            mk_rule(0, 3, RuleAction::Forward),
        ],
        ..Default::default()
    };
    let rules = rule_plans(
        &m,
        |ri| forwards_to(&[&tg_name("r", ri as usize)]),
        &Pass::new(&stages()).plugins,
    );
    let got: Vec<(u32, &Action, Option<&str>)> = rules
        .iter()
        .map(|r| (r.priority, &r.action, r.origin.weighting.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![
            (3, &forwards_to(&["k8s-r-0"]), Some("weighting@test")),
            (7, &Action::FixedResponse(404), None),
        ]
    );
    assert!(rules.iter().all(|r| &*r.origin.plugin == "mapping@test"));
}

#[test]
fn an_http_listener_carries_every_rule_and_answers_404_otherwise() {
    let r = mk_route("r", 1);
    let m = forward_every_rule(&r.route).unwrap_or_default();
    let s = stages();
    let mut pass = Pass::new(&s);
    let rules = rule_plans(&m, |_| forwards_to(&["k8s-r-0"]), &pass.plugins);
    let listeners = pass.listener_plans(&r, &m, &rules, |_| unreachable!());
    assert_eq!(listeners.len(), 1);
    assert_eq!(listeners[0].default_action, Action::FixedResponse(404));
    assert_eq!(listeners[0].rules, rules);
    assert!(pass.diagnostics.is_empty());
}

#[test]
fn a_passthrough_listener_forwards_by_its_default_rule_or_is_left_out() {
    let r = mk_tls_route("t");
    let with_default = MappingResult {
        default_rule: Some(0),
        ..Default::default()
    };
    let s = stages();
    let mut pass = Pass::new(&s);
    let forwarding = pass.listener_plans(&r, &with_default, &[], |_| forwards_to(&["x"]));
    assert_eq!(forwarding[0].default_action, forwards_to(&["x"]));
    assert!(forwarding[0].rules.is_empty());
    assert!(pass.diagnostics.is_empty());

    let answering = |_| Action::FixedResponse(500);
    assert!(
        pass.listener_plans(&r, &with_default, &[], answering)
            .is_empty()
    );
    assert_eq!(
        reasons(&pass.diagnostics),
        vec![("TLSRoute app/t", "UnsupportedValue", None)]
    );

    let mut pass = Pass::new(&s);
    let without = MappingResult::default();
    assert!(pass.listener_plans(&r, &without, &[], answering).is_empty());
    assert!(pass.diagnostics.is_empty());
}

#[test]
fn a_target_group_lists_each_route_that_forwards_to_it_once() {
    let r = mk_route("r", 1);
    let listener = |port| ListenerPlan {
        port,
        protocol: "HTTP".into(),
        default_action: forwards_to(&["k8s-r-0", "not-the-routes"]),
        rules: vec![],
    };
    let mut tgs = BTreeMap::new();
    use_target_groups(&r, &[listener(80), listener(8080)], &mut tgs);
    let got: Vec<(&str, &[String])> = tgs
        .values()
        .map(|t| (t.name.as_str(), t.routes.as_slice()))
        .collect();
    assert_eq!(got, vec![("k8s-r-0", &["app/r".to_string()][..])]);
}

#[test]
fn a_route_with_no_listener_left_gets_no_service_and_no_target_group() {
    let mut r = mk_route("r", 1);
    r.listeners.clear();
    let plan = plan_intents(&[r], &[], &stages());
    assert!(plan.services.is_empty());
    assert!(plan.target_groups.is_empty());
}

#[test]
fn a_gateway_whose_name_lattice_rejects_gets_a_diagnostic_and_no_service_network() {
    let mut bad = mk_network("Bad");
    bad.invalid_name = Some("is not lower-case".into());
    let sns = [bad, mk_network("mesh")];
    let auth = vec![AuthDecision::Failed, AuthDecision::Failed];
    let s = stages();
    let mut pass = Pass::new(&s);
    let plans = pass.service_network_plans(&sns, auth);
    let names: Vec<&str> = plans.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, vec!["mesh"]);
    assert_eq!(plans[0].auth_type, "AWS_IAM");
    assert_eq!(
        reasons(&pass.diagnostics),
        vec![("Gateway app/Bad", "UnsupportedValue", None)]
    );
    assert_eq!(
        pass.diagnostics[0].message,
        "VPC Lattice service network name is not lower-case"
    );
}

#[test]
fn diagnostics_several_steps_find_are_reported_once_in_order() {
    let mut r = mk_route("r", 1);
    let d = lattice_plugin_sdk::diagnostic("Accepted", "Zed", "spec", "m");
    r.diagnostics = vec![
        d.clone(),
        d,
        lattice_plugin_sdk::diagnostic("Accepted", "Abc", "", "m"),
    ];
    let plan = plan_intents(&[r], &[], &stages());
    let got: Vec<&str> = plan.diagnostics.iter().map(|d| d.reason.as_str()).collect();
    assert_eq!(got, vec!["Abc", "Zed"]);
}

/// A copy of `mk_route(from, rules)` named `name`: same backends, so the
/// same target groups.
fn twin(name: &str, from: &str, rules: usize) -> RouteIntent {
    let mut r = mk_route(from, rules);
    r.id = id(name);
    r.route.id = id(name);
    r.service_name = format!("{name}-app");
    r
}

#[test]
fn routes_planned_in_groups_give_the_plan_of_one_group_when_the_plugins_agree() {
    let routes = [mk_route("a", 2), twin("b", "a", 2), mk_route("c", 1)];
    let networks = [mk_network("mesh")];
    let s = stages();
    let whole = plan_intents(&routes, &networks, &s);
    let grouped = plan_groups(&[
        Group {
            stages: &s,
            routes: &routes[1..],
            service_networks: &[],
        },
        Group {
            stages: &s,
            routes: &routes[..1],
            service_networks: &networks,
        },
    ]);
    assert_eq!(grouped, whole);
    let shared = &grouped.target_groups[0];
    assert_eq!(
        (shared.name.as_str(), shared.routes.clone()),
        ("k8s-a-0", vec!["app/a".to_string(), "app/b".to_string()])
    );
}

#[test]
fn each_group_is_decided_by_its_own_plugins_and_failure_policy() {
    let routes = [mk_route("a", 1), twin("bad", "a", 1)];
    let good = stages();
    let trapping = Scripted {
        map: |_| Err("trapped".into()),
        policy: FailurePolicy::KeepLastGood,
        ..stages()
    };
    let plan = plan_groups(&[
        Group {
            stages: &good,
            routes: &routes[..1],
            service_networks: &[],
        },
        Group {
            stages: &trapping,
            routes: &routes[1..],
            service_networks: &[],
        },
    ]);
    let services: Vec<&str> = plan.services.iter().map(|s| s.route.as_str()).collect();
    assert_eq!(services, vec!["app/a"]);
    let kept: Vec<&str> = plan.kept.iter().map(|k| k.route.as_str()).collect();
    assert_eq!(kept, vec!["app/bad"]);
    // The kept route's target group is the good route's too: planned once.
    assert_eq!(plan.target_groups.len(), 1);
    assert_eq!(plan.target_groups[0].routes, vec!["app/a".to_string()]);
}

fn tags(pairs: &[(&str, &str)]) -> crate::plan::Tags {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn a_routes_tags_are_its_services_and_its_target_groups() {
    let mut r = mk_route("a", 2);
    r.tags = tags(&[("Team", "books")]);
    let plan = plan_intents(&[r], &[mk_network("mesh")], &stages());
    assert_eq!(plan.services[0].tags, tags(&[("Team", "books")]));
    for tg in &plan.target_groups {
        assert_eq!(tg.tags, tags(&[("Team", "books")]), "{}", tg.name);
    }
    assert_eq!(plan.service_networks[0].tags, None);
}

#[test]
fn a_shared_target_group_has_its_routes_tags_the_first_route_winning_a_key() {
    let mut a = mk_route("a", 1);
    a.tags = tags(&[("Team", "a"), ("Env", "prod")]);
    let mut b = twin("b", "a", 1);
    b.tags = tags(&[("Team", "b"), ("Cost", "42")]);
    let s = stages();
    let whole = plan_intents(&[b.clone(), a.clone()], &[], &s);
    assert_eq!(
        whole.target_groups[0].tags,
        tags(&[("Cost", "42"), ("Env", "prod"), ("Team", "a")])
    );
    // However the routes are grouped.
    let grouped = plan_groups(&[
        Group {
            stages: &s,
            routes: std::slice::from_ref(&b),
            service_networks: &[],
        },
        Group {
            stages: &s,
            routes: std::slice::from_ref(&a),
            service_networks: &[],
        },
    ]);
    assert_eq!(grouped, whole);
}

#[test]
fn a_route_without_tags_adds_none_to_a_shared_target_group() {
    let mut a = mk_route("a", 1);
    a.tags = tags(&[("Team", "a")]);
    let plan = plan_intents(&[a, twin("b", "a", 1)], &[], &stages());
    assert_eq!(plan.target_groups[0].tags, tags(&[("Team", "a")]));
    assert!(plan.services[1].tags.is_empty());
}
