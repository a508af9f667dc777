//! The plugin runtime: one engine, compiled components cached on disk,
//! a fresh pooled instance per decision, and real budgets.
//!
//! ```text
//! bytes ─► sha256 ─► cache (sha256, engine hash) ─► Component
//!        ─► no imports? exports the stage's world? ─► InstancePre
//!        ─► info + validate-settings (fresh instance) ─► LoadedPlugin
//! decision ─► fresh Store (StoreLimits, epoch deadline) ─► call ─► validate
//! ```

mod bindings;
mod cache;
mod engine;
mod plugin;

use std::path::PathBuf;
use std::sync::Arc;

use lattice_core::{StageError, Stages};
use lattice_plugin_sdk::types::*;

pub use cache::ComponentCache;
pub use engine::{EPOCH_TICK, Limits};
pub use plugin::{LoadError, LoadedPlugin, Shared, WarmMapper};

/// The default plugins, built for wasm32-wasip2 by `build.rs`.
pub mod defaults {
    /// `route-mapper`.
    pub const ROUTE_MAPPER: &[u8] = include_bytes!(env!("ROUTE_MAPPER_WASM"));
    /// `weighted-forward`.
    pub const WEIGHTED_FORWARD: &[u8] = include_bytes!(env!("WEIGHTED_FORWARD_WASM"));
    /// `iam-auth`.
    pub const IAM_AUTH: &[u8] = include_bytes!(env!("IAM_AUTH_WASM"));

    /// The default plugin of a stage.
    pub fn for_stage(stage: lattice_plugin_sdk::types::Stage) -> (&'static str, &'static [u8]) {
        use lattice_plugin_sdk::types::Stage::*;
        match stage {
            Mapping => ("route-mapper", ROUTE_MAPPER),
            Weighting => ("weighted-forward", WEIGHTED_FORWARD),
            Auth => ("iam-auth", IAM_AUTH),
        }
    }
}

/// Owns the engine; its epoch ticker runs as long as the engine lives,
/// whether held here or by loaded plugins.
pub struct PluginRuntime {
    shared: Arc<Shared>,
}

impl PluginRuntime {
    /// Starts a runtime with these budgets and cache directory.
    pub fn new(limits: Limits, cache_dir: Option<PathBuf>) -> wasmtime::Result<Self> {
        let engine = engine::engine(&limits)?;
        let cache = ComponentCache::new(&engine, cache_dir);
        let ticker = engine.weak();
        std::thread::Builder::new()
            .name("wasm-epoch".into())
            .spawn(move || {
                while let Some(e) = ticker.upgrade() {
                    e.increment_epoch();
                    drop(e);
                    std::thread::sleep(EPOCH_TICK);
                }
            })?;
        Ok(PluginRuntime {
            shared: Arc::new(Shared {
                engine,
                limits,
                cache,
            }),
        })
    }

    /// Loads and checks a plugin for `stage`.
    pub fn load(
        &self,
        stage: Stage,
        name: &str,
        bytes: &[u8],
        settings: &str,
    ) -> Result<LoadedPlugin, LoadError> {
        LoadedPlugin::load(self.shared.clone(), stage, name, bytes, settings)
    }

    /// Loads the built-in default of `stage`.
    pub fn load_default(&self, stage: Stage) -> Result<LoadedPlugin, LoadError> {
        let (name, bytes) = defaults::for_stage(stage);
        self.load(stage, name, bytes, "")
    }
}

/// The three stages served by WebAssembly plugins.
pub struct WasmStages {
    /// Mapping plugin.
    pub mapping: Arc<LoadedPlugin>,
    /// Weighting plugin.
    pub weighting: Arc<LoadedPlugin>,
    /// Auth plugin.
    pub auth: Arc<LoadedPlugin>,
}

impl Stages for WasmStages {
    fn provenance(&self, stage: Stage) -> String {
        match stage {
            Stage::Mapping => self.mapping.provenance(),
            Stage::Weighting => self.weighting.provenance(),
            Stage::Auth => self.auth.provenance(),
        }
    }
    fn map(&self, routes: &[Route]) -> Result<Vec<MappingResult>, StageError> {
        self.mapping.map(routes)
    }
    fn weigh(&self, rules: &[RuleBackends]) -> Result<Vec<WeightingResult>, StageError> {
        self.weighting.weigh(rules)
    }
    fn auth(&self, targets: &[AuthTarget]) -> Result<Vec<AuthResult>, StageError> {
        self.auth.auth(targets)
    }
}
