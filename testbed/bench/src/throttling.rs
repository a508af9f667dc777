//! The throttling suite of `lattice-host bench faults`: N routes converged
//! through a VPC Lattice that throttles, fails, lags and loses answers
//! (issue 15).
//!
//! ```text
//! reference: N routes converge against a clean lattice-sim ─► its resources
//! faulty:    N routes converge against lattice-sim with fault rules on every
//!            operation ─► every route Programmed ─► quiet ─► its resources
//! compare:   by name and content (ids differ): orphans (there, not wanted),
//!            duplicates (the same thing twice), missing (wanted, not there)
//! ```
//!
//! A lost answer (`lostRate`: the call is carried out, the connection then
//! drops) is what client tokens exist for: the SDK retries the create with
//! the same token and gets the first answer instead of a second resource.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use lattice_sim::FaultSpec;
use lattice_wasm::PluginConfig;

use crate::estate::{compare, resources};

/// Faults injected on every operation.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Faults {
    /// Share of calls answered `ThrottlingException`.
    pub throttle_rate: f64,
    /// Share of calls answered `InternalServerException`.
    pub error_rate: f64,
    /// Share of calls carried out whose answer is lost.
    pub lost_rate: f64,
    /// Latency added to each call, uniformly 0 to this many ms.
    pub jitter_ms: u64,
}

/// Figures of the throttling suite (`throttling` in `bench faults --json`).
#[derive(Debug, serde::Serialize)]
pub struct FaultFigures {
    /// Routes.
    pub routes: usize,
    /// What was injected.
    pub faults: Faults,
    /// Controller start to every route `Programmed`, without faults, ms.
    pub clean_converge_ms: u64,
    /// The same with faults, ms.
    pub converge_ms: u64,
    /// Lattice calls without faults, until quiet.
    pub clean_calls: u64,
    /// Lattice calls with faults (retries included), until quiet.
    pub calls: u64,
    /// Calls that failed (throttled, 5xx, answer lost) and were retried.
    pub failed_calls: u64,
    /// Routes `Programmed=True` at the end.
    pub programmed: usize,
    /// Resources lattice-sim holds that the clean run does not.
    pub orphans: usize,
    /// Resources lattice-sim holds more than once.
    pub duplicates: usize,
    /// Resources the clean run holds that lattice-sim does not.
    pub missing: usize,
}

/// One converge; its time, calls, Programmed routes and resources.
pub(crate) struct Run {
    pub converge_ms: u64,
    pub calls: u64,
    pub programmed: usize,
    pub resources: Vec<String>,
    pub failed: BTreeMap<String, u64>,
}

/// `n` routes converged by an in-process controller, through `faults`.
pub(crate) async fn converge(
    n: usize,
    faults: Option<FaultSpec>,
    timeout: Duration,
) -> anyhow::Result<Run> {
    let cluster = crate::cluster::start(n).await?;
    if let Some(spec) = faults {
        cluster
            .lattice
            .set_faults(BTreeMap::from([("*".to_string(), spec)]));
    }
    let controller = cluster.controller(PluginConfig::default())?;
    let started = Instant::now();
    cluster.converged(n, started + timeout).await?;
    let converge_ms = started.elapsed().as_millis() as u64;
    let calls = crate::e2e::quiet(&cluster, crate::e2e::QUIET, started + timeout).await;
    let (_, programmed) = cluster.programmed().await?;
    controller.stop().await;
    Ok(Run {
        converge_ms,
        calls,
        programmed,
        resources: resources(&cluster.lattice.state_dump()),
        failed: cluster.lattice.failed_call_counts(),
    })
}

/// Converges `n` routes with `faults` and compares what lattice-sim holds
/// with `clean`, a run without them.
pub(crate) async fn run(
    n: usize,
    faults: Faults,
    clean: &Run,
    timeout: Duration,
) -> anyhow::Result<FaultFigures> {
    let spec = FaultSpec {
        throttle_rate: faults.throttle_rate,
        error_rate: faults.error_rate,
        drop_after_rate: faults.lost_rate,
        jitter_ms: faults.jitter_ms,
        ..FaultSpec::default()
    };
    let faulty = converge(n, Some(spec), timeout).await?;
    let (orphans, duplicates, missing) = compare(&clean.resources, &faulty.resources);
    Ok(FaultFigures {
        routes: n,
        faults,
        clean_converge_ms: clean.converge_ms,
        converge_ms: faulty.converge_ms,
        clean_calls: clean.calls,
        calls: faulty.calls,
        failed_calls: faulty.failed.values().sum(),
        programmed: faulty.programmed,
        orphans,
        duplicates,
        missing,
    })
}

impl std::fmt::Display for FaultFigures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let x = &self.faults;
        writeln!(f, "routes       {}", self.routes)?;
        writeln!(
            f,
            "faults       {:.0}% throttled, {:.0}% 5xx, {:.0}% answers lost, 0–{} ms jitter",
            x.throttle_rate * 100.0,
            x.error_rate * 100.0,
            x.lost_rate * 100.0,
            x.jitter_ms
        )?;
        writeln!(
            f,
            "converge     {} ms (clean {} ms)",
            self.converge_ms, self.clean_converge_ms
        )?;
        writeln!(
            f,
            "calls        {} (clean {})",
            self.calls, self.clean_calls
        )?;
        writeln!(f, "failed calls {} (retried)", self.failed_calls)?;
        writeln!(f, "programmed   {} of {}", self.programmed, self.routes)?;
        write!(
            f,
            "lattice      {} orphaned, {} duplicated, {} missing",
            self.orphans, self.duplicates, self.missing
        )
    }
}
