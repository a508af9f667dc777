//! Issue 15's fault benchmark at a small scale, bounded in time: through a
//! Lattice that throttles, fails, lags and loses answers, every route is
//! programmed and Lattice holds exactly what a clean run holds.

use std::time::Duration;

use lattice_bench::faults::{Faults, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_errors_and_lost_answers_leave_no_orphan_duplicate_or_gap() {
    let faults = Faults {
        throttle_rate: 0.2,
        error_rate: 0.05,
        lost_rate: 0.02,
        jitter_ms: 10,
    };
    let f = tokio::time::timeout(
        Duration::from_secs(240),
        run(40, faults, Duration::from_secs(120)),
    )
    .await
    .expect("within four minutes")
    .expect("the benchmark runs");
    eprintln!("{f}");
    assert_eq!(f.programmed, 40, "{f:?}");
    assert_eq!((f.orphans, f.duplicates, f.missing), (0, 0, 0), "{f:?}");
    // The faults were real: calls failed and were retried.
    assert!(f.failed_calls > 0 && f.calls > f.clean_calls, "{f:?}");
    let v = serde_json::to_value(&f).expect("serialise");
    for key in [
        "converge_ms",
        "calls",
        "failed_calls",
        "orphans",
        "duplicates",
        "missing",
    ] {
        assert!(v.get(key).is_some(), "no {key} in {v}");
    }
}
