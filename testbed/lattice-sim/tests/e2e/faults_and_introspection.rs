//! Fault injection and the `/_sim/…` endpoints, driven through the SDK and raw HTTP.

use crate::common;

use common::{client, code, http, start, start_with};
use lattice_sim::{FaultRules, FaultSpec, SimConfig};
use std::time::{Duration, Instant};

fn only(op: &str, spec: FaultSpec) -> FaultRules {
    FaultRules::from([(op.to_string(), spec)])
}

#[tokio::test]
async fn injected_latency_delays_only_the_named_operation() {
    let sim = start().await;
    sim.set_faults(only(
        "ListServices",
        FaultSpec {
            latency_ms: 150,
            ..FaultSpec::default()
        },
    ));
    let c = client(&sim.url());
    let t = Instant::now();
    c.list_service_networks().send().await.expect("fast call");
    let fast = t.elapsed();
    let t = Instant::now();
    c.list_services().send().await.expect("slow call");
    assert!(
        t.elapsed() >= Duration::from_millis(150),
        "{:?}",
        t.elapsed()
    );
    assert!(fast < Duration::from_millis(150), "{fast:?}");
}

#[tokio::test]
async fn throttling_and_server_errors_surface_as_model_error_codes() {
    let sim = start_with(SimConfig {
        fault_seed: Some(3),
        ..SimConfig::default()
    })
    .await;
    let c = client(&sim.url());
    sim.set_faults(only(
        "CreateService",
        FaultSpec {
            throttle_rate: 1.0,
            ..FaultSpec::default()
        },
    ));
    assert_eq!(
        code(&c.create_service().name("nope").send().await),
        "ThrottlingException"
    );
    sim.set_faults(only(
        "*",
        FaultSpec {
            error_rate: 1.0,
            ..FaultSpec::default()
        },
    ));
    assert_eq!(
        code(&c.list_services().send().await),
        "InternalServerException"
    );
    sim.set_faults(only(
        "ListServices",
        FaultSpec {
            throttle_above_tps: Some(2.0),
            ..FaultSpec::default()
        },
    ));
    let codes = [
        code(&c.list_services().send().await),
        code(&c.list_services().send().await),
        code(&c.list_services().send().await),
    ];
    assert_eq!(codes, ["OK", "OK", "ThrottlingException"]);
    sim.set_faults(FaultRules::new());
    c.create_service()
        .name("fine")
        .send()
        .await
        .expect("faults cleared");
    assert!(
        sim.state_dump()["services"]
            .as_object()
            .is_some_and(|m| m.len() == 1)
    );
}

#[tokio::test]
async fn dropped_connections_fail_the_call_without_a_response() {
    let sim = start().await;
    sim.set_faults(only(
        "GetService",
        FaultSpec {
            drop_rate: 1.0,
            ..FaultSpec::default()
        },
    ));
    let c = client(&sim.url());
    let r = c
        .get_service()
        .service_identifier("svc-0123456789abcdef0")
        .send()
        .await;
    let err = r.expect_err("dropped");
    assert!(
        matches!(
            err,
            aws_sdk_vpclattice::error::SdkError::DispatchFailure(_)
                | aws_sdk_vpclattice::error::SdkError::ResponseError(_)
        ),
        "{err:?}"
    );
    assert_eq!(sim.call_counts().get("GetService"), Some(&1));
}

#[tokio::test]
async fn sim_endpoints_expose_calls_state_faults_quotas_and_routes() {
    let sim = start().await;
    let c = client(&sim.url());
    c.create_service_network()
        .name("seen")
        .send()
        .await
        .expect("sn");
    let (st, calls) = http(sim.addr(), "GET", "/_sim/calls", "").await;
    assert_eq!(st, 200);
    let calls: serde_json::Value = serde_json::from_str(&calls).expect("json");
    assert_eq!(calls["CreateServiceNetwork"], 1);
    let (_, state) = http(sim.addr(), "GET", "/_sim/state", "").await;
    assert!(state.contains("\"seen\""), "{state}");
    let (st, _) = http(
        sim.addr(),
        "PUT",
        "/_sim/faults",
        r#"{"ListServices":{"throttleRate":1.0}}"#,
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(code(&c.list_services().send().await), "ThrottlingException");
    let (st, _) = http(sim.addr(), "DELETE", "/_sim/faults", "").await;
    assert_eq!(st, 200);
    c.list_services()
        .send()
        .await
        .expect("faults cleared over HTTP");
    let (st, _) = http(sim.addr(), "PUT", "/_sim/quotas", r#"{"services":0}"#).await;
    assert_eq!(st, 200);
    assert_eq!(
        code(&c.create_service().name("blocked").send().await),
        "ServiceQuotaExceededException"
    );
    let (_, routes) = http(sim.addr(), "GET", "/_sim/routes", "").await;
    assert!(routes.contains("BatchUpdateRule"));
    let (st, _) = http(sim.addr(), "DELETE", "/_sim/calls", "").await;
    assert_eq!(st, 200);
    assert!(sim.call_counts().is_empty());
}

#[tokio::test]
async fn failed_calls_are_counted_apart_and_reset_with_the_others() {
    let sim = start().await;
    sim.set_faults(only(
        "ListServices",
        FaultSpec {
            throttle_rate: 1.0,
            ..FaultSpec::default()
        },
    ));
    let c = client(&sim.url());
    c.create_service_network()
        .name("fine")
        .send()
        .await
        .expect("sn");
    let missing = c
        .get_service()
        .service_identifier("svc-0123456789abcdef0")
        .send()
        .await;
    assert_eq!(code(&missing), "ResourceNotFoundException");
    let _ = c.list_services().send().await;
    let failed = sim.failed_call_counts();
    assert_eq!(failed.get("CreateServiceNetwork"), None, "{failed:?}");
    assert_eq!(failed.get("GetService"), Some(&1), "{failed:?}");
    assert!(
        failed.get("ListServices").is_some_and(|n| *n >= 1),
        "{failed:?}"
    );
    assert_eq!(
        failed.get("ListServices"),
        sim.call_counts().get("ListServices"),
        "every throttled try is a failed call"
    );
    sim.reset_call_counts();
    assert!(sim.failed_call_counts().is_empty());
}

#[tokio::test]
async fn unknown_routes_answer_with_an_error_type_header() {
    let sim = start().await;
    let (st, body) = http(sim.addr(), "GET", "/no/such/thing", "").await;
    assert_eq!(st, 404);
    assert!(body.contains("No operation matches"));
    assert_eq!(sim.call_counts().get("UnknownOperation"), Some(&1));
    let (st, body) = http(sim.addr(), "POST", "/services", "{not json").await;
    assert_eq!(st, 400);
    assert!(body.contains("cannotParse"), "{body}");
}

#[tokio::test]
async fn a_call_dropped_after_handling_takes_effect_and_its_retry_is_idempotent() {
    let sim = start().await;
    sim.set_faults(only(
        "CreateService",
        FaultSpec {
            drop_after_rate: 1.0,
            ..FaultSpec::default()
        },
    ));
    let c = client(&sim.url());
    let lost = c
        .create_service()
        .name("ghost")
        .client_token("retry-me")
        .send()
        .await;
    assert!(lost.is_err(), "the client never sees the answer");
    sim.set_faults(FaultRules::new());
    let retried = c
        .create_service()
        .name("ghost")
        .client_token("retry-me")
        .send()
        .await
        .expect("retry");
    let listed = c.list_services().send().await.expect("list");
    assert_eq!(
        listed.items().len(),
        1,
        "exactly one service despite the retry"
    );
    assert_eq!(listed.items()[0].id(), retried.id());
}

#[tokio::test]
async fn the_sdk_standard_retry_rides_out_injected_throttling_5xx_and_drops() {
    use aws_sdk_vpclattice::config::retry::RetryConfig;
    let sim = start_with(SimConfig {
        fault_seed: Some(11),
        ..SimConfig::default()
    })
    .await;
    let spec = FaultSpec {
        throttle_rate: 0.15,
        error_rate: 0.15,
        drop_rate: 0.1,
        ..FaultSpec::default()
    };
    sim.set_faults(only("*", spec));
    let conf = client(&sim.url())
        .config()
        .to_builder()
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(12)
                .with_initial_backoff(Duration::from_millis(1)),
        )
        .build();
    let c = aws_sdk_vpclattice::Client::from_conf(conf);
    for i in 0..15 {
        c.create_service()
            .name(format!("flaky-{i}"))
            .send()
            .await
            .expect("retried to success");
    }
    let listed = c.list_services().send().await.expect("list");
    assert_eq!(listed.items().len(), 15, "every create landed exactly once");
    let total: u64 = sim.call_counts().values().sum();
    assert!(
        total > 16,
        "faults were injected and retried ({total} calls)"
    );
}
