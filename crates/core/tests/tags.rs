//! The Go controller's `application-networking.k8s.aws/tags` annotation:
//! which objects' tags reach which planned Lattice resources, and what a
//! malformed entry costs (a diagnostic, never the rest of the plan).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use lattice_core::index::Index;
use lattice_core::plan::{Plan, Tags};
use lattice_core::status::{StatusTarget, policy_statuses};
use lattice_core::{ClusterConfig, build_plan};
use lattice_fuzz::stages::Native;
use serde_json::{Value, json};

const TAGS: &str = "application-networking.k8s.aws/tags";

fn mk_gateway(annotations: Value) -> Value {
    json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"Gateway",
        "metadata":{"name":"mesh","namespace":"app","annotations":annotations},
        "spec":{"gatewayClassName":"amazon-vpc-lattice","listeners":[
            {"name":"http","port":80,"protocol":"HTTP"}]}})
}

fn mk_route(name: &str, annotations: Value) -> Value {
    json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute",
        "metadata":{"name":name,"namespace":"app","annotations":annotations},
        "spec":{"parentRefs":[{"name":"mesh"}],
            "rules":[{"backendRefs":[{"name":"web","port":8080}]}]}})
}

fn mk_policy(kind: &str, annotations: Value, spec: Value) -> Value {
    json!({"apiVersion":"application-networking.k8s.aws/v1alpha1","kind":kind,
        "metadata":{"name":"p","namespace":"app","creationTimestamp":"2026-01-01T00:00:00Z",
            "generation":1,"annotations":annotations},
        "spec":spec})
}

fn index(objects: Vec<Value>) -> Index {
    let mut index = Index::default();
    let web = json!({"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"app"},
        "spec":{"ports":[{"name":"http","port":8080}]}});
    for o in [web].into_iter().chain(objects) {
        index.apply(o).expect("a valid object");
    }
    index
}

fn plan(index: &Index) -> Plan {
    build_plan(index.snapshot(), &ClusterConfig::default(), &Native)
}

fn tags(pairs: &[(&str, &str)]) -> Tags {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The message of the policy's `Accepted` condition, and its status.
fn accepted(index: &Index, kind: &str) -> (String, String) {
    let now = Time("2026-01-01T00:00:00Z".parse().expect("a time"));
    let patch = policy_statuses(index.snapshot(), &now)
        .into_iter()
        .find(|p| matches!(&p.target, StatusTarget::Policy(k, _) if *k == kind))
        .unwrap_or_else(|| panic!("no status for the {kind}"));
    let c = &patch.status["conditions"][0];
    let text = |k: &str| c[k].as_str().unwrap_or_default().to_string();
    (text("status"), text("message"))
}

#[test]
fn a_routes_tags_go_to_its_service_and_target_groups() {
    let ix = index(vec![
        mk_gateway(json!({})),
        mk_route("r", json!({TAGS: "Team=books, Env = prod"})),
    ]);
    let p = plan(&ix);
    let want = tags(&[("Env", "prod"), ("Team", "books")]);
    assert_eq!(p.services[0].tags, want);
    assert_eq!(p.target_groups[0].tags, want);
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    // The JSON plan says them.
    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(json["services"][0]["tags"]["Team"], "books");
}

#[test]
fn a_route_without_the_annotation_plans_no_tags() {
    let p = plan(&index(vec![
        mk_gateway(json!({})),
        mk_route("r", json!({})),
    ]));
    assert!(p.services[0].tags.is_empty());
    assert!(p.target_groups[0].tags.is_empty());
    let json = serde_json::to_value(&p).unwrap();
    assert!(json["services"][0].get("tags").is_none());
}

#[test]
fn a_malformed_entry_is_a_diagnostic_at_the_annotation_and_the_rest_is_planned() {
    let ix = index(vec![
        mk_gateway(json!({})),
        mk_route(
            "r",
            json!({TAGS: "Team=books,broken,aws:owner=x,application-networking.k8s.aws/ManagedBy=y"}),
        ),
    ]);
    let p = plan(&ix);
    // Nothing that works goes: the service, its listener and rule remain.
    assert_eq!(p.services.len(), 1);
    assert_eq!(p.services[0].listeners[0].rules.len(), 1);
    assert_eq!(p.services[0].tags, tags(&[("Team", "books")]));
    let [d] = p.diagnostics.as_slice() else {
        panic!("one diagnostic: {:?}", p.diagnostics)
    };
    assert_eq!(d.object, "HTTPRoute app/r");
    assert_eq!(d.condition, "PartiallyInvalid");
    assert_eq!(d.reason, "UnsupportedValue");
    assert_eq!(
        d.field,
        "metadata.annotations[\"application-networking.k8s.aws/tags\"]"
    );
    for part in ["\"broken\"", "\"aws:owner=x\"", "ManagedBy=y"] {
        assert!(d.message.contains(part), "{part}: {}", d.message);
    }
}

#[test]
fn a_gateways_annotation_tags_nothing_as_in_the_go_controller() {
    let p = plan(&index(vec![
        mk_gateway(json!({TAGS: "Team=net"})),
        mk_route("r", json!({})),
    ]));
    assert_eq!(p.service_networks[0].tags, None);
    assert!(p.services[0].tags.is_empty());
}

#[test]
fn a_vpc_association_policys_tags_go_to_the_association() {
    let spec = json!({"targetRef":{"group":"gateway.networking.k8s.io","kind":"Gateway","name":"mesh"},
        "associateWithVpc":true});
    let ix = index(vec![
        mk_gateway(json!({})),
        mk_policy("VpcAssociationPolicy", json!({TAGS: "Team=net,oops"}), spec),
    ]);
    let p = plan(&ix);
    let a = p.service_networks[0].vpc_association.as_ref().unwrap();
    assert_eq!(a.tags, tags(&[("Team", "net")]));
    // The policy stays accepted; its status names what was left out.
    let (status, message) = accepted(&ix, "VpcAssociationPolicy");
    assert_eq!(status, "True");
    assert!(
        message.contains(TAGS) && message.contains("\"oops\""),
        "{message}"
    );
}

#[test]
fn an_access_log_policys_tags_go_to_its_subscription() {
    let spec = json!({"destinationArn":"arn:aws:s3:::logs",
        "targetRef":{"group":"gateway.networking.k8s.io","kind":"HTTPRoute","name":"r"}});
    let ix = index(vec![
        mk_gateway(json!({})),
        mk_route("r", json!({TAGS: "Team=books"})),
        mk_policy("AccessLogPolicy", json!({TAGS: "Audit=yes"}), spec),
    ]);
    let p = plan(&ix);
    assert_eq!(p.services[0].access_logs[0].tags, tags(&[("Audit", "yes")]));
    let (status, message) = accepted(&ix, "AccessLogPolicy");
    assert_eq!(status, "True");
    assert!(!message.contains(TAGS), "{message}");
}
