//! One loaded plugin: a compiled component, checked once, instantiated fresh
//! for every decision from its `InstancePre`.

use std::sync::Arc;

use lattice_core::StageError;
use lattice_plugin_sdk::types::*;
use sha2::{Digest, Sha256};
use thiserror::Error;
use wasmtime::component::{
    Component, ComponentExportIndex, ComponentType, Func, Instance, Lift, Linker, Lower, TypedFunc,
};
use wasmtime::{Engine, Store, StoreLimits, StoreLimitsBuilder, Trap};

use super::bindings;
use super::cache::ComponentCache;
use super::engine::{Limits, deadline_ticks};
use super::metrics::{CallOutcome, PluginMetrics, PluginSeries};

/// What a store carries: only its limits, and the most linear memory the
/// instance asked for. Plugins get no host state.
pub struct StoreState {
    limits: StoreLimits,
    memory_peak: usize,
}

impl wasmtime::ResourceLimiter for StoreState {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.memory_peak = self.memory_peak.max(desired);
        self.limits.memory_growing(current, desired, maximum)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.limits.memory_grow_failed(error)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, maximum)
    }

    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.limits.table_grow_failed(error)
    }

    fn instances(&self) -> usize {
        self.limits.instances()
    }

    fn tables(&self) -> usize {
        self.limits.tables()
    }

    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

enum Pre {
    Mapping(bindings::mapping::MappingPluginPre<StoreState>),
    Weighting(bindings::weighting::WeightingPluginPre<StoreState>),
    Auth(bindings::auth::AuthPluginPre<StoreState>),
}

/// Why a plugin could not be loaded. It never goes live.
#[derive(Debug, Error)]
pub enum LoadError {
    /// Core modules and random bytes are not plugins.
    #[error(
        "{name}: not a WebAssembly component (build it with `cargo build --target wasm32-wasip2`)"
    )]
    NotAComponent {
        /// Where it came from.
        name: String,
    },
    /// wasmtime rejected it.
    #[error("{name}: does not compile: {detail}")]
    Compile {
        /// Where it came from.
        name: String,
        /// wasmtime's message.
        detail: String,
    },
    /// It imports something; plugins are granted no capabilities.
    #[error(
        "{name}: imports {imports}, but plugins are granted no capabilities (no filesystem, network, clock or stdio)"
    )]
    Imports {
        /// Where it came from.
        name: String,
        /// The imports.
        imports: String,
    },
    /// It does not export the stage's world.
    #[error(
        "{name}: does not implement the {stage} world (lattice:plugin/{stage}@0.1.0): {detail}"
    )]
    WrongWorld {
        /// Where it came from.
        name: String,
        /// The stage it was loaded for.
        stage: &'static str,
        /// wasmtime's message.
        detail: String,
    },
    /// Built against a version of the contract this host does not speak.
    #[error(
        "{name}: built against {found}; this host accepts {CONTRACT} only: rebuild the plugin with lattice-plugin-sdk {SDK_LINE}, or run a lattice-host that accepts {found}"
    )]
    UnsupportedContract {
        /// Where it came from.
        name: String,
        /// The contract package the component exports, e.g. `lattice:plugin@0.2.0`.
        found: String,
    },
    /// `info` names another stage.
    #[error("{name}: info says stage {got:?}, but it was loaded for {want:?}")]
    StageMismatch {
        /// Where it came from.
        name: String,
        /// What `info` said.
        got: Stage,
        /// What was asked for.
        want: Stage,
    },
    /// `validate-settings` said no.
    #[error("{name}: settings rejected: {detail}")]
    Settings {
        /// Where it came from.
        name: String,
        /// The plugin's reason.
        detail: String,
    },
    /// `info` or `validate-settings` trapped or timed out.
    #[error("{name}: failed while loading: {detail}")]
    Trapped {
        /// Where it came from.
        name: String,
        /// What happened.
        detail: String,
    },
}

/// The contract this host speaks: the WIT package `wit/` declares. See
/// `wit/README.md` for what its version means.
pub const CONTRACT: &str = "lattice:plugin@0.1.0";

/// The SDK release line that builds against [`CONTRACT`].
const SDK_LINE: &str = "0.1";

/// The contract package a component exports (`lattice:plugin@X.Y.Z`), when
/// it exports any interface of it.
pub(crate) fn exported_contract(engine: &Engine, component: &Component) -> Option<String> {
    component
        .component_type()
        .exports(engine)
        .find_map(|(name, _)| {
            let rest = name.strip_prefix("lattice:plugin/")?;
            let (_, version) = rest.split_once('@')?;
            Some(format!("lattice:plugin@{version}"))
        })
}

/// Refuses a component built against another version of the contract,
/// saying which, before the stage's world is looked for.
fn check_contract(engine: &Engine, component: &Component, name: &str) -> Result<(), LoadError> {
    match exported_contract(engine, component) {
        Some(found) if found != CONTRACT => Err(LoadError::UnsupportedContract {
            name: name.to_string(),
            found,
        }),
        _ => Ok(()),
    }
}

/// Engine, limits and cache shared by every plugin of the process.
pub struct Shared {
    /// The one engine.
    pub engine: Engine,
    /// Budgets.
    pub limits: Limits,
    /// Compiled-component cache.
    pub cache: ComponentCache,
    /// Where calls are counted, when the process exports metrics.
    pub metrics: Option<PluginMetrics>,
}

/// What one call cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Metering {
    /// Wall-clock time, instantiation included.
    pub elapsed: std::time::Duration,
    /// Fuel (instructions) the call used, when metered.
    pub fuel_used: Option<u64>,
    /// Fuel the call was given, when metered.
    pub fuel_budget: Option<u64>,
    /// The most linear memory the instance asked for, in bytes.
    pub memory_peak: usize,
    /// The memory the call was allowed, in bytes.
    pub memory_budget: usize,
}

/// A checked, compiled plugin bound to its settings.
pub struct LoadedPlugin {
    /// What `info` said.
    pub info: PluginInfo,
    /// Hex sha256 of the component bytes.
    pub sha256: String,
    /// Settings JSON, accepted by `validate-settings`.
    pub settings: String,
    shared: Arc<Shared>,
    /// This plugin's call budget: the engine's, or less.
    timeout: std::time::Duration,
    max_memory_bytes: usize,
    pre: Pre,
    /// The stage's batched export (`map-routes`, `weigh-rules`, `decide-auth`).
    call: ComponentExportIndex,
    /// This plugin's call series, when the runtime records metrics.
    series: Option<PluginSeries>,
}

/// A stage's batched export: `(settings, items) -> list<result>`.
type BatchFunc<'a, P, R> = TypedFunc<(&'a str, &'a [P]), (Vec<R>,)>;

/// The stage's batched export's interface and name.
fn call_export(stage: Stage) -> (&'static str, &'static str) {
    match stage {
        Stage::Mapping => ("lattice:plugin/mapping@0.1.0", "map-routes"),
        Stage::Weighting => ("lattice:plugin/weighting@0.1.0", "weigh-rules"),
        Stage::Auth => ("lattice:plugin/auth@0.1.0", "decide-auth"),
    }
}

/// Whether `bytes` are a WebAssembly component rather than a core module:
/// component binaries start with the wasm magic and a layer-1 version.
pub fn is_component(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && bytes[..4] == *b"\0asm" && bytes[6..8] == [1, 0]
}

/// Compiles the component, or takes it from the cache by its digest.
pub(crate) fn compile(
    shared: &Shared,
    name: &str,
    sha256: &str,
    bytes: &[u8],
) -> Result<Component, LoadError> {
    shared
        .cache
        .load(&shared.engine, sha256, bytes)
        .map_err(|e| LoadError::Compile {
            name: name.to_string(),
            detail: format!("{e:#}"),
        })
}

/// Plugins are granted no capabilities, so a component may import nothing.
fn refuse_imports(engine: &Engine, component: &Component, name: &str) -> Result<(), LoadError> {
    let imports: Vec<String> = component
        .component_type()
        .imports(engine)
        .map(|(n, _)| n.to_string())
        // The contract's own `types` interface holds only type definitions.
        .filter(|n| !n.starts_with("lattice:plugin/types@"))
        .collect();
    if imports.is_empty() {
        return Ok(());
    }
    Err(LoadError::Imports {
        name: name.to_string(),
        imports: imports.join(", "),
    })
}

/// Links the component for `stage`: its instance template, checked against
/// the stage's world, and the index of its batched export.
fn link(
    engine: &Engine,
    component: &Component,
    stage: Stage,
) -> wasmtime::Result<(Pre, ComponentExportIndex)> {
    let linker: Linker<StoreState> = Linker::new(engine);
    let ipre = linker.instantiate_pre(component)?;
    let (iface, func) = call_export(stage);
    let call = component
        .get_export_index(None, iface)
        .and_then(|i| component.get_export_index(Some(&i), func))
        .ok_or_else(|| wasmtime::format_err!("no export {iface}#{func}"))?;
    let pre = match stage {
        Stage::Mapping => Pre::Mapping(bindings::mapping::MappingPluginPre::new(ipre)?),
        Stage::Weighting => Pre::Weighting(bindings::weighting::WeightingPluginPre::new(ipre)?),
        Stage::Auth => Pre::Auth(bindings::auth::AuthPluginPre::new(ipre)?),
    };
    Ok((pre, call))
}

impl LoadedPlugin {
    /// Loads `bytes` as the plugin of `stage`, named `name` in errors.
    pub fn load(
        shared: Arc<Shared>,
        stage: Stage,
        name: &str,
        bytes: &[u8],
        settings: &str,
    ) -> Result<Self, LoadError> {
        let name = name.to_string();
        if !is_component(bytes) {
            return Err(LoadError::NotAComponent { name });
        }
        let sha256 = hex::encode(Sha256::digest(bytes));
        let component = compile(&shared, &name, &sha256, bytes)?;
        check_contract(&shared.engine, &component, &name)?;
        refuse_imports(&shared.engine, &component, &name)?;
        let wrong = |e: wasmtime::Error| LoadError::WrongWorld {
            name: name.clone(),
            stage: stage.as_str(),
            detail: format!("{e:#}"),
        };
        let (pre, call) = link(&shared.engine, &component, stage).map_err(wrong)?;
        let mut plugin = LoadedPlugin {
            info: PluginInfo {
                name: name.clone(),
                version: String::new(),
                stage,
            },
            sha256,
            settings: settings.to_string(),
            timeout: shared.limits.timeout,
            max_memory_bytes: shared.limits.max_memory_bytes,
            shared,
            pre,
            call,
            series: None,
        };
        plugin.check_call_type().map_err(wrong)?;
        plugin.info = plugin.accept(stage, name)?;
        plugin.series = plugin.shared.metrics.as_ref().map(|m| {
            let digest = format!("sha256:{}", plugin.sha256);
            m.series(stage.as_str(), &plugin.info.name, &digest)
        });
        Ok(plugin)
    }

    /// What `info` says, once it names `stage` and `validate-settings`
    /// accepts the settings.
    fn accept(&self, stage: Stage, name: String) -> Result<PluginInfo, LoadError> {
        let (info, verdict) = self.introduce().map_err(|e| LoadError::Trapped {
            name: name.clone(),
            detail: e.message,
        })?;
        if info.stage != stage {
            return Err(LoadError::StageMismatch {
                name,
                got: info.stage,
                want: stage,
            });
        }
        verdict.map_err(|detail| LoadError::Settings { name, detail })?;
        Ok(info)
    }

    /// This plugin with its own budget: a call timeout, and a memory cap
    /// that can only lower the engine's (its pooling slots are sized once).
    pub fn with_budget(
        mut self,
        timeout: Option<std::time::Duration>,
        max_memory_bytes: Option<usize>,
    ) -> Self {
        if let Some(t) = timeout {
            self.timeout = t;
        }
        if let Some(m) = max_memory_bytes {
            self.max_memory_bytes = m.min(self.shared.limits.max_memory_bytes);
        }
        self
    }

    /// The call timeout and memory cap in force.
    pub fn budget(&self) -> (std::time::Duration, usize) {
        (self.timeout, self.max_memory_bytes)
    }

    /// `name@sha256:<digest>`, recorded on every plan item it produced.
    pub fn provenance(&self) -> String {
        format!("{}@sha256:{}", self.info.name, self.sha256)
    }

    /// Fuel of a call with `items` inputs.
    fn fuel_for(&self, items: usize) -> u64 {
        let per_item = self.shared.limits.fuel_per_item;
        per_item
            .saturating_mul(items.max(1) as u64)
            .saturating_add(crate::engine::CALL_FUEL)
    }

    /// A fresh store with the budgets of a call with `items` inputs applied.
    fn store(&self, items: usize) -> Store<StoreState> {
        let l = &self.shared.limits;
        let limits = StoreLimitsBuilder::new()
            .memory_size(self.max_memory_bytes)
            .table_elements(l.max_table_elements)
            .instances(16)
            .tables(16)
            .memories(4)
            .trap_on_grow_failure(true)
            .build();
        let state = StoreState {
            limits,
            memory_peak: 0,
        };
        let mut store = Store::new(&self.shared.engine, state);
        store.limiter(|s| s);
        store.set_epoch_deadline(deadline_ticks(self.timeout));
        if self.shared.limits.fuel_per_item > 0 {
            // Only fails when the engine does not meter fuel, checked above.
            let _ = store.set_fuel(self.fuel_for(items));
        }
        store
    }

    fn fail(&self, e: wasmtime::Error) -> StageError {
        self.failure(e).1
    }

    /// How a call failed, as a metric outcome and as the error routes see.
    fn failure(&self, e: wasmtime::Error) -> (CallOutcome, StageError) {
        let (outcome, message) = match e.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => (
                CallOutcome::Timeout,
                format!("ran past its time budget of {:?}", self.timeout),
            ),
            Some(Trap::OutOfFuel) => (
                CallOutcome::Fuel,
                format!(
                    "ran out of fuel: more than {} instructions per input item (the deterministic budget)",
                    self.shared.limits.fuel_per_item
                ),
            ),
            Some(Trap::UnreachableCodeReached) => (
                CallOutcome::Trap,
                "trapped: the plugin panicked or reached unreachable code".into(),
            ),
            Some(t) => (CallOutcome::Trap, format!("trapped: {t}")),
            None if format!("{e:#}").contains("grow") => (
                CallOutcome::Memory,
                format!(
                    "exhausted its memory budget of {} MiB",
                    self.max_memory_bytes >> 20
                ),
            ),
            None => (CallOutcome::Trap, format!("failed: {e:#}")),
        };
        let error = StageError {
            plugin: self.provenance(),
            message,
        };
        (outcome, error)
    }

    fn too_big(&self, bytes: usize) -> Result<(), StageError> {
        let max = self.shared.limits.max_input_bytes;
        if bytes > max {
            return Err(StageError {
                plugin: self.provenance(),
                message: format!("input of {bytes} bytes exceeds the {max}-byte cap"),
            });
        }
        Ok(())
    }

    /// Typechecks the batched export against the SDK types, once: calls then
    /// skip the check (see [`LoadedPlugin::typed`]).
    fn check_call_type(&self) -> wasmtime::Result<()> {
        let mut store = self.store(1);
        let instance = self.instance_pre().instantiate(&mut store)?;
        let func = self.call_func(&mut store, &instance)?;
        match self.info.stage {
            Stage::Mapping => func
                .typed::<(&str, &[Route]), (Vec<MappingResult>,)>(&store)
                .map(drop),
            Stage::Weighting => func
                .typed::<(&str, &[RuleBackends]), (Vec<WeightingResult>,)>(&store)
                .map(drop),
            Stage::Auth => func
                .typed::<(&str, &[AuthTarget]), (Vec<AuthResult>,)>(&store)
                .map(drop),
        }
    }

    fn instance_pre(&self) -> &wasmtime::component::InstancePre<StoreState> {
        match &self.pre {
            Pre::Mapping(p) => p.instance_pre(),
            Pre::Weighting(p) => p.instance_pre(),
            Pre::Auth(p) => p.instance_pre(),
        }
    }

    /// One batched call in a fresh instance.
    fn call_fresh<P, R>(&self, input: &[P]) -> Result<Vec<R>, StageError>
    where
        P: ComponentType + Lower,
        R: ComponentType + Lift,
    {
        self.call_metered(input).0
    }

    /// One batched call in a fresh instance, with what it cost.
    fn call_metered<P, R>(&self, input: &[P]) -> (Result<Vec<R>, StageError>, Metering)
    where
        P: ComponentType + Lower,
        R: ComponentType + Lift,
    {
        let fuel = self.fuel_for(input.len());
        let mut store = self.store(input.len());
        let started = std::time::Instant::now();
        let run = |store: &mut Store<StoreState>| -> wasmtime::Result<Vec<R>> {
            let instance = self.instance_pre().instantiate(&mut *store)?;
            self.call_in(store, &instance, input)
        };
        let (res, outcome) = match run(&mut store) {
            Ok(answers) => (Ok(answers), CallOutcome::Ok),
            Err(e) => {
                let (outcome, error) = self.failure(e);
                (Err(error), outcome)
            }
        };
        let elapsed = started.elapsed();
        if let Some(series) = &self.series {
            series.record(outcome, elapsed);
        }
        let metering = Metering {
            elapsed,
            fuel_used: store.get_fuel().ok().map(|left| fuel.saturating_sub(left)),
            fuel_budget: (self.shared.limits.fuel_per_item > 0).then_some(fuel),
            memory_peak: store.data().memory_peak,
            memory_budget: self.max_memory_bytes,
        };
        (res, metering)
    }

    /// Mapping, as [`LoadedPlugin::map`], with what the call cost.
    pub fn map_metered(
        &self,
        routes: &[Route],
    ) -> (Result<Vec<MappingResult>, StageError>, Metering) {
        match self.expect(Stage::Mapping) {
            Ok(()) => self.call_metered(routes),
            Err(e) => (Err(e), Metering::default()),
        }
    }

    /// Weighting, as [`LoadedPlugin::weigh`], with what the call cost.
    pub fn weigh_metered(
        &self,
        rules: &[RuleBackends],
    ) -> (Result<Vec<WeightingResult>, StageError>, Metering) {
        match self.expect(Stage::Weighting) {
            Ok(()) => self.call_metered(rules),
            Err(e) => (Err(e), Metering::default()),
        }
    }

    /// Auth, as [`LoadedPlugin::auth`], with what the call cost.
    pub fn auth_metered(
        &self,
        targets: &[AuthTarget],
    ) -> (Result<Vec<AuthResult>, StageError>, Metering) {
        match self.expect(Stage::Auth) {
            Ok(()) => self.call_metered(targets),
            Err(e) => (Err(e), Metering::default()),
        }
    }

    /// The batched export of `instance`, called on `input` with the settings.
    fn call_in<P, R>(
        &self,
        store: &mut Store<StoreState>,
        instance: &Instance,
        input: &[P],
    ) -> wasmtime::Result<Vec<R>>
    where
        P: ComponentType + Lower,
        R: ComponentType + Lift,
    {
        let f = self.typed::<P, R>(&mut *store, instance)?;
        Ok(f.call(store, (&self.settings, input))?.0)
    }

    fn call_func(
        &self,
        store: &mut Store<StoreState>,
        instance: &Instance,
    ) -> wasmtime::Result<Func> {
        instance
            .get_func(store, self.call)
            .ok_or_else(|| wasmtime::format_err!("the batched export is not a function"))
    }

    /// The stage's batched export in `instance`, typed with the SDK's own
    /// types: they derive wasmtime's `ComponentType`/`Lower`/`Lift` (the
    /// SDK's `host` feature), so inputs are lowered straight from the
    /// caller's values and results lifted straight into the plan's types.
    #[allow(unsafe_code)]
    fn typed<'a, P, R>(
        &self,
        store: &mut Store<StoreState>,
        instance: &Instance,
    ) -> wasmtime::Result<BatchFunc<'a, P, R>>
    where
        P: ComponentType + Lower,
        R: ComponentType + Lift,
    {
        let func = self.call_func(store, instance)?;
        // SAFETY: `check_call_type` typechecked this component's export
        // against the types of this plugin's stage when it loaded (as
        // `bindgen!` does), and each stage's callers name exactly those types.
        Ok(unsafe { TypedFunc::new_unchecked(func) })
    }

    /// Calls `info` and `validate-settings` in one fresh instance.
    fn introduce(&self) -> Result<(PluginInfo, Result<(), String>), StageError> {
        let mut store = self.store(1);
        let s = &self.settings;
        let res = match &self.pre {
            Pre::Mapping(p) => p.instantiate(&mut store).and_then(|i| {
                let m = i.lattice_plugin_mapping();
                Ok((
                    m.call_info(&mut store)?,
                    m.call_validate_settings(&mut store, s)?,
                ))
            }),
            Pre::Weighting(p) => p.instantiate(&mut store).and_then(|i| {
                let m = i.lattice_plugin_weighting();
                Ok((
                    m.call_info(&mut store)?,
                    m.call_validate_settings(&mut store, s)?,
                ))
            }),
            Pre::Auth(p) => p.instantiate(&mut store).and_then(|i| {
                let m = i.lattice_plugin_auth();
                Ok((
                    m.call_info(&mut store)?,
                    m.call_validate_settings(&mut store, s)?,
                ))
            }),
        };
        let (info, verdict) = res.map_err(|e| self.fail(e))?;
        Ok((bindings::plugin_info(info), verdict))
    }

    /// Runs the mapping stage over `routes` in a fresh instance.
    pub fn map(&self, routes: &[Route]) -> Result<Vec<MappingResult>, StageError> {
        self.expect(Stage::Mapping)?;
        self.too_big(routes.iter().map(size::route).sum())?;
        self.call_fresh(routes)
    }

    /// Runs the weighting stage over `rules` in a fresh instance.
    pub fn weigh(&self, rules: &[RuleBackends]) -> Result<Vec<WeightingResult>, StageError> {
        self.expect(Stage::Weighting)?;
        self.too_big(rules.iter().map(size::rule).sum())?;
        self.call_fresh(rules)
    }

    /// Runs the auth stage over `targets` in a fresh instance.
    pub fn auth(&self, targets: &[AuthTarget]) -> Result<Vec<AuthResult>, StageError> {
        self.expect(Stage::Auth)?;
        self.too_big(targets.iter().map(size::target).sum())?;
        self.call_fresh(targets)
    }

    /// Refuses a call for another stage than the plugin's own.
    fn expect(&self, want: Stage) -> Result<(), StageError> {
        if self.info.stage == want {
            return Ok(());
        }
        Err(StageError {
            plugin: self.provenance(),
            message: format!(
                "is a {} plugin, not {}",
                self.info.stage.as_str(),
                want.as_str()
            ),
        })
    }

    /// A mapping instance kept warm across calls, for benchmarks only:
    /// decisions in the plan always get a fresh instance.
    #[cfg(feature = "bench")]
    pub fn warm_mapper(&self) -> Result<WarmMapper<'_>, StageError> {
        self.expect(Stage::Mapping)?;
        let mut store = self.store(1);
        // Benchmarks run many calls; the deadline guards each batch of them.
        store.set_epoch_deadline(u64::MAX / 2);
        if self.shared.limits.fuel_per_item > 0 {
            let _ = store.set_fuel(u64::MAX / 2);
        }
        let instance = self
            .instance_pre()
            .instantiate(&mut store)
            .map_err(|e| self.fail(e))?;
        Ok(WarmMapper {
            plugin: self,
            store,
            instance,
        })
    }
}

/// A live mapping instance; see [`LoadedPlugin::warm_mapper`].
#[cfg(feature = "bench")]
pub struct WarmMapper<'a> {
    plugin: &'a LoadedPlugin,
    store: Store<StoreState>,
    instance: Instance,
}

#[cfg(feature = "bench")]
impl WarmMapper<'_> {
    /// Maps `routes` in the warm instance.
    pub fn map(&mut self, routes: &[Route]) -> Result<Vec<MappingResult>, StageError> {
        let p = self.plugin;
        p.call_in(&mut self.store, &self.instance, routes)
            .map_err(|e| p.fail(e))
    }
}

/// Rough input sizes: the bytes of strings a call carries.
mod size {
    use lattice_plugin_sdk::types::*;

    fn header(h: &HeaderMatch) -> usize {
        h.name.len() + h.value.len() + 8
    }

    pub fn route(r: &Route) -> usize {
        let ann: usize = r
            .annotations
            .iter()
            .map(|kv| kv.key.len() + kv.value.len())
            .sum();
        let hosts: usize = r.hostnames.iter().map(String::len).sum();
        let rules: usize = r
            .rules
            .iter()
            .map(|rule| {
                let m: usize = rule
                    .matches
                    .iter()
                    .map(|m| match m {
                        RouteMatch::Http(h) => {
                            h.path.as_ref().map_or(0, |p| p.value.len())
                                + h.headers
                                    .iter()
                                    .chain(&h.query_params)
                                    .map(header)
                                    .sum::<usize>()
                        }
                        RouteMatch::Grpc(g) => {
                            g.service.as_ref().map_or(0, String::len)
                                + g.method.as_ref().map_or(0, String::len)
                                + g.headers.iter().map(header).sum::<usize>()
                        }
                    })
                    .sum();
                m + rule
                    .filters
                    .iter()
                    .map(|f| f.kind.len() + f.field.len())
                    .sum::<usize>()
                    + 16
            })
            .sum();
        r.id.name.len() + r.id.namespace.len() + ann + hosts + rules
    }

    pub fn rule(r: &RuleBackends) -> usize {
        r.backends
            .iter()
            .map(|b| b.target_group.len() + b.display.len() + b.field.len() + 16)
            .sum()
    }

    pub fn target(t: &AuthTarget) -> usize {
        t.policies
            .iter()
            .map(|p| p.policy.len() + p.id.name.len() + 32)
            .sum::<usize>()
            + t.id.name.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn component(engine: &Engine, wat: &str) -> Component {
        Component::new(engine, wat).unwrap_or_else(|e| panic!("{wat}: {e:#}"))
    }

    #[test]
    fn a_component_that_imports_a_capability_is_refused() {
        let engine = Engine::default();
        let importing = component(
            &engine,
            r#"(component (import "wasi:cli/stdout@0.2.0" (instance)))"#,
        );
        let err = refuse_imports(&engine, &importing, "x.wasm").expect_err("refused");
        assert!(
            matches!(&err, LoadError::Imports { imports, .. } if imports == "wasi:cli/stdout@0.2.0"),
            "{err}"
        );
    }

    #[test]
    fn the_contracts_own_types_interface_is_not_a_capability() {
        let engine = Engine::default();
        let types_only = component(
            &engine,
            r#"(component (import "lattice:plugin/types@0.1.0" (instance)))"#,
        );
        assert!(refuse_imports(&engine, &types_only, "x.wasm").is_ok());
    }

    #[test]
    fn a_plugin_built_against_another_contract_version_is_told_which_and_what_to_do() {
        let engine = Engine::default();
        let newer = component(
            &engine,
            r#"(component
                (instance $m)
                (export "lattice:plugin/mapping@0.2.0" (instance $m)))"#,
        );
        let err = check_contract(&engine, &newer, "next.wasm").expect_err("refused");
        assert_eq!(
            err.to_string(),
            "next.wasm: built against lattice:plugin@0.2.0; this host accepts lattice:plugin@0.1.0 only: rebuild the plugin with lattice-plugin-sdk 0.1, or run a lattice-host that accepts lattice:plugin@0.2.0"
        );
        let current = component(
            &engine,
            r#"(component
                (instance $m)
                (export "lattice:plugin/mapping@0.1.0" (instance $m)))"#,
        );
        assert!(check_contract(&engine, &current, "x.wasm").is_ok());
    }
}
