//! How an apply behaves: limits, concurrency, retries, ownership.

use std::time::Duration;

/// A token bucket: `per_second` tokens refill, at most `burst` saved.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    /// Sustained calls per second.
    pub per_second: f64,
    /// Calls that may go at once after a quiet spell.
    pub burst: u32,
}

/// Options of [`crate::apply`].
#[derive(Clone, Debug, PartialEq)]
pub struct ApplyOptions {
    /// Limit on Get*/List* calls; `None` = unlimited.
    pub read_rate: Option<RateLimit>,
    /// Limit on every other call; `None` = unlimited.
    pub write_rate: Option<RateLimit>,
    /// Calls in flight at once.
    pub concurrency: usize,
    /// Retries of one call after the first attempt.
    pub max_retries: u32,
    /// First backoff (before jitter); doubles per retry.
    pub backoff_base: Duration,
    /// Longest backoff.
    pub backoff_max: Duration,
    /// Adopt untagged resources that carry a name the plan uses.
    pub allow_adoption: bool,
    /// Delete our own resources that the plan no longer has.
    pub prune: bool,
}

impl Default for ApplyOptions {
    /// Conservative limits for real Lattice: 10 writes/s (burst 20), 50
    /// reads/s (burst 100), 16 calls in flight, 8 retries from 100 ms to 10 s,
    /// no adoption, pruning on.
    fn default() -> Self {
        ApplyOptions {
            read_rate: Some(RateLimit {
                per_second: 50.0,
                burst: 100,
            }),
            write_rate: Some(RateLimit {
                per_second: 10.0,
                burst: 20,
            }),
            concurrency: 16,
            max_retries: 8,
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_secs(10),
            allow_adoption: false,
            prune: true,
        }
    }
}

impl ApplyOptions {
    /// No rate limits and `concurrency` calls in flight: for emulators and benchmarks.
    pub fn unlimited(concurrency: usize) -> Self {
        ApplyOptions {
            read_rate: None,
            write_rate: None,
            concurrency,
            backoff_base: Duration::from_millis(5),
            backoff_max: Duration::from_millis(500),
            ..Default::default()
        }
    }
}
