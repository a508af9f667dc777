//! `lattice-wasm`: the plugin runtime. One engine, compiled components cached
//! on disk, a fresh pooled instance per decision, and real budgets.
//!
//! ```text
//! bytes ─► sha256 ─► cache (sha256, engine hash) ─► Component
//!        ─► no imports? exports the stage's world? ─► InstancePre
//!        ─► info + validate-settings (fresh instance) ─► LoadedPlugin
//! decision ─► fresh Store (StoreLimits, epoch deadline) ─► call ─► validate
//! ```
//!
//! [`PluginConfig`] says which plugin serves each stage; [`start`] is the
//! one place that turns it into running [`WasmStages`].

mod bindings;
mod cache;
pub mod defaults;
mod engine;
mod inspect;
mod metrics;
mod plugin;
mod stages;

pub use cache::ComponentCache;
pub use engine::{EPOCH_TICK, Limits};
pub use inspect::{Inspection, inspect};
pub use metrics::{CallOutcome, PluginMetrics};
#[cfg(feature = "bench")]
pub use plugin::WarmMapper;
pub use plugin::{CONTRACT, LoadError, LoadedPlugin, Metering, Shared, is_component};
pub use stages::{
    PluginConfig, PluginRuntime, StageChoice, StagePlugin, StartError, WasmStages, start,
    start_lenient, start_observed,
};
