//! The Kubernetes suite of `lattice-host bench faults`: N routes converged
//! while the API server misbehaves (issue 15).
//!
//! ```text
//! reference: N routes converge against a clean lattice-sim ─► its resources
//! faulty:    the controller starts against kube-sim with a state file
//!            ─► status writes answered 409 Conflict at a rate, all along
//!            ─► every `period`: open watches dropped, or history compacted
//!               (watches resume into 410 Gone), in turn
//!            ─► once half the routes are Programmed: kube-sim shut down and
//!               started again on the same address from its state file
//!            ─► every route Programmed ─► quiet ─► lattice-sim compared
//! ```

use std::time::{Duration, Instant};

use lattice_wasm::PluginConfig;

use crate::cluster::Cluster;
use crate::estate::{compare, resources};
use crate::throttling::Run;

/// Figures of the Kubernetes suite (`kubernetes` in `bench faults --json`).
#[derive(Debug, serde::Serialize)]
pub struct KubeFaultFigures {
    /// Routes.
    pub routes: usize,
    /// Share of status writes answered `409 Conflict`.
    pub status_conflict_rate: f64,
    /// Status writes answered `409 Conflict`.
    pub status_conflicts: u64,
    /// Times every open watch was closed.
    pub watch_drops: u64,
    /// Times the change history was forgotten (resumed watches get 410).
    pub compactions: u64,
    /// Times kube-sim was restarted from its state file.
    pub restarts: u64,
    /// Controller start to every route `Programmed`, ms.
    pub converge_ms: u64,
    /// Lattice calls until quiet, beyond the clean run's.
    pub extra_calls: u64,
    /// Routes `Programmed=True` at the end.
    pub programmed: usize,
    /// Resources lattice-sim holds that the clean run does not.
    pub orphans: usize,
    /// Resources lattice-sim holds more than once.
    pub duplicates: usize,
    /// Resources the clean run holds that lattice-sim does not.
    pub missing: usize,
}

/// Converges `n` routes through the faults above; `reference` is a clean run.
pub(crate) async fn run(
    n: usize,
    status_conflict_rate: f64,
    period: Duration,
    reference: &Run,
    timeout: Duration,
) -> anyhow::Result<KubeFaultFigures> {
    let dir = tempfile::tempdir()?;
    let options = kube_sim::SimOptions {
        state_file: Some(dir.path().join("kube-sim.json")),
        ..Default::default()
    };
    let mut cluster = crate::cluster::start_with(n, options).await?;
    let faults = kube_sim::KubeFaults {
        status_conflict_rate,
    };
    cluster.kube().sim().set_faults(faults);
    let mut f = KubeFaultFigures {
        routes: n,
        status_conflict_rate,
        status_conflicts: 0,
        watch_drops: 0,
        compactions: 0,
        restarts: 0,
        converge_ms: 0,
        extra_calls: 0,
        programmed: 0,
        orphans: 0,
        duplicates: 0,
        missing: 0,
    };
    let controller = cluster.controller(PluginConfig::default())?;
    let started = Instant::now();
    let deadline = started + timeout;
    let half = cluster.programmed_at_least(n.div_ceil(2), n, deadline);
    disrupt_until(&cluster, period, &mut f, half).await?;
    f.status_conflicts += cluster.kube().sim().injected_faults();
    cluster.restart_kube().await?;
    f.restarts += 1;
    cluster.kube().sim().set_faults(faults);
    let all = cluster.converged(n, deadline);
    disrupt_until(&cluster, period, &mut f, all).await?;
    f.converge_ms = started.elapsed().as_millis() as u64;
    // Quiet, with the faults off: what is left to do is done.
    cluster
        .kube()
        .sim()
        .set_faults(kube_sim::KubeFaults::default());
    let calls = crate::e2e::quiet(&cluster, crate::e2e::QUIET, deadline).await;
    f.status_conflicts += cluster.kube().sim().injected_faults();
    f.extra_calls = calls.saturating_sub(reference.calls);
    (_, f.programmed) = cluster.programmed().await?;
    controller.stop().await;
    (f.orphans, f.duplicates, f.missing) = compare(
        &reference.resources,
        &resources(&cluster.lattice.state_dump()),
    );
    Ok(f)
}

/// Drops watches and compacts history in turn, every `period`, until `done`.
async fn disrupt_until(
    cluster: &Cluster,
    period: Duration,
    f: &mut KubeFaultFigures,
    done: impl std::future::Future<Output = anyhow::Result<()>>,
) -> anyhow::Result<()> {
    let mut done = std::pin::pin!(done);
    let mut tick = tokio::time::interval(period);
    tick.tick().await;
    loop {
        tokio::select! {
            r = &mut done => return r,
            _ = tick.tick() => {
                let sim = cluster.kube().sim();
                if f.watch_drops == f.compactions {
                    sim.drop_watches();
                    f.watch_drops += 1;
                } else {
                    sim.compact();
                    sim.drop_watches();
                    f.compactions += 1;
                }
            }
        }
    }
}

impl std::fmt::Display for KubeFaultFigures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "routes       {}", self.routes)?;
        writeln!(
            f,
            "faults       {:.0}% of status writes 409 ({} in all), watches dropped {}×, \
             history compacted {}×, kube-sim restarted {}×",
            self.status_conflict_rate * 100.0,
            self.status_conflicts,
            self.watch_drops,
            self.compactions,
            self.restarts
        )?;
        writeln!(f, "converge     {} ms", self.converge_ms)?;
        writeln!(f, "calls        {} more than clean", self.extra_calls)?;
        writeln!(f, "programmed   {} of {}", self.programmed, self.routes)?;
        write!(
            f,
            "lattice      {} orphaned, {} duplicated, {} missing",
            self.orphans, self.duplicates, self.missing
        )
    }
}
