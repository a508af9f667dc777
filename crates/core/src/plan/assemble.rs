//! Runs the stages over resolved routes and combines their answers.

use std::collections::{BTreeMap, BTreeSet};

use lattice_plugin_sdk::types::*;

use super::types::*;
use super::{Stages, batched, validate};
use crate::config::ClusterConfig;
use crate::model::{self, RouteIntent, ServiceNetworkIntent};
use crate::snapshot::Snapshot;

/// Resolved inputs of a plan.
pub struct PlanInput {
    /// Routes with a parent Gateway of ours.
    pub routes: Vec<RouteIntent>,
    /// Gateways of ours.
    pub service_networks: Vec<ServiceNetworkIntent>,
}

impl PlanInput {
    /// Resolves every route and Gateway in the snapshot.
    pub fn from_snapshot(snapshot: &Snapshot, cfg: &ClusterConfig) -> Self {
        let routes = model::route_views(snapshot)
            .iter()
            .filter_map(|v| model::resolve_route(snapshot, cfg, v))
            .collect();
        PlanInput {
            routes,
            service_networks: model::service_networks(snapshot),
        }
    }
}

impl PlanInput {
    /// Resolves only the given routes and Gateways: what an index change
    /// made dirty. Routes that no longer exist are simply absent.
    pub fn for_changes(
        snapshot: &Snapshot,
        cfg: &ClusterConfig,
        dirty: &crate::index::Dirty,
    ) -> Self {
        let routes = dirty
            .routes
            .iter()
            .filter_map(|rk| crate::index::route_view(snapshot, rk))
            .filter_map(|v| model::resolve_route(snapshot, cfg, &v))
            .collect();
        let service_networks = model::service_networks(snapshot)
            .into_iter()
            .filter(|sn| {
                dirty
                    .gateways
                    .contains(&(sn.gateway.namespace.clone(), sn.gateway.name.clone()))
            })
            .collect();
        PlanInput {
            routes,
            service_networks,
        }
    }
}

/// Plans a whole snapshot.
pub fn build_plan(snapshot: &Snapshot, cfg: &ClusterConfig, stages: &dyn Stages) -> Plan {
    let input = PlanInput::from_snapshot(snapshot, cfg);
    plan_intents(&input.routes, &input.service_networks, stages)
}

fn route_object(r: &RouteIntent) -> String {
    format!("{} {}", r.kind.kind_name(), r.id)
}

fn diag(object: &str, d: Diagnostic, plugin: Option<&str>) -> PlanDiagnostic {
    PlanDiagnostic {
        object: object.to_string(),
        condition: d.condition,
        reason: d.reason,
        message: d.message,
        field: d.field,
        plugin: plugin.map(str::to_string),
    }
}

fn failure(object: &str, reason: &str, plugin: &str, message: String) -> PlanDiagnostic {
    PlanDiagnostic {
        object: object.to_string(),
        condition: "Accepted".into(),
        reason: reason.into(),
        message,
        field: String::new(),
        plugin: Some(plugin.to_string()),
    }
}

/// Plans resolved routes and service networks through the stages.
pub fn plan_intents(
    routes: &[RouteIntent],
    sns: &[ServiceNetworkIntent],
    stages: &dyn Stages,
) -> Plan {
    let mut plan = Plan::default();
    let (p_map, p_weigh, p_auth) = (
        stages.provenance(Stage::Mapping),
        stages.provenance(Stage::Weighting),
        stages.provenance(Stage::Auth),
    );
    for r in routes {
        let object = route_object(r);
        plan.diagnostics.extend(
            r.diagnostics
                .iter()
                .cloned()
                .map(|d| diag(&object, d, None)),
        );
    }

    // Mapping.
    let inputs: Vec<Route> = routes.iter().map(|r| r.route.clone()).collect();
    let mapped: Vec<Option<MappingResult>> = batched(&inputs, |c| stages.map(c))
        .into_iter()
        .zip(routes)
        .map(|(res, r)| {
            let object = route_object(r);
            let res = match res {
                Ok(res) => res,
                Err(e) => {
                    plan.diagnostics
                        .push(failure(&object, "PluginFailed", &p_map, e.message));
                    return None;
                }
            };
            if let Err(why) = validate::mapping(&r.route, &res) {
                plan.diagnostics
                    .push(failure(&object, "PluginOutputInvalid", &p_map, why));
                return None;
            }
            plan.diagnostics.extend(
                res.diagnostics
                    .iter()
                    .cloned()
                    .map(|d| diag(&object, d, Some(&p_map))),
            );
            Some(res)
        })
        .collect();

    // Weighting: only the rules a mapped rule forwards for.
    let mut wanted: Vec<(usize, u32)> = Vec::new();
    for (i, m) in mapped.iter().enumerate() {
        let Some(m) = m else { continue };
        let mut rules: BTreeSet<u32> = m
            .rules
            .iter()
            .filter(|r| r.action == RuleAction::Forward)
            .map(|r| r.rule_index)
            .collect();
        rules.extend(m.default_rule);
        wanted.extend(rules.into_iter().map(|ri| (i, ri)));
    }
    let w_inputs: Vec<RuleBackends> = wanted
        .iter()
        .map(|&(i, ri)| routes[i].rules[ri as usize].clone())
        .collect();
    let mut actions: BTreeMap<(usize, u32), Action> = BTreeMap::new();
    for (res, &(i, ri)) in batched(&w_inputs, |c| stages.weigh(c))
        .into_iter()
        .zip(&wanted)
    {
        let r = &routes[i];
        let object = route_object(r);
        let known: BTreeSet<&str> = r.rules[ri as usize]
            .backends
            .iter()
            .filter(|b| b.resolution == Resolution::Resolved)
            .map(|b| b.target_group.as_str())
            .collect();
        let action = match res
            .map_err(|e| ("PluginFailed", e.message))
            .and_then(|res| {
                validate::weighting(&known, &res)
                    .map(|_| res)
                    .map_err(|why| ("PluginOutputInvalid", why))
            }) {
            Ok(res) => {
                plan.diagnostics.extend(
                    res.diagnostics
                        .into_iter()
                        .map(|d| diag(&object, d, Some(&p_weigh))),
                );
                match res.action {
                    WeightedAction::Forward(ts) => Action::Forward(
                        ts.into_iter()
                            .map(|t| WeightedTargetGroup {
                                target_group: t.target_group,
                                weight: t.weight,
                            })
                            .collect(),
                    ),
                    WeightedAction::FixedResponse(c) => Action::FixedResponse(c),
                }
            }
            // Fail closed: the rule answers 500 rather than guessing targets.
            Err((reason, why)) => {
                plan.diagnostics.push(failure(
                    &object,
                    reason,
                    &p_weigh,
                    format!("spec.rules[{ri}]: {why}"),
                ));
                Action::FixedResponse(500)
            }
        };
        actions.insert((i, ri), action);
    }

    // Auth: service networks first, then route services.
    let mut a_inputs: Vec<AuthTarget> = sns.iter().map(|s| s.auth.clone()).collect();
    let route_auth: Vec<usize> = (0..routes.len())
        .filter(|&i| mapped[i].is_some() && routes[i].auth.is_some())
        .collect();
    a_inputs.extend(route_auth.iter().filter_map(|&i| routes[i].auth.clone()));
    let mut auths: Vec<Option<AuthResult>> = Vec::with_capacity(a_inputs.len());
    for (res, target) in batched(&a_inputs, |c| stages.auth(c))
        .into_iter()
        .zip(&a_inputs)
    {
        let object = format!("{} {}", target.object_kind, target.id);
        match res
            .map_err(|e| ("PluginFailed", e.message))
            .and_then(|res| {
                validate::auth(&res)
                    .map(|_| res)
                    .map_err(|why| ("PluginOutputInvalid", why))
            }) {
            Ok(mut res) => {
                for d in std::mem::take(&mut res.diagnostics) {
                    plan.diagnostics
                        .push(policy_diag(target, &object, d, &p_auth));
                }
                auths.push(Some(res));
            }
            Err((reason, why)) => {
                plan.diagnostics
                    .push(failure(&object, reason, &p_auth, why));
                auths.push(None);
            }
        }
    }
    let (sn_auth, route_auths) = auths.split_at(sns.len());
    let route_auth: BTreeMap<usize, &Option<AuthResult>> =
        route_auth.into_iter().zip(route_auths).collect();

    for (sn, auth) in sns.iter().zip(sn_auth) {
        if let Some(why) = &sn.invalid_name {
            plan.diagnostics.push(PlanDiagnostic {
                object: format!("Gateway {}", sn.gateway),
                condition: "Accepted".into(),
                reason: "UnsupportedValue".into(),
                message: format!("VPC Lattice service network name {why}"),
                field: "metadata.name".into(),
                plugin: None,
            });
            continue;
        }
        let (auth_type, auth_policy) = auth_fields(auth);
        plan.service_networks.push(ServiceNetworkPlan {
            name: sn.name.clone(),
            gateway: sn.gateway.to_string(),
            auth_type,
            auth_policy,
            auth_origin: auth.as_ref().map(|_| p_auth.clone()),
        });
    }

    // Services, listeners, rules and the target groups they use.
    let mut tgs: BTreeMap<String, TargetGroupPlan> = BTreeMap::new();
    for (i, r) in routes.iter().enumerate() {
        let Some(m) = &mapped[i] else { continue };
        let object = route_object(r);
        let action_of = |ri: u32| {
            actions
                .get(&(i, ri))
                .cloned()
                .unwrap_or(Action::FixedResponse(500))
        };
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
                    plugin: p_map.clone(),
                    weighting: (mr.action == RuleAction::Forward).then(|| p_weigh.clone()),
                },
            })
            .collect();
        rules.sort_by_key(|r| r.priority);
        let mut listeners = Vec::new();
        for l in &r.listeners {
            if l.protocol == "TLS_PASSTHROUGH" {
                match m.default_rule.map(action_of) {
                    Some(a @ Action::Forward(_)) => listeners.push(ListenerPlan {
                        port: l.port,
                        protocol: l.protocol.clone(),
                        default_action: a,
                        rules: vec![],
                    }),
                    Some(Action::FixedResponse(_)) => plan.diagnostics.push(PlanDiagnostic {
                        object: object.clone(),
                        condition: "Accepted".into(),
                        reason: "UnsupportedValue".into(),
                        message: "a TLS_PASSTHROUGH listener can only forward, and the rule has no valid backend".into(),
                        field: "spec.rules[0].backendRefs".into(),
                        plugin: None,
                    }),
                    None => {}
                }
            } else {
                listeners.push(ListenerPlan {
                    port: l.port,
                    protocol: l.protocol.clone(),
                    default_action: Action::FixedResponse(404),
                    rules: rules.clone(),
                });
            }
        }
        if listeners.is_empty() {
            continue;
        }
        for l in &listeners {
            let forwards = l.rules.iter().map(|r| &r.action).chain([&l.default_action]);
            for a in forwards {
                let Action::Forward(ts) = a else { continue };
                for t in ts {
                    let Some(tg) = r.target_groups.get(&t.target_group) else {
                        continue;
                    };
                    let e = tgs
                        .entry(tg.name.clone())
                        .or_insert_with(|| TargetGroupPlan {
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
                        });
                    let route = r.id.to_string();
                    if !e.routes.contains(&route) {
                        e.routes.push(route);
                    }
                }
            }
        }
        // TLS passthrough services take no auth policy; a failed auth plugin
        // fails closed (see `auth_fields`).
        let decided = route_auth.get(&i).copied();
        let auth = decided.and_then(|a| a.as_ref());
        let (auth_type, auth_policy) = match decided {
            Some(a) => auth_fields(a),
            None => ("NONE".to_string(), None),
        };
        plan.services.push(ServicePlan {
            name: r.service_name.clone(),
            route: r.id.to_string(),
            route_kind: r.kind.kind_name().into(),
            custom_domain_name: r.custom_domain_name.clone(),
            auth_type,
            auth_policy,
            service_networks: r.service_networks.clone(),
            listeners,
            auth_origin: auth.map(|_| p_auth.clone()),
            allow_takeover_from: r
                .route
                .annotation(crate::model::naming::ALLOW_TAKEOVER_FROM)
                .map(str::to_owned),
        });
    }
    plan.target_groups = tgs.into_values().collect();
    for tg in &mut plan.target_groups {
        tg.routes.sort();
    }
    plan.services
        .sort_by(|a, b| (&a.name, &a.route).cmp(&(&b.name, &b.route)));
    plan.diagnostics.sort();
    plan.diagnostics.dedup();
    plan
}

fn auth_fields(auth: &Option<AuthResult>) -> (String, Option<String>) {
    match auth {
        Some(a) => (a.auth_type.clone(), a.policy.clone()),
        // The auth plugin failed: fail closed, AWS_IAM with no policy denies all.
        None => ("AWS_IAM".into(), None),
    }
}

/// Auth diagnostics about `policies[i]` belong to that IAMAuthPolicy.
fn policy_diag(target: &AuthTarget, object: &str, d: Diagnostic, plugin: &str) -> PlanDiagnostic {
    let policy = d
        .field
        .strip_prefix("policies[")
        .and_then(|rest| rest.split_once(']'))
        .and_then(|(i, rest)| Some((target.policies.get(i.parse::<usize>().ok()?)?, rest)));
    match policy {
        Some((p, rest)) => {
            let field = rest.strip_prefix('.').unwrap_or(rest).to_string();
            diag(
                &format!("IAMAuthPolicy {}", p.id),
                Diagnostic { field, ..d },
                Some(plugin),
            )
        }
        None => diag(object, d, Some(plugin)),
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
