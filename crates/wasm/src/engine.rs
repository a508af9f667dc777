//! The one `wasmtime::Engine` of the process, configured here and nowhere else.

use std::time::Duration;

use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// Resource budgets for every plugin call; set once, applied to every store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock budget of one call (epoch deadline).
    pub timeout: Duration,
    /// Linear memory per instance, in bytes.
    pub max_memory_bytes: usize,
    /// Table elements per table.
    pub max_table_elements: usize,
    /// Instances that may run at once (pooling allocator slots).
    pub max_concurrent_instances: u32,
    /// Input size cap per call, in bytes of strings carried.
    pub max_input_bytes: usize,
    /// Fuel (wasmtime's count of executed instructions) per input item of a
    /// call: the deterministic budget, so that the same input fails the same
    /// way on an idle and on a busy machine. A call gets
    /// [`CALL_FUEL`] plus this much per item. 0 turns metering off (for
    /// measuring its cost); the epoch deadline stays as the backstop.
    pub fuel_per_item: u64,
}

/// Fuel every call gets besides its per-item fuel: reading the settings
/// and building the answer list.
pub const CALL_FUEL: u64 = 1_000_000;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_millis(100),
            max_memory_bytes: 64 << 20,
            max_table_elements: 20_000,
            max_concurrent_instances: 32,
            max_input_bytes: 8 << 20,
            // About 2 ms of work at wasmtime's speed; the default plugins
            // use under 1% of it on a route with 16 rules.
            fuel_per_item: 2_000_000,
        }
    }
}

/// One epoch tick; deadlines are counted in ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Builds the engine.
pub fn engine(limits: &Limits) -> wasmtime::Result<Engine> {
    let mut config = Config::new();
    // Plugins are components; nothing else is loaded.
    config.wasm_component_model(true);
    // The wall-clock backstop: a ticker thread bumps the epoch every
    // EPOCH_TICK and a store traps once its deadline passes.
    config.epoch_interruption(true);
    // The deterministic budget: fuel runs out at the same instruction
    // whatever the machine's load.
    config.consume_fuel(limits.fuel_per_item > 0);
    // Plugins run a few microseconds each; optimise for speed of the code.
    config.cranelift_opt_level(wasmtime::OptLevel::Speed);
    // A fresh instance per decision is cheap with pre-reserved slots.
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(limits.max_concurrent_instances);
    pool.total_core_instances(limits.max_concurrent_instances * 2);
    pool.total_memories(limits.max_concurrent_instances);
    pool.total_tables(limits.max_concurrent_instances * 2);
    pool.max_memory_size(limits.max_memory_bytes);
    pool.table_elements(limits.max_table_elements);
    // Reset a slot's first pages with memset rather than madvise: a plugin
    // call touches little memory, and the syscall dominates a fresh instance.
    pool.linear_memory_keep_resident(256 << 10);
    pool.table_keep_resident(64 << 10);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&config)
}

/// Epoch ticks that make up `timeout`, at least one.
pub fn deadline_ticks(timeout: Duration) -> u64 {
    (timeout.as_nanos() / EPOCH_TICK.as_nanos()).max(1) as u64
}
