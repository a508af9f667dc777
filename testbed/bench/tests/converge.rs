//! The converge benchmark's figures: shape and the properties that hold at any size.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn converge_figures_have_exactly_the_documented_keys_and_minimal_calls() {
    let f = lattice_bench::converge::run(20, 1, 8).await;
    let v = serde_json::to_value(&f).expect("serialise");
    let keys: Vec<&str> = v
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    let mut want = vec![
        "routes",
        "api_calls",
        "min_api_calls",
        "writes",
        "wall_ms",
        "bound_ms",
        "resync_writes",
        "resync_reads",
        "rss_mb",
    ];
    want.sort_unstable();
    let mut got = keys.clone();
    got.sort_unstable();
    assert_eq!(got, want);
    assert_eq!(f.routes, 20);
    assert_eq!(f.api_calls, f.min_api_calls, "{f:?}");
    assert_eq!(f.writes, f.min_api_calls - 4);
    assert_eq!(f.resync_writes, 0);
    // Second pass: service networks, services, target groups, VPC associations,
    // associations of the one network, then per service listeners and rules,
    // per target group targets: all list pages.
    assert_eq!(f.resync_reads, 5 + 20 * 2 + 40);
    assert!(f.wall_ms >= f.bound_ms, "{f:?}");
}
