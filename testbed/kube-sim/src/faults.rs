//! Faults a test can turn on in a running kube-sim, as a busy or restarting
//! API server shows them: `409 Conflict` on status writes. (Dropped watches
//! and `410 Gone` are [`KubeSim::drop_watches`](crate::KubeSim::drop_watches)
//! and [`KubeSim::compact`](crate::KubeSim::compact); a restart is a
//! shutdown and [`KubeSim::start_on`](crate::KubeSim::start_on) with the
//! same state file.)

use std::sync::Mutex;

use rand::Rng;

/// What to inject; all off by default.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct KubeFaults {
    /// Probability that a write to a `status` subresource (PUT or PATCH)
    /// is answered `409 Conflict`, as when another writer got there first.
    pub status_conflict_rate: f64,
}

/// The faults in force, and how many were injected.
#[derive(Debug, Default)]
pub struct FaultState {
    faults: Mutex<(KubeFaults, u64)>,
}

impl FaultState {
    /// Replaces the faults in force.
    pub fn set(&self, faults: KubeFaults) {
        self.lock().0 = faults;
    }

    /// Whether this status write is to fail with a conflict (and counts it).
    pub fn status_conflict(&self) -> bool {
        let mut g = self.lock();
        let p = g.0.status_conflict_rate;
        let hit = p > 0.0 && rand::rng().random_bool(p.min(1.0));
        if hit {
            g.1 += 1;
        }
        hit
    }

    /// How many faults were injected so far.
    pub fn injected(&self) -> u64 {
        self.lock().1
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (KubeFaults, u64)> {
        self.faults.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_by_default_always_at_one() {
        let s = FaultState::default();
        assert!(!(0..100).any(|_| s.status_conflict()));
        s.set(KubeFaults {
            status_conflict_rate: 1.0,
        });
        assert!((0..100).all(|_| s.status_conflict()));
        assert_eq!(s.injected(), 100);
    }
}
