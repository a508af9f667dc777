//! The plan: plugin answers, validated and combined into desired Lattice state.

mod assemble;
pub mod compare;
mod decide;
mod input;
mod resource;
#[cfg(test)]
mod tests;
mod types;
pub mod validate;

pub use assemble::{Group, build_plan, merge, plan_groups, plan_intents, with_exports};
pub use input::{Attached, PlanInput};
pub use resource::{ApplyProblem, ResourceKind, ResourceRef};
pub use types::*;

use lattice_plugin_sdk::types::*;
use thiserror::Error;

/// Routes, rules or targets sent to a plugin in one call. Batching
/// amortises instantiation; the cap keeps each call's memory bounded.
pub const BATCH: usize = 128;

/// A plugin call that produced no usable answer.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("{plugin}: {message}")]
pub struct StageError {
    /// `name@sha256:…` of the plugin.
    pub plugin: String,
    /// What went wrong: a trap, a timeout, exhausted memory, bad output.
    pub message: String,
}

/// The three decision stages. The host implements this with WebAssembly
/// components; benchmarks and tests also link the same logic natively.
pub trait Stages {
    /// `name@sha256:…` of the plugin serving `stage`.
    fn provenance(&self, stage: Stage) -> String;
    /// Mapping: one answer per route, in order.
    fn map(&self, routes: &[Route]) -> Result<Vec<MappingResult>, StageError>;
    /// Weighting: one answer per rule, in order.
    fn weigh(&self, rules: &[RuleBackends]) -> Result<Vec<WeightingResult>, StageError>;
    /// Auth: one answer per target, in order.
    fn auth(&self, targets: &[AuthTarget]) -> Result<Vec<AuthResult>, StageError>;
    /// What a failure of `stage` does to the routes it was deciding.
    fn failure_policy(&self, _stage: Stage) -> FailurePolicy {
        FailurePolicy::KeepLastGood
    }
    /// The built-in plugins, for a stage whose policy is `UseDefault`.
    fn fallback(&self) -> Option<&dyn Stages> {
        None
    }
}

/// Calls a stage in batches. A failed batch is retried item by item, so a
/// plugin that fails on one input costs only that input its answer.
pub(crate) fn batched<I: Clone, O>(
    items: &[I],
    call: impl Fn(&[I]) -> Result<Vec<O>, StageError>,
) -> Vec<Result<O, StageError>> {
    let mut out = Vec::with_capacity(items.len());
    for chunk in items.chunks(BATCH) {
        match call(chunk) {
            Ok(res) if res.len() == chunk.len() => out.extend(res.into_iter().map(Ok)),
            Ok(res) if chunk.len() == 1 => out.push(Err(StageError {
                plugin: String::new(),
                message: format!("answered {} results for 1 input", res.len()),
            })),
            Err(e) if chunk.len() == 1 => out.push(Err(e)),
            _ => out.extend(
                chunk
                    .iter()
                    .map(|item| match call(std::slice::from_ref(item)) {
                        Ok(mut res) if res.len() == 1 => Ok(res.remove(0)),
                        Ok(res) => Err(StageError {
                            plugin: String::new(),
                            message: format!("answered {} results for 1 input", res.len()),
                        }),
                        Err(e) => Err(e),
                    }),
            ),
        }
    }
    out
}
