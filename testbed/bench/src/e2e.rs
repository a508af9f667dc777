//! `lattice-host bench e2e`: N routes applied through kube-sim, converged by
//! the controller into lattice-sim; then one route's weights change.

use std::time::{Duration, Instant};

use anyhow::Context;
use lattice_wasm::PluginConfig;

/// Figures printed by `bench e2e --json`.
#[derive(Debug, serde::Serialize)]
pub struct E2eFigures {
    /// Routes.
    pub routes: usize,
    /// Controller start to every route programmed, ms.
    pub converge_ms: u64,
    /// One route's weights edited to Lattice updated, ms.
    pub change_ms: u64,
    /// VPC Lattice API calls, converge and change together.
    pub api_calls: u64,
    /// VPC Lattice API calls the change alone cost, until the controller
    /// was quiet again.
    pub change_calls: u64,
    /// Resident memory of this process at the end, MB: emulators and
    /// controller, or (`--external`) the emulators alone.
    pub rss_mb: f64,
    /// `--external`: the controller process's resident memory at the end, MB.
    pub controller_rss_mb: Option<f64>,
    /// `--external`: the controller process's peak resident memory, MB.
    pub controller_peak_mb: Option<f64>,
    /// `--external`: of `controller_rss_mb`, its private memory (`RssAnon`),
    /// MB; the rest is mostly the binary's pages.
    pub controller_anon_mb: Option<f64>,
}

/// Where the controller runs.
enum Controller {
    /// A task in this process.
    InProcess(crate::cluster::Running),
    /// `lattice-host run` in a process of its own.
    External(Box<crate::external::External>),
}

/// Applies `n` synthetic routes to kube-sim, runs the controller (plugins
/// from `plugins`) until every route is `Programmed`, then edits one route's
/// weights and waits for Lattice to see it; gives up after `timeout`.
/// `external`: the controller is `lattice-host run` in a process of its own
/// (with the built-in plugins), so its memory can be told from the emulators'.
/// `settle`: how long the controller must have written nothing before the
/// change (it may still be reading the echoes of its own writes).
pub async fn run(
    n: usize,
    plugins: PluginConfig,
    timeout: Duration,
    external: bool,
    settle: Duration,
) -> anyhow::Result<E2eFigures> {
    let cluster = crate::cluster::start(n).await?;
    let mut controller = if external {
        let lattice = cluster.lattice.url();
        let exe = std::env::current_exe()?;
        Controller::External(Box::new(crate::external::External::start(
            &exe,
            |path| cluster.write_kubeconfig(path),
            &lattice,
            None,
        )?))
    } else {
        Controller::InProcess(cluster.controller(plugins)?)
    };
    let started = Instant::now();
    // Converged: every route reports Programmed=True.
    cluster
        .converged(n, started + timeout)
        .await
        .with_context(|| format!("converging within {} s", timeout.as_secs()))?;
    let converge_ms = started.elapsed().as_millis() as u64;
    // The change is timed from a quiet controller: the converging pass may
    // still be writing Events and annotations after the last status.
    let deadline = started + timeout;
    quiet(&cluster, settle, deadline).await;

    // One change: the weights of route0's first rule; Lattice sees one UpdateRule.
    let before = cluster.calls(Some("UpdateRule"));
    let calls_before = cluster.calls(None);
    let changed = Instant::now();
    cluster.set_route0_weights(50, 50).await?;
    cluster
        .more_calls(Some("UpdateRule"), before, deadline)
        .await?;
    let change_ms = changed.elapsed().as_millis() as u64;
    let change_calls = quiet(&cluster, QUIET, deadline).await - calls_before;
    // Memory is the steady state's: a pass's transient allocations are
    // freed (and given back) a moment after its last write.
    // And it is read after the compaction that follows a whole pass.
    if let Controller::External(e) = &controller {
        quiet(&cluster, MEMORY_SETTLE, deadline).await;
        e.compacted(deadline).await?;
    }
    let controller_memory = match &mut controller {
        Controller::External(e) => Some(e.memory()?),
        Controller::InProcess(_) => None,
    };
    match controller {
        Controller::External(e) => e.stop().await,
        Controller::InProcess(r) => r.stop().await,
    }
    Ok(E2eFigures {
        routes: n,
        converge_ms,
        change_ms,
        api_calls: cluster.calls(None),
        change_calls,
        rss_mb: crate::external::own_memory().rss_mb,
        controller_rss_mb: controller_memory.map(|m| m.rss_mb),
        controller_peak_mb: controller_memory.map(|m| m.peak_mb),
        controller_anon_mb: controller_memory.map(|m| m.anon_mb),
    })
}

impl std::fmt::Display for E2eFigures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "routes      {}", self.routes)?;
        writeln!(f, "converge    {} ms", self.converge_ms)?;
        writeln!(f, "one change  {} ms to Lattice", self.change_ms)?;
        writeln!(f, "api calls   {}", self.api_calls)?;
        writeln!(f, "the change  {} calls", self.change_calls)?;
        if let (Some(rss), Some(peak), Some(anon)) = (
            self.controller_rss_mb,
            self.controller_peak_mb,
            self.controller_anon_mb,
        ) {
            writeln!(
                f,
                "controller  {rss:.1} MB resident, {anon:.1} MB of it private ({peak:.1} MB at peak)"
            )?;
            write!(f, "emulators   {:.1} MB", self.rss_mb)
        } else {
            write!(f, "rss         {:.1} MB", self.rss_mb)
        }
    }
}

/// How long the controller must have been quiet before its memory is read.
const MEMORY_SETTLE: Duration = Duration::from_secs(12);

/// How long nothing must happen for a pass to be over.
pub(crate) const QUIET: Duration = Duration::from_millis(200);

/// The Lattice call count once neither Lattice nor Kubernetes has seen a
/// call or a write for `window` (or at `deadline`): what a pass cost,
/// whatever it does after its last write.
pub(crate) async fn quiet(
    cluster: &crate::cluster::Cluster,
    window: Duration,
    deadline: Instant,
) -> u64 {
    let seen = || (cluster.calls(None), cluster.kube_version());
    let mut last = seen();
    let mut since = Instant::now();
    while since.elapsed() < window && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
        let now = seen();
        if now != last {
            (last, since) = (now, Instant::now());
        }
    }
    last.0
}
