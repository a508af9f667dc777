//! Issue 10's swap benchmark at a small scale: it runs end to end and its
//! figures hold together.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swap_figures_count_every_changed_rule_and_no_failure() {
    let f = lattice_bench::swap::run(20, std::time::Duration::from_secs(60))
        .await
        .expect("the benchmark runs");
    eprintln!("{f}");
    let v = serde_json::to_value(&f).expect("serialise");
    for key in ["routes", "swap_ms", "failed_reconciles", "writes"] {
        assert!(v.get(key).is_some(), "no {key} in {v}");
    }
    assert_eq!(f.routes, 20);
    assert_eq!(f.failed_reconciles, 0, "{f:?}");
    assert!(f.plugin_ready, "{f:?}");
    // The 90/10 and 0/1 rules of every route change; the 1/1 one does not.
    assert_eq!(f.rules_changed, 40, "{f:?}");
    // Only rule updates are written: one call per route's listener at the
    // least (a batch), one per changed rule at the most.
    let rule_writes: u64 = ["UpdateRule", "BatchUpdateRule"]
        .iter()
        .filter_map(|op| f.writes_by_operation.get(*op))
        .sum();
    assert_eq!(f.writes, rule_writes, "{f:?}");
    assert!((20..=40).contains(&f.writes), "{f:?}");
    assert_eq!(f.writes, f.writes_by_operation.values().sum::<u64>());
    assert!(f.swap_ms > 0 && f.first_write_ms <= f.swap_ms, "{f:?}");
    assert_eq!(f.met, f.swap_ms <= f.target_ms);
}
