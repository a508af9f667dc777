//! boto3 (a client nobody on this project wrote) drives every implemented operation
//! against lattice-sim, including pagination and error codes.

use crate::common;

use lattice_sim::ROUTES;
use std::collections::BTreeSet;
use std::time::Duration;

#[tokio::test]
async fn boto3_exercises_every_implemented_operation() {
    let py = common::python_with(&["boto3"]);
    let sim = common::start().await;
    let script = common::py_dir().join("boto3_suite.py");
    let run = tokio::process::Command::new(py)
        .arg(script)
        .arg(sim.url())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("boto3 suite timed out")
        .expect("run python");
    assert!(
        out.status.success(),
        "boto3 suite failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let called: BTreeSet<String> = sim.call_counts().into_keys().collect();
    let missing: Vec<&str> = ROUTES
        .iter()
        .map(|r| r.operation)
        .filter(|op| !called.contains(*op))
        .collect();
    assert!(missing.is_empty(), "boto3 suite never called {missing:?}");
}
