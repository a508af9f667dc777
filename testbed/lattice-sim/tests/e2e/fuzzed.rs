//! Arbitrary bodies and path labels, sent to every operation lattice-sim
//! serves: each gets an answer with a 2xx or 4xx status, never a 5xx, a
//! dropped connection or a stopped server (issue 15's fuzzed bad input).
//! `LATTICE_SIM_FUZZ_CASES` runs more than the default 400.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;

use crate::common::{http, start};

/// JSON of any shape, a few levels deep, with the keys Lattice's bodies use
/// among arbitrary ones, so that some bodies get past the first checks.
fn json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("name".to_string()),
        Just("authType".to_string()),
        Just("config".to_string()),
        Just("port".to_string()),
        Just("protocol".to_string()),
        Just("defaultAction".to_string()),
        Just("action".to_string()),
        Just("match".to_string()),
        Just("priority".to_string()),
        Just("targets".to_string()),
        Just("tags".to_string()),
        Just("clientToken".to_string()),
        "[a-zA-Z]{1,12}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "[ -~]{0,40}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(key.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn cases() -> u32 {
    std::env::var("LATTICE_SIM_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(400)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arbitrary_bodies_and_labels_get_a_proper_error_never_a_5xx_or_a_drop() {
    let sim = start().await;
    let addr = sim.addr();
    let routes = lattice_sim::ROUTES;
    let strategy = (0..routes.len(), json(), "[a-zA-Z0-9._:-]{1,30}");
    // The same raw client gets through when the request is right: the
    // answers below are the handlers', not a gate's in front of them.
    let (status, answer) = http(addr, "POST", "/servicenetworks", r#"{"name":"fuzz-check"}"#).await;
    assert_eq!(status, 201, "{answer}");
    let mut accepted = 0;
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        ..Config::default()
    });
    for n in 0..cases() {
        let (i, body, label) = strategy.new_tree(&mut runner).expect("a case").current();
        let route = &routes[i];
        let path = fill(route.uri, &label);
        let body = body.to_string();
        let (status, answer) = http(addr, route.method, &path, &body).await;
        assert!(
            (200..500).contains(&status),
            "case {n}: {} {path} with {body} answered {status}: {answer}",
            route.method
        );
        accepted += usize::from(status < 300);
    }
    assert!(
        accepted > 0,
        "every case was refused: the fuzzing went no deeper than the door"
    );
    // Still serving.
    let (status, _) = http(addr, "GET", "/services", "").await;
    assert_eq!(status, 200);
}

/// `uri` with every `{label}` replaced by `value`.
fn fill(uri: &str, value: &str) -> String {
    let mut out = String::new();
    let mut rest = uri;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c + 1);
        out.push_str(value);
        rest = &rest[close..];
    }
    out.push_str(rest);
    out
}
