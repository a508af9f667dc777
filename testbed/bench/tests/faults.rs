//! Issue 15's fault suites at a small scale, bounded in time: through a
//! Lattice that throttles, fails, lags and loses answers, and through an
//! API server that drops watches, forgets history, conflicts on status
//! writes and restarts, every route is programmed and Lattice holds exactly
//! what a clean run holds. (The crash suite needs the `lattice-host`
//! binary; the cli's e2e tests run it.)

use std::time::Duration;

use lattice_bench::faults::{Faults, ISSUE_FIGURES, Suite, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lattice_and_kubernetes_faults_leave_no_orphan_duplicate_or_gap() {
    // RUST_LOG shows the controller's passes when this fails.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let suite = Suite {
        routes: 40,
        lattice: Faults {
            throttle_rate: 0.2,
            error_rate: 0.05,
            lost_rate: 0.02,
            jitter_ms: 10,
        },
        kills: 0,
        seed: 1,
        exe: None,
        status_conflict_rate: Some(0.3),
        disrupt_every: Duration::from_millis(150),
        timeout: Duration::from_secs(120),
    };
    let f = tokio::time::timeout(Duration::from_secs(300), run(&suite))
        .await
        .expect("within five minutes")
        .expect("the benchmark runs");
    eprintln!("{f}");
    assert!(f.converged, "{f:?}");
    assert_eq!(f.throttling.programmed, 40, "{f:?}");
    assert_eq!((f.orphans, f.duplicates, f.missing), (0, 0, 0), "{f:?}");
    // The faults were real: calls failed and were retried ...
    let t = &f.throttling;
    assert!(t.failed_calls > 0 && t.calls > t.clean_calls, "{f:?}");
    // ... and the API server conflicted, dropped, forgot and restarted.
    let k = f.kubernetes.as_ref().expect("the Kubernetes suite ran");
    assert_eq!(k.programmed, 40, "{f:?}");
    assert!(k.status_conflicts > 0 && k.restarts == 1, "{f:?}");
    assert!(k.watch_drops + k.compactions > 0, "{f:?}");
    let v = serde_json::to_value(&f).expect("serialise");
    for key in ISSUE_FIGURES {
        assert!(v.get(key).is_some(), "no {key} in {v}");
    }
}
