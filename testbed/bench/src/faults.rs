//! `lattice-host bench faults`: the reliability suites of issue 15 over N
//! routes, each compared with one clean convergence.
//!
//! - throttling ([`throttling`](crate::throttling)): a VPC Lattice that
//!   throttles, fails, lags and loses answers;
//! - crash ([`crash`](crate::crash)): the controller's process killed with
//!   SIGKILL at seeded moments, and started again;
//! - Kubernetes ([`kube_faults`](crate::kube_faults)): dropped watches,
//!   `410 Gone`, `409 Conflict` on status writes, kube-sim restarted from
//!   its state file.
//!
//! The top-level figures sum the suites: `converged` only if every run
//! ended with every route `Programmed`; orphans, duplicates and extra calls
//! over all of them.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::crash::CrashFigures;
use crate::kube_faults::KubeFaultFigures;
use crate::throttling::{FaultFigures, converge};

pub use crate::throttling::Faults;

/// The top-level keys of `bench faults --json` that issue 15 names.
pub const ISSUE_FIGURES: [&str; 9] = [
    "routes",
    "throttle_rate",
    "error_rate",
    "kills",
    "converged",
    "orphans",
    "duplicates",
    "extra_calls",
    "wall_ms",
];

/// What to run.
#[derive(Clone, Debug)]
pub struct Suite {
    /// Routes.
    pub routes: usize,
    /// Faults of the throttling suite.
    pub lattice: Faults,
    /// Crash rounds; 0 skips the crash suite.
    pub kills: usize,
    /// Seed of the kill moments.
    pub seed: u64,
    /// The `lattice-host` binary the crash suite runs (`None` skips it).
    pub exe: Option<PathBuf>,
    /// Share of status writes answered `409 Conflict`; `None` skips the
    /// Kubernetes suite.
    pub status_conflict_rate: Option<f64>,
    /// How often the Kubernetes suite drops watches or compacts history.
    pub disrupt_every: Duration,
    /// Each run gives up converging after this long.
    pub timeout: Duration,
}

/// Figures printed by `bench faults --json`.
#[derive(Debug, serde::Serialize)]
pub struct SuiteFigures {
    /// Routes.
    pub routes: usize,
    /// Share of Lattice calls answered `ThrottlingException`.
    pub throttle_rate: f64,
    /// Share of Lattice calls answered `InternalServerException`.
    pub error_rate: f64,
    /// SIGKILLs of the crash suite.
    pub kills: usize,
    /// Every run of every suite ended with every route `Programmed`.
    pub converged: bool,
    /// Resources lattice-sim held that the clean run does not, all suites.
    pub orphans: usize,
    /// Resources lattice-sim held more than once, all suites.
    pub duplicates: usize,
    /// Resources the clean run holds that lattice-sim did not, all suites.
    pub missing: usize,
    /// Lattice calls beyond the clean run's, all suites.
    pub extra_calls: u64,
    /// The whole suite, clean run included, ms.
    pub wall_ms: u64,
    /// The throttling suite.
    pub throttling: FaultFigures,
    /// The crash suite, when run.
    pub crash: Option<CrashFigures>,
    /// The Kubernetes suite, when run.
    pub kubernetes: Option<KubeFaultFigures>,
}

/// Runs the suites in turn.
pub async fn run(s: &Suite) -> anyhow::Result<SuiteFigures> {
    let started = Instant::now();
    let n = s.routes;
    let clean = converge(n, None, s.timeout).await?;
    let throttling = crate::throttling::run(n, s.lattice, &clean, s.timeout).await?;
    let crash = match &s.exe {
        Some(exe) if s.kills > 0 => {
            Some(crate::crash::rounds(exe, n, s.kills, s.seed, &clean, s.timeout).await?)
        }
        _ => None,
    };
    let kubernetes = match s.status_conflict_rate {
        Some(rate) => {
            Some(crate::kube_faults::run(n, rate, s.disrupt_every, &clean, s.timeout).await?)
        }
        None => None,
    };
    let mut f = SuiteFigures {
        routes: n,
        throttle_rate: s.lattice.throttle_rate,
        error_rate: s.lattice.error_rate,
        kills: crash.as_ref().map_or(0, |c| c.kills),
        converged: throttling.programmed == n,
        orphans: throttling.orphans,
        duplicates: throttling.duplicates,
        missing: throttling.missing,
        extra_calls: throttling.calls.saturating_sub(throttling.clean_calls),
        wall_ms: 0,
        throttling,
        crash: None,
        kubernetes: None,
    };
    if let Some(c) = crash {
        f.converged &= c.converged_rounds == c.kills;
        f.add(c.orphans, c.duplicates, c.missing, c.extra_calls);
        f.crash = Some(c);
    }
    if let Some(k) = kubernetes {
        f.converged &= k.programmed == n;
        f.add(k.orphans, k.duplicates, k.missing, k.extra_calls);
        f.kubernetes = Some(k);
    }
    f.wall_ms = started.elapsed().as_millis() as u64;
    Ok(f)
}

impl SuiteFigures {
    fn add(&mut self, orphans: usize, duplicates: usize, missing: usize, extra_calls: u64) {
        self.orphans += orphans;
        self.duplicates += duplicates;
        self.missing += missing;
        self.extra_calls += extra_calls;
    }
}

impl std::fmt::Display for SuiteFigures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "all suites   {} routes, {} · {} orphaned, {} duplicated, {} missing · \
             {} extra Lattice calls · {:.1} s",
            self.routes,
            if self.converged {
                "every run converged"
            } else {
                "NOT every run converged"
            },
            self.orphans,
            self.duplicates,
            self.missing,
            self.extra_calls,
            self.wall_ms as f64 / 1000.0
        )?;
        write!(f, "\n[throttling]\n{}", self.throttling)?;
        if let Some(c) = &self.crash {
            write!(f, "\n\n[crash]\n{c}")?;
        }
        if let Some(k) = &self.kubernetes {
            write!(f, "\n\n[kubernetes]\n{k}")?;
        }
        Ok(())
    }
}
