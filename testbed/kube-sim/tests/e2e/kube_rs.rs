//! kube-rs, unmodified, against kube-sim: watchers, reflectors, apply and status.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use gateway_api::httproutes::HttpRoute;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::{WatchStreamExt, reflector, watcher};
use serde_json::json;

use crate::common::{Env, eventually, gateway_crd, start};

/// The HTTPRoute API of the default namespace.
pub fn routes(env: &Env) -> Api<HttpRoute> {
    Api::namespaced(env.client(), "default")
}

pub async fn install_httproute_crd(env: &Env) -> Api<HttpRoute> {
    let client = env.client();
    let crd: CustomResourceDefinition = serde_yaml::from_str(
        &std::fs::read_to_string(gateway_crd("httproutes")).expect("crd file"),
    )
    .expect("crd yaml");
    Api::<CustomResourceDefinition>::all(client.clone())
        .create(&PostParams::default(), &crd)
        .await
        .expect("crd created");
    Api::namespaced(client, "default")
}

fn mk_route(name: &str, host: &str) -> HttpRoute {
    serde_json::from_value(json!({
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"hostnames": [host], "parentRefs": [{"name": "lattice"}]}
    }))
    .expect("route")
}

fn hosts(r: &HttpRoute) -> Vec<String> {
    r.spec.hostnames.clone().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reflector_over_httproutes_follows_creates_updates_and_deletes() {
    let env = start().await;
    let api = install_httproute_crd(&env).await;
    let (reader, writer) = reflector::store::<HttpRoute>();
    let stream = reflector(writer, watcher(api.clone(), watcher::Config::default()));
    let task = tokio::spawn(stream.applied_objects().for_each(|_| async {}));

    api.create(&PostParams::default(), &mk_route("web", "a.example.com"))
        .await
        .expect("created");
    eventually("route in store", || reader.state().len() == 1).await;

    let patch = json!({"spec": {"hostnames": ["b.example.com"]}});
    api.patch("web", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("patched");
    eventually("update in store", || {
        reader
            .state()
            .first()
            .is_some_and(|r| hosts(r) == ["b.example.com"])
    })
    .await;

    // Gone at once: kube-apiserver answers with a Success Status, which kube-rs
    // reads as `Right`; an object that waits on finalizers comes back as `Left`.
    let answer = api
        .delete("web", &DeleteParams::default())
        .await
        .expect("deleted");
    let status = answer.right().expect("a Status for an object gone at once");
    let details = status.details.expect("details");
    assert_eq!(
        (details.name.as_str(), details.kind.as_str()),
        ("web", "httproutes")
    );
    eventually("delete in store", || reader.state().is_empty()).await;
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_survives_dropped_watches_and_relists_after_410_gone() {
    let env = start().await;
    let api = install_httproute_crd(&env).await;
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = seen.clone();
    let task = tokio::spawn(
        watcher(api.clone(), watcher::Config::default()).for_each(move |ev| {
            let entry = match ev {
                Ok(watcher::Event::Init) => "init".to_string(),
                Ok(watcher::Event::InitApply(r)) => {
                    format!("list {}", r.metadata.name.unwrap_or_default())
                }
                Ok(watcher::Event::InitDone) => "listed".to_string(),
                Ok(watcher::Event::Apply(r)) => {
                    format!("apply {}", r.metadata.name.unwrap_or_default())
                }
                Ok(watcher::Event::Delete(r)) => {
                    format!("delete {}", r.metadata.name.unwrap_or_default())
                }
                Err(e) => format!("error {e}"),
            };
            log.lock().expect("log").push(entry);
            async {}
        }),
    );
    let has = |s: &str| seen.lock().expect("log").iter().any(|e| e == s);
    let count = |s: &str| seen.lock().expect("log").iter().filter(|e| *e == s).count();

    eventually("initial list", || has("listed")).await;
    api.create(&PostParams::default(), &mk_route("one", "one.example.com"))
        .await
        .expect("one");
    eventually("one applied", || has("apply one")).await;

    env.sim.sim().drop_watches();
    tokio::time::sleep(Duration::from_millis(200)).await;
    api.create(&PostParams::default(), &mk_route("two", "two.example.com"))
        .await
        .expect("two");
    eventually("two applied after the watch was dropped", || {
        has("apply two")
    })
    .await;
    assert_eq!(
        count("init"),
        1,
        "a dropped watch resumes without a re-list: {:?}",
        seen.lock().expect("log")
    );

    // Writes the watcher does not see, then a compaction: its resourceVersion is now too old.
    let cms: Api<k8s_openapi::api::core::v1::ConfigMap> = Api::namespaced(env.client(), "default");
    let cm = serde_json::from_value(json!({"metadata": {"name": "unrelated"}})).expect("cm");
    cms.create(&PostParams::default(), &cm)
        .await
        .expect("configmap");
    env.sim.sim().compact();
    env.sim.sim().drop_watches();
    tokio::time::sleep(Duration::from_millis(200)).await;
    api.create(
        &PostParams::default(),
        &mk_route("three", "three.example.com"),
    )
    .await
    .expect("three");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !(count("listed") == 2 && (has("list three") || has("apply three"))) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no re-list after 410: {:?}",
            seen.lock().expect("log")
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let log = seen.lock().expect("log").clone();
    assert!(
        log.iter()
            .any(|e| e.starts_with("error") && e.contains("too old resource version")),
        "410 surfaced to the watcher: {log:?}"
    );
    assert!(log.contains(&"list one".to_string()) && log.contains(&"list two".to_string()));
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_side_apply_and_status_patches_work_through_kube_rs() {
    let env = start().await;
    let api = install_httproute_crd(&env).await;
    let ssa = PatchParams::apply("lattice-host");
    let route = json!({
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": {"name": "web", "labels": {"team": "a", "tier": "web"}},
        "spec": {"hostnames": ["a.example.com"], "parentRefs": [{"name": "lattice"}]}
    });
    let created = api
        .patch("web", &ssa, &Patch::Apply(&route))
        .await
        .expect("apply creates");
    assert_eq!(created.metadata.generation, Some(1));
    let mf = created.metadata.managed_fields.clone().unwrap_or_default();
    assert_eq!(mf[0].manager.as_deref(), Some("lattice-host"));
    assert_eq!(mf[0].operation.as_deref(), Some("Apply"));

    let mut smaller = route.clone();
    smaller["metadata"]["labels"] = json!({"team": "a"});
    smaller["spec"]["hostnames"] = json!(["b.example.com"]);
    let updated = api
        .patch("web", &ssa, &Patch::Apply(&smaller))
        .await
        .expect("apply updates");
    assert_eq!(hosts(&updated), ["b.example.com"]);
    assert_eq!(updated.metadata.generation, Some(2));
    assert!(
        !updated
            .metadata
            .labels
            .unwrap_or_default()
            .contains_key("tier"),
        "a field no longer applied is removed"
    );

    let rival = json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                       "metadata": {"name": "web"}, "spec": {"hostnames": ["c.example.com"]}});
    let err = api
        .patch("web", &PatchParams::apply("rival"), &Patch::Apply(&rival))
        .await
        .expect_err("conflict");
    match err {
        kube::Error::Api(s) => assert_eq!((s.code, s.reason.as_str()), (409, "Conflict")),
        other => panic!("unexpected {other:?}"),
    }
    let forced = api
        .patch(
            "web",
            &PatchParams::apply("rival").force(),
            &Patch::Apply(&rival),
        )
        .await
        .expect("forced");
    assert_eq!(hosts(&forced), ["c.example.com"]);

    let status = json!({"status": {"parents": [{"controllerName": "application-networking.k8s.aws/gateway-api-controller",
        "parentRef": {"name": "lattice"},
        "conditions": [{"type": "Accepted", "status": "True", "reason": "Accepted", "message": "",
                        "lastTransitionTime": "2024-01-01T00:00:00Z", "observedGeneration": 3}]}]}});
    let with_status = api
        .patch_status("web", &PatchParams::default(), &Patch::Merge(&status))
        .await
        .expect("status");
    assert_eq!(
        with_status.metadata.generation, forced.metadata.generation,
        "status writes do not bump generation"
    );
    assert_eq!(
        with_status.status.as_ref().map(|s| s.parents.len()),
        Some(1)
    );

    let sneaky = json!({"spec": {"hostnames": ["ignored.example.com"]}, "status": {"parents": []}});
    let after = api
        .patch_status("web", &PatchParams::default(), &Patch::Merge(&sneaky))
        .await
        .expect("status");
    assert_eq!(
        hosts(&after),
        ["c.example.com"],
        "the status subresource ignores spec"
    );
    let main = api
        .patch(
            "web",
            &PatchParams::default(),
            &Patch::Merge(&json!({"status": {"parents": [{}, {}]}})),
        )
        .await;
    assert_eq!(
        main.expect("main patch").status.map(|s| s.parents.len()),
        Some(0),
        "the main resource ignores status"
    );

    let applied_status = json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": {"name": "web"},
        "status": {"parents": [{"controllerName": "x.io/c", "parentRef": {"name": "lattice"}, "conditions": [
            {"type": "Accepted", "status": "True", "reason": "Accepted", "message": "",
             "lastTransitionTime": "2024-01-01T00:00:00Z"}]}]}});
    let st = api
        .patch_status(
            "web",
            &PatchParams::apply("lattice-host").force(),
            &Patch::Apply(&applied_status),
        )
        .await;
    assert_eq!(
        st.expect("status apply").status.map(|s| s.parents.len()),
        Some(1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streaming_list_watcher_gets_existing_objects_then_changes() {
    let env = start().await;
    let api = install_httproute_crd(&env).await;
    for name in ["a", "b"] {
        api.create(&PostParams::default(), &mk_route(name, "x.example.com"))
            .await
            .expect("created");
    }
    let (reader, writer) = reflector::store::<HttpRoute>();
    let config = watcher::Config::default().streaming_lists();
    let stream = reflector(writer, watcher(api.clone(), config));
    let task = tokio::spawn(stream.applied_objects().for_each(|_| async {}));
    eventually("initial events", || reader.state().len() == 2).await;
    api.create(&PostParams::default(), &mk_route("c", "x.example.com"))
        .await
        .expect("created");
    eventually("later change", || reader.state().len() == 3).await;
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_that_breaks_the_crd_schema_is_422_invalid_as_on_a_real_cluster() {
    let env = start().await;
    let api = install_httproute_crd(&env).await;
    api.create(&PostParams::default(), &mk_route("web", "a.example.com"))
        .await
        .expect("created");
    let missing_message = json!({"status": {"parents": [{"controllerName": "x.io/c", "parentRef": {"name": "lattice"},
        "conditions": [{"type": "Accepted", "status": "Maybe", "reason": "Accepted",
                        "lastTransitionTime": "2024-01-01T00:00:00Z"}]}]}});
    match api
        .patch_status(
            "web",
            &PatchParams::default(),
            &Patch::Merge(&missing_message),
        )
        .await
    {
        Err(kube::Error::Api(s)) => {
            assert_eq!((s.code, s.reason.as_str()), (422, "Invalid"));
            assert!(
                s.message
                    .contains("status.parents[0].conditions[0].message: Required value"),
                "{}",
                s.message
            );
            assert!(
                s.message.contains(
                    "status.parents[0].conditions[0].status: Unsupported value: \"Maybe\""
                ),
                "{}",
                s.message
            );
        }
        other => panic!("expected 422, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_metadata_watcher_follows_routes_as_partial_object_metadata() {
    let env = start().await;
    let api = install_httproute_crd(&env).await;
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = seen.clone();
    let meta_api: Api<kube::core::PartialObjectMeta<HttpRoute>> =
        Api::namespaced(env.client(), "default");
    let task = tokio::spawn(
        watcher(meta_api, watcher::Config::default())
            .applied_objects()
            .for_each(move |r| {
                if let Ok(m) = r {
                    let kind = m.types.map(|t| t.kind).unwrap_or_default();
                    log.lock()
                        .expect("log")
                        .push(format!("{kind} {}", m.metadata.name.unwrap_or_default()));
                }
                async {}
            }),
    );
    api.create(&PostParams::default(), &mk_route("meta", "m.example.com"))
        .await
        .expect("created");
    eventually("metadata event", || {
        seen.lock()
            .expect("log")
            .iter()
            .any(|e| e.ends_with(" meta"))
    })
    .await;
    assert!(
        seen.lock()
            .expect("log")
            .iter()
            .all(|e| e.starts_with("PartialObjectMetadata "))
    );
    task.abort();
}
