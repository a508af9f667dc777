//! The default plugins' logic linked natively: the baseline the WASM
//! benchmark compares against, with the same `Stages` interface.

use lattice_core::{StageError, Stages};
use lattice_plugin_sdk::types::*;

/// The three default plugins, called as plain Rust.
pub struct NativeStages;

impl Stages for NativeStages {
    fn provenance(&self, stage: Stage) -> String {
        let name = match stage {
            Stage::Mapping => "route-mapper",
            Stage::Weighting => "weighted-forward",
            Stage::Auth => "iam-auth",
        };
        format!("{name}@native")
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
