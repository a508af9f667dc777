//! The public entry points the CLI wires up: `apply` (`connect` is in
//! `client_env.rs`), and the cache behaviour a long-running controller relies on.

use crate::common;
use common::*;
use lattice_apply::{ApplyOptions, apply};

use lattice_core::ClusterConfig;

#[tokio::test]
async fn a_cold_cache_reads_each_rule_once_and_a_warm_one_never() {
    let sim = sim().await;
    let plan = routes(4);
    apply_ok(&mut applier(&sim, fast()), &plan).await;
    let mut cold = applier(&sim, fast());
    let r = apply_ok(&mut cold, &plan).await;
    assert_eq!(r.calls.get("GetRule"), Some(&12), "{:?}", r.calls);
    assert_eq!(r.calls.get("GetListener"), Some(&4));
    let r = apply_ok(&mut cold, &plan).await;
    assert!(
        r.calls
            .keys()
            .all(|k| k.starts_with("List") && k != "ListTagsForResource"),
        "{:?}",
        r.calls
    );
}

#[tokio::test]
async fn a_rule_changed_behind_our_back_is_read_again_and_put_right() {
    let sim = sim().await;
    let plan = routes(1);
    let mut a = applier(&sim, fast());
    apply_ok(&mut a, &plan).await;
    apply_ok(&mut a, &plan).await;
    // Someone edits a rule's action out of band.
    let c = lattice_sim::client(&sim.url());
    let svc = c.list_services().send().await.expect("list").items()[0]
        .id()
        .unwrap_or_default()
        .to_string();
    let lis = c
        .list_listeners()
        .service_identifier(&svc)
        .send()
        .await
        .expect("list")
        .items()[0]
        .id()
        .unwrap_or_default()
        .to_string();
    let rules = c
        .list_rules()
        .service_identifier(&svc)
        .listener_identifier(&lis)
        .send()
        .await
        .expect("list");
    let rule = rules
        .items()
        .iter()
        .find(|r| r.is_default() != Some(true))
        .and_then(|r| r.id())
        .unwrap_or_default()
        .to_string();
    let fixed = aws_sdk_vpclattice::types::RuleAction::FixedResponse(
        aws_sdk_vpclattice::types::FixedResponseAction::builder()
            .status_code(500)
            .build()
            .expect("action"),
    );
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    c.update_rule()
        .service_identifier(&svc)
        .listener_identifier(&lis)
        .rule_identifier(&rule)
        .action(fixed)
        .send()
        .await
        .expect("update");
    let r = apply_ok(&mut a, &plan).await;
    assert_eq!(r.calls.get("GetRule"), Some(&1), "{:?}", r.calls);
    assert_eq!(writes(&r), [("UpdateRule".to_string(), 1)].into());
    assert_holds_exactly(&sim, &plan).await;
}

#[test]
fn the_apply_future_can_be_spawned() {
    fn is_send<T: Send>(_: &T) {}
    let c = lattice_sim::client("http://127.0.0.1:9");
    let (cfg, plan, opts) = (ClusterConfig::default(), routes(1), ApplyOptions::default());
    let fut = apply(&c, &cfg, &plan, &opts);
    is_send(&fut);
}

#[tokio::test]
async fn the_bookstore_example_plan_converges_and_then_stays_put() {
    let plan: lattice_core::plan::Plan =
        serde_json::from_str(include_str!("../../../cli/tests/golden/bookstore.json"))
            .expect("golden plan parses");
    let sim = sim().await;
    let mut a = applier(&sim, fast());
    let r = apply_ok(&mut a, &plan).await;
    assert!(r.diagnostics.is_empty(), "{r}");
    let r = apply_ok(&mut a, &plan).await;
    assert!(writes(&r).is_empty(), "{r}");
    assert_holds_exactly(&sim, &plan).await;
}

#[tokio::test]
async fn the_write_rate_limit_spaces_out_calls() {
    let sim = sim().await;
    let opts = ApplyOptions {
        write_rate: Some(lattice_apply::RateLimit {
            per_second: 200.0,
            burst: 1,
        }),
        ..fast()
    };
    let plan = network_only("limited");
    let mut a = applier(&sim, opts);
    let t0 = std::time::Instant::now();
    // Two writes: the second waits for a token (5 ms at 200/s).
    apply_ok(&mut a, &plan).await;
    assert!(
        t0.elapsed() >= std::time::Duration::from_millis(4),
        "{:?}",
        t0.elapsed()
    );
}
