//! Watch details: timeouts, bookmarks, and objects moving in and out of a selector.

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use kube_sim::SimOptions;
use serde_json::{Value, json};

use crate::common::{Env, start_with};

const CMS: &str = "/api/v1/namespaces/default/configmaps";

async fn events(env: &Env, query: &str) -> Vec<Value> {
    let req = http::Request::get(format!("{CMS}?watch=true&{query}"))
        .body(vec![])
        .expect("req");
    let body = env.client().request_text(req).await.expect("watch");
    body.lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

async fn current_rv(env: &Env) -> String {
    let cms: Api<ConfigMap> = Api::namespaced(env.client(), "default");
    cms.list(&ListParams::default())
        .await
        .expect("list")
        .metadata
        .resource_version
        .expect("rv")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_watch_gets_bookmarks_and_ends_after_timeout_seconds() {
    let opts = SimOptions {
        bookmark_interval: Duration::from_millis(200),
        ..Default::default()
    };
    let env = start_with(opts).await;
    let rv = current_rv(&env).await;
    let started = Instant::now();
    let evs = events(
        &env,
        &format!("resourceVersion={rv}&allowWatchBookmarks=true&timeoutSeconds=1"),
    )
    .await;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "took {took:?}"
    );
    assert!(
        !evs.is_empty() && evs.iter().all(|e| e["type"] == "BOOKMARK"),
        "{evs:?}"
    );
    assert_eq!(evs[0]["object"]["metadata"]["resourceVersion"], json!(rv));
    let quiet = events(&env, &format!("resourceVersion={rv}&timeoutSeconds=1")).await;
    assert!(quiet.is_empty(), "no bookmarks unless asked: {quiet:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streaming_list_from_a_version_starts_with_the_current_state() {
    let env = start_with(SimOptions::default()).await;
    let rv = current_rv(&env).await;
    let cms: Api<ConfigMap> = Api::namespaced(env.client(), "default");
    let cm: ConfigMap = serde_json::from_value(json!({"metadata": {"name": "now"}})).expect("cm");
    cms.create(&PostParams::default(), &cm)
        .await
        .expect("created");
    let evs = events(
        &env,
        &format!("sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&resourceVersion={rv}&timeoutSeconds=1"),
    )
    .await;
    let added: Vec<&str> = evs
        .iter()
        .filter(|e| e["type"] == "ADDED")
        .filter_map(|e| e["object"]["metadata"]["name"].as_str())
        .collect();
    assert!(added.contains(&"now"), "{evs:?}");
    let end = evs
        .iter()
        .position(|e| e["type"] == "BOOKMARK")
        .expect("bookmark");
    assert!(evs[..end].iter().all(|e| e["type"] == "ADDED"), "{evs:?}");
    assert_eq!(
        evs[end]["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"],
        "true"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_gets_a_bookmark_two_seconds_before_it_times_out() {
    let env = start_with(SimOptions::default()).await;
    let rv = current_rv(&env).await;
    let evs = events(
        &env,
        &format!("resourceVersion={rv}&allowWatchBookmarks=true&timeoutSeconds=3"),
    )
    .await;
    let kinds: Vec<&str> = evs.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(kinds, vec!["BOOKMARK"], "{evs:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_entering_and_leaving_a_label_selector_are_added_and_deleted() {
    let env = start_with(SimOptions::default()).await;
    let rv = current_rv(&env).await;
    let cms: Api<ConfigMap> = Api::namespaced(env.client(), "default");
    let cm: ConfigMap =
        serde_json::from_value(json!({"metadata": {"name": "moving"}})).expect("cm");
    cms.create(&PostParams::default(), &cm)
        .await
        .expect("created");
    let label = |v: Value| json!({"metadata": {"labels": {"tier": v}}});
    cms.patch(
        "moving",
        &PatchParams::default(),
        &Patch::Merge(&label(json!("web"))),
    )
    .await
    .expect("in");
    cms.patch(
        "moving",
        &PatchParams::default(),
        &Patch::Merge(&json!({"data": {"a": "1"}})),
    )
    .await
    .expect("change");
    cms.patch(
        "moving",
        &PatchParams::default(),
        &Patch::Merge(&label(Value::Null)),
    )
    .await
    .expect("out");
    let evs = events(
        &env,
        &format!("resourceVersion={rv}&labelSelector=tier%3Dweb&timeoutSeconds=1"),
    )
    .await;
    let kinds: Vec<&str> = evs.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(kinds, vec!["ADDED", "MODIFIED", "DELETED"]);
    // The DELETED event shows the object as it last matched, at the version that
    // took it out, as the watch cache sends it.
    let gone = &evs[2]["object"];
    assert_eq!(gone["metadata"]["labels"]["tier"], "web");
    let now = cms.get("moving").await.expect("still there");
    assert_eq!(
        gone["metadata"]["resourceVersion"].as_str(),
        now.metadata.resource_version.as_deref()
    );
}
