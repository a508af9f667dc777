//! The default plugins, built for wasm32-wasip2 by `build.rs` and embedded.

use lattice_plugin_sdk::types::Stage;

/// `route-mapper`.
pub const ROUTE_MAPPER: &[u8] = include_bytes!(env!("ROUTE_MAPPER_WASM"));
/// `weighted-forward`.
pub const WEIGHTED_FORWARD: &[u8] = include_bytes!(env!("WEIGHTED_FORWARD_WASM"));
/// `iam-auth`.
pub const IAM_AUTH: &[u8] = include_bytes!(env!("IAM_AUTH_WASM"));

/// The default plugin of a stage: its name and component bytes.
pub fn for_stage(stage: Stage) -> (&'static str, &'static [u8]) {
    match stage {
        Stage::Mapping => ("route-mapper", ROUTE_MAPPER),
        Stage::Weighting => ("weighted-forward", WEIGHTED_FORWARD),
        Stage::Auth => ("iam-auth", IAM_AUTH),
    }
}
