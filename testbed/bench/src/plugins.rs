//! `lattice-host bench plugins`: the plan through the WASM plugins against
//! the same logic linked natively, on synthetic routes.

use std::time::Instant;

use anyhow::Context;
use lattice_core::{ClusterConfig, Snapshot, Stages};
use lattice_wasm::PluginConfig;

use crate::native::NativeStages;
use crate::synthetic;

/// Figures printed by `bench plugins --json`.
#[derive(Debug, serde::Serialize)]
pub struct PluginFigures {
    /// Routes planned.
    pub routes: usize,
    /// Whole plan through the WASM plugins, ms.
    pub wasm_ms: f64,
    /// Whole plan through the native plugins, ms.
    pub native_ms: f64,
    /// `wasm_ms / native_ms`.
    pub ratio: f64,
    /// One mapping call on a warm instance, one typical route, µs.
    pub warm_call_us: f64,
    /// Fresh instance plus one mapping call, one typical route, µs.
    pub fresh_call_us: f64,
    /// The same call linked natively, µs: what the WASM boundary adds to.
    pub native_call_us: f64,
}

fn time_plan(snapshot: &Snapshot, stages: &dyn Stages) -> (f64, usize) {
    let cfg = ClusterConfig::default();
    let start = Instant::now();
    let plan = lattice_core::build_plan(snapshot, &cfg, stages);
    (start.elapsed().as_secs_f64() * 1e3, plan.services.len())
}

/// Microseconds per call: the median of 9 batches of 1,000 calls, so a
/// scheduling hiccup on a shared machine skews one batch, not the figure.
fn per_call_us(
    mut call: impl FnMut() -> Result<(), lattice_core::StageError>,
) -> anyhow::Result<f64> {
    const BATCHES: usize = 9;
    const CALLS: u32 = 1_000;
    let mut batches = Vec::with_capacity(BATCHES);
    for _ in 0..BATCHES {
        let start = Instant::now();
        for _ in 0..CALLS {
            call()?;
        }
        batches.push(start.elapsed().as_secs_f64() * 1e6 / f64::from(CALLS));
    }
    batches.sort_by(f64::total_cmp);
    Ok(batches[BATCHES / 2])
}

/// Plans `routes` synthetic routes through the plugins `config` chooses and
/// through the default plugins linked natively, and times single calls.
pub fn run(routes: usize, config: &PluginConfig) -> anyhow::Result<PluginFigures> {
    let snapshot = synthetic::snapshot(routes);
    let (_rt, wasm) = lattice_wasm::start(config)?;
    // Warm up both paths once (page faults, caches), then measure.
    let _ = time_plan(&synthetic::snapshot(50), &wasm);
    let _ = time_plan(&synthetic::snapshot(50), &NativeStages);
    let (wasm_ms, planned) = time_plan(&snapshot, &wasm);
    let (native_ms, native_planned) = time_plan(&snapshot, &NativeStages);
    anyhow::ensure!(
        planned == routes && native_planned == routes,
        "planned {planned} (wasm) and {native_planned} (native) of {routes} routes"
    );

    let one = lattice_core::plan::PlanInput::from_snapshot(
        &synthetic::snapshot(1),
        &ClusterConfig::default(),
    );
    let route = std::slice::from_ref(&one.routes.first().context("synthetic route")?.route);
    let mapping = wasm.mapping.loaded()?;
    let mut warm = mapping.warm_mapper()?;
    let warm_call_us = per_call_us(|| warm.map(route).map(drop))?;
    let fresh_call_us = per_call_us(|| mapping.map(route).map(drop))?;
    let native_call_us = per_call_us(|| NativeStages.map(route).map(drop))?;

    Ok(PluginFigures {
        routes,
        wasm_ms,
        native_ms,
        ratio: wasm_ms / native_ms.max(1e-9),
        warm_call_us,
        fresh_call_us,
        native_call_us,
    })
}

impl std::fmt::Display for PluginFigures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "routes         {}", self.routes)?;
        writeln!(f, "plan (wasm)    {:.1} ms", self.wasm_ms)?;
        writeln!(f, "plan (native)  {:.1} ms", self.native_ms)?;
        writeln!(f, "ratio          {:.2}", self.ratio)?;
        writeln!(f, "warm call      {:.2} µs", self.warm_call_us)?;
        writeln!(f, "fresh + call   {:.2} µs", self.fresh_call_us)?;
        write!(f, "native call    {:.2} µs", self.native_call_us)
    }
}
