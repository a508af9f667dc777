//! What plugin calls cost and how they end, as Prometheus series. The
//! families are registered into the registry the composition root passes
//! (`lattice-wiring`); a runtime built without them records nothing.
//!
//! Outcomes of a call (one batched call of a stage's export):
//!
//! | outcome   | what happened |
//! |-----------|---------------|
//! | `ok`      | the call returned answers |
//! | `trap`    | the plugin trapped (panic, unreachable, a bad instantiation) |
//! | `timeout` | the epoch deadline interrupted it: the wall-clock backstop |
//! | `fuel`    | it ran out of fuel: the deterministic budget |
//! | `memory`  | it asked for more linear memory than its budget |
//! | `invalid` | an answer the host's validation refused (counted per answer by the caller of the plan, see [`PluginMetrics::invalid`]; its call also counted `ok`) |
//!
//! Fuel has its own outcome rather than counting as a timeout: a call out
//! of fuel fails on every machine for the same input (the budget is too
//! small, or the plugin loops), while a timeout depends on the machine's
//! load. An operator reading the two apart knows which to fix.

use prometheus::{HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry};

/// Outcomes recorded by the runtime itself, in label order.
const OUTCOMES: [&str; 5] = ["ok", "trap", "timeout", "fuel", "memory"];

/// How one call ended, as the `outcome` label says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallOutcome {
    /// Answers came back.
    Ok,
    /// A trap other than the budgets below, or a failed instantiation.
    Trap,
    /// Interrupted by the epoch deadline.
    Timeout,
    /// Out of fuel.
    Fuel,
    /// Over the memory budget.
    Memory,
}

impl CallOutcome {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        OUTCOMES[self as usize]
    }
}

/// The plugin-call families: calls by stage, plugin, digest and outcome,
/// and their latency.
#[derive(Clone, Debug)]
pub struct PluginMetrics {
    calls: IntCounterVec,
    duration: prometheus::HistogramVec,
}

impl PluginMetrics {
    /// Creates the families and registers them in `registry`.
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let calls = IntCounterVec::new(
            Opts::new(
                "lattice_host_plugin_calls_total",
                "Plugin calls by stage, plugin, digest and outcome (ok, trap, timeout, fuel, memory); invalid counts answers the host refused, whose calls also count as ok.",
            ),
            &["stage", "plugin", "digest", "outcome"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "lattice_host_plugin_call_duration_seconds",
                "Wall-clock time of one plugin call, a fresh instance included.",
            )
            .buckets(vec![
                0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005,
                0.01, 0.025, 0.05, 0.1, 0.25,
            ]),
            &["stage", "plugin", "digest"],
        )?;
        registry.register(Box::new(calls.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        Ok(PluginMetrics { calls, duration })
    }

    /// The series of one loaded plugin, resolved once so a call only bumps
    /// atomics.
    pub(crate) fn series(&self, stage: &str, plugin: &str, digest: &str) -> PluginSeries {
        PluginSeries {
            outcomes: OUTCOMES.map(|o| self.calls.with_label_values(&[stage, plugin, digest, o])),
            duration: self.duration.with_label_values(&[stage, plugin, digest]),
        }
    }

    /// Counts an answer the host's validation refused, from the plugin's
    /// provenance (`name@sha256:…`) as plan diagnostics carry it.
    pub fn invalid(&self, stage: &str, provenance: &str) {
        let (plugin, digest) = provenance.rsplit_once('@').unwrap_or((provenance, ""));
        self.calls
            .with_label_values(&[stage, plugin, digest, "invalid"])
            .inc();
    }
}

/// One plugin's series.
#[derive(Clone, Debug)]
pub(crate) struct PluginSeries {
    outcomes: [IntCounter; 5],
    duration: prometheus::Histogram,
}

impl PluginSeries {
    /// Records one call.
    pub fn record(&self, outcome: CallOutcome, elapsed: std::time::Duration) {
        self.outcomes[outcome as usize].inc();
        self.duration.observe(elapsed.as_secs_f64());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_answer_is_counted_under_the_plugin_name_and_digest() {
        let registry = Registry::new();
        let m = PluginMetrics::register(&registry).unwrap();
        m.invalid("weighting", "equal-split@sha256:abc");
        let v = m
            .calls
            .with_label_values(&["weighting", "equal-split", "sha256:abc", "invalid"])
            .get();
        assert_eq!(v, 1);
    }

    #[test]
    fn outcome_labels_follow_the_enum() {
        for (o, s) in [
            (CallOutcome::Ok, "ok"),
            (CallOutcome::Trap, "trap"),
            (CallOutcome::Timeout, "timeout"),
            (CallOutcome::Fuel, "fuel"),
            (CallOutcome::Memory, "memory"),
        ] {
            assert_eq!(o.as_str(), s);
        }
    }
}
