//! AccessLogPolicy: the destinations the plan gives a Gateway's service
//! network and a route's service (one per destination type, the oldest
//! policy wins), and the status each policy gets.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use lattice_core::index::Index;
use lattice_core::plan::{AccessLogPlan, Plan};
use lattice_core::status::{StatusTarget, policy_statuses};
use lattice_core::{ClusterConfig, build_plan};
use lattice_fuzz::stages::Native;
use serde_json::{Value, json};

const BUCKET: &str = "arn:aws:s3:::access-logs-bucket";
const OTHER_BUCKET: &str = "arn:aws:s3:::other-logs-bucket";
const GROUP: &str = "arn:aws:logs:us-west-2:111122223333:log-group:g:*";

fn index(objects: Vec<Value>) -> Index {
    let mut index = Index::default();
    let base = vec![
        json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"Gateway",
            "metadata":{"name":"mesh","namespace":"app"},
            "spec":{"gatewayClassName":"amazon-vpc-lattice","listeners":[
                {"name":"http","port":80,"protocol":"HTTP"}]}}),
        json!({"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"app"},
            "spec":{"ports":[{"name":"http","port":8080}]}}),
        json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute",
            "metadata":{"name":"r","namespace":"app"},
            "spec":{"parentRefs":[{"name":"mesh","sectionName":"http"}],
                "rules":[{"backendRefs":[{"name":"web","port":8080}]}]}}),
    ];
    for o in base.into_iter().chain(objects) {
        index.apply(o).expect("a valid object");
    }
    index
}

fn policy(name: &str, created: &str, kind: &str, target: &str, destination: &str) -> Value {
    let group = if kind == "Service" {
        ""
    } else {
        "gateway.networking.k8s.io"
    };
    json!({"apiVersion":"application-networking.k8s.aws/v1alpha1","kind":"AccessLogPolicy",
        "metadata":{"name":name,"namespace":"app","creationTimestamp":created,"generation":2},
        "spec":{"destinationArn":destination,
            "targetRef":{"group":group,"kind":kind,"name":target}}})
}

fn plan(index: &Index) -> Plan {
    build_plan(index.snapshot(), &ClusterConfig::default(), &Native)
}

fn log(destination: &str, policy: &str) -> AccessLogPlan {
    AccessLogPlan {
        destination_arn: destination.into(),
        policy: policy.into(),
        tags: Default::default(),
    }
}

/// `(status, reason)` of the policy's `Accepted`, as it would be written.
fn accepted(index: &Index, name: &str) -> (String, String) {
    let patch = policy_statuses(
        index.snapshot(),
        &Time("2026-01-01T00:00:00Z".parse().expect("a time")),
    )
    .into_iter()
    .find(|p| matches!(&p.target, StatusTarget::Policy("AccessLogPolicy", key) if key.1 == name))
    .unwrap_or_else(|| panic!("no status for {name}"));
    let c = &patch.status["conditions"][0];
    let text = |k: &str| c[k].as_str().unwrap_or_default().to_string();
    (text("status"), text("reason"))
}

#[test]
fn policies_on_a_gateway_and_a_route_give_their_network_and_service_access_logs() {
    let ix = index(vec![
        policy("gw", "2026-01-01T00:00:00Z", "Gateway", "mesh", BUCKET),
        policy("s3", "2026-01-01T00:00:00Z", "HTTPRoute", "r", BUCKET),
        policy("cw", "2026-01-01T00:00:00Z", "HTTPRoute", "r", GROUP),
    ]);
    let p = plan(&ix);
    assert_eq!(p.service_networks[0].access_logs, [log(BUCKET, "app/gw")]);
    assert_eq!(
        p.services[0].access_logs,
        [log(GROUP, "app/cw"), log(BUCKET, "app/s3")]
    );
    for name in ["gw", "s3", "cw"] {
        assert_eq!(accepted(&ix, name), ("True".into(), "Accepted".into()));
    }
    let none = plan(&index(vec![]));
    let text = serde_json::to_string(&none).expect("json");
    assert!(!text.contains("accessLogs"), "{text}");
}

#[test]
fn the_older_of_two_policies_of_one_destination_type_wins() {
    let ix = index(vec![
        policy(
            "new",
            "2026-02-01T00:00:00Z",
            "HTTPRoute",
            "r",
            OTHER_BUCKET,
        ),
        policy("old", "2026-01-01T00:00:00Z", "HTTPRoute", "r", BUCKET),
    ]);
    assert_eq!(plan(&ix).services[0].access_logs, [log(BUCKET, "app/old")]);
    assert_eq!(accepted(&ix, "old"), ("True".into(), "Accepted".into()));
    assert_eq!(accepted(&ix, "new"), ("False".into(), "Conflicted".into()));
}

#[test]
fn invalid_targets_and_destinations_and_missing_targets_are_not_accepted() {
    let ix = index(vec![
        policy("svc", "2026-01-01T00:00:00Z", "Service", "web", BUCKET),
        policy(
            "sqs",
            "2026-01-01T00:00:00Z",
            "HTTPRoute",
            "r",
            "arn:aws:sqs:us-west-2:1:q",
        ),
        policy("gone", "2026-01-01T00:00:00Z", "GRPCRoute", "nope", BUCKET),
    ]);
    assert_eq!(accepted(&ix, "svc"), ("False".into(), "Invalid".into()));
    assert_eq!(accepted(&ix, "sqs"), ("False".into(), "Invalid".into()));
    assert_eq!(
        accepted(&ix, "gone"),
        ("False".into(), "TargetNotFound".into())
    );
    assert!(plan(&ix).services[0].access_logs.is_empty());
}
