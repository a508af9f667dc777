//! Arbitrary bodies sent to kube-sim's write endpoints, as JSON, merge
//! patch, JSON patch and apply patch: each gets a status with a `Status`
//! body, 2xx or 4xx, never a 5xx or a dropped connection (issue 15's fuzzed
//! bad input). `KUBE_SIM_FUZZ_CASES` runs more than the default 300.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{all_crds_yaml, start};

/// JSON of any shape, with Kubernetes' own keys among arbitrary ones.
fn json_value() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("apiVersion".to_string()),
        Just("kind".to_string()),
        Just("metadata".to_string()),
        Just("name".to_string()),
        Just("namespace".to_string()),
        Just("labels".to_string()),
        Just("spec".to_string()),
        Just("status".to_string()),
        Just("data".to_string()),
        Just("op".to_string()),
        Just("path".to_string()),
        Just("value".to_string()),
        Just("parentRefs".to_string()),
        Just("rules".to_string()),
        "[a-zA-Z]{1,12}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[ -~]{0,30}".prop_map(Value::from),
        Just(json!("v1")),
        Just(json!("ConfigMap")),
        Just(json!("/metadata/labels")),
    ];
    leaf.prop_recursive(4, 32, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(key.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// One raw HTTP/1.1 request; the status and body.
async fn http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    ctype: &str,
    body: &str,
) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.expect("read");
    let text = String::from_utf8_lossy(&buf).to_string();
    let status = text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arbitrary_bodies_get_a_status_never_a_5xx_or_a_drop() {
    let env = start().await;
    env.sim.sim().apply_yaml(&all_crds_yaml()).expect("crds");
    let addr = env.sim.addr();
    let cm = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"target"}}"#;
    let (status, answer) = http(
        addr,
        "POST",
        "/api/v1/namespaces/default/configmaps",
        "application/json",
        cm,
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    let targets = [
        (
            "POST",
            "/api/v1/namespaces/default/configmaps",
            "application/json",
        ),
        (
            "PUT",
            "/api/v1/namespaces/default/configmaps/target",
            "application/json",
        ),
        (
            "PATCH",
            "/api/v1/namespaces/default/configmaps/target",
            "application/merge-patch+json",
        ),
        (
            "PATCH",
            "/api/v1/namespaces/default/configmaps/target",
            "application/json-patch+json",
        ),
        (
            "PATCH",
            "/api/v1/namespaces/default/configmaps/target?fieldManager=fuzz",
            "application/apply-patch+yaml",
        ),
        (
            "POST",
            "/apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes",
            "application/json",
        ),
        (
            "PATCH",
            "/apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes/r/status",
            "application/merge-patch+json",
        ),
        ("POST", "/api/v1/namespaces", "application/json"),
        (
            "POST",
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            "application/json",
        ),
    ];
    let cases = std::env::var("KUBE_SIM_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(300);
    let mut runner = TestRunner::new(Config {
        cases,
        ..Config::default()
    });
    let strategy = (0..targets.len(), json_value());
    for n in 0..cases {
        let (i, body) = strategy.new_tree(&mut runner).expect("a case").current();
        let (method, path, ctype) = targets[i];
        let body = body.to_string();
        let (status, answer) = http(addr, method, path, ctype, &body).await;
        assert!(
            (200..500).contains(&status),
            "case {n}: {method} {path} ({ctype}) with {body} answered {status}: {answer}"
        );
        if status >= 400 {
            let v: Value = serde_json::from_str(&answer)
                .unwrap_or_else(|e| panic!("case {n}: not JSON ({e}): {answer}"));
            assert_eq!(v["kind"], "Status", "case {n}: {answer}");
        }
    }
    let (status, _) = http(
        addr,
        "GET",
        "/api/v1/namespaces/default/configmaps",
        "application/json",
        "",
    )
    .await;
    assert_eq!(status, 200, "still serving");
}
