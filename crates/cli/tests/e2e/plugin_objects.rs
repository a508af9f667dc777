//! Issue 10, plugin objects in the running controller, against kube-sim and
//! lattice-sim: a ClusterLatticePlugin reading a ConfigMap swaps the
//! weighting of every route in; a version with bad settings is refused
//! while the old one keeps serving; a version the safety gate finds failing
//! is blocked; deleting the object hands the routes back to the default.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{ConfigMap, Event};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use lattice_controller::Options;
use lattice_core::crds::plugins::ClusterLatticePlugin;
use serde_json::{Value, json};

use crate::controller::{bookstore, lattice, lattice_writes, programmed, routes_api};

/// Starts the controller as `run` does, plugin objects served.
fn start(
    client: &kube::Client,
    url: &str,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let parts = lattice_wiring::Parts {
        kube: client.clone(),
        plugins: lattice_wasm::PluginConfig::default(),
        lattice: Some(lattice_wiring::Lattice {
            client: lattice_sim::client(url),
            options: lattice_apply::ApplyOptions::unlimited(16),
        }),
        options: Options::default(),
    };
    let assembled = lattice_wiring::controller(parts).expect("the controller starts");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(assembled.controller.run(async {
        let _ = stopped.await;
    }));
    (stop, task)
}

/// The weights of every forward action Lattice holds, sorted.
fn weights(lattice: &lattice_sim::RunningSim) -> Vec<u64> {
    fn walk(v: &Value, out: &mut Vec<u64>) {
        match v {
            Value::Object(m) => {
                if let Some(w) = m.get("weight").and_then(Value::as_u64) {
                    out.push(w);
                }
                m.values().for_each(|x| walk(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(&lattice.state_dump(), &mut out);
    out.sort();
    out
}

/// Polls `check` every 100 ms for up to 20 s.
async fn until<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    for _ in 0..200 {
        if let Some(v) = check().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never happened: {what}");
}

fn plugin_condition(p: &ClusterLatticePlugin, ty: &str) -> Option<(String, String, String)> {
    let c = p
        .status
        .as_ref()?
        .conditions
        .iter()
        .find(|c| c.type_ == ty)?;
    Some((c.status.clone(), c.reason.clone(), c.message.clone()))
}

pub(crate) fn clp(name: &str, spec: Value) -> ClusterLatticePlugin {
    serde_json::from_value(json!({
        "apiVersion": "lattice-host.io/v1alpha1",
        "kind": "ClusterLatticePlugin",
        "metadata": {"name": name},
        "spec": spec,
    }))
    .expect("a ClusterLatticePlugin")
}

pub(crate) async fn config_map(client: &kube::Client, name: &str, wasm: &str) {
    let bytes = std::fs::read(wasm).expect("the plugin was built");
    let cm = ConfigMap {
        metadata: kube::api::ObjectMeta {
            name: Some(name.into()),
            namespace: Some("bookstore".into()),
            ..Default::default()
        },
        binary_data: Some(BTreeMap::from([("plugin.wasm".into(), ByteString(bytes))])),
        ..Default::default()
    };
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "bookstore");
    api.create(&PostParams::default(), &cm)
        .await
        .expect("ConfigMap created");
}

fn sha256_of(path: &str) -> String {
    use sha2::Digest;
    let bytes = std::fs::read(path).expect("the plugin was built");
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

async fn reasons_of_events(client: &kube::Client, name: &str) -> Vec<String> {
    let api: Api<Event> = Api::all(client.clone());
    let list = api.list(&Default::default()).await.expect("events");
    list.items
        .into_iter()
        .filter(|e| e.involved_object.name.as_deref() == Some(name))
        .filter_map(|e| e.reason)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_plugin_from_a_config_map_is_swapped_in_refused_blocked_and_removed() {
    let (_kube, client) = bookstore().await;
    let lattice = lattice().await;
    let (stop, task) = start(&client, &lattice.url());
    let routes = routes_api(&client);
    programmed(&routes, "books", "True").await;
    let before = weights(&lattice);
    assert!(before.contains(&90) && before.contains(&10), "{before:?}");

    // Swap: the equal-split weighting from a ConfigMap, for every route.
    config_map(&client, "equal-split", test_plugins::EQUAL_SPLIT).await;
    let plugins: Api<ClusterLatticePlugin> = Api::all(client.clone());
    let spec = json!({"stage":"weighting",
        "source":{"configMap":{"name":"equal-split","key":"plugin.wasm","namespace":"bookstore"}}});
    plugins
        .create(&PostParams::default(), &clp("equal", spec))
        .await
        .expect("ClusterLatticePlugin created");
    until("Lattice forwards with equal weights", async || {
        let w = weights(&lattice);
        (!w.contains(&90) && !w.contains(&10)).then_some(())
    })
    .await;
    let digest = sha256_of(test_plugins::EQUAL_SPLIT);
    let served = until("the plugin reports Ready", async || {
        let p = plugins.get("equal").await.ok()?;
        let ready = plugin_condition(&p, "Ready")?;
        (ready.0 == "True").then_some(p)
    })
    .await;
    let status = served.status.clone().expect("status");
    assert_eq!(status.active_digest.as_deref(), Some(digest.as_str()));
    // books, reviews and the GRPCRoute of the bookstore.
    assert_eq!(status.routes, Some(3), "{status:?}");
    assert_eq!(
        plugin_condition(&served, "Accepted").expect("Accepted").0,
        "True"
    );
    assert!(
        reasons_of_events(&client, "equal")
            .await
            .contains(&"Serving".to_string())
    );

    // Refused: settings the plugin rejects. The old version keeps serving.
    let bad = json!({"spec":{"settings":{"maxBackends":99}}});
    plugins
        .patch("equal", &PatchParams::default(), &Patch::Merge(&bad))
        .await
        .expect("patched");
    let refused = until("the new version is refused", async || {
        let p = plugins.get("equal").await.ok()?;
        let accepted = plugin_condition(&p, "Accepted")?;
        (accepted.0 == "False").then_some(p)
    })
    .await;
    let (_, reason, message) = plugin_condition(&refused, "Accepted").expect("Accepted");
    assert_eq!(reason, "InvalidComponent");
    assert!(message.contains("maxBackends"), "{message}");
    let ready = plugin_condition(&refused, "Ready").expect("Ready");
    assert_eq!(
        ready.0, "True",
        "the old version stopped serving: {ready:?}"
    );
    assert_eq!(
        refused
            .status
            .as_ref()
            .and_then(|s| s.active_digest.clone()),
        Some(digest.clone())
    );
    assert!(
        reasons_of_events(&client, "equal")
            .await
            .contains(&"Refused".to_string())
    );

    // Blocked: a mapping plugin that traps on every route never goes live.
    config_map(&client, "faulty", test_plugins::FAULTY).await;
    let writes_before = lattice.call_counts();
    let trap = json!({"stage":"mapping","settings":{"fault":"trap"},
        "source":{"configMap":{"name":"faulty","key":"plugin.wasm","namespace":"bookstore"}}});
    plugins
        .create(&PostParams::default(), &clp("trapping", trap))
        .await
        .expect("created");
    let blocked = until("the trapping plugin is blocked", async || {
        let p = plugins.get("trapping").await.ok()?;
        let b = plugin_condition(&p, "Blocked")?;
        (b.0 == "True").then_some(b)
    })
    .await;
    assert!(
        blocked.2.contains("failed on 3 of the 3 routes"),
        "{}",
        blocked.2
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let writes = |counts: BTreeMap<String, u64>| -> u64 {
        counts
            .into_iter()
            .filter(|(op, _)| !lattice_sim::is_read_operation(op))
            .map(|(_, n)| n)
            .sum()
    };
    assert_eq!(
        writes(lattice.call_counts()),
        writes(writes_before),
        "a blocked plugin wrote to Lattice"
    );
    programmed(&routes, "books", "True").await;

    // Removed: the routes go back to the built-in weighting.
    for name in ["equal", "trapping"] {
        plugins
            .delete(name, &DeleteParams::default())
            .await
            .expect("deleted");
    }
    until("Lattice forwards 90/10 again", async || {
        let w = weights(&lattice);
        (w.contains(&90) && w.contains(&10)).then_some(())
    })
    .await;
    let _ = stop.send(());
    task.await.expect("the controller stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_serves_what_served_before_and_a_lost_source_destroys_nothing() {
    let (_kube, client) = bookstore().await;
    let lattice = lattice().await;
    config_map(&client, "equal-split", test_plugins::EQUAL_SPLIT).await;
    let plugins: Api<ClusterLatticePlugin> = Api::all(client.clone());
    let spec = json!({"stage":"weighting",
        "source":{"configMap":{"name":"equal-split","key":"plugin.wasm","namespace":"bookstore"}}});
    plugins
        .create(&PostParams::default(), &clp("equal", spec))
        .await
        .expect("created");
    let (stop, task) = start(&client, &lattice.url());
    until("Lattice forwards with equal weights", async || {
        let w = weights(&lattice);
        (!w.is_empty() && !w.contains(&90)).then_some(())
    })
    .await;
    until("the plugin reports its digest", async || {
        let p = plugins.get("equal").await.ok()?;
        p.status?.active_digest
    })
    .await;
    let _ = stop.send(());
    task.await.expect("the controller stops");

    // A restart: the first pass waits for the plugin, so nothing flips to
    // the built-in weighting and back.
    lattice.reset_call_counts();
    let (stop, task) = start(&client, &lattice.url());
    let routes = routes_api(&client);
    programmed(&routes, "books", "True").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = stop.send(());
    task.await.expect("the controller stops");
    assert_eq!(
        lattice_writes(&lattice),
        vec![],
        "a restart rewrote Lattice"
    );

    // The ConfigMap is gone while the controller is down: the plugin cannot
    // load, and its routes keep what Lattice holds.
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "bookstore");
    cms.delete("equal-split", &DeleteParams::default())
        .await
        .expect("deleted");
    lattice.reset_call_counts();
    let (stop, task) = start(&client, &lattice.url());
    let kept = crate::controller::eventually(&routes, "books", |r| {
        crate::controller::condition(r, crate::controller::PROGRAMMED)
            .is_some_and(|c| c["reason"] == "KeptLastGood")
    })
    .await;
    let message = crate::controller::condition(&kept, crate::controller::PROGRAMMED)
        .expect("Programmed")["message"]
        .to_string();
    assert!(
        message.contains("ClusterLatticePlugin equal@sha256:"),
        "{message}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = stop.send(());
    task.await.expect("the controller stops");
    assert_eq!(
        lattice_writes(&lattice),
        vec![],
        "a lost plugin source changed Lattice"
    );
    let w = weights(&lattice);
    assert!(!w.contains(&90), "the equal split was replaced: {w:?}");
}

fn lp(name: &str, spec: Value) -> lattice_core::crds::plugins::LatticePlugin {
    serde_json::from_value(json!({
        "apiVersion": "lattice-host.io/v1alpha1",
        "kind": "LatticePlugin",
        "metadata": {"name": name, "namespace": "bookstore"},
        "spec": spec,
    }))
    .expect("a LatticePlugin")
}

/// The weights of the forward action with more than one target group.
fn canary(lattice: &lattice_sim::RunningSim) -> Vec<u64> {
    fn walk(v: &Value, out: &mut Option<Vec<u64>>) {
        match v {
            Value::Object(m) => {
                let targets = m.get("targetGroups").and_then(Value::as_array);
                if let Some(ts) = targets.filter(|ts| ts.len() > 1) {
                    let ws = ts.iter().filter_map(|t| t["weight"].as_u64()).collect();
                    *out = Some(ws);
                }
                m.values().for_each(|x| walk(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = None;
    walk(&lattice.state_dump(), &mut out);
    out.unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_namespaced_plugin_decides_its_route_only_where_the_cluster_plugin_delegates() {
    let (_kube, client) = bookstore().await;
    let lattice = lattice().await;
    config_map(&client, "equal-split", test_plugins::EQUAL_SPLIT).await;
    let source =
        json!({"configMap":{"name":"equal-split","key":"plugin.wasm","namespace":"bookstore"}});
    // The platform's weighting keeps the first backend only, and delegates.
    let platform = json!({"stage":"weighting","source":source,"settings":{"maxBackends":1},
        "allowNamespaceOverride":true});
    let cluster: Api<ClusterLatticePlugin> = Api::all(client.clone());
    cluster
        .create(&PostParams::default(), &clp("platform", platform))
        .await
        .expect("created");
    // The team's weighting, for books only, splits evenly.
    let team = json!({"stage":"weighting","source":{"configMap":{"name":"equal-split","key":"plugin.wasm"}},
        "targetRefs":[{"group":"gateway.networking.k8s.io","kind":"HTTPRoute","name":"books"}]});
    let local: Api<lattice_core::crds::plugins::LatticePlugin> =
        Api::namespaced(client.clone(), "bookstore");
    local
        .create(&PostParams::default(), &lp("team", team))
        .await
        .expect("created");
    let (stop, task) = start(&client, &lattice.url());
    until("books splits evenly by the team's plugin", async || {
        (canary(&lattice) == vec![1, 1]).then_some(())
    })
    .await;
    let routes_of = async |api: &Api<_>, name: &str| -> Option<u32> {
        let p: lattice_core::crds::plugins::LatticePlugin = api.get(name).await.ok()?;
        p.status?.routes
    };
    let team_routes = until("the team's plugin reports its routes", async || {
        routes_of(&local, "team").await
    })
    .await;
    assert_eq!(team_routes, 1);
    let platform_routes = until("the platform plugin reports its routes", async || {
        cluster.get("platform").await.ok()?.status?.routes
    })
    .await;
    assert_eq!(platform_routes, 2, "reviews and ratings");

    // Delegation withdrawn: the team's plugin is not accepted, and books
    // gets the platform's weighting.
    let closed = json!({"spec":{"allowNamespaceOverride":false}});
    cluster
        .patch("platform", &PatchParams::default(), &Patch::Merge(&closed))
        .await
        .expect("patched");
    until("books follows the platform plugin", async || {
        canary(&lattice).is_empty().then_some(())
    })
    .await;
    let reason = until("the team's plugin is NotDelegated", async || {
        let p = local.get("team").await.ok()?;
        let c = p
            .status?
            .conditions
            .into_iter()
            .find(|c| c.type_ == "Accepted")?;
        (c.status == "False").then_some(c.reason)
    })
    .await;
    assert_eq!(reason, "NotDelegated");
    let _ = stop.send(());
    task.await.expect("the controller stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_plugin_pulled_from_a_real_registry_by_digest_serves() {
    let Some(registry) = crate::oci::registry_or_skip() else {
        return;
    };
    let bytes = std::fs::read(test_plugins::EQUAL_SPLIT).expect("built");
    let reference = format!("{}/plugins/equal-split:v1", registry.addr);
    let digest = lattice_oci::push(&reference, &bytes, &lattice_oci::Auth::Anonymous, false)
        .await
        .expect("pushed");
    let pinned = format!("{}/plugins/equal-split@{digest}", registry.addr);
    let (_kube, client) = bookstore().await;
    let lattice = lattice().await;
    let (stop, task) = start(&client, &lattice.url());
    programmed(&routes_api(&client), "books", "True").await;
    let spec = json!({"stage":"weighting","source":{"oci":pinned},
        "sha256": sha256_of(test_plugins::EQUAL_SPLIT).trim_start_matches("sha256:")});
    let plugins: Api<ClusterLatticePlugin> = Api::all(client.clone());
    plugins
        .create(&PostParams::default(), &clp("from-oci", spec))
        .await
        .expect("created");
    until("books splits evenly", async || {
        (canary(&lattice) == vec![1, 1]).then_some(())
    })
    .await;
    // A pin that does not match is refused naming spec.sha256; the pulled
    // version keeps serving.
    let wrong = json!({"spec":{"sha256":"0".repeat(64)}});
    plugins
        .patch("from-oci", &PatchParams::default(), &Patch::Merge(&wrong))
        .await
        .expect("patched");
    let (reason, message) = until("the wrong pin is refused", async || {
        let p = plugins.get("from-oci").await.ok()?;
        let c = plugin_condition(&p, "Accepted")?;
        (c.0 == "False").then_some((c.1, c.2))
    })
    .await;
    assert_eq!(reason, "DigestMismatch", "{message}");
    assert!(message.starts_with("spec.sha256"), "{message}");
    assert_eq!(canary(&lattice), vec![1, 1]);
    let _ = stop.send(());
    task.await.expect("the controller stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_refusal_is_one_event_with_a_count_not_a_new_event() {
    use k8s_openapi::api::events::v1::Event as SeriesEvent;

    let (_kube, client) = bookstore().await;
    let lattice = lattice().await;
    let (stop, task) = start(&client, &lattice.url());
    let plugins: Api<ClusterLatticePlugin> = Api::all(client.clone());
    let spec = json!({"stage":"weighting",
        "source":{"configMap":{"name":"absent","key":"plugin.wasm","namespace":"bookstore"}}});
    plugins
        .create(&PostParams::default(), &clp("missing", spec))
        .await
        .expect("created");
    let refused = |n: u64| {
        let client = client.clone();
        async move {
            let api: Api<SeriesEvent> = Api::all(client);
            let list = api.list(&Default::default()).await.ok()?;
            let mine: Vec<SeriesEvent> = list
                .items
                .into_iter()
                .filter(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some("missing"))
                .filter(|e| e.reason.as_deref() == Some("Refused"))
                .collect();
            let count = mine
                .first()
                .map_or(0, |e| e.series.as_ref().map_or(1, |s| s.count as u64));
            (count >= n).then_some(mine.len())
        }
    };
    until("one Refused event", async || refused(1).await).await;
    let again = json!({"spec":{"settings":{"try":2}}});
    plugins
        .patch("missing", &PatchParams::default(), &Patch::Merge(&again))
        .await
        .expect("patched");
    let events = until("the refusal counted twice", async || refused(2).await).await;
    assert_eq!(events, 1, "a repeat made a new Event object");
    let _ = stop.send(());
    task.await.expect("the controller stops");
}
