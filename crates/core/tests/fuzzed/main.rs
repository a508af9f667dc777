//! Fuzzed bad input (issue 15): arbitrary manifests through the model and
//! the plan, and arbitrary plugin answers through the host's checks. Never
//! a panic, never a plan VPC Lattice would refuse, a diagnostic at a field
//! for every problem, and the same plan for the same input.
//!
//! Each property runs `CORE_FUZZ_CASES` cases (256 unless set):
//! `CORE_FUZZ_CASES=20000 cargo test -p lattice-core --test fuzzed`.

mod answers;
mod manifests;

use lattice_core::{ClusterConfig, Snapshot};
use proptest::strategy::Strategy;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::Value;

/// Runs `test` on `CORE_FUZZ_CASES` values of `strategy`, shrinking a
/// failure to a minimal input.
fn run<S: Strategy>(strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>) {
    let mut runner = TestRunner::new(Config {
        cases: lattice_fuzz::cases("CORE_FUZZ_CASES", 256),
        failure_persistence: None,
        ..Config::default()
    });
    if let Err(e) = runner.run(&strategy, test) {
        panic!("{e}");
    }
}

/// A snapshot of the objects that decode; the others' errors.
fn snapshot(objects: &[Value]) -> (Snapshot, Vec<String>) {
    let mut s = Snapshot::default();
    let errors = objects
        .iter()
        .filter_map(|o| s.add_manifest(o.clone()).err().map(|e| e.to_string()))
        .collect();
    (s, errors)
}

fn config() -> ClusterConfig {
    ClusterConfig::default()
}

/// Turns an oracle's verdict into a test case failure.
fn check(what: &str, verdict: Result<(), String>) -> Result<(), TestCaseError> {
    verdict.map_err(|e| TestCaseError::fail(format!("{what}: {e}")))
}
