//! The controller's Prometheus series: passes, compactions, routes by
//! condition, plugin objects by state, leadership, watch restarts and queue
//! depth. The families are registered into the registry the composition
//! root passes (`lattice-wiring`); a controller built without one records
//! into families nobody gathers.

use prometheus::{
    Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
};

/// A route's condition as the `condition` label says it, from the outcome
/// the controller recorded for it.
pub const ROUTE_CONDITIONS: [&str; 4] = ["programmed", "kept", "failed", "pending"];

/// A plugin object's state as the `state` label says it: its latest load.
pub const PLUGIN_STATES: [&str; 4] = ["loading", "refused", "blocked", "live"];

/// The controller's families.
#[derive(Clone, Debug)]
pub struct Metrics {
    passes: IntCounterVec,
    pass_duration: HistogramVec,
    compaction_duration: Histogram,
    compaction_pending: IntGauge,
    routes: IntGaugeVec,
    plugin_objects: IntGaugeVec,
    leader: IntGauge,
    watch_restarts: IntCounterVec,
    queue_depth: IntGauge,
    /// Plugin answers the host refused are counted at the pass, in the
    /// runtime's plugin-call family.
    plugin_calls: Option<lattice_wasm::PluginMetrics>,
}

impl Metrics {
    /// Creates the families and registers them in `registry`; refused
    /// plugin answers go to `plugin_calls` (the runtime's family).
    pub fn register(
        registry: &Registry,
        plugin_calls: Option<lattice_wasm::PluginMetrics>,
    ) -> prometheus::Result<Self> {
        let m = Metrics::new(plugin_calls)?;
        registry.register(Box::new(m.passes.clone()))?;
        registry.register(Box::new(m.pass_duration.clone()))?;
        registry.register(Box::new(m.compaction_duration.clone()))?;
        registry.register(Box::new(m.compaction_pending.clone()))?;
        registry.register(Box::new(m.routes.clone()))?;
        registry.register(Box::new(m.plugin_objects.clone()))?;
        registry.register(Box::new(m.leader.clone()))?;
        registry.register(Box::new(m.watch_restarts.clone()))?;
        registry.register(Box::new(m.queue_depth.clone()))?;
        Ok(m)
    }

    fn new(plugin_calls: Option<lattice_wasm::PluginMetrics>) -> prometheus::Result<Self> {
        let m = Metrics {
            passes: IntCounterVec::new(
                Opts::new(
                    "lattice_host_reconcile_passes_total",
                    "Reconcile passes by kind: whole (the whole desired state, pruning) or scoped (the dirty routes' services and target groups).",
                ),
                &["kind"],
            )?,
            pass_duration: HistogramVec::new(
                HistogramOpts::new(
                    "lattice_host_reconcile_pass_duration_seconds",
                    "Wall-clock time of one reconcile pass: plan, apply and writes.",
                )
                .buckets(vec![
                    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
                    120.0,
                ]),
                &["kind"],
            )?,
            compaction_duration: Histogram::with_opts(
                HistogramOpts::new(
                    "lattice_host_compaction_duration_seconds",
                    "Wall-clock time of one compaction: the index, the desired state and the applier's cache copied into new allocations once the watches are quiet after a whole pass.",
                )
                .buckets(vec![0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0]),
            )?,
            compaction_pending: IntGauge::new(
                "lattice_host_compaction_pending",
                "1 while what a whole pass (or a burst of watch changes, a quarter of the routes) left waits to be compacted (the watches are not yet quiet), else 0.",
            )?,
            routes: IntGaugeVec::new(
                Opts::new(
                    "lattice_host_routes",
                    "Routes by the condition of their last apply: programmed, kept (a plugin failed; Lattice keeps the last good state), failed (Lattice refused), pending.",
                ),
                &["condition"],
            )?,
            plugin_objects: IntGaugeVec::new(
                Opts::new(
                    "lattice_host_plugin_objects",
                    "ClusterLatticePlugins and LatticePlugins by the state of their latest load: loading, refused, blocked (by the safety gate), live.",
                ),
                &["state"],
            )?,
            leader: IntGauge::new(
                "lattice_host_leader",
                "1 while this replica holds the leader Lease (or runs without election), else 0.",
            )?,
            watch_restarts: IntCounterVec::new(
                Opts::new(
                    "lattice_host_watch_restarts_total",
                    "Watch restarts by kind and cause: error (the watch failed and is retried with backoff) or relist (a list after the first).",
                ),
                &["kind", "cause"],
            )?,
            queue_depth: IntGauge::new(
                "lattice_host_queue_depth",
                "Routes and Gateways waiting for the next pass (the dirty set).",
            )?,
            plugin_calls,
        };
        for c in ROUTE_CONDITIONS {
            m.routes.with_label_values(&[c]).set(0);
        }
        for s in PLUGIN_STATES {
            m.plugin_objects.with_label_values(&[s]).set(0);
        }
        for k in ["whole", "scoped"] {
            m.passes.with_label_values(&[k]);
        }
        Ok(m)
    }

    /// Families that nobody gathers: for a controller built without metrics.
    pub(crate) fn unregistered() -> Self {
        Metrics::new(None).expect("the controller's metric names are valid")
    }

    /// One pass finished.
    pub(crate) fn pass(&self, whole: bool, elapsed: std::time::Duration) {
        let kind = if whole { "whole" } else { "scoped" };
        self.passes.with_label_values(&[kind]).inc();
        self.pass_duration
            .with_label_values(&[kind])
            .observe(elapsed.as_secs_f64());
    }

    /// One compaction finished.
    pub(crate) fn compaction(&self, elapsed: std::time::Duration) {
        self.compaction_duration.observe(elapsed.as_secs_f64());
    }

    /// Whether a compaction is due (a whole pass, or many watch changes,
    /// since the last).
    pub(crate) fn compaction_pending(&self, pending: bool) {
        self.compaction_pending.set(i64::from(pending));
    }

    /// Routes per condition, in [`ROUTE_CONDITIONS`] order.
    pub(crate) fn routes(&self, counts: [usize; 4]) {
        for (c, n) in ROUTE_CONDITIONS.iter().zip(counts) {
            self.routes.with_label_values(&[c]).set(n as i64);
        }
    }

    /// Plugin objects per state, in [`PLUGIN_STATES`] order.
    pub(crate) fn plugin_objects(&self, counts: [usize; 4]) {
        for (s, n) in PLUGIN_STATES.iter().zip(counts) {
            self.plugin_objects.with_label_values(&[s]).set(n as i64);
        }
    }

    pub(crate) fn leader(&self, leading: bool) {
        self.leader.set(i64::from(leading));
    }

    /// A watch of `kind` restarted for `cause` (`error` or `relist`).
    pub(crate) fn watch_restart(&self, kind: &str, cause: &'static str) {
        self.watch_restarts.with_label_values(&[kind, cause]).inc();
    }

    pub(crate) fn queue_depth(&self, depth: usize) {
        self.queue_depth.set(depth as i64);
    }

    /// A plugin answer of `stage` the host's validation refused.
    pub(crate) fn invalid_answer(&self, stage: &str, provenance: &str) {
        if let Some(p) = &self.plugin_calls {
            p.invalid(stage, provenance);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_is_gathered_once_registered() {
        let registry = Registry::new();
        let m = Metrics::register(&registry, None).unwrap();
        m.pass(true, std::time::Duration::from_millis(5));
        m.watch_restart("HTTPRoute", "error");
        let names: Vec<String> = registry
            .gather()
            .iter()
            .map(|f| f.name().to_string())
            .collect();
        for want in [
            "lattice_host_reconcile_passes_total",
            "lattice_host_reconcile_pass_duration_seconds",
            "lattice_host_compaction_duration_seconds",
            "lattice_host_compaction_pending",
            "lattice_host_routes",
            "lattice_host_plugin_objects",
            "lattice_host_leader",
            "lattice_host_watch_restarts_total",
            "lattice_host_queue_depth",
        ] {
            assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
        }
    }
}
