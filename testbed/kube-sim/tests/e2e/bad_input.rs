//! Bad input gets the status code and reason kube-apiserver gives, the server keeps
//! serving, and nothing stored is lost.

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ListParams, PostParams};
use serde_json::{Value, json};

use crate::common::{Env, start};

/// Sends a raw request; returns (code, reason) of the Status, or (200, "") on success.
async fn raw(
    env: &Env,
    method: &str,
    path: &str,
    content_type: &str,
    body: &[u8],
) -> (u16, String) {
    let req = http::Request::builder()
        .method(method)
        .uri(path)
        .header("Content-Type", content_type)
        .body(body.to_vec())
        .expect("request");
    match env.client().request_text(req).await {
        Ok(_) => (200, String::new()),
        Err(kube::Error::Api(s)) => (s.code, s.reason),
        Err(e) => panic!("transport error for {method} {path}: {e}"),
    }
}

/// POSTs a JSON object; returns what `raw` returns.
async fn post(env: &Env, path: &str, body: &Value) -> (u16, String) {
    raw(
        env,
        "POST",
        path,
        "application/json",
        body.to_string().as_bytes(),
    )
    .await
}

/// Sends a JSON merge patch; returns what `raw` returns.
async fn merge(env: &Env, path: &str, patch: &Value) -> (u16, String) {
    let body = patch.to_string();
    raw(
        env,
        "PATCH",
        path,
        "application/merge-patch+json",
        body.as_bytes(),
    )
    .await
}

const CMS: &str = "/api/v1/namespaces/default/configmaps";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_and_yaml_bodies_are_400_bad_request() {
    let env = start().await;
    assert_eq!(
        raw(&env, "POST", CMS, "application/json", b"{\"metadata\": ").await,
        (400, "BadRequest".into())
    );
    assert_eq!(
        raw(&env, "POST", CMS, "application/yaml", b"metadata: [name: x").await,
        (400, "BadRequest".into())
    );
    assert_eq!(
        raw(&env, "POST", CMS, "application/json", b"").await,
        (400, "BadRequest".into())
    );
    let body = json!({"kind": "Secret", "apiVersion": "v1", "metadata": {"name": "x"}}).to_string();
    assert_eq!(
        raw(&env, "POST", CMS, "application/json", body.as_bytes()).await,
        (400, "BadRequest".into())
    );
    let body = json!({"metadata": {"name": "x", "namespace": "other"}}).to_string();
    assert_eq!(
        raw(&env, "POST", CMS, "application/json", body.as_bytes()).await,
        (400, "BadRequest".into())
    );
    let patch = format!("{CMS}/nope");
    assert_eq!(
        raw(
            &env,
            "PATCH",
            &patch,
            "application/merge-patch+json",
            b"{oops"
        )
        .await,
        (400, "BadRequest".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_kinds_and_missing_objects_are_404_not_found() {
    let env = start().await;
    assert_eq!(
        raw(&env, "GET", "/apis/nope.example.com/v1/widgets", "", b"").await,
        (404, "NotFound".into())
    );
    assert_eq!(
        raw(&env, "GET", "/api/v1/namespaces/default/widgets", "", b"").await,
        (404, "NotFound".into())
    );
    let routes = "/apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes";
    assert_eq!(
        raw(&env, "POST", routes, "application/json", b"{}").await,
        (404, "NotFound".into())
    );
    assert_eq!(
        raw(&env, "GET", &format!("{CMS}/absent"), "", b"").await,
        (404, "NotFound".into())
    );
    let in_missing_ns = json!({"metadata": {"name": "x"}}).to_string();
    let path = "/api/v1/namespaces/ghost/configmaps";
    assert_eq!(
        raw(
            &env,
            "POST",
            path,
            "application/json",
            in_missing_ns.as_bytes()
        )
        .await,
        (404, "NotFound".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_names_and_invalid_dns_names_are_422_invalid() {
    let env = start().await;
    let cms: Api<ConfigMap> = Api::namespaced(env.client(), "default");
    for (path, body) in [
        (CMS, json!({"metadata": {}})),
        (CMS, json!({"metadata": {"name": "Bad_Name"}})),
        (CMS, json!({"metadata": {"name": "-dash"}})),
        (
            "/api/v1/namespaces",
            json!({"metadata": {"name": "has.dots"}}),
        ),
        (
            "/api/v1/namespaces/default/services",
            json!({"metadata": {"name": "a.b"}, "spec": {}}),
        ),
    ] {
        assert_eq!(
            raw(
                &env,
                "POST",
                path,
                "application/json",
                body.to_string().as_bytes()
            )
            .await,
            (422, "Invalid".into()),
            "{body}"
        );
    }
    let cm: ConfigMap = serde_json::from_value(json!({"metadata": {"name": "Nope!"}})).expect("cm");
    match cms.create(&PostParams::default(), &cm).await {
        Err(kube::Error::Api(s)) => {
            assert_eq!((s.code, s.reason.as_str()), (422, "Invalid"));
            assert!(
                s.message
                    .starts_with("ConfigMap \"Nope!\" is invalid: metadata.name: Invalid value"),
                "{}",
                s.message
            );
        }
        other => panic!("expected 422, got {other:?}"),
    }
    let good: ConfigMap =
        serde_json::from_value(json!({"metadata": {"generateName": "gen-"}})).expect("cm");
    let made = cms
        .create(&PostParams::default(), &good)
        .await
        .expect("generateName works");
    assert!(
        made.metadata
            .name
            .is_some_and(|n| n.starts_with("gen-") && n.len() == 9)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_updates_duplicates_and_failed_patches_get_kube_apiserver_codes() {
    let env = start().await;
    let cms: Api<ConfigMap> = Api::namespaced(env.client(), "default");
    let cm: ConfigMap =
        serde_json::from_value(json!({"metadata": {"name": "cfg"}, "data": {"a": "1"}}))
            .expect("cm");
    let first = cms
        .create(&PostParams::default(), &cm)
        .await
        .expect("created");
    let code = |r: Result<ConfigMap, kube::Error>| match r {
        Err(kube::Error::Api(s)) => (s.code, s.reason),
        other => panic!("expected an API error, got {other:?}"),
    };
    assert_eq!(
        code(cms.create(&PostParams::default(), &cm).await),
        (409, "AlreadyExists".into())
    );
    let mut newer = first.clone();
    newer.data = Some([("a".to_string(), "2".to_string())].into());
    cms.replace("cfg", &PostParams::default(), &newer)
        .await
        .expect("first replace");
    assert_eq!(
        code(cms.replace("cfg", &PostParams::default(), &newer).await),
        (409, "Conflict".into())
    );

    let path = format!("{CMS}/cfg");
    let bad_op = br#"[{"op": "remove", "path": "/data/missing"}]"#;
    assert_eq!(
        raw(&env, "PATCH", &path, "application/json-patch+json", bad_op).await,
        (422, "Invalid".into())
    );
    let failed_test = br#"[{"op": "test", "path": "/data/a", "value": "9"}]"#;
    assert_eq!(
        raw(
            &env,
            "PATCH",
            &path,
            "application/json-patch+json",
            failed_test
        )
        .await,
        (422, "Invalid".into())
    );
    assert_eq!(
        raw(&env, "PATCH", &path, "text/plain", b"x").await,
        (415, "UnsupportedMediaType".into())
    );
    let apply =
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}}).to_string();
    assert_eq!(
        raw(
            &env,
            "PATCH",
            &path,
            "application/apply-patch+yaml",
            apply.as_bytes()
        )
        .await,
        (422, "Invalid".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_from_a_compacted_resource_version_ends_with_a_410_expired_event() {
    let env = start().await;
    let cms: Api<ConfigMap> = Api::namespaced(env.client(), "default");
    let cm: ConfigMap = serde_json::from_value(json!({"metadata": {"name": "old"}})).expect("cm");
    let created = cms
        .create(&PostParams::default(), &cm)
        .await
        .expect("created");
    let rv = created.metadata.resource_version.expect("rv");
    cms.delete("old", &Default::default())
        .await
        .expect("deleted");
    env.sim.sim().compact();
    let req = http::Request::get(format!(
        "{CMS}?watch=true&resourceVersion={rv}&timeoutSeconds=5"
    ))
    .body(vec![])
    .expect("req");
    let body = env
        .client()
        .request_text(req)
        .await
        .expect("watch answers 200 with an ERROR event");
    let ev: Value =
        serde_json::from_str(body.lines().next().expect("one event")).expect("json event");
    assert_eq!(ev["type"], "ERROR");
    assert_eq!(
        (
            ev["object"]["code"].as_u64(),
            ev["object"]["reason"].as_str()
        ),
        (Some(410), Some("Expired"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_never_crashes_the_server_or_loses_stored_objects() {
    let env = start().await;
    let cms: Api<ConfigMap> = Api::namespaced(env.client(), "default");
    for i in 0..5 {
        let cm: ConfigMap = serde_json::from_value(
            json!({"metadata": {"name": format!("keep-{i}")}, "data": {"i": i.to_string()}}),
        )
        .expect("cm");
        cms.create(&PostParams::default(), &cm)
            .await
            .expect("created");
    }
    let bodies: [&[u8]; 11] = [
        b"{\"metadata\":{\"labels\":\"x\"}}",
        b"{\"metadata\":{\"name\":\"n\"},\"spec\":\"x\"}",
        b"[{\"op\":\"replace\",\"path\":\"/metadata\",\"value\":7}]",
        b"",
        b"null",
        b"[]",
        b"42",
        b"\"str\"",
        b"{\"metadata\": 5}",
        b"\xff\xfe\x00",
        b"{\"metadata\":{\"name\":[1]}}",
    ];
    let paths = [
        CMS,
        "/api/v1/namespaces/default/configmaps/keep-0",
        "/api/v1/namespaces/default/configmaps/keep-1/status",
        "/apis",
        "/api/v1/namespaces//configmaps",
        "/api/v1/watch/namespaces/default/configmaps/keep-0?timeoutSeconds=1",
    ];
    let types = [
        "application/json",
        "application/yaml",
        "application/merge-patch+json",
        "application/json-patch+json",
        "application/strategic-merge-patch+json",
        "application/apply-patch+yaml",
    ];
    for path in paths {
        for method in ["POST", "PUT", "PATCH", "DELETE"] {
            for ct in types {
                if method == "DELETE" && path == CMS {
                    continue; // a legitimate deletecollection
                }
                for body in bodies {
                    let (code, reason) = raw(&env, method, path, ct, body).await;
                    assert!(
                        code < 500,
                        "{method} {path} {ct} {body:?} -> {code} {reason}"
                    );
                }
            }
        }
    }
    let names: Vec<String> = cms
        .list(&ListParams::default())
        .await
        .expect("still serving")
        .items
        .into_iter()
        .filter_map(|c| c.metadata.name)
        .collect();
    for i in 1..5 {
        assert!(
            names.contains(&format!("keep-{i}")),
            "keep-{i} survived: {names:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_from_a_resource_version_the_server_never_issued_gets_410_so_clients_relist() {
    let env = start().await;
    let req = http::Request::get(format!(
        "{CMS}?watch=true&resourceVersion=999999&timeoutSeconds=5"
    ))
    .body(vec![])
    .expect("req");
    let body = env.client().request_text(req).await.expect("watch answers");
    let ev: Value =
        serde_json::from_str(body.lines().next().expect("one event")).expect("json event");
    assert_eq!(
        (ev["type"].as_str(), ev["object"]["code"].as_u64()),
        (Some("ERROR"), Some(410))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unconditional_updates_of_custom_resources_are_422_and_system_namespaces_cannot_be_deleted()
{
    let env = start().await;
    let api = crate::kube_rs::install_httproute_crd(&env).await;
    let route =
        serde_json::from_value(json!({"metadata": {"name": "r"}, "spec": {}})).expect("route");
    let mut created = api
        .create(&PostParams::default(), &route)
        .await
        .expect("created");
    created.metadata.resource_version = None;
    match api.replace("r", &PostParams::default(), &created).await {
        Err(kube::Error::Api(s)) => {
            assert_eq!((s.code, s.reason.as_str()), (422, "Invalid"));
            assert!(
                s.message.contains("metadata.resourceVersion"),
                "{}",
                s.message
            );
        }
        other => panic!("expected 422, got {other:?}"),
    }
    assert_eq!(
        raw(&env, "DELETE", "/api/v1/namespaces/default", "", b"").await,
        (403, "Forbidden".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_kube_apiserver_refuses_before_they_reach_storage_are_refused_here_too() {
    let env = start().await;
    let bad = (400, "BadRequest".to_string());
    // Bodies over kube-apiserver's 3 MiB limit.
    let big = json!({"metadata": {"name": "big"}, "data": {"a": "x".repeat(3 * 1024 * 1024)}});
    assert_eq!(
        post(&env, CMS, &big).await,
        (413, "RequestEntityTooLarge".into())
    );
    // YAML nested too deep for the decoder, refused without holding up the server.
    let deep = format!(
        "metadata: {{name: d}}\ndata: {}{}",
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    assert_eq!(
        raw(&env, "POST", CMS, "application/yaml", deep.as_bytes()).await,
        bad
    );
    // Selectors no label could match, and a continue token with a resourceVersion.
    for q in [
        "labelSelector=%3D%3Dx",
        "labelSelector=Bad_Key%2F%2Fx",
        "labelSelector=a%3D-b",
    ] {
        assert_eq!(
            raw(&env, "GET", &format!("{CMS}?{q}"), "", b"").await,
            bad,
            "{q}"
        );
    }
    let q = format!("{CMS}?limit=1&continue=eyJhIjoxfQ&resourceVersion=5");
    assert_eq!(raw(&env, "GET", &q, "", b"").await, bad);
    // A streaming list names how it matches versions, and takes bookmarks.
    for q in [
        "watch=true&sendInitialEvents=true&allowWatchBookmarks=true",
        "watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan",
        "watch=true&resourceVersionMatch=NotOlderThan",
    ] {
        let got = raw(&env, "GET", &format!("{CMS}?{q}"), "", b"").await;
        assert_eq!(got, (422, "Invalid".into()), "{q}");
    }

    // A custom resource names the version it is sent to; a wrong kind is Invalid.
    env.sim
        .sim()
        .apply_yaml(
            &std::fs::read_to_string(crate::common::gateway_crd("httproutes")).expect("crd"),
        )
        .expect("crd");
    let routes = "/apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes";
    let v1beta1 = json!({"apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "HTTPRoute",
        "metadata": {"name": "r"}});
    assert_eq!(post(&env, routes, &v1beta1).await, bad);
    let grpc = json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GRPCRoute",
        "metadata": {"name": "r"}});
    assert_eq!(post(&env, routes, &grpc).await, (422, "Invalid".into()));

    // An object being deleted takes no new finalizers.
    let held = json!({"metadata": {"name": "held", "finalizers": ["a.example.com/x"]}});
    assert_eq!(post(&env, CMS, &held).await, (200, String::new()));
    let item = format!("{CMS}/held");
    assert_eq!(
        raw(&env, "DELETE", &item, "", b"").await,
        (200, String::new())
    );
    let more = json!({"metadata": {"finalizers": ["a.example.com/x", "b.example.com/y"]}});
    assert_eq!(merge(&env, &item, &more).await, (422, "Invalid".into()));
    let none = json!({"metadata": {"finalizers": null}});
    let invalid = (422, "Invalid".to_string());
    assert_eq!(
        merge(&env, &item, &json!([1])).await,
        invalid,
        "a patch that is no object"
    );
    let uid = json!({"metadata": {"uid": "00000000-0000-0000-0000-000000000000"}});
    assert_eq!(merge(&env, &item, &uid).await, invalid, "uid is immutable");
    let spaced = json!({"metadata": {"name": "f", "finalizers": ["bad finalizer"]}});
    assert_eq!(post(&env, CMS, &spaced).await, invalid);
    let key = json!({"metadata": {"name": "k"}, "data": {"a b": "1"}});
    assert_eq!(post(&env, CMS, &key).await, invalid);
    let owner = json!({"metadata": {"name": "o", "ownerReferences": [
        {"apiVersion": "v1", "kind": "ConfigMap", "name": "held", "uid": ""}]}});
    assert_eq!(post(&env, CMS, &owner).await, invalid);
    assert_eq!(merge(&env, &item, &none).await, (200, String::new()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fields_fixed_once_set_stay_fixed() {
    let env = start().await;
    let invalid = (422, "Invalid".to_string());
    env.sim
        .sim()
        .apply_yaml(
            &std::fs::read_to_string(crate::common::gateway_crd("httproutes")).expect("crd"),
        )
        .expect("crd");
    let crd = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/httproutes.gateway.networking.k8s.io";
    assert_eq!(
        merge(&env, crd, &json!({"spec": {"scope": "Cluster"}})).await,
        invalid
    );
    let kind = json!({"spec": {"names": {"kind": "HTTPRoute2"}}});
    assert_eq!(merge(&env, crd, &kind).await, invalid);

    let svcs = "/api/v1/namespaces/default/services";
    let svc = json!({"metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}});
    assert_eq!(post(&env, svcs, &svc).await, (200, String::new()));
    let moved = json!({"spec": {"clusterIP": "10.96.9.9", "clusterIPs": ["10.96.9.9"]}});
    assert_eq!(merge(&env, &format!("{svcs}/web"), &moved).await, invalid);
    let external = json!({"spec": {"type": "ExternalName", "externalName": "example.com"}});
    assert_eq!(
        merge(&env, &format!("{svcs}/web"), &external).await,
        (200, String::new())
    );

    let portless = json!({"metadata": {"name": "portless"}, "spec": {}});
    assert_eq!(
        post(&env, svcs, &portless).await,
        invalid,
        "a Service names its ports"
    );
    let frozen = json!({"metadata": {"name": "frozen"}, "data": {"a": "1"}, "immutable": true});
    assert_eq!(post(&env, CMS, &frozen).await, (200, String::new()));
    let thaw = json!({"data": {"a": "2"}});
    assert_eq!(merge(&env, &format!("{CMS}/frozen"), &thaw).await, invalid);
    let secrets = "/api/v1/namespaces/default/secrets";
    let secret = json!({"metadata": {"name": "s"}, "stringData": {"a": "1"}});
    assert_eq!(post(&env, secrets, &secret).await, (200, String::new()));
    let retype = json!({"type": "kubernetes.io/tls"});
    assert_eq!(merge(&env, &format!("{secrets}/s"), &retype).await, invalid);
}
