//! Runs the three stages over resolved routes and keeps only the answers
//! VPC Lattice would accept. Every other answer becomes a diagnostic that
//! names the plugin, and the plan fails closed where it has no answer.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use lattice_plugin_sdk::types::*;

use super::types::*;
use super::{StageError, Stages, batched, validate};
use crate::model::{RouteIntent, ServiceNetworkIntent};

/// `name@sha256:…` of each stage's plugin, recorded on what it decided.
pub(super) struct Plugins {
    /// Shared by every rule it maps.
    pub mapping: Arc<str>,
    /// Shared by every rule it weighs.
    pub weighting: Arc<str>,
    pub auth: String,
}

/// One planning pass: the stages, their plugins, and what the steps have
/// found wrong so far.
pub(super) struct Pass<'a> {
    stages: &'a dyn Stages,
    pub plugins: Plugins,
    pub diagnostics: Vec<PlanDiagnostic>,
    /// Routes (by index) a plugin failed on under `KeepLastGood`: the
    /// failing plugin and what failed.
    pub kept: BTreeMap<usize, (String, String)>,
    /// Routes (by index) whose mapping failed under `FailClosed`: every
    /// listener answers 500.
    pub closed: BTreeSet<usize>,
}

impl<'a> Pass<'a> {
    pub fn new(stages: &'a dyn Stages) -> Self {
        Pass {
            stages,
            plugins: Plugins {
                mapping: stages.provenance(Stage::Mapping).into(),
                weighting: stages.provenance(Stage::Weighting).into(),
                auth: stages.provenance(Stage::Auth),
            },
            diagnostics: Vec::new(),
            kept: BTreeMap::new(),
            closed: BTreeSet::new(),
        }
    }

    /// The stage's policy; `UseDefault` without built-in plugins to fall
    /// back on keeps the last good state.
    fn policy(&self, stage: Stage) -> FailurePolicy {
        match self.stages.failure_policy(stage) {
            FailurePolicy::UseDefault if self.stages.fallback().is_none() => {
                FailurePolicy::KeepLastGood
            }
            p => p,
        }
    }

    /// Records that route `i` is held as Lattice has it, and says so on the
    /// route: the plugin, what failed, and that nothing of it changes.
    fn keep(&mut self, i: usize, r: &RouteIntent, plugin: &str, reason: &str, why: String) {
        let message = format!(
            "{why}; failurePolicy KeepLastGood: VPC Lattice keeps this route's last programmed state"
        );
        self.diagnostics
            .push(failure(&route_object(r), reason, plugin, message));
        self.kept
            .entry(i)
            .or_insert_with(|| (plugin.to_string(), why));
    }

    /// Says on the route that the built-in plugin decided in place of the
    /// failing one.
    fn used_default(&mut self, r: &RouteIntent, plugin: &str, reason: &str, why: &str) {
        let mut d = failure(
            &route_object(r),
            reason,
            plugin,
            format!("{why}; failurePolicy UseDefault: the built-in plugin decided instead"),
        );
        d.condition = "PartiallyInvalid".into();
        self.diagnostics.push(d);
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

/// The one answer of a call made with one input.
fn one<T>(mut answers: Vec<T>) -> Result<T, StageError> {
    match answers.len() {
        1 => Ok(answers.remove(0)),
        n => Err(StageError {
            plugin: String::new(),
            message: format!("answered {n} results for 1 input"),
        }),
    }
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
    /// answered what Lattice would reject; what then happens to the route is
    /// the stage's failure policy (kept, closed, or the built-in's answer).
    pub fn map_routes(&mut self, routes: &[RouteIntent]) -> Vec<Option<MappingResult>> {
        let inputs: Vec<Route> = routes.iter().map(|r| r.route.clone()).collect();
        batched(&inputs, |c| self.stages.map(c))
            .into_iter()
            .zip(routes)
            .enumerate()
            .map(|(i, (res, r))| self.mapping(i, r, res))
            .collect()
    }

    fn mapping(
        &mut self,
        i: usize,
        r: &RouteIntent,
        res: Result<MappingResult, StageError>,
    ) -> Option<MappingResult> {
        let plugin = self.plugins.mapping.clone();
        let (reason, why) = match checked(res, |m| validate::mapping(&r.route, m)) {
            Ok(mut m) => {
                let ds = std::mem::take(&mut m.diagnostics);
                self.diagnostics.extend(route_diags(r, ds, &plugin));
                return Some(m);
            }
            Err(e) => e,
        };
        match self.policy(Stage::Mapping) {
            FailurePolicy::FailClosed => {
                let message = format!("{why}; failurePolicy FailClosed: the route answers 500");
                self.diagnostics
                    .push(failure(&route_object(r), reason, &plugin, message));
                self.closed.insert(i);
                None
            }
            FailurePolicy::UseDefault => match self.default_mapping(r) {
                Some(m) => {
                    self.used_default(r, &plugin, reason, &why);
                    Some(m)
                }
                None => {
                    self.keep(i, r, &plugin, reason, why);
                    None
                }
            },
            FailurePolicy::KeepLastGood => {
                self.keep(i, r, &plugin, reason, why);
                None
            }
        }
    }

    /// The built-in mapping of `r`, when it gives a valid answer.
    fn default_mapping(&mut self, r: &RouteIntent) -> Option<MappingResult> {
        let fallback = self.stages.fallback()?;
        let res = fallback.map(std::slice::from_ref(&r.route)).and_then(one);
        let mut m = checked(res, |m| validate::mapping(&r.route, m)).ok()?;
        let ds = std::mem::take(&mut m.diagnostics);
        let plugin = fallback.provenance(Stage::Mapping);
        self.diagnostics.extend(route_diags(r, ds, &plugin));
        Some(m)
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
            .map(|(res, (i, ri))| ((i, ri), self.weighting(i, &routes[i], ri, res)))
            .collect();
        RuleActions(actions)
    }

    /// The action of rule `ri` of route `i`, from its weighting answer, or
    /// what the stage's failure policy makes of a failure.
    fn weighting(
        &mut self,
        i: usize,
        r: &RouteIntent,
        ri: u32,
        res: Result<WeightingResult, StageError>,
    ) -> Action {
        let plugin = self.plugins.weighting.clone();
        let rule = &r.rules[ri as usize];
        let (reason, why) = match checked(res, |w| {
            validate::weighting(&resolved_target_groups(rule), w)
        }) {
            Ok(w) => {
                self.diagnostics
                    .extend(route_diags(r, w.diagnostics, &plugin));
                return plan_action(w.action);
            }
            Err((reason, why)) => (reason, format!("spec.rules[{ri}]: {why}")),
        };
        match self.policy(Stage::Weighting) {
            // The rule answers 500 rather than guessing targets.
            FailurePolicy::FailClosed => {
                let d = failure(&route_object(r), reason, &plugin, why);
                self.diagnostics.push(d);
                return Action::FixedResponse(500);
            }
            FailurePolicy::UseDefault => {
                if let Some(a) = self.default_weighting(r, rule) {
                    self.used_default(r, &plugin, reason, &why);
                    return a;
                }
            }
            FailurePolicy::KeepLastGood => {}
        }
        self.keep(i, r, &plugin, reason, why);
        Action::FixedResponse(500)
    }

    /// The built-in weighting of `rule`, when it gives a valid answer.
    fn default_weighting(&mut self, r: &RouteIntent, rule: &RuleBackends) -> Option<Action> {
        let fallback = self.stages.fallback()?;
        let res = fallback.weigh(std::slice::from_ref(rule)).and_then(one);
        let w = checked(res, |w| {
            validate::weighting(&resolved_target_groups(rule), w)
        })
        .ok()?;
        let plugin = fallback.provenance(Stage::Weighting);
        self.diagnostics
            .extend(route_diags(r, w.diagnostics, &plugin));
        Some(plan_action(w.action))
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
        let answers = batched(&targets, |c| self.stages.auth(c));
        let mut answers = answers.into_iter().zip(&targets);
        let networks = answers
            .by_ref()
            .take(sns.len())
            .map(|(res, target)| self.auth(target, res))
            .collect();
        let mut per_route: Vec<AuthDecision> =
            routes.iter().map(|_| AuthDecision::NotAsked).collect();
        for ((i, _), (res, target)) in asked.into_iter().zip(answers) {
            per_route[i] = self.route_auth(i, &routes[i], target, res);
        }
        (networks, per_route)
    }

    /// A service network's auth decision; a failure fails closed.
    fn auth(&mut self, target: &AuthTarget, res: Result<AuthResult, StageError>) -> AuthDecision {
        let plugin = self.plugins.auth.clone();
        match checked(res, validate::auth) {
            Ok(a) => self.decided(target, a, &plugin),
            Err((reason, why)) => {
                let d = failure(&target_object(target), reason, &plugin, why);
                self.diagnostics.push(d);
                AuthDecision::Failed
            }
        }
    }

    /// A route's auth decision, or what the stage's failure policy makes of
    /// a failure.
    fn route_auth(
        &mut self,
        i: usize,
        r: &RouteIntent,
        target: &AuthTarget,
        res: Result<AuthResult, StageError>,
    ) -> AuthDecision {
        let plugin = self.plugins.auth.clone();
        let (reason, why) = match checked(res, validate::auth) {
            Ok(a) => return self.decided(target, a, &plugin),
            Err(e) => e,
        };
        match self.policy(Stage::Auth) {
            FailurePolicy::FailClosed => {
                let d = failure(&target_object(target), reason, &plugin, why);
                self.diagnostics.push(d);
                return AuthDecision::Failed;
            }
            FailurePolicy::UseDefault => {
                if let Some(d) = self.default_auth(target) {
                    self.used_default(r, &plugin, reason, &why);
                    return d;
                }
            }
            FailurePolicy::KeepLastGood => {}
        }
        self.keep(i, r, &plugin, reason, why);
        AuthDecision::Failed
    }

    /// The built-in auth decision for `target`, when it gives a valid answer.
    fn default_auth(&mut self, target: &AuthTarget) -> Option<AuthDecision> {
        let fallback = self.stages.fallback()?;
        let res = fallback.auth(std::slice::from_ref(target)).and_then(one);
        let a = checked(res, validate::auth).ok()?;
        let plugin = fallback.provenance(Stage::Auth);
        Some(self.decided(target, a, &plugin))
    }

    /// A checked answer: its diagnostics filed, the decision kept.
    fn decided(&mut self, target: &AuthTarget, mut a: AuthResult, plugin: &str) -> AuthDecision {
        let ds = std::mem::take(&mut a.diagnostics);
        let ds = ds.into_iter().map(|d| policy_diag(target, d, plugin));
        self.diagnostics.extend(ds);
        AuthDecision::Decided(a)
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
