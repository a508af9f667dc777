//! What the run loop says about itself, for `/healthz` and `/readyz`: a
//! heartbeat it beats on every turn (idle ticks included), whether every
//! watched kind has listed once, and whether it leads.
//!
//! [`Health`] is a cheap handle (clones share the state); the admin server
//! reads it while the run loop writes it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How often an idle run loop turns anyway, so its heartbeat stays fresh.
pub const HEARTBEAT: Duration = Duration::from_secs(1);

/// How stale the heartbeat may grow before the process counts as stuck.
/// The loop turns while a pass waits on Lattice or Kubernetes, but a pass's
/// synchronous steps (planning every route of a large cluster) and a
/// plugin load hold it; the bound is generous: it catches a loop that
/// stopped, not a slow one.
pub const STALE_AFTER: Duration = Duration::from_secs(300);

#[derive(Debug)]
struct State {
    started: Instant,
    /// Milliseconds after `started` of the loop's last turn; 0: not yet.
    beat_ms: AtomicU64,
    /// The loop has returned (shutdown, or every watcher gone).
    stopped: AtomicBool,
    listed: AtomicUsize,
    kinds: AtomicUsize,
    leading: AtomicBool,
}

/// The run loop's health, shared with whoever reports it.
#[derive(Clone, Debug)]
pub struct Health {
    state: Arc<State>,
    stale_after: Duration,
}

impl Default for Health {
    fn default() -> Self {
        Health::new(STALE_AFTER)
    }
}

/// An answer to a probe: healthy or not, and a line saying why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    /// Whether the probe passes.
    pub ok: bool,
    /// One line for people.
    pub message: String,
}

impl Health {
    /// A health whose heartbeat counts as stale after `stale_after`.
    pub fn new(stale_after: Duration) -> Self {
        Health {
            state: Arc::new(State {
                started: Instant::now(),
                beat_ms: AtomicU64::new(0),
                stopped: AtomicBool::new(false),
                listed: AtomicUsize::new(0),
                kinds: AtomicUsize::new(0),
                leading: AtomicBool::new(false),
            }),
            stale_after,
        }
    }

    /// The loop turned now.
    pub(crate) fn beat(&self) {
        let ms = self.state.started.elapsed().as_millis() as u64;
        self.state.beat_ms.store(ms.max(1), Ordering::Relaxed);
    }

    /// The loop has returned.
    pub(crate) fn stopped(&self) {
        self.state.stopped.store(true, Ordering::Relaxed);
    }

    /// `listed` of `kinds` watched kinds have listed once.
    pub(crate) fn listed(&self, listed: usize, kinds: usize) {
        self.state.listed.store(listed, Ordering::Relaxed);
        self.state.kinds.store(kinds, Ordering::Relaxed);
    }

    /// Whether this replica leads now.
    pub(crate) fn leading(&self, leading: bool) {
        self.state.leading.store(leading, Ordering::Relaxed);
    }

    /// Whether this replica leads (as the run loop last saw it).
    pub fn is_leader(&self) -> bool {
        self.state.leading.load(Ordering::Relaxed)
    }

    /// Liveness: the run loop turned within the bound.
    pub fn alive(&self) -> Probe {
        if self.state.stopped.load(Ordering::Relaxed) {
            return Probe {
                ok: false,
                message: "the run loop has stopped".into(),
            };
        }
        let beat = self.state.beat_ms.load(Ordering::Relaxed);
        if beat == 0 {
            // Starting: the loop has not turned yet, which is not stuck.
            return Probe {
                ok: true,
                message: "ok: starting".into(),
            };
        }
        let now = self.state.started.elapsed().as_millis() as u64;
        let ago = Duration::from_millis(now.saturating_sub(beat));
        Probe {
            ok: ago <= self.stale_after,
            message: match ago <= self.stale_after {
                true => format!("ok: the run loop turned {} ms ago", ago.as_millis()),
                false => format!(
                    "the run loop last turned {} s ago (more than {} s)",
                    ago.as_secs(),
                    self.stale_after.as_secs()
                ),
            },
        }
    }

    /// Readiness: every watched kind has listed once; says whether this
    /// replica leads or stands by (both are ready).
    pub fn ready(&self) -> Probe {
        let (listed, kinds) = (
            self.state.listed.load(Ordering::Relaxed),
            self.state.kinds.load(Ordering::Relaxed),
        );
        if kinds == 0 || listed < kinds {
            return Probe {
                ok: false,
                message: format!("not ready: {listed} of {kinds} watched kinds listed"),
            };
        }
        let role = if self.is_leader() {
            "leader"
        } else {
            "standby"
        };
        Probe {
            ok: true,
            message: format!("ready: {role} ({kinds} watched kinds listed)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loop_that_has_not_listed_every_kind_is_not_ready() {
        let h = Health::default();
        assert!(!h.ready().ok);
        h.listed(3, 4);
        assert_eq!(h.ready().message, "not ready: 3 of 4 watched kinds listed");
        h.listed(4, 4);
        assert_eq!(h.ready().message, "ready: standby (4 watched kinds listed)");
        h.leading(true);
        assert_eq!(h.ready().message, "ready: leader (4 watched kinds listed)");
    }

    #[test]
    fn a_heartbeat_older_than_the_bound_is_not_alive() {
        let h = Health::new(Duration::from_millis(20));
        assert!(h.alive().ok, "starting counts as alive");
        h.beat();
        assert!(h.alive().ok);
        std::thread::sleep(Duration::from_millis(60));
        let p = h.alive();
        assert!(!p.ok, "{p:?}");
        h.beat();
        assert!(h.alive().ok);
        h.stopped();
        assert!(!h.alive().ok);
    }
}
