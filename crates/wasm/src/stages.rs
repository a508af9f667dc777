//! Which plugin serves each stage, and the runtime that loads them.

use std::path::PathBuf;
use std::sync::Arc;

use lattice_core::plan::FailurePolicy;
use lattice_core::{StageError, Stages};
use lattice_plugin_sdk::types::*;
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::cache::ComponentCache;
use crate::engine::{self, EPOCH_TICK, Limits};
use crate::metrics::PluginMetrics;
use crate::plugin::{LoadError, LoadedPlugin, Shared};

/// One stage's plugin: a component file, or the built-in default, and its settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StageChoice {
    /// A component file; `None` is the built-in default of the stage.
    pub file: Option<PathBuf>,
    /// Settings JSON handed to `validate-settings` and every call.
    pub settings: String,
    /// What the plugin's failure on a route does to the route.
    pub failure_policy: FailurePolicy,
}

/// The plugin runtime's configuration: budgets, cache and one choice per stage.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PluginConfig {
    /// Budgets of every call.
    pub limits: Limits,
    /// Where compiled components are cached; `None` compiles in memory only.
    pub cache_dir: Option<PathBuf>,
    /// The mapping stage.
    pub mapping: StageChoice,
    /// The weighting stage.
    pub weighting: StageChoice,
    /// The auth stage.
    pub auth: StageChoice,
}

impl PluginConfig {
    /// The choice for `stage`.
    pub fn stage(&self, stage: Stage) -> &StageChoice {
        match stage {
            Stage::Mapping => &self.mapping,
            Stage::Weighting => &self.weighting,
            Stage::Auth => &self.auth,
        }
    }

    /// The choice for `stage`, to change.
    pub fn stage_mut(&mut self, stage: Stage) -> &mut StageChoice {
        match stage {
            Stage::Mapping => &mut self.mapping,
            Stage::Weighting => &mut self.weighting,
            Stage::Auth => &mut self.auth,
        }
    }
}

/// Why the plugins could not start.
#[derive(Debug, Error)]
pub enum StartError {
    /// wasmtime refused the engine configuration.
    #[error("starting wasmtime: {0}")]
    Engine(String),
    /// A plugin file could not be read.
    #[error("plugin for {stage} ({}): {source}", path.display())]
    Read {
        /// The stage it was chosen for.
        stage: &'static str,
        /// The file.
        path: PathBuf,
        /// What the filesystem said.
        source: std::io::Error,
    },
    /// A plugin was refused.
    #[error(transparent)]
    Load(#[from] LoadError),
}

/// Loads the three stages `config` chooses: the one place that knows the
/// plugin-loading policy (a file when given, else the built-in default).
/// Any plugin that cannot be loaded is an error: for the offline commands.
pub fn start(config: &PluginConfig) -> Result<(PluginRuntime, WasmStages), StartError> {
    let (rt, stages, mut refused) = start_lenient(config)?;
    match refused.is_empty() {
        true => Ok((rt, stages)),
        false => Err(refused.remove(0)),
    }
}

/// As [`start`], but a plugin that cannot be loaded does not stop the
/// others: its stage is served by a [`StagePlugin::Refused`] whose every call
/// fails, so the stage's failure policy decides its routes (by default they
/// keep what Lattice holds). For the controller, which must never exit
/// because of a plugin. Returns why each refused plugin was refused.
pub fn start_lenient(
    config: &PluginConfig,
) -> Result<(PluginRuntime, WasmStages, Vec<StartError>), StartError> {
    start_observed(config, None)
}

/// As [`start_lenient`], every plugin call of the runtime (the stages'
/// and any loaded later) counted in `metrics`.
pub fn start_observed(
    config: &PluginConfig,
    metrics: Option<PluginMetrics>,
) -> Result<(PluginRuntime, WasmStages, Vec<StartError>), StartError> {
    let rt = PluginRuntime::observed(config.limits.clone(), config.cache_dir.clone(), metrics)
        .map_err(|e| StartError::Engine(format!("{e:#}")))?;
    let mut refused = Vec::new();
    let mut load = |stage: Stage| match load_choice(&rt, stage, config.stage(stage)) {
        Ok(p) => StagePlugin::Loaded(Arc::new(p)),
        Err((provenance, e)) => {
            let error = e.to_string();
            refused.push(e);
            StagePlugin::Refused { provenance, error }
        }
    };
    let (mapping, weighting, auth) = (
        load(Stage::Mapping),
        load(Stage::Weighting),
        load(Stage::Auth),
    );
    let policies = [Stage::Mapping, Stage::Weighting, Stage::Auth]
        .map(|stage| config.stage(stage).failure_policy);
    // `UseDefault` needs the built-in plugins beside the chosen ones.
    let fallback = if policies.contains(&FailurePolicy::UseDefault) {
        Some(Box::new(WasmStages::defaults(&rt)?))
    } else {
        None
    };
    let stages = WasmStages {
        mapping,
        weighting,
        auth,
        policies,
        fallback,
    };
    Ok((rt, stages, refused))
}

/// Loads one stage's choice; on failure, the provenance it would have had
/// (`name@sha256:…` when its bytes could be read) and why.
fn load_choice(
    rt: &PluginRuntime,
    stage: Stage,
    choice: &StageChoice,
) -> Result<LoadedPlugin, (String, StartError)> {
    let Some(path) = &choice.file else {
        let name = crate::defaults::for_stage(stage).0;
        return rt
            .load_default(stage, &choice.settings)
            .map_err(|e| (name.to_string(), e.into()));
    };
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| {
        let e = StartError::Read {
            stage: stage.as_str(),
            path: path.clone(),
            source,
        };
        (format!("{name}@unreadable"), e)
    })?;
    let provenance = format!("{name}@sha256:{}", hex::encode(Sha256::digest(&bytes)));
    rt.load(stage, &name, &bytes, &choice.settings)
        .map_err(|e| (provenance, e.into()))
}

/// A stage's plugin: serving, or refused when it was loaded.
#[derive(Clone)]
pub enum StagePlugin {
    /// Loaded and checked.
    Loaded(Arc<LoadedPlugin>),
    /// Refused at load; every call fails with why, and the stage's failure
    /// policy decides the routes.
    Refused {
        /// `name@sha256:…` of what was refused.
        provenance: String,
        /// Why.
        error: String,
    },
}

impl StagePlugin {
    /// `name@sha256:…`.
    pub fn provenance(&self) -> String {
        match self {
            StagePlugin::Loaded(p) => p.provenance(),
            StagePlugin::Refused { provenance, .. } => provenance.clone(),
        }
    }

    /// The loaded plugin, or the error every call of a refused one gives.
    pub fn loaded(&self) -> Result<&LoadedPlugin, StageError> {
        match self {
            StagePlugin::Loaded(p) => Ok(p),
            StagePlugin::Refused { provenance, error } => Err(StageError {
                plugin: provenance.clone(),
                message: format!("not loaded: {error}"),
            }),
        }
    }
}

impl From<LoadedPlugin> for StagePlugin {
    fn from(p: LoadedPlugin) -> Self {
        StagePlugin::Loaded(Arc::new(p))
    }
}

/// Owns the engine (clones share it); its epoch ticker runs as long as the engine lives,
/// whether held here or by loaded plugins.
#[derive(Clone)]
pub struct PluginRuntime {
    shared: Arc<Shared>,
}

impl PluginRuntime {
    /// Starts a runtime with these budgets and cache directory.
    pub fn new(limits: Limits, cache_dir: Option<PathBuf>) -> wasmtime::Result<Self> {
        Self::observed(limits, cache_dir, None)
    }

    /// As [`PluginRuntime::new`], with every call of its plugins counted in
    /// `metrics` (when given).
    pub fn observed(
        limits: Limits,
        cache_dir: Option<PathBuf>,
        metrics: Option<PluginMetrics>,
    ) -> wasmtime::Result<Self> {
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
                metrics,
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

    /// The engine, limits and cache every plugin shares.
    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    /// Loads the built-in default of `stage` with `settings`.
    pub fn load_default(&self, stage: Stage, settings: &str) -> Result<LoadedPlugin, LoadError> {
        let (name, bytes) = crate::defaults::for_stage(stage);
        self.load(stage, name, bytes, settings)
    }
}

/// The three stages served by WebAssembly plugins.
pub struct WasmStages {
    /// Mapping plugin.
    pub mapping: StagePlugin,
    /// Weighting plugin.
    pub weighting: StagePlugin,
    /// Auth plugin.
    pub auth: StagePlugin,
    /// Failure policies of mapping, weighting and auth, in that order.
    pub policies: [FailurePolicy; 3],
    /// The built-in plugins, when a stage's policy is `UseDefault`.
    pub fallback: Option<Box<WasmStages>>,
}

impl WasmStages {
    /// The three built-in plugins with default settings and policies.
    pub fn defaults(rt: &PluginRuntime) -> Result<Self, LoadError> {
        let load = |stage| rt.load_default(stage, "").map(StagePlugin::from);
        Ok(WasmStages {
            mapping: load(Stage::Mapping)?,
            weighting: load(Stage::Weighting)?,
            auth: load(Stage::Auth)?,
            policies: [FailurePolicy::default(); 3],
            fallback: None,
        })
    }
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
        self.mapping.loaded()?.map(routes)
    }
    fn weigh(&self, rules: &[RuleBackends]) -> Result<Vec<WeightingResult>, StageError> {
        self.weighting.loaded()?.weigh(rules)
    }
    fn auth(&self, targets: &[AuthTarget]) -> Result<Vec<AuthResult>, StageError> {
        self.auth.loaded()?.auth(targets)
    }
    fn failure_policy(&self, stage: Stage) -> FailurePolicy {
        match stage {
            Stage::Mapping => self.policies[0],
            Stage::Weighting => self.policies[1],
            Stage::Auth => self.policies[2],
        }
    }
    fn fallback(&self) -> Option<&dyn Stages> {
        self.fallback.as_deref().map(|f| f as &dyn Stages)
    }
}
