//! `lattice-controller`: watches in, plans through the plugins, applies to
//! VPC Lattice, status out.
//!
//! ```text
//! watch.rs: kube-rs watchers (one per kind) ─► Change ─► Index (typed state + graph)
//!        ─► Dirty routes and Gateways, debounced (this file)
//!        ─► pass.rs: plan ─► desired.rs ─► apply ─► outcomes
//!        ─► writers/: events, annotations, finalizers, status
//! ```
//!
//! One reconcile pass runs at a time, so a route is never reconciled twice
//! at once; within a pass, writes run with bounded concurrency. The loop
//! polls the pass beside the watches and keeps feeding the index while the
//! pass waits (shared_index.rs): what changes meanwhile is dirty for the
//! next pass. Only the leader (leader.rs) runs passes; followers keep
//! their index warm.
//!
//! The run loop beats a heartbeat and says when every kind has listed
//! ([`Health`], for `/healthz` and `/readyz`); passes, compactions,
//! routes, plugin objects, leadership, watch restarts and the dirty set
//! are counted in [`Metrics`]. Routes whose ServiceImports find nothing
//! are looked at again with backoff (unresolved.rs).

mod desired;
mod fence;
mod health;
mod kinds;
pub mod leader;
mod metrics;
mod pass;
mod plugins;
mod shared_index;
pub mod topology;
mod unresolved;
mod watch;
mod writers;

use std::sync::Arc;
use std::time::Duration;

use lattice_core::index::{Dirty, RouteKey};
use lattice_core::status::ApplyOutcome;
use lattice_core::{ClusterConfig, Stages};
use tokio::sync::mpsc;

pub use health::{HEARTBEAT, Health, Probe, STALE_AFTER};
pub use metrics::{Metrics, PLUGIN_STATES, ROUTE_CONDITIONS};
pub use plugins::fetch_component;
pub use watch::Change;

use plugins::host::{HostOptions, PluginEvent, PluginHost};
use shared_index::SharedIndex;
pub use writers::FIELD_MANAGER;

/// Quiet time after a whole pass before what it left is compacted (see
/// `Controller::compact`): long enough for the echoes of its status writes
/// to have come in, which would otherwise be allocated after the copy.
const COMPACT_QUIET: Duration = Duration::from_secs(2);

/// Watch changes since the last compaction that make another one due, as
/// a share of the routes (at least [`REWRITE_MIN`]): when a slow API
/// server lets the echoes of a whole pass pause for longer than
/// [`COMPACT_QUIET`], those after the compaction rewrite much of the index
/// among short-lived allocations again (a 10,000-route benchmark read 250
/// MB resident once, not 190).
const REWRITE_SHARE: usize = 4;
/// The fewest watch changes that make a compaction due again.
const REWRITE_MIN: usize = 256;

/// How the controller runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// Cluster identity.
    pub cluster: ClusterConfig,
    /// Quiet time after the last change before a pass starts.
    pub debounce: Duration,
    /// Period of the full resync; zero: none (changes and failures still
    /// bring a whole pass).
    pub resync: Duration,
    /// Status writes in flight at once.
    pub max_concurrent_writes: usize,
    /// Leadership, from [`leader::Election::start`]; `None` means always lead.
    pub leader: Option<leader::Leadership>,
    /// This replica's name, reported on the Events it records.
    pub instance: Option<String>,
    /// The controller's own namespace: a ClusterLatticePlugin's
    /// `pullSecret` is read from it.
    pub namespace: String,
    /// How soon what waits on something outside the cluster is looked at
    /// again: a deletion (a ServiceNetwork whose network another service
    /// still uses), or a route whose ServiceImport finds no target group
    /// (another cluster may export it later; while it finds nothing, after
    /// 1, 2, 4, then 8 periods: see `unresolved.rs`).
    pub recheck: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            cluster: ClusterConfig::default(),
            debounce: Duration::from_millis(20),
            resync: Duration::from_secs(600),
            max_concurrent_writes: 20,
            leader: None,
            instance: None,
            namespace: "default".into(),
            recheck: Duration::from_secs(30),
        }
    }
}

/// A pass in progress, polled by the run loop beside the watches.
type Running<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = pass::Passed> + Send + 'a>>;

/// The controller.
pub struct Controller {
    client: kube::Client,
    stages: Arc<dyn Stages + Send + Sync>,
    options: Options,
    applier: Option<tokio::sync::Mutex<lattice_apply::Applier>>,
    desired: std::sync::Mutex<desired::Desired>,
    outcomes: std::sync::Mutex<std::collections::BTreeMap<RouteKey, ApplyOutcome>>,
    /// Plugin objects, when the controller serves them.
    plugins: Option<PluginHost>,
    /// Records Events, deduplicating repeats (see `writers/events.rs`).
    recorder: std::sync::OnceLock<kube::runtime::events::Recorder>,
    /// The last announced service network failure of each Gateway.
    gateway_failures:
        std::sync::Mutex<std::collections::BTreeMap<lattice_core::snapshot::Key, String>>,
    /// Handed out to whoever shows the topology; answered by the run loop.
    topology: (topology::TopologySource, Option<topology::Requests>),
    metrics: Metrics,
    health: Health,
    /// Objects to look at again after [`Options::recheck`], not at once:
    /// what they wait on changes outside the cluster, unwatched.
    recheck: std::sync::Mutex<Dirty>,
    /// Routes whose imports found nothing, looked at again with backoff.
    unresolved: std::sync::Mutex<unresolved::Unresolved>,
}

impl Controller {
    /// A controller over `client`, deciding through `stages`. With
    /// [`Options::leader`], each of its Kubernetes writes is sent only
    /// while this replica leads (see `fence.rs`).
    pub fn new(
        client: kube::Client,
        stages: Arc<dyn Stages + Send + Sync>,
        options: Options,
    ) -> Self {
        let client = match fence::of(options.leader.clone()) {
            Some(f) => fence::fenced(client, f),
            None => client,
        };
        Controller {
            client,
            stages,
            options,
            applier: None,
            desired: Default::default(),
            outcomes: Default::default(),
            plugins: None,
            recorder: std::sync::OnceLock::new(),
            gateway_failures: Default::default(),
            topology: {
                let (source, requests) = topology::channel();
                (source, Some(requests))
            },
            metrics: Metrics::unregistered(),
            health: Health::default(),
            recheck: Default::default(),
            unresolved: Default::default(),
        }
    }

    /// Where to ask for the controller's topology while it runs (the admin
    /// page does).
    pub fn topology_source(&self) -> topology::TopologySource {
        self.topology.0.clone()
    }

    /// Counts passes, routes, plugin objects, leadership, watch restarts
    /// and the dirty set in `metrics`.
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// The run loop's health, for liveness and readiness probes; clones
    /// stay current while the controller runs.
    pub fn health(&self) -> Health {
        self.health.clone()
    }

    /// Serves ClusterLatticePlugins and LatticePlugins: loads their
    /// components with `runtime` and swaps them in while running. Without
    /// this, every route is decided by the controller's own stages.
    pub fn with_plugin_objects(
        mut self,
        runtime: lattice_wasm::PluginRuntime,
        cache_dir: Option<std::path::PathBuf>,
    ) -> Self {
        let options = HostOptions {
            cache_dir,
            namespace: self.options.namespace.clone(),
        };
        self.plugins = Some(PluginHost::new(runtime, options));
        self
    }

    /// Applies every pass's desired state to VPC Lattice through `applier`.
    /// Without one, the controller plans and writes status only. Fenced by
    /// [`Options::leader`]: a replica that stops leading mid-apply writes
    /// nothing more.
    pub fn with_applier(mut self, applier: lattice_apply::Applier) -> Self {
        let applier = match fence::of(self.options.leader.clone()) {
            Some(f) => applier.with_fence(f),
            None => applier,
        };
        self.applier = Some(tokio::sync::Mutex::new(applier));
        self
    }

    /// Runs until `shutdown` resolves; a pass in progress finishes first.
    pub async fn run(mut self, shutdown: impl std::future::Future<Output = ()>) {
        // A short queue: each change holds a whole object until the loop takes
        // it, and a long one only holds more of them (at 10,000 routes, 4,096
        // queued objects were 65 MB at the peak).
        let (tx, mut rx) = mpsc::channel::<Change>(256);
        let kinds = kinds::watched();
        let watchers: Vec<_> = kinds
            .iter()
            .map(|kind| {
                let metrics = self.metrics.clone();
                tokio::spawn(watch::run(self.client.clone(), *kind, tx.clone(), metrics))
            })
            .collect();
        drop(tx);
        // Plugin loads and ConfigMap versions come back on their own channel.
        let (ptx, mut prx) = mpsc::channel::<PluginEvent>(256);
        if self.plugins.is_some() {
            let client = self.client.clone();
            let ptx = ptx.clone();
            tokio::spawn(plugins::config_maps::watch(client, ptx));
        }
        // The first pass waits for the plugins a restart finds, so a route
        // is never planned with a plugin it does not use.
        let mut passed_once = false;
        // A whole pass has run since the last compaction, or the watches
        // have rewritten a good part of the index since (`rewritten` of
        // `rewrite_at` changes).
        let mut compact_due = false;
        let (mut rewritten, mut rewrite_at) = (0usize, usize::MAX);
        let mut topology = self
            .topology
            .1
            .take()
            .unwrap_or_else(|| topology::channel().1);
        // Moves with every change the topology could show.
        let mut version: u64 = 0;
        let index = SharedIndex::default();
        let mut dirty = Dirty::default();
        // No pass runs before every kind has listed once: an apply would prune
        // what the index has not seen yet, and a route whose Gateway has not
        // been listed would be given a wrong status.
        let mut listed: std::collections::BTreeSet<String> = Default::default();
        // The next apply covers the whole desired state, not just what the
        // dirty routes touch: at start, on resync, for a new leader, after a
        // failure.
        let mut full = true;
        // The pass in progress, polled beside the watches: the loop keeps
        // feeding the index while a pass applies and writes.
        let mut running: Option<Running<'_>> = None;
        // A zero period turns the resync off; tokio's interval refuses one.
        let resyncing = !self.options.resync.is_zero();
        let mut resync = tokio::time::interval(self.options.resync.max(Duration::from_secs(1)));
        resync.tick().await;
        let mut leader = self.options.leader.clone();
        let leading = |l: &Option<leader::Leadership>| l.as_ref().is_none_or(|l| l.leading());
        // An idle loop still turns, so its heartbeat says it is alive.
        let mut recheck =
            tokio::time::interval(self.options.recheck.max(Duration::from_millis(10)));
        recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut heartbeat = tokio::time::interval(health::HEARTBEAT);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        self.health.listed(0, kinds.len());
        // The debounce runs from the last event; a heartbeat is none.
        let mut last_event = tokio::time::Instant::now();
        tokio::pin!(shutdown);
        loop {
            self.health.beat();
            let lead = leading(&leader);
            self.health.leading(lead);
            self.metrics.leader(lead);
            self.metrics
                .queue_depth(dirty.routes.len() + dirty.gateways.len());
            let quiet = tokio::time::sleep_until(last_event + self.options.debounce);
            let mut idle_tick = false;
            let lead_changed = async {
                match leader.as_mut() {
                    Some(l) => l.changed().await.is_ok(),
                    None => std::future::pending().await,
                }
            };
            let idle = running.is_none();
            let pass_done = async {
                match running.as_mut() {
                    Some(pass) => pass.await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                _ = &mut shutdown => {
                    // A pass in progress finishes first.
                    if let Some(pass) = running.take() {
                        pass.await;
                    }
                    break;
                }
                passed = pass_done => {
                    running = None;
                    dirty.merge(passed.again);
                    full |= passed.full;
                    compact_due |= passed.whole;
                    self.metrics.compaction_pending(compact_due);
                    version += 1;
                }
                changed = lead_changed => {
                    // A new leader re-checks everything: the old one may have
                    // stopped mid-way.
                    if changed && leading(&leader) {
                        full = true;
                        dirty.merge(index.read().all_routes());
                    } else if !changed {
                        leader = None;
                    }
                }
                Some(reply) = topology.recv() => {
                    // Someone looking is not a change: the debounce runs on.
                    idle_tick = true;
                    let _ = reply.send(self.topology(&index.read(), version));
                }
                change = rx.recv() => match change {
                    Some(c) => {
                        version += 1;
                        if let Change::Relisted { kind, .. } = &c {
                            listed.insert(kind.clone());
                            self.health.listed(listed.len(), kinds.len());
                        }
                        let plugin_kind = plugins::is_plugin_change(&c);
                        dirty.merge(watch::apply(&mut index.write(), c));
                        rewritten += 1;
                        if rewritten >= rewrite_at && !compact_due {
                            compact_due = true;
                            self.metrics.compaction_pending(true);
                        }
                        if plugin_kind {
                            dirty.merge(self.reconcile_plugins(&index, &ptx, leading(&leader)).await);
                        }
                    }
                    None => break,
                },
                Some(event) = prx.recv() => {
                    dirty.merge(self.plugin_event(&index, event, &ptx, leading(&leader)).await);
                }
                _ = resync.tick(), if resyncing => {
                    full = true;
                    dirty.merge(index.read().all_routes());
                }
                _ = heartbeat.tick() => idle_tick = true,
                _ = recheck.tick() => {
                    let mut later = std::mem::take(
                        &mut *self.recheck.lock().unwrap_or_else(|p| p.into_inner()),
                    );
                    later.routes.extend(
                        self.unresolved.lock().unwrap_or_else(|p| p.into_inner()).tick(),
                    );
                    idle_tick = later.is_empty();
                    dirty.merge(later);
                }
                // After the echoes of a whole pass's writes, not among them.
                _ = tokio::time::sleep_until(last_event + COMPACT_QUIET), if idle && compact_due => {
                    compact_due = false;
                    idle_tick = true;
                    self.compact(&index).await;
                    self.metrics.compaction_pending(false);
                    rewritten = 0;
                    rewrite_at = (index.read().snapshot().route_count() / REWRITE_SHARE)
                        .max(REWRITE_MIN);
                }
                _ = quiet, if idle
                    && !dirty.is_empty()
                    && listed.len() == kinds.len()
                    && (passed_once || self.plugins_settled()) => {
                    let work = std::mem::take(&mut dirty);
                    // Followers keep their index and plugins warm but write
                    // nothing; a new leader's first pass waits like any first.
                    if leading(&leader) {
                        passed_once = true;
                        let whole = std::mem::take(&mut full);
                        running = Some(Box::pin(self.pass(&index, work, whole)));
                    }
                }
            }
            if !idle_tick {
                last_event = tokio::time::Instant::now();
            }
        }
        self.health.stopped();
        for w in watchers {
            w.abort();
        }
    }
}
