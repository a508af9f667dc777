//! Runs the three stages over resolved routes and keeps only the answers
//! VPC Lattice would accept. Every other answer becomes a diagnostic that
//! names the plugin, and the plan fails closed where it has no answer.

use std::collections::{BTreeMap, BTreeSet};

use lattice_plugin_sdk::types::*;

use super::types::*;
use super::{StageError, Stages, batched, validate};
use crate::model::{RouteIntent, ServiceNetworkIntent};

/// `name@sha256:…` of each stage's plugin, recorded on what it decided.
pub(super) struct Plugins {
    pub mapping: String,
    pub weighting: String,
    pub auth: String,
}

/// One planning pass: the stages, their plugins, and what the steps have
/// found wrong so far.
pub(super) struct Pass<'a> {
    stages: &'a dyn Stages,
    pub plugins: Plugins,
    pub diagnostics: Vec<PlanDiagnostic>,
}

impl<'a> Pass<'a> {
    pub fn new(stages: &'a dyn Stages) -> Self {
        Pass {
            stages,
            plugins: Plugins {
                mapping: stages.provenance(Stage::Mapping),
                weighting: stages.provenance(Stage::Weighting),
                auth: stages.provenance(Stage::Auth),
            },
            diagnostics: Vec::new(),
        }
    }
}

/// The route as diagnostics name it: `Kind namespace/name`.
pub(super) fn route_object(r: &RouteIntent) -> String {
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

/// A plugin's own diagnostics about route `r`.
fn route_diags(r: &RouteIntent, ds: Vec<Diagnostic>, plugin: &str) -> Vec<PlanDiagnostic> {
    if ds.is_empty() {
        return Vec::new();
    }
    let object = route_object(r);
    ds.into_iter()
        .map(|d| diag(&object, d, Some(plugin)))
        .collect()
}

/// A plugin's answer that passed `check`; otherwise the reason and message
/// of the diagnostic that says why there is none.
fn checked<T>(
    res: Result<T, StageError>,
    check: impl FnOnce(&T) -> Result<(), String>,
) -> Result<T, (&'static str, String)> {
    let res = res.map_err(|e| ("PluginFailed", e.message))?;
    check(&res).map_err(|why| ("PluginOutputInvalid", why))?;
    Ok(res)
}

impl Pass<'_> {
    /// What the model found wrong with each route.
    pub fn model_diagnostics(&mut self, routes: &[RouteIntent]) {
        for r in routes.iter().filter(|r| !r.diagnostics.is_empty()) {
            let object = route_object(r);
            let ds = r.diagnostics.iter().map(|d| diag(&object, d.clone(), None));
            self.diagnostics.extend(ds);
        }
    }

    /// Mapping: one answer per route, `None` where the plugin failed or
    /// answered what Lattice would reject. Such a route gets no service.
    pub fn map_routes(&mut self, routes: &[RouteIntent]) -> Vec<Option<MappingResult>> {
        let inputs: Vec<Route> = routes.iter().map(|r| r.route.clone()).collect();
        batched(&inputs, |c| self.stages.map(c))
            .into_iter()
            .zip(routes)
            .map(|(res, r)| self.mapping(r, res))
            .collect()
    }

    fn mapping(
        &mut self,
        r: &RouteIntent,
        res: Result<MappingResult, StageError>,
    ) -> Option<MappingResult> {
        let plugin = &self.plugins.mapping;
        match checked(res, |m| validate::mapping(&r.route, m)) {
            Ok(mut m) => {
                let ds = std::mem::take(&mut m.diagnostics);
                self.diagnostics.extend(route_diags(r, ds, plugin));
                Some(m)
            }
            Err((reason, why)) => {
                let d = failure(&route_object(r), reason, plugin, why);
                self.diagnostics.push(d);
                None
            }
        }
    }
}

/// The rules weighting decides, as (route, rule index): of each mapped
/// route, every rule a mapped rule forwards for and its default rule, once
/// each, in order. Indices are those `validate::mapping` checked.
pub(super) fn rules_to_weigh(mapped: &[Option<MappingResult>]) -> Vec<(usize, u32)> {
    let mut wanted = Vec::new();
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
    wanted
}

/// What each weighed rule does, by (route, rule index).
pub(super) struct RuleActions(BTreeMap<(usize, u32), Action>);

impl RuleActions {
    /// The action of rule `rule` of route `route`: 500 if none was decided,
    /// as for a failed weighting.
    pub fn of(&self, route: usize, rule: u32) -> Action {
        self.0
            .get(&(route, rule))
            .cloned()
            .unwrap_or(Action::FixedResponse(500))
    }
}

impl Pass<'_> {
    /// Weighting: one action per rule [`rules_to_weigh`] names.
    pub fn weigh_rules(
        &mut self,
        routes: &[RouteIntent],
        mapped: &[Option<MappingResult>],
    ) -> RuleActions {
        let wanted = rules_to_weigh(mapped);
        let inputs: Vec<RuleBackends> = wanted
            .iter()
            .map(|&(i, ri)| routes[i].rules[ri as usize].clone())
            .collect();
        let actions = batched(&inputs, |c| self.stages.weigh(c))
            .into_iter()
            .zip(wanted)
            .map(|(res, (i, ri))| ((i, ri), self.weighting(&routes[i], ri, res)))
            .collect();
        RuleActions(actions)
    }

    /// The action of rule `ri` of route `r`, from its weighting answer.
    fn weighting(
        &mut self,
        r: &RouteIntent,
        ri: u32,
        res: Result<WeightingResult, StageError>,
    ) -> Action {
        let plugin = &self.plugins.weighting;
        let rule = &r.rules[ri as usize];
        let res = checked(res, |w| {
            validate::weighting(&resolved_target_groups(rule), w)
        });
        match res {
            Ok(w) => {
                self.diagnostics
                    .extend(route_diags(r, w.diagnostics, plugin));
                plan_action(w.action)
            }
            // Fail closed: the rule answers 500 rather than guessing targets.
            Err((reason, why)) => {
                let message = format!("spec.rules[{ri}]: {why}");
                let d = failure(&route_object(r), reason, plugin, message);
                self.diagnostics.push(d);
                Action::FixedResponse(500)
            }
        }
    }
}

fn plan_action(a: WeightedAction) -> Action {
    match a {
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

/// The target groups a weighting may forward to: the rule's resolved backends.
fn resolved_target_groups(rule: &RuleBackends) -> BTreeSet<&str> {
    rule.backends
        .iter()
        .filter(|b| b.resolution == Resolution::Resolved)
        .map(|b| b.target_group.as_str())
        .collect()
}

/// What the auth stage decided for one service or service network.
#[derive(Debug)]
pub(super) enum AuthDecision {
    /// Not asked: the route got no mapping, or takes no auth policy (TLS
    /// passthrough).
    NotAsked,
    /// The plugin failed, or answered what Lattice would reject.
    Failed,
    /// The plugin's checked answer.
    Decided(AuthResult),
}

impl AuthDecision {
    /// The plan's auth type, policy and origin.
    pub fn into_fields(self, plugin: &str) -> (String, Option<String>, Option<String>) {
        match self {
            AuthDecision::NotAsked => ("NONE".into(), None, None),
            // Fail closed: AWS_IAM with no policy denies all.
            AuthDecision::Failed => ("AWS_IAM".into(), None, None),
            AuthDecision::Decided(a) => (a.auth_type, a.policy, Some(plugin.to_string())),
        }
    }
}

impl Pass<'_> {
    /// Auth: one decision per service network, and one per route, in order.
    /// Only routes that got a mapping and can take a policy are asked.
    pub fn decide_auth(
        &mut self,
        routes: &[RouteIntent],
        mapped: &[Option<MappingResult>],
        sns: &[ServiceNetworkIntent],
    ) -> (Vec<AuthDecision>, Vec<AuthDecision>) {
        let asked: Vec<(usize, &AuthTarget)> = routes
            .iter()
            .enumerate()
            .filter(|&(i, _)| mapped[i].is_some())
            .filter_map(|(i, r)| Some((i, r.auth.as_ref()?)))
            .collect();
        let targets: Vec<AuthTarget> = sns
            .iter()
            .map(|sn| sn.auth.clone())
            .chain(asked.iter().map(|&(_, t)| t.clone()))
            .collect();
        let mut decisions = batched(&targets, |c| self.stages.auth(c))
            .into_iter()
            .zip(&targets)
            .map(|(res, target)| self.auth(target, res));
        let networks = decisions.by_ref().take(sns.len()).collect();
        let mut per_route: Vec<AuthDecision> =
            routes.iter().map(|_| AuthDecision::NotAsked).collect();
        for ((i, _), d) in asked.into_iter().zip(decisions) {
            per_route[i] = d;
        }
        (networks, per_route)
    }

    fn auth(&mut self, target: &AuthTarget, res: Result<AuthResult, StageError>) -> AuthDecision {
        let plugin = &self.plugins.auth;
        match checked(res, validate::auth) {
            Ok(mut a) => {
                let ds = std::mem::take(&mut a.diagnostics);
                let ds = ds.into_iter().map(|d| policy_diag(target, d, plugin));
                self.diagnostics.extend(ds);
                AuthDecision::Decided(a)
            }
            Err((reason, why)) => {
                let d = failure(&target_object(target), reason, plugin, why);
                self.diagnostics.push(d);
                AuthDecision::Failed
            }
        }
    }
}

/// The auth target as diagnostics name it, e.g. `Gateway app/mesh`.
fn target_object(target: &AuthTarget) -> String {
    format!("{} {}", target.object_kind, target.id)
}

/// Auth diagnostics about `policies[i]` belong to that IAMAuthPolicy.
pub(super) fn policy_diag(target: &AuthTarget, d: Diagnostic, plugin: &str) -> PlanDiagnostic {
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
        None => diag(&target_object(target), d, Some(plugin)),
    }
}
