//! `lattice-host bench crash`: the controller, as `lattice-host run` in a
//! process of its own, killed with SIGKILL at a random moment while it
//! converges N routes, then started again (issue 15).
//!
//! ```text
//! reference: N routes converge against a clean lattice-sim ─► its resources
//! each round: fresh kube-sim and lattice-sim with N routes
//!   ─► lattice-host run ─► SIGKILL at a random moment of the reference's
//!      convergence ─► lattice-host run again (the same plugin cache, as a
//!      pod's volume) ─► every route Programmed ─► quiet
//!   ─► lattice-sim compared with the reference: orphans, duplicates, missing
//! ```
//!
//! Nothing the killed process held survives but what it wrote: the second
//! process finds its own resources by their `ManagedBy` tags, and a create
//! the first process sent but never heard back from is found, not repeated.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::estate::{compare, resources};
use crate::external::External;
use crate::throttling::{Run, converge};

/// Figures printed by `bench crash --json`.
#[derive(Debug, serde::Serialize)]
pub struct CrashFigures {
    /// Routes.
    pub routes: usize,
    /// Rounds: one kill and one restart each.
    pub kills: usize,
    /// Every kill's moment, ms after the controller started.
    pub killed_at_ms: Vec<u64>,
    /// Lattice calls the killed processes made, in all.
    pub calls_before_kills: u64,
    /// Lattice calls of every round (killed and restarted processes) beyond
    /// the reference's clean convergence, in all.
    pub extra_calls: u64,
    /// Restart to every route `Programmed`, ms: the slowest round.
    pub max_reconverge_ms: u64,
    /// Rounds that ended with every route `Programmed`.
    pub converged_rounds: usize,
    /// Resources lattice-sim held that the reference does not, all rounds.
    pub orphans: usize,
    /// Resources lattice-sim held more than once, all rounds.
    pub duplicates: usize,
    /// Resources the reference holds that lattice-sim did not, all rounds.
    pub missing: usize,
}

/// A deterministic spread of moments in `0..span` from `seed` (xorshift):
/// the same seed kills at the same moments.
fn moments(seed: u64, n: usize, span: u64) -> Vec<u64> {
    let mut x = seed.max(1);
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % span.max(1)
        })
        .collect()
}

/// Runs `kills` rounds over `n` routes with the binary `exe`.
pub async fn run(
    exe: &Path,
    n: usize,
    kills: usize,
    seed: u64,
    timeout: Duration,
) -> anyhow::Result<CrashFigures> {
    let reference = converge(n, None, timeout).await?;
    rounds(exe, n, kills, seed, &reference, timeout).await
}

/// [`run`] against `reference`, a clean run already made.
pub(crate) async fn rounds(
    exe: &Path,
    n: usize,
    kills: usize,
    seed: u64,
    reference: &Run,
    timeout: Duration,
) -> anyhow::Result<CrashFigures> {
    let cache = tempfile::tempdir()?;
    // Kill moments spread over a convergence (first Lattice call to every
    // route programmed) that finds the plugins compiled, as a restarted pod
    // does.
    let span = warm(exe, n, cache.path(), timeout).await?;
    let mut f = CrashFigures {
        routes: n,
        kills,
        killed_at_ms: moments(seed, kills, span),
        calls_before_kills: 0,
        extra_calls: 0,
        max_reconverge_ms: 0,
        converged_rounds: 0,
        orphans: 0,
        duplicates: 0,
        missing: 0,
    };
    for &at in &f.killed_at_ms.clone() {
        let cluster = crate::cluster::start(n).await?;
        let url = cluster.lattice.url();
        let first = External::start(
            exe,
            |p| cluster.write_kubeconfig(p),
            &url,
            Some(cache.path()),
        )?;
        // Killed during convergence: after its first Lattice call, however
        // long the start takes on a loaded machine.
        first_call(&cluster, timeout).await?;
        tokio::time::sleep(Duration::from_millis(at)).await;
        first.stop().await;
        f.calls_before_kills += cluster.calls(None);
        let second = External::start(
            exe,
            |p| cluster.write_kubeconfig(p),
            &url,
            Some(cache.path()),
        )?;
        let restarted = Instant::now();
        if cluster.converged(n, restarted + timeout).await.is_ok() {
            f.converged_rounds += 1;
        }
        f.max_reconverge_ms = f
            .max_reconverge_ms
            .max(restarted.elapsed().as_millis() as u64);
        crate::e2e::quiet(&cluster, crate::e2e::QUIET, restarted + timeout).await;
        second.stop().await;
        f.extra_calls += cluster.calls(None).saturating_sub(reference.calls);
        let (orphans, duplicates, missing) = compare(
            &reference.resources,
            &resources(&cluster.lattice.state_dump()),
        );
        f.orphans += orphans;
        f.duplicates += duplicates;
        f.missing += missing;
    }
    Ok(f)
}

/// How long the controller process takes from its start to every route
/// `Programmed`, ms, once `cache` holds the compiled plugins (the first of
/// two runs fills it).
async fn warm(exe: &Path, n: usize, cache: &Path, timeout: Duration) -> anyhow::Result<u64> {
    let mut took = 0;
    for _ in 0..2 {
        let cluster = crate::cluster::start(n).await?;
        let url = cluster.lattice.url();
        let c = External::start(exe, |p| cluster.write_kubeconfig(p), &url, Some(cache))?;
        first_call(&cluster, timeout).await?;
        let started = Instant::now();
        cluster.converged(n, started + timeout).await?;
        took = started.elapsed().as_millis() as u64;
        c.stop().await;
    }
    Ok(took)
}

/// Waits for the controller's first Lattice call: convergence has begun.
async fn first_call(cluster: &crate::cluster::Cluster, timeout: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    while cluster.calls(None) == 0 {
        anyhow::ensure!(
            Instant::now() < deadline,
            "no Lattice call within {timeout:?}"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(())
}

impl std::fmt::Display for CrashFigures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "routes       {}", self.routes)?;
        writeln!(
            f,
            "kills        {} (SIGKILL at {:?} ms)",
            self.kills, self.killed_at_ms
        )?;
        writeln!(
            f,
            "converged    {} of {} rounds after the restart",
            self.converged_rounds, self.kills
        )?;
        writeln!(f, "reconverge   {} ms at most", self.max_reconverge_ms)?;
        writeln!(
            f,
            "calls        {} before the kills, {} more than clean runs in all",
            self.calls_before_kills, self.extra_calls
        )?;
        write!(
            f,
            "lattice      {} orphaned, {} duplicated, {} missing",
            self.orphans, self.duplicates, self.missing
        )
    }
}
