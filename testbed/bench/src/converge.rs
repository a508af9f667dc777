//! The converge benchmark: N synthetic routes against an in-process lattice-sim
//! with L ms of latency on every call, from empty, then a second pass with
//! nothing changed.
//!
//! The routes are `lattice_apply::fixtures::synthetic_plan`.
//!
//! - `min_api_calls`: the calls this plan needs from empty: one list page
//!   each of service networks, services, target groups and VPC associations,
//!   then every create, one `RegisterTargets` per 100 targets of a group and
//!   the associations.
//! - `bound_ms`: the observation takes at least one round trip, and the writes
//!   form a graph of depth 3 (target groups / services → listeners, targets,
//!   associations → rules), so with C calls in flight:
//!   `L × (1 + max(3, ⌈writes_min / C⌉))`.

use std::collections::BTreeMap;
use std::time::Instant;

use lattice_apply::fixtures::{min_writes, synthetic_plan};
use lattice_apply::{Applier, ApplyOptions};
use lattice_core::ClusterConfig;
use lattice_sim::{LatticeSim, Quotas, SimConfig, is_read_operation};
use serde::Serialize;

/// What `lattice-host bench converge --json` prints.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConvergeFigures {
    /// N.
    pub routes: usize,
    /// Calls the first pass made (as lattice-sim counted them, retries included).
    pub api_calls: u64,
    /// The fewest calls the first pass could make.
    pub min_api_calls: u64,
    /// Write calls of the first pass.
    pub writes: u64,
    /// Wall time of the first pass.
    pub wall_ms: u64,
    /// Lower bound on the first pass's wall time.
    pub bound_ms: u64,
    /// Write calls of the second pass.
    pub resync_writes: u64,
    /// Read calls of the second pass.
    pub resync_reads: u64,
    /// Peak resident memory of the process, MB.
    pub rss_mb: f64,
}

fn split(calls: &BTreeMap<String, u64>) -> (u64, u64) {
    calls.iter().fold((0, 0), |(r, w), (op, n)| {
        if is_read_operation(op) {
            (r + n, w)
        } else {
            (r, w + n)
        }
    })
}

fn peak_rss_mb() -> f64 {
    (crate::external::own_memory().peak_mb * 10.0).round() / 10.0
}

/// Converges `routes` synthetic routes against an in-process lattice-sim with
/// `latency_ms` on every call and `concurrency` calls in flight, then resync.
///
/// # Panics
/// If the emulator cannot bind a port on 127.0.0.1.
pub async fn run(routes: usize, latency_ms: u64, concurrency: usize) -> ConvergeFigures {
    let sim_cfg: SimConfig =
        serde_json::from_value(serde_json::json!({"faults": {"*": {"latencyMs": latency_ms}}}))
            .unwrap_or_default();
    let sim = LatticeSim::new(SimConfig {
        quotas: Quotas::unlimited(),
        ..sim_cfg
    })
    .start()
    .await
    .expect("lattice-sim binds 127.0.0.1");
    let plan = synthetic_plan(routes);
    let applier = Applier::new(
        lattice_sim::client(&sim.url()),
        ClusterConfig::default(),
        ApplyOptions::unlimited(concurrency),
    );
    // Run the passes on a runtime worker, next to the I/O driver, rather than on
    // the thread that blocks on this future.
    let counts = sim.sim().clone();
    let task = tokio::spawn(async move {
        let mut applier = applier;
        counts.reset_call_counts();
        let t0 = Instant::now();
        let first = applier.apply(&plan).await;
        let wall = t0.elapsed();
        if !first.is_success() {
            tracing::warn!(
                failures = first.failures.len(),
                "converge: first pass had failures"
            );
        }
        let pass1 = counts.call_counts();
        counts.reset_call_counts();
        let _second = applier.apply(&plan).await;
        (plan, wall, pass1, counts.call_counts())
    });
    let (plan, wall, pass1, pass2) = task.await.expect("converge task");
    let (r1, w1) = split(&pass1);
    let (r2, w2) = split(&pass2);

    let min_writes = min_writes(&plan);
    let c = concurrency.max(1) as u64;
    ConvergeFigures {
        routes,
        api_calls: r1 + w1,
        min_api_calls: 4 + min_writes,
        writes: w1,
        wall_ms: wall.as_millis() as u64,
        bound_ms: latency_ms * (1 + 3u64.max(min_writes.div_ceil(c))),
        resync_writes: w2,
        resync_reads: r2,
        rss_mb: peak_rss_mb(),
    }
}

impl std::fmt::Display for ConvergeFigures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "routes          {}", self.routes)?;
        writeln!(
            f,
            "api calls       {} (minimum {})",
            self.api_calls, self.min_api_calls
        )?;
        writeln!(f, "writes          {}", self.writes)?;
        writeln!(
            f,
            "wall            {} ms (bound {} ms)",
            self.wall_ms, self.bound_ms
        )?;
        writeln!(
            f,
            "resync          {} writes, {} reads",
            self.resync_writes, self.resync_reads
        )?;
        write!(f, "rss             {:.1} MB", self.rss_mb)
    }
}
