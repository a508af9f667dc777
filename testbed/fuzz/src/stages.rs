//! Stages for the fuzzed tests: the built-in plugins linked natively, a
//! script's answers, and a recorder of what a plan asked.

use std::sync::Mutex;

use lattice_core::plan::FailurePolicy;
use lattice_core::{StageError, Stages};
use lattice_plugin_sdk::types::*;

use crate::answers::{Script, route_key, rule_key, target_key};

/// The three built-in plugins, linked natively: the same logic their
/// components run.
pub struct Native;

impl Stages for Native {
    fn provenance(&self, stage: Stage) -> String {
        format!("{}@native", stage.as_str())
    }
    fn map(&self, routes: &[Route]) -> Result<Vec<MappingResult>, StageError> {
        Ok(lattice_plugin_sdk::map_routes::<route_mapper::RouteMapper>(
            "", routes,
        ))
    }
    fn weigh(&self, rules: &[RuleBackends]) -> Result<Vec<WeightingResult>, StageError> {
        Ok(lattice_plugin_sdk::weigh_rules::<
            weighted_forward::WeightedForward,
        >("", rules))
    }
    fn auth(&self, targets: &[AuthTarget]) -> Result<Vec<AuthResult>, StageError> {
        Ok(lattice_plugin_sdk::decide_auth::<iam_auth::IamAuth>(
            "", targets,
        ))
    }
}

/// Answers from a [`Script`]: a batch with an input the script traps on
/// fails whole, as a trapping component's call does.
pub struct Scripted {
    /// The answers.
    pub script: Script,
    /// Every stage's failure policy.
    pub policy: FailurePolicy,
    /// The built-in plugins, for `UseDefault`.
    pub fallback: Option<Native>,
}

fn answer<I, O>(
    script: &Script,
    items: &[I],
    key: fn(&I) -> String,
    one: impl Fn(&I) -> O,
) -> Result<Vec<O>, StageError> {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let k = key(item);
        if script.trap.contains(&k) {
            return Err(StageError {
                plugin: "scripted".into(),
                message: format!("trapped on {k}"),
            });
        }
        out.push(one(item));
        if script.miscount.contains(&k) {
            out.push(one(item));
        }
    }
    Ok(out)
}

impl Stages for Scripted {
    fn provenance(&self, stage: Stage) -> String {
        format!("{}@scripted", stage.as_str())
    }
    fn map(&self, routes: &[Route]) -> Result<Vec<MappingResult>, StageError> {
        answer(&self.script, routes, route_key, |r| self.script.map(r))
    }
    fn weigh(&self, rules: &[RuleBackends]) -> Result<Vec<WeightingResult>, StageError> {
        answer(&self.script, rules, rule_key, |r| self.script.weigh(r))
    }
    fn auth(&self, targets: &[AuthTarget]) -> Result<Vec<AuthResult>, StageError> {
        answer(&self.script, targets, target_key, |t| self.script.decide(t))
    }
    fn failure_policy(&self, _stage: Stage) -> FailurePolicy {
        self.policy
    }
    fn fallback(&self) -> Option<&dyn Stages> {
        self.fallback.as_ref().map(|f| f as &dyn Stages)
    }
}

/// One input a plan gave a stage.
#[derive(Clone, Debug)]
pub enum Asked {
    /// A route, to map.
    Mapping(Route),
    /// A rule's backends, to weigh.
    Weighting(RuleBackends),
    /// A target, to decide auth for.
    Auth(AuthTarget),
}

/// Passes every call to `inner`, and records each input it was given.
pub struct Recorder<'a> {
    /// The stages that answer.
    pub inner: &'a dyn Stages,
    /// What was asked, in order; an input retried alone appears twice.
    pub asked: Mutex<Vec<Asked>>,
}

impl<'a> Recorder<'a> {
    /// Records what `inner` is asked.
    pub fn new(inner: &'a dyn Stages) -> Self {
        Recorder {
            inner,
            asked: Mutex::new(Vec::new()),
        }
    }

    fn record(&self, items: impl Iterator<Item = Asked>) {
        self.asked.lock().expect("not poisoned").extend(items);
    }

    /// What was asked.
    pub fn take(&self) -> Vec<Asked> {
        std::mem::take(&mut *self.asked.lock().expect("not poisoned"))
    }
}

impl Stages for Recorder<'_> {
    fn provenance(&self, stage: Stage) -> String {
        self.inner.provenance(stage)
    }
    fn map(&self, routes: &[Route]) -> Result<Vec<MappingResult>, StageError> {
        self.record(routes.iter().cloned().map(Asked::Mapping));
        self.inner.map(routes)
    }
    fn weigh(&self, rules: &[RuleBackends]) -> Result<Vec<WeightingResult>, StageError> {
        self.record(rules.iter().cloned().map(Asked::Weighting));
        self.inner.weigh(rules)
    }
    fn auth(&self, targets: &[AuthTarget]) -> Result<Vec<AuthResult>, StageError> {
        self.record(targets.iter().cloned().map(Asked::Auth));
        self.inner.auth(targets)
    }
    fn failure_policy(&self, stage: Stage) -> FailurePolicy {
        self.inner.failure_policy(stage)
    }
    fn fallback(&self) -> Option<&dyn Stages> {
        self.inner.fallback()
    }
}
