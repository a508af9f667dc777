//! The Go controller's policies: what a TargetGroupPolicy makes of a
//! Service's target groups, and the status every policy gets (GEP-713's
//! `Accepted` with `Invalid`, `TargetNotFound` or `Conflicted`).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use lattice_core::index::Index;
use lattice_core::plan::{HealthCheckPlan, Plan, TargetGroupPlan};
use lattice_core::status::{StatusTarget, policy_statuses};
use lattice_core::{ClusterConfig, build_plan};
use lattice_fuzz::stages::Native;
use serde_json::{Value, json};

fn now() -> Time {
    Time("2026-01-01T00:00:00Z".parse().expect("a timestamp"))
}

fn index(objects: Vec<Value>) -> Index {
    let mut index = Index::default();
    let base = vec![
        json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"Gateway",
            "metadata":{"name":"mesh","namespace":"app"},
            "spec":{"gatewayClassName":"amazon-vpc-lattice","listeners":[
                {"name":"http","port":80,"protocol":"HTTP"},
                {"name":"https","port":443,"protocol":"HTTPS"}]}}),
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

fn policy(name: &str, created: &str, spec: Value) -> Value {
    json!({"apiVersion":"application-networking.k8s.aws/v1alpha1","kind":"TargetGroupPolicy",
        "metadata":{"name":name,"namespace":"app","creationTimestamp":created,"generation":2},
        "spec":spec})
}

fn to_web(extra: Value) -> Value {
    let mut spec = json!({"targetRef":{"group":"","kind":"Service","name":"web"}});
    for (k, v) in extra.as_object().into_iter().flatten() {
        spec[k] = v.clone();
    }
    spec
}

fn plan(index: &Index) -> Plan {
    build_plan(index.snapshot(), &ClusterConfig::default(), &Native)
}

fn only_group(plan: &Plan) -> &TargetGroupPlan {
    assert_eq!(plan.target_groups.len(), 1, "{:?}", plan.target_groups);
    &plan.target_groups[0]
}

/// `(reason, message)` of the policy's `Accepted`, as it would be written.
fn accepted(index: &Index, kind: &str, name: &str) -> (String, String, String) {
    let patch = policy_statuses(index.snapshot(), &now())
        .into_iter()
        .find(|p| matches!(&p.target, StatusTarget::Policy(k, key) if *k == kind && key.1 == name))
        .unwrap_or_else(|| panic!("no status for {kind} {name}"));
    let c = &patch.status["conditions"][0];
    assert_eq!(c["type"], "Accepted");
    assert_eq!(c["observedGeneration"], 2);
    let text = |k: &str| c[k].as_str().unwrap_or_default().to_string();
    (text("status"), text("reason"), text("message"))
}

#[test]
fn a_policy_sets_protocol_version_and_health_check_and_a_new_protocol_is_a_new_group() {
    let before = plan(&index(vec![]));
    let plain = only_group(&before).clone();
    assert_eq!(
        (plain.protocol.as_str(), plain.protocol_version.as_deref()),
        ("HTTP", Some("HTTP1"))
    );
    assert_eq!(plain.health_check, None);
    let ix = index(vec![policy(
        "tgp",
        "2026-01-01T00:00:00Z",
        to_web(json!({"protocol":"HTTPS","protocolVersion":"HTTP2",
            "healthCheck":{"enabled":true,"path":"/healthz","intervalSeconds":10,
                "statusMatch":"200-299","protocol":"HTTPS","protocolVersion":"HTTP2"}})),
    )]);
    let after = plan(&ix);
    let tg = only_group(&after);
    assert_eq!(
        (tg.protocol.as_str(), tg.protocol_version.as_deref()),
        ("HTTPS", Some("HTTP2"))
    );
    // Lattice cannot change a group's protocol: the plan names a new one,
    // and the rule forwards to it (the applier creates it before the rule
    // moves, and deletes the old one after).
    assert_ne!(tg.name, plain.name);
    let forwards = serde_json::to_string(&after.services[0].listeners[0].rules).unwrap();
    assert!(forwards.contains(&tg.name), "{forwards}");
    assert_eq!(
        tg.health_check.as_deref().cloned(),
        Some(HealthCheckPlan {
            enabled: Some(true),
            protocol: Some("HTTPS".into()),
            protocol_version: Some("HTTP2".into()),
            path: Some("/healthz".into()),
            health_check_interval_seconds: Some(10),
            http_code: Some("200-299".into()),
            ..Default::default()
        })
    );
    assert_eq!(accepted(&ix, "TargetGroupPolicy", "tgp").1, "Accepted");
}

#[test]
fn the_oldest_valid_policy_wins_and_the_others_say_why() {
    let ix = index(vec![
        policy(
            "newer",
            "2026-02-01T00:00:00Z",
            to_web(json!({"healthCheck":{"path":"/new"}})),
        ),
        policy(
            "older",
            "2026-01-01T00:00:00Z",
            to_web(json!({"healthCheck":{"path":"/old"}})),
        ),
        policy(
            "oldest-but-invalid",
            "2025-01-01T00:00:00Z",
            to_web(json!({"protocol":"QUIC"})),
        ),
    ]);
    let tg = only_group(&plan(&ix)).clone();
    assert_eq!(
        tg.health_check.and_then(|h| h.path).as_deref(),
        Some("/old")
    );
    let (status, reason, message) = accepted(&ix, "TargetGroupPolicy", "newer");
    assert_eq!((status.as_str(), reason.as_str()), ("False", "Conflicted"));
    assert!(message.contains("app/older"), "{message}");
    let (_, reason, message) = accepted(&ix, "TargetGroupPolicy", "oldest-but-invalid");
    assert_eq!(reason, "Invalid");
    assert!(message.contains("spec.protocol"), "{message}");
}

#[test]
fn a_policy_on_a_missing_service_or_another_kind_is_not_accepted() {
    let ix = index(vec![
        policy(
            "missing",
            "2026-01-01T00:00:00Z",
            json!({"targetRef":{"group":"","kind":"Service","name":"absent"}}),
        ),
        policy(
            "wrong-kind",
            "2026-01-01T00:00:00Z",
            json!({"targetRef":{"group":"apps","kind":"Deployment","name":"web"}}),
        ),
        policy(
            "too-often",
            "2026-01-01T00:00:00Z",
            to_web(json!({"healthCheck":{"intervalSeconds":1}})),
        ),
    ]);
    assert_eq!(
        accepted(&ix, "TargetGroupPolicy", "missing").1,
        "TargetNotFound"
    );
    assert_eq!(
        accepted(&ix, "TargetGroupPolicy", "wrong-kind").1,
        "Invalid"
    );
    let (_, reason, message) = accepted(&ix, "TargetGroupPolicy", "too-often");
    assert_eq!(reason, "Invalid");
    assert!(message.contains("intervalSeconds"), "{message}");
    // None of them touches the group.
    assert_eq!(only_group(&plan(&ix)).health_check, None);
}

#[test]
fn a_service_appearing_re_judges_the_policies_that_target_it() {
    let mut ix = index(vec![policy(
        "later",
        "2026-01-01T00:00:00Z",
        json!({"targetRef":{"group":"","kind":"Service","name":"api"}}),
    )]);
    assert_eq!(
        accepted(&ix, "TargetGroupPolicy", "later").1,
        "TargetNotFound"
    );
    let dirty = ix
        .apply(json!({"apiVersion":"v1","kind":"Service",
            "metadata":{"name":"api","namespace":"app"},"spec":{"ports":[{"port":80}]}}))
        .expect("a valid object");
    assert!(!dirty.policies.is_empty(), "{dirty:?}");
    assert_eq!(accepted(&ix, "TargetGroupPolicy", "later").1, "Accepted");
}

#[test]
fn iam_auth_policies_get_accepted_target_not_found_or_conflicted() {
    let iap = |name: &str, created: &str, kind: &str, target: &str| {
        json!({"apiVersion":"application-networking.k8s.aws/v1alpha1","kind":"IAMAuthPolicy",
            "metadata":{"name":name,"namespace":"app","creationTimestamp":created,"generation":2},
            "spec":{"policy":"{}","targetRef":{"group":"gateway.networking.k8s.io","kind":kind,"name":target}}})
    };
    let ix = index(vec![
        iap("first", "2026-01-01T00:00:00Z", "HTTPRoute", "r"),
        iap("second", "2026-02-01T00:00:00Z", "HTTPRoute", "r"),
        iap("nowhere", "2026-01-01T00:00:00Z", "Gateway", "absent"),
        iap("tls", "2026-01-01T00:00:00Z", "TLSRoute", "r"),
    ]);
    assert_eq!(accepted(&ix, "IAMAuthPolicy", "first").1, "Accepted");
    let (_, reason, message) = accepted(&ix, "IAMAuthPolicy", "second");
    assert_eq!(reason, "Conflicted");
    assert!(message.contains("app/first"), "{message}");
    assert_eq!(
        accepted(&ix, "IAMAuthPolicy", "nowhere").1,
        "TargetNotFound"
    );
    assert_eq!(accepted(&ix, "IAMAuthPolicy", "tls").1, "Invalid");
}

#[test]
fn a_vpc_association_policy_decides_its_gateways_association_and_says_so() {
    let vap = |name: &str, created: &str, spec: Value| {
        json!({"apiVersion":"application-networking.k8s.aws/v1alpha1","kind":"VpcAssociationPolicy",
            "metadata":{"name":name,"namespace":"app","creationTimestamp":created,"generation":2},
            "spec":spec})
    };
    let mesh = json!({"group":"gateway.networking.k8s.io","kind":"Gateway","name":"mesh"});
    let ix = index(vec![
        vap(
            "older",
            "2026-01-01T00:00:00Z",
            json!({"targetRef": mesh, "securityGroupIds": ["sg-0a1b"]}),
        ),
        vap(
            "newer",
            "2026-02-01T00:00:00Z",
            json!({"targetRef": mesh, "associateWithVpc": false}),
        ),
        vap(
            "bad-group",
            "2025-01-01T00:00:00Z",
            json!({"targetRef": mesh, "securityGroupIds": ["default"]}),
        ),
        vap(
            "nowhere",
            "2026-01-01T00:00:00Z",
            json!({"targetRef": {"group":"gateway.networking.k8s.io","kind":"Gateway","name":"absent"}}),
        ),
    ]);
    let plan = plan(&ix);
    let asked = plan.service_networks[0].vpc_association.clone();
    let asked = asked.expect("the older policy's association");
    assert!(asked.associate);
    assert_eq!(asked.security_group_ids, ["sg-0a1b"]);
    assert_eq!(asked.policy, "app/older");
    let kind = "VpcAssociationPolicy";
    assert_eq!(accepted(&ix, kind, "older").1, "Accepted");
    assert_eq!(accepted(&ix, kind, "newer").1, "Conflicted");
    assert_eq!(accepted(&ix, kind, "bad-group").1, "Invalid");
    assert_eq!(accepted(&ix, kind, "nowhere").1, "TargetNotFound");
}
