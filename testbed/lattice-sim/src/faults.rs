//! Fault injection, configurable per operation and changeable at run time.
//!
//! Rules are keyed by operation name; the key `*` applies to every operation that has no
//! rule of its own. Each rule may add latency, throttle (at a rate, or above a number of
//! accepted calls per second), fail with a 500 at a rate, or drop the connection at a rate.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

/// What to do to calls of one operation. Rates are probabilities in `0.0..=1.0`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FaultSpec {
    /// Milliseconds added before the call is handled (also before an injected error).
    pub latency_ms: u64,
    /// Up to this many more milliseconds, uniformly at random, on top of `latency_ms`.
    pub jitter_ms: u64,
    /// Probability of answering `ThrottlingException` (429).
    pub throttle_rate: f64,
    /// Answer `ThrottlingException` once this many calls per second were accepted in the
    /// last second (a sliding window per operation).
    pub throttle_above_tps: Option<f64>,
    /// Probability of answering `InternalServerException` (500).
    pub error_rate: f64,
    /// Probability of closing the connection without any response, before the call is
    /// handled (nothing changes).
    pub drop_rate: f64,
    /// Probability of handling the call and then closing the connection without a response
    /// (the change is made but the client never hears of it).
    pub drop_after_rate: f64,
}

/// Fault rules by operation name (`*` = every other operation).
pub type FaultRules = BTreeMap<String, FaultSpec>;

/// The decision for one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Handle the call normally.
    Pass,
    /// Answer `ThrottlingException`.
    Throttle,
    /// Answer `InternalServerException`.
    ServerError,
    /// Close the connection without answering.
    Drop,
    /// Handle the call, then close the connection without answering.
    DropAfter,
}

/// The mutable fault state of an emulator: rules, dice and per-operation TPS windows.
#[derive(Debug)]
pub struct Faults {
    rules: FaultRules,
    rng: StdRng,
    windows: HashMap<String, VecDeque<Instant>>,
}

impl Faults {
    /// Start with `rules`, rolling dice from `seed` (or the OS when `None`).
    pub fn new(rules: FaultRules, seed: Option<u64>) -> Self {
        let rng = match seed {
            Some(s) => StdRng::seed_from_u64(s),
            None => StdRng::from_os_rng(),
        };
        Faults {
            rules,
            rng,
            windows: HashMap::new(),
        }
    }

    /// The current rules.
    pub fn rules(&self) -> &FaultRules {
        &self.rules
    }

    /// Replace every rule.
    pub fn set_rules(&mut self, rules: FaultRules) {
        self.rules = rules;
        self.windows.clear();
    }

    /// Decide what happens to one call of `operation` at `now`: the latency to add first,
    /// and the outcome.
    pub fn decide(&mut self, operation: &str, now: Instant) -> (Duration, Outcome) {
        let Some(spec) = self
            .rules
            .get(operation)
            .or_else(|| self.rules.get("*"))
            .cloned()
        else {
            return (Duration::ZERO, Outcome::Pass);
        };
        let jitter = match spec.jitter_ms {
            0 => 0,
            j => self.rng.random_range(0..=j),
        };
        let latency = Duration::from_millis(spec.latency_ms + jitter);
        if self.roll(spec.drop_rate) {
            return (latency, Outcome::Drop);
        }
        if self.roll(spec.throttle_rate) {
            return (latency, Outcome::Throttle);
        }
        if let Some(tps) = spec.throttle_above_tps {
            let window = self.windows.entry(operation.to_string()).or_default();
            while window
                .front()
                .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
            {
                window.pop_front();
            }
            if window.len() as f64 >= tps {
                return (latency, Outcome::Throttle);
            }
            window.push_back(now);
        }
        if self.roll(spec.error_rate) {
            return (latency, Outcome::ServerError);
        }
        if self.roll(spec.drop_after_rate) {
            return (latency, Outcome::DropAfter);
        }
        (latency, Outcome::Pass)
    }

    fn roll(&mut self, p: f64) -> bool {
        p > 0.0 && self.rng.random::<f64>() < p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(op: &str, spec: FaultSpec) -> FaultRules {
        BTreeMap::from([(op.to_string(), spec)])
    }

    #[test]
    fn jitter_adds_up_to_its_bound_and_varies() {
        let mut f = Faults::new(
            rules(
                "*",
                FaultSpec {
                    latency_ms: 10,
                    jitter_ms: 50,
                    ..Default::default()
                },
            ),
            Some(3),
        );
        let t0 = Instant::now();
        let seen: Vec<u128> = (0..200)
            .map(|_| f.decide("GetRule", t0).0.as_millis())
            .collect();
        assert!(seen.iter().all(|ms| (10..=60).contains(ms)), "{seen:?}");
        let distinct: std::collections::BTreeSet<_> = seen.iter().collect();
        assert!(distinct.len() > 20, "{distinct:?}");
    }

    #[test]
    fn calls_above_the_tps_limit_are_throttled_until_the_window_slides() {
        let mut f = Faults::new(
            rules(
                "ListServices",
                FaultSpec {
                    throttle_above_tps: Some(2.0),
                    ..Default::default()
                },
            ),
            Some(1),
        );
        let t0 = Instant::now();
        assert_eq!(f.decide("ListServices", t0).1, Outcome::Pass);
        assert_eq!(f.decide("ListServices", t0).1, Outcome::Pass);
        assert_eq!(f.decide("ListServices", t0).1, Outcome::Throttle);
        assert_eq!(f.decide("GetService", t0).1, Outcome::Pass);
        assert_eq!(
            f.decide("ListServices", t0 + Duration::from_millis(1001)).1,
            Outcome::Pass
        );
    }

    #[test]
    fn error_rate_is_roughly_honoured_and_star_applies_to_all() {
        let mut f = Faults::new(
            rules(
                "*",
                FaultSpec {
                    error_rate: 0.2,
                    ..Default::default()
                },
            ),
            Some(7),
        );
        let now = Instant::now();
        let errors = (0..1000)
            .filter(|_| f.decide("CreateRule", now).1 == Outcome::ServerError)
            .count();
        assert!((120..280).contains(&errors), "{errors} errors of 1000");
    }
}
