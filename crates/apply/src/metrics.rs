//! Lattice API calls as Prometheus series: every attempt by operation and
//! outcome, and its latency. The families are registered into the registry
//! the composition root passes (`lattice-wiring`); an applier without them
//! counts only its [`crate::CallCounts`].

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};

/// How one attempt ended, as the `outcome` label says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallOutcome {
    /// Lattice answered 2xx.
    Ok,
    /// Lattice throttled the call (`ThrottlingException`, HTTP 429).
    Throttled,
    /// Lattice refused the request (4xx), or the SDK could not build it.
    ClientError,
    /// Lattice failed (5xx), or no answer came back (a timeout, a dropped
    /// connection): the server side, from the caller's view.
    ServerError,
}

impl CallOutcome {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            CallOutcome::Ok => "ok",
            CallOutcome::Throttled => "throttled",
            CallOutcome::ClientError => "client_error",
            CallOutcome::ServerError => "server_error",
        }
    }
}

/// The Lattice-call families.
#[derive(Clone, Debug)]
pub struct CallMetrics {
    calls: IntCounterVec,
    duration: HistogramVec,
}

impl CallMetrics {
    /// Creates the families and registers them in `registry`.
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let calls = IntCounterVec::new(
            Opts::new(
                "lattice_host_lattice_calls_total",
                "VPC Lattice API calls (every attempt, retries included) by operation and outcome: ok, throttled, client_error (4xx), server_error (5xx, or no answer).",
            ),
            &["operation", "outcome"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "lattice_host_lattice_call_duration_seconds",
                "Latency of one VPC Lattice API attempt, by operation (the rate limiter's wait excluded).",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0,
            ]),
            &["operation"],
        )?;
        registry.register(Box::new(calls.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        Ok(CallMetrics { calls, duration })
    }

    /// Records one attempt of `operation`.
    pub(crate) fn record(
        &self,
        operation: &str,
        outcome: CallOutcome,
        elapsed: std::time::Duration,
    ) {
        self.calls
            .with_label_values(&[operation, outcome.as_str()])
            .inc();
        self.duration
            .with_label_values(&[operation])
            .observe(elapsed.as_secs_f64());
    }
}
