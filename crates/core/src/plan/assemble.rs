//! Combines the stages' answers into the plan: service networks, services
//! with their listeners and rules, and the target groups they forward to.

use std::collections::BTreeMap;

use lattice_plugin_sdk::types::*;

use super::Stages;
use super::decide::{AuthDecision, Pass, Plugins, RuleActions, route_object};
use super::input::PlanInput;
use super::types::*;
use crate::config::ClusterConfig;
use crate::model::{RouteIntent, ServiceNetworkIntent, TargetGroupIntent, naming};
use crate::snapshot::Snapshot;

/// Plans a whole snapshot.
pub fn build_plan(snapshot: &Snapshot, cfg: &ClusterConfig, stages: &dyn Stages) -> Plan {
    let input = PlanInput::from_snapshot(snapshot, cfg);
    let mut plan = plan_intents(&input.routes, &input.service_networks, stages);
    plan.declared_service_networks = crate::model::service_network::all_declared(snapshot);
    let (exports, diagnostics) = crate::model::service_export::all_declared(snapshot, cfg);
    with_exports(plan, exports, diagnostics)
}

/// `plan` with the target groups of ServiceExports, and what is wrong with
/// them, in the plan's order.
pub fn with_exports(
    mut plan: Plan,
    exports: Vec<TargetGroupPlan>,
    diagnostics: Vec<PlanDiagnostic>,
) -> Plan {
    if exports.is_empty() && diagnostics.is_empty() {
        return plan;
    }
    plan.target_groups.extend(exports);
    plan.target_groups.sort_by(|a, b| a.name.cmp(&b.name));
    plan.diagnostics.extend(diagnostics);
    plan.diagnostics.sort();
    plan
}

/// Plans resolved routes and service networks through the stages.
pub fn plan_intents(
    routes: &[RouteIntent],
    sns: &[ServiceNetworkIntent],
    stages: &dyn Stages,
) -> Plan {
    let mut pass = Pass::new(stages);
    pass.model_diagnostics(routes);
    let mapped = pass.map_routes(routes);
    let actions = pass.weigh_rules(routes, &mapped);
    let (network_auth, route_auth) = pass.decide_auth(routes, &mapped, sns);
    let service_networks = pass.service_network_plans(sns, network_auth);
    let (services, target_groups) = pass.service_plans(routes, mapped, &actions, route_auth);
    let kept = pass.kept_routes(routes);
    in_stable_order(Plan {
        services,
        target_groups,
        service_networks,
        diagnostics: pass.diagnostics,
        kept,
        declared_service_networks: vec![],
    })
}

/// Routes and service networks decided by the same plugins.
pub struct Group<'a> {
    /// The plugins that decide them.
    pub stages: &'a dyn Stages,
    /// The routes.
    pub routes: &'a [RouteIntent],
    /// The service networks.
    pub service_networks: &'a [ServiceNetworkIntent],
}

/// Plans each group through its own plugins and merges the plans: what the
/// controller does when plugin objects give routes different plugins. The
/// same input always gives the same plan, however it is grouped.
pub fn plan_groups(groups: &[Group<'_>]) -> Plan {
    let plans = groups
        .iter()
        .map(|g| plan_intents(g.routes, g.service_networks, g.stages));
    merge(plans)
}

/// One plan from plans of disjoint routes and service networks. A target
/// group several plans use is one group, used by all their routes.
pub fn merge(plans: impl IntoIterator<Item = Plan>) -> Plan {
    let mut out = Plan::default();
    let mut target_groups: BTreeMap<String, TargetGroupPlan> = BTreeMap::new();
    for p in plans {
        out.services.extend(p.services);
        out.service_networks.extend(p.service_networks);
        out.diagnostics.extend(p.diagnostics);
        out.kept.extend(p.kept);
        for tg in p.target_groups {
            match target_groups.get_mut(&tg.name) {
                Some(held) => held.routes.extend(tg.routes),
                None => {
                    target_groups.insert(tg.name.clone(), tg);
                }
            }
        }
    }
    out.target_groups = target_groups.into_values().collect();
    for tg in &mut out.target_groups {
        tg.routes.sort();
        tg.routes.dedup();
    }
    out.service_networks
        .sort_by(|a, b| a.gateway.cmp(&b.gateway));
    in_stable_order(out)
}

/// Sorts what the steps left in input order, and drops diagnostics that
/// several steps found: the same input always prints the same plan.
fn in_stable_order(mut plan: Plan) -> Plan {
    for tg in &mut plan.target_groups {
        tg.routes.sort();
    }
    // Routes of two kinds may share a namespace and name (issue 15: their
    // order then depended on how the routes were grouped).
    plan.services.sort_by(|a, b| {
        (&a.name, &a.route, &a.route_kind).cmp(&(&b.name, &b.route, &b.route_kind))
    });
    plan.diagnostics.sort();
    plan.diagnostics.dedup();
    plan.kept.sort();
    target_group_tags(&mut plan);
    plan
}

/// Each target group's tags: its routes' together, the first route (by
/// `namespace/name`) winning a key that two of them set. Worked out from
/// the services each time, so merged plans agree with one plan of all.
fn target_group_tags(plan: &mut Plan) {
    let Plan {
        services,
        target_groups,
        ..
    } = plan;
    let mut by_route: BTreeMap<&str, Vec<&Tags>> = BTreeMap::new();
    for s in services.iter().filter(|s| !s.tags.is_empty()) {
        by_route.entry(s.route.as_str()).or_default().push(&s.tags);
    }
    for tg in target_groups.iter_mut() {
        let mut of: Vec<(&str, &Tags)> = Vec::new();
        for r in &tg.routes {
            let tags = by_route.get(r.as_str()).into_iter().flatten();
            of.extend(tags.map(|t| (r.as_str(), *t)));
        }
        tg.tags = crate::model::tags::of_routes(of);
    }
}

/// A diagnostic of ours, not a plugin's: what Lattice cannot express.
fn unsupported(object: String, field: &str, message: String) -> PlanDiagnostic {
    PlanDiagnostic {
        object,
        condition: "Accepted".into(),
        reason: "UnsupportedValue".into(),
        message,
        field: field.into(),
        plugin: None,
    }
}

impl Pass<'_> {
    /// One service network per Gateway whose name Lattice accepts.
    pub fn service_network_plans(
        &mut self,
        sns: &[ServiceNetworkIntent],
        auth: Vec<AuthDecision>,
    ) -> Vec<ServiceNetworkPlan> {
        let mut out = Vec::new();
        for (sn, auth) in sns.iter().zip(auth) {
            if let Some(why) = &sn.invalid_name {
                self.diagnostics.push(unsupported(
                    format!("Gateway {}", sn.gateway),
                    "metadata.name",
                    format!("VPC Lattice service network name {why}"),
                ));
                continue;
            }
            let (auth_type, auth_policy, auth_origin) = auth.into_fields(&self.plugins.auth);
            out.push(ServiceNetworkPlan {
                name: sn.name.clone(),
                gateway: sn.gateway.to_string(),
                auth_type,
                auth_policy,
                auth_origin,
                vpc_association: sn.vpc_association.clone(),
                access_logs: sn.access_logs.clone(),
                tags: None,
            });
        }
        out
    }

    /// One service per mapped route that has a listener left, and the target
    /// groups its listeners forward to, each shared by the routes that use it.
    fn service_plans(
        &mut self,
        routes: &[RouteIntent],
        mapped: Vec<Option<MappingResult>>,
        actions: &RuleActions,
        auth: Vec<AuthDecision>,
    ) -> (Vec<ServicePlan>, Vec<TargetGroupPlan>) {
        let mut services = Vec::new();
        let mut target_groups = BTreeMap::new();
        for (i, ((r, m), auth)) in routes.iter().zip(mapped).zip(auth).enumerate() {
            if self.kept.contains_key(&i) {
                continue;
            }
            if self.closed.contains(&i) {
                services.extend(closed_service(r));
                continue;
            }
            let Some(m) = m else { continue };
            let action_of = |ri: u32| actions.of(i, ri);
            let rules = rule_plans(&m, action_of, &self.plugins);
            let listeners = self.listener_plans(r, &m, &rules, action_of);
            if listeners.is_empty() {
                continue;
            }
            use_target_groups(r, &listeners, &mut target_groups);
            services.push(service_plan(r, listeners, auth, &self.plugins.auth));
        }
        (services, target_groups.into_values().collect())
    }

    /// What a failing plugin holds as Lattice has it, route by route.
    fn kept_routes(&self, routes: &[RouteIntent]) -> Vec<KeptRoute> {
        self.kept
            .iter()
            .map(|(&i, (plugin, message))| {
                let r = &routes[i];
                KeptRoute {
                    route: r.id.to_string(),
                    route_kind: r.kind.kind_name().into(),
                    service: r.service_name.clone(),
                    target_groups: r.target_groups.values().map(|t| t.name.clone()).collect(),
                    plugin: plugin.clone(),
                    message: message.clone(),
                }
            })
            .collect()
    }

    /// The route's listeners. An HTTP(S) listener carries the rules and
    /// answers 404 otherwise; a TLS passthrough listener has only a default
    /// action, the default rule's, and Lattice lets it only forward.
    pub fn listener_plans(
        &mut self,
        r: &RouteIntent,
        m: &MappingResult,
        rules: &[RulePlan],
        action_of: impl Fn(u32) -> Action,
    ) -> Vec<ListenerPlan> {
        let mut listeners = Vec::new();
        for l in &r.listeners {
            let listener = |default_action, rules| ListenerPlan {
                port: l.port,
                protocol: l.protocol.clone(),
                default_action,
                rules,
            };
            if l.protocol != "TLS_PASSTHROUGH" {
                listeners.push(listener(Action::FixedResponse(404), rules.to_vec()));
                continue;
            }
            match m.default_rule.map(&action_of) {
                Some(a @ Action::Forward(_)) => listeners.push(listener(a, vec![])),
                // Unresolved backends leave the route accepted, its
                // `ResolvedRefs` saying why (Gateway API); a plugin that
                // answers passthrough with a fixed response is refused.
                Some(Action::FixedResponse(_)) if !self.unresolved(r) => {
                    self.diagnostics.push(unsupported(
                        route_object(r),
                        "spec.rules[0].backendRefs",
                        "a TLS_PASSTHROUGH listener can only forward, and the rule has no valid backend"
                            .into(),
                    ))
                }
                Some(Action::FixedResponse(_)) => {}
                None => {}
            }
        }
        listeners
    }
}

impl Pass<'_> {
    /// Whether the pass already says that some backend of `r` is unresolved.
    fn unresolved(&self, r: &RouteIntent) -> bool {
        let object = route_object(r);
        self.diagnostics
            .iter()
            .any(|d| d.object == object && d.condition == "ResolvedRefs")
    }
}

/// The listener rules of a mapped route, by priority.
pub(super) fn rule_plans(
    m: &MappingResult,
    action_of: impl Fn(u32) -> Action,
    plugins: &Plugins,
) -> Vec<RulePlan> {
    let mut rules: Vec<RulePlan> = m
        .rules
        .iter()
        .map(|mr| RulePlan {
            priority: mr.priority,
            r#match: match_plan(&mr.r#match),
            action: match mr.action {
                RuleAction::Forward => action_of(mr.rule_index),
                RuleAction::FixedResponse(c) => Action::FixedResponse(c),
            },
            origin: Origin {
                rule_index: mr.rule_index,
                match_index: mr.match_index,
                plugin: plugins.mapping.clone(),
                weighting: (mr.action == RuleAction::Forward).then(|| plugins.weighting.clone()),
            },
        })
        .collect();
    rules.sort_by_key(|r| r.priority);
    rules
}

/// Adds the target groups `listeners` forward to, and records the route on
/// each.
pub(super) fn use_target_groups(
    r: &RouteIntent,
    listeners: &[ListenerPlan],
    target_groups: &mut BTreeMap<String, TargetGroupPlan>,
) {
    let route = r.id.to_string();
    let actions = listeners.iter().flat_map(|l| {
        l.rules
            .iter()
            .map(|rule| &rule.action)
            .chain([&l.default_action])
    });
    for a in actions {
        let Action::Forward(ts) = a else { continue };
        for t in ts {
            let Some(tg) = r.target_groups.get(&t.target_group) else {
                continue;
            };
            let e = target_groups
                .entry(tg.name.clone())
                .or_insert_with(|| target_group_plan(tg));
            if !e.routes.contains(&route) {
                e.routes.push(route.clone());
            }
        }
    }
}

/// A target group with no routes yet.
fn target_group_plan(tg: &TargetGroupIntent) -> TargetGroupPlan {
    TargetGroupPlan {
        name: tg.name.clone(),
        backend: tg.backend.clone(),
        port: tg.port,
        protocol: tg.protocol.clone(),
        protocol_version: tg.protocol_version.clone(),
        targets: tg
            .targets
            .iter()
            .map(|t| TargetPlan {
                ip: t.ip.clone(),
                port: t.port,
            })
            .collect(),
        routes: vec![],
        health_check: tg.health_check.clone().map(Box::new),
        tags: Default::default(),
        export: None,
        import: tg.import.clone().map(Box::new),
        lambda: tg.lambda.clone().map(Box::new),
    }
}

/// A route whose mapping failed under `FailClosed`: its HTTP(S) listeners
/// answer 500 to everything (a TLS passthrough listener can only forward, so
/// it has none). No listener left, no service.
fn closed_service(r: &RouteIntent) -> Option<ServicePlan> {
    let listeners: Vec<ListenerPlan> = r
        .listeners
        .iter()
        .filter(|l| l.protocol != "TLS_PASSTHROUGH")
        .map(|l| ListenerPlan {
            port: l.port,
            protocol: l.protocol.clone(),
            default_action: Action::FixedResponse(500),
            rules: vec![],
        })
        .collect();
    (!listeners.is_empty()).then(|| service_plan(r, listeners, AuthDecision::NotAsked, ""))
}

fn service_plan(
    r: &RouteIntent,
    listeners: Vec<ListenerPlan>,
    auth: AuthDecision,
    auth_plugin: &str,
) -> ServicePlan {
    let (auth_type, auth_policy, auth_origin) = auth.into_fields(auth_plugin);
    ServicePlan {
        name: r.service_name.clone(),
        route: r.id.to_string(),
        route_kind: r.kind.kind_name().into(),
        custom_domain_name: r.custom_domain_name.clone(),
        certificate_arn: r.certificate_arn.clone(),
        auth_type,
        auth_policy,
        service_networks: r.service_networks.clone(),
        listeners,
        auth_origin,
        allow_takeover_from: r
            .route
            .annotation(naming::ALLOW_TAKEOVER_FROM)
            .map(str::to_owned),
        access_logs: r.access_logs.clone(),
        tags: r.tags.clone(),
    }
}

fn match_plan(m: &LatticeMatch) -> MatchPlan {
    MatchPlan {
        method: m.method.clone(),
        path: m.path.as_ref().map(|p| PathMatchPlan {
            r#type: match p.path_type {
                LatticePathType::Exact => "exact",
                LatticePathType::Prefix => "prefix",
            }
            .into(),
            value: p.value.clone(),
            case_sensitive: p.case_sensitive,
        }),
        headers: m
            .headers
            .iter()
            .map(|h| HeaderMatchPlan {
                name: h.name.clone(),
                r#type: match h.header_type {
                    LatticeHeaderType::Exact => "exact",
                    LatticeHeaderType::Prefix => "prefix",
                    LatticeHeaderType::Contains => "contains",
                }
                .into(),
                value: h.value.clone(),
                case_sensitive: h.case_sensitive,
            })
            .collect(),
    }
}
