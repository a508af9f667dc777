//! How routes attach to Gateway listeners, and the statuses that say so,
//! written from the Gateway API's text (v1.5: `Listener.allowedRoutes`,
//! `Listener.hostname`, `ParentReference`, `ListenerStatus`, the route and
//! Gateway condition reasons).

use std::collections::BTreeSet;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use lattice_core::config::CONTROLLER_NAME;
use lattice_core::index::{Index, RouteKey};
use lattice_core::plan::PlanInput;
use lattice_core::status::{ApplyOutcome, StatusTarget, gateway_statuses, route_statuses};
use lattice_core::{ClusterConfig, build_plan};
use lattice_fuzz::stages::Native;
use lattice_plugin_sdk::types::RouteKind;
use serde_json::{Value, json};

fn now() -> Time {
    Time("2026-01-01T00:00:00Z".parse().expect("a timestamp"))
}

fn index(objects: Vec<Value>) -> Index {
    let mut index = Index::default();
    let class = json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"GatewayClass",
        "metadata":{"name":"amazon-vpc-lattice","generation":4},
        "spec":{"controllerName": CONTROLLER_NAME}});
    for o in std::iter::once(class).chain(objects) {
        index.apply(o).expect("a valid object");
    }
    index
}

fn gateway(listeners: Value) -> Value {
    json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"Gateway",
        "metadata":{"name":"mesh","namespace":"infra","generation":3},
        "spec":{"gatewayClassName":"amazon-vpc-lattice","listeners":listeners}})
}

fn namespace(name: &str, labels: Value) -> Value {
    json!({"apiVersion":"v1","kind":"Namespace","metadata":{"name":name,"labels":labels}})
}

fn service(ns: &str) -> Value {
    json!({"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":ns},
        "spec":{"ports":[{"name":"http","port":8080}]}})
}

/// An HTTPRoute `name` in `ns` with these parentRefs and hostnames,
/// forwarding to Service `web` of its namespace.
fn http_route(ns: &str, name: &str, parents: Value, hostnames: Value) -> Value {
    json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute",
        "metadata":{"name":name,"namespace":ns,"generation":7},
        "spec":{"parentRefs":parents,"hostnames":hostnames,
            "rules":[{"backendRefs":[{"name":"web","port":8080}]}]}})
}

fn to_mesh() -> Value {
    json!([{"name":"mesh","namespace":"infra"}])
}

/// Our `status.parents` entries of every route, by `namespace/name`.
fn route_parents(index: &Index) -> Vec<(String, Vec<Value>)> {
    let snapshot = index.snapshot();
    let cfg = ClusterConfig::default();
    let input = PlanInput::from_snapshot(snapshot, &cfg);
    let plan = build_plan(snapshot, &cfg, &Native);
    let routes: BTreeSet<RouteKey> = index.all_routes().routes;
    let outcome = |_: &RouteKey| ApplyOutcome::Programmed;
    route_statuses(
        snapshot,
        &routes,
        &input.attached(),
        &plan,
        &outcome,
        &now(),
    )
    .into_iter()
    .map(|(k, ps)| (format!("{}/{}", k.namespace, k.name), ps))
    .collect()
}

/// `(status, reason)` of condition `ty` of `route`'s parent `i`.
fn route_condition(index: &Index, route: &str, i: usize, ty: &str) -> (String, String) {
    let all = route_parents(index);
    let (_, parents) = all
        .iter()
        .find(|(r, _)| r == route)
        .unwrap_or_else(|| panic!("no status for {route}: {all:?}"));
    condition(&parents[i]["conditions"], ty)
}

fn condition(conditions: &Value, ty: &str) -> (String, String) {
    let c = conditions
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == ty))
        .unwrap_or_else(|| panic!("no {ty} in {conditions}"));
    (
        c["status"].as_str().unwrap_or_default().to_string(),
        c["reason"].as_str().unwrap_or_default().to_string(),
    )
}

fn pair(status: &str, reason: &str) -> (String, String) {
    (status.to_string(), reason.to_string())
}

/// The Gateway `infra/mesh`'s status as the writer would write it.
fn gateway_status(index: &Index) -> Value {
    let key = ("infra".to_string(), "mesh".to_string());
    let input = PlanInput::from_snapshot(index.snapshot(), &ClusterConfig::default());
    gateway_statuses(
        index,
        &[key.clone()].into(),
        &input.service_networks,
        &ApplyOutcome::Programmed,
        &now(),
    )
    .into_iter()
    .find(|p| p.target == StatusTarget::Gateway(key.clone()))
    .map(|p| p.status)
    .expect("a Gateway status")
}

fn listener<'a>(status: &'a Value, name: &str) -> &'a Value {
    status["listeners"]
        .as_array()
        .and_then(|ls| ls.iter().find(|l| l["name"] == name))
        .unwrap_or_else(|| panic!("no listener {name} in {status}"))
}

#[test]
fn allowed_routes_from_same_admits_only_the_gateways_namespace() {
    let ix = index(vec![
        gateway(json!([{"name":"http","port":80,"protocol":"HTTP"}])),
        service("infra"),
        service("app"),
        http_route("infra", "own", to_mesh(), json!([])),
        http_route("app", "other", to_mesh(), json!([])),
    ]);
    assert_eq!(
        route_condition(&ix, "infra/own", 0, "Accepted"),
        pair("True", "Accepted")
    );
    assert_eq!(
        route_condition(&ix, "app/other", 0, "Accepted"),
        pair("False", "NotAllowedByListeners")
    );
    assert_eq!(listener(&gateway_status(&ix), "http")["attachedRoutes"], 1);
}

#[test]
fn allowed_routes_from_all_admits_every_namespace() {
    let ix = index(vec![
        gateway(json!([{"name":"http","port":80,"protocol":"HTTP",
            "allowedRoutes":{"namespaces":{"from":"All"}}}])),
        service("app"),
        http_route("app", "other", to_mesh(), json!([])),
    ]);
    assert_eq!(
        route_condition(&ix, "app/other", 0, "Accepted"),
        pair("True", "Accepted")
    );
}

#[test]
fn allowed_routes_from_selector_admits_namespaces_by_their_labels() {
    let selector = json!([{"name":"http","port":80,"protocol":"HTTP",
        "allowedRoutes":{"namespaces":{"from":"Selector",
            "selector":{"matchExpressions":[{"key":"team","operator":"In","values":["books"]}]}}}}]);
    let mut ix = index(vec![
        gateway(selector),
        namespace("books", json!({"team":"books"})),
        namespace("music", json!({"team":"music"})),
        service("books"),
        service("music"),
        http_route("books", "r", to_mesh(), json!([])),
        http_route("music", "r", to_mesh(), json!([])),
    ]);
    assert_eq!(
        route_condition(&ix, "books/r", 0, "Accepted"),
        pair("True", "Accepted")
    );
    assert_eq!(
        route_condition(&ix, "music/r", 0, "Accepted"),
        pair("False", "NotAllowedByListeners")
    );
    assert_eq!(listener(&gateway_status(&ix), "http")["attachedRoutes"], 1);
    // Relabelling a namespace re-plans its routes and the selecting Gateway.
    let dirty = ix
        .apply(namespace("music", json!({"team":"books"})))
        .expect("a valid object");
    let music = RouteKey {
        kind: RouteKind::Http,
        namespace: "music".into(),
        name: "r".into(),
    };
    assert!(dirty.routes.contains(&music), "{dirty:?}");
    assert!(dirty.gateways.contains(&("infra".into(), "mesh".into())));
    assert_eq!(
        route_condition(&ix, "music/r", 0, "Accepted"),
        pair("True", "Accepted")
    );
    assert_eq!(listener(&gateway_status(&ix), "http")["attachedRoutes"], 2);
}

#[test]
fn allowed_route_kinds_the_listener_cannot_serve_are_invalid_route_kinds() {
    let ix = index(vec![
        gateway(json!([
            {"name":"mixed","port":80,"protocol":"HTTP",
                "allowedRoutes":{"kinds":[{"kind":"HTTPRoute"},{"group":"example.com","kind":"Widget"}]}},
            {"name":"grpc-only","port":81,"protocol":"HTTP",
                "allowedRoutes":{"kinds":[{"kind":"GRPCRoute"}]}},
        ])),
        service("infra"),
        http_route(
            "infra",
            "r",
            json!([{"name":"mesh","sectionName":"grpc-only"}]),
            json!([]),
        ),
    ]);
    let status = gateway_status(&ix);
    let mixed = listener(&status, "mixed");
    assert_eq!(
        condition(&mixed["conditions"], "ResolvedRefs"),
        pair("False", "InvalidRouteKinds")
    );
    assert_eq!(
        mixed["supportedKinds"],
        json!([{"group":"gateway.networking.k8s.io","kind":"HTTPRoute"}])
    );
    // GRPCRoute needs HTTPS on VPC Lattice: nothing valid is left.
    let grpc = listener(&status, "grpc-only");
    assert_eq!(grpc["supportedKinds"], json!([]));
    assert_eq!(
        condition(&grpc["conditions"], "ResolvedRefs"),
        pair("False", "InvalidRouteKinds")
    );
    assert_eq!(
        route_condition(&ix, "infra/r", 0, "Accepted"),
        pair("False", "NotAllowedByListeners")
    );
}

#[test]
fn a_route_whose_hostnames_miss_every_listener_hostname_is_not_accepted() {
    let ix = index(vec![
        gateway(json!([{"name":"http","port":80,"protocol":"HTTP","hostname":"*.example.com"}])),
        service("infra"),
        http_route("infra", "miss", to_mesh(), json!(["a.example.net"])),
        http_route(
            "infra",
            "hit",
            to_mesh(),
            json!(["a.example.net", "b.example.com"]),
        ),
        http_route("infra", "bare", to_mesh(), json!(["example.com"])),
    ]);
    assert_eq!(
        route_condition(&ix, "infra/miss", 0, "Accepted"),
        pair("False", "NoMatchingListenerHostname")
    );
    assert_eq!(
        route_condition(&ix, "infra/bare", 0, "Accepted"),
        pair("False", "NoMatchingListenerHostname")
    );
    assert_eq!(
        route_condition(&ix, "infra/hit", 0, "Accepted"),
        pair("True", "Accepted")
    );
    // Only the intersecting hostname becomes the service's custom domain.
    let plan = build_plan(ix.snapshot(), &ClusterConfig::default(), &Native);
    let hit = plan
        .services
        .iter()
        .find(|s| s.route == "infra/hit")
        .expect("a service for hit");
    assert_eq!(hit.custom_domain_name.as_deref(), Some("b.example.com"));
    assert!(plan.services.iter().all(|s| s.route != "infra/miss"));
    // A route that shares no hostname with the listener is not attached
    // (the conformance suite's GatewayWithAttachedRoutes): only `hit`.
    assert_eq!(listener(&gateway_status(&ix), "http")["attachedRoutes"], 1);
}

#[test]
fn a_parent_ref_naming_no_listener_by_section_or_port_is_no_matching_parent() {
    let ix = index(vec![
        gateway(json!([{"name":"http","port":80,"protocol":"HTTP"}])),
        service("infra"),
        http_route(
            "infra",
            "by-section",
            json!([{"name":"mesh","sectionName":"https"}]),
            json!([]),
        ),
        http_route(
            "infra",
            "by-port",
            json!([{"name":"mesh","port":8080}]),
            json!([]),
        ),
    ]);
    for route in ["infra/by-section", "infra/by-port"] {
        assert_eq!(
            route_condition(&ix, route, 0, "Accepted"),
            pair("False", "NoMatchingParent"),
            "{route}"
        );
    }
    assert_eq!(listener(&gateway_status(&ix), "http")["attachedRoutes"], 0);
}

#[test]
fn a_route_counts_once_per_listener_however_many_parent_refs_select_it() {
    let ix = index(vec![
        gateway(json!([{"name":"http","port":80,"protocol":"HTTP"}])),
        service("infra"),
        http_route(
            "infra",
            "twice",
            json!([{"name":"mesh"},{"name":"mesh","sectionName":"http"}]),
            json!([]),
        ),
    ]);
    assert_eq!(listener(&gateway_status(&ix), "http")["attachedRoutes"], 1);
}

#[test]
fn a_tls_route_with_a_missing_backend_is_accepted_with_unresolved_refs() {
    let ix = index(vec![
        gateway(json!([{"name":"tls","port":443,"protocol":"TLS","tls":{"mode":"Passthrough"}}])),
        json!({"apiVersion":"gateway.networking.k8s.io/v1alpha2","kind":"TLSRoute",
            "metadata":{"name":"t","namespace":"infra","generation":1},
            "spec":{"parentRefs":[{"name":"mesh"}],"hostnames":["t.example.com"],
                "rules":[{"backendRefs":[{"name":"absent","port":443}]}]}}),
    ]);
    assert_eq!(
        route_condition(&ix, "infra/t", 0, "Accepted"),
        pair("True", "Accepted")
    );
    assert_eq!(
        route_condition(&ix, "infra/t", 0, "ResolvedRefs"),
        pair("False", "BackendNotFound")
    );
}

#[test]
fn listeners_lattice_cannot_serve_are_unsupported_and_the_gateway_says_listeners_not_valid() {
    let ix = index(vec![gateway(json!([
        {"name":"http","port":80,"protocol":"HTTP"},
        {"name":"tcp","port":5432,"protocol":"TCP"},
        {"name":"tls-terminate","port":8443,"protocol":"TLS","tls":{"mode":"Terminate"}},
    ]))]);
    let status = gateway_status(&ix);
    for (name, reason) in [
        ("tcp", "UnsupportedProtocol"),
        ("tls-terminate", "UnsupportedValue"),
    ] {
        let l = listener(&status, name);
        assert_eq!(
            condition(&l["conditions"], "Accepted"),
            pair("False", reason),
            "{name}"
        );
        assert_eq!(
            condition(&l["conditions"], "Programmed"),
            pair("False", "Invalid")
        );
    }
    assert_eq!(
        condition(&listener(&status, "http")["conditions"], "Accepted"),
        pair("True", "Accepted")
    );
    // Some listeners serve: the Gateway is accepted, and says which do not.
    assert_eq!(
        condition(&status["conditions"], "Accepted"),
        pair("True", "ListenersNotValid")
    );
    let none = index(vec![gateway(
        json!([{"name":"udp","port":53,"protocol":"UDP"}]),
    )]);
    let status = gateway_status(&none);
    assert_eq!(
        condition(&status["conditions"], "Accepted"),
        pair("False", "ListenersNotValid")
    );
    assert_eq!(
        condition(&status["conditions"], "Programmed"),
        pair("False", "Invalid")
    );
}

#[test]
fn every_condition_carries_its_objects_latest_generation() {
    let ix = index(vec![
        gateway(json!([{"name":"http","port":80,"protocol":"HTTP"}])),
        service("infra"),
        http_route("infra", "r", to_mesh(), json!([])),
    ]);
    let generations = |conditions: &Value| -> Vec<i64> {
        let cs = conditions.as_array().cloned().unwrap_or_default();
        cs.iter()
            .map(|c| c["observedGeneration"].as_i64().unwrap_or(-1))
            .collect()
    };
    let status = gateway_status(&ix);
    assert!(generations(&status["conditions"]).iter().all(|g| *g == 3));
    let l = listener(&status, "http");
    assert!(generations(&l["conditions"]).iter().all(|g| *g == 3));
    let parents = route_parents(&ix);
    assert!(
        generations(&parents[0].1[0]["conditions"])
            .iter()
            .all(|g| *g == 7)
    );
}

#[test]
fn a_gateway_class_is_accepted_before_any_gateway_uses_it() {
    let ix = index(vec![]);
    let out = gateway_statuses(&ix, &BTreeSet::new(), &[], &ApplyOutcome::Pending, &now());
    let class = out
        .iter()
        .find(|p| p.target == StatusTarget::GatewayClass("amazon-vpc-lattice".into()))
        .expect("a class status");
    assert_eq!(
        condition(&class.status["conditions"], "Accepted"),
        pair("True", "Accepted")
    );
    assert_eq!(class.status["conditions"][0]["observedGeneration"], 4);
}

#[test]
fn routes_whose_shortened_service_names_collide_leave_the_service_to_the_older() {
    // Both names are cut to `checkout-service-rou` (20 characters).
    let mut older = http_route("infra", "checkout-service-route-a", to_mesh(), json!([]));
    older["metadata"]["creationTimestamp"] = json!("2026-01-02T00:00:00Z");
    let mut newer = http_route("infra", "checkout-service-route-b", to_mesh(), json!([]));
    newer["metadata"]["creationTimestamp"] = json!("2026-03-01T00:00:00Z");
    let mut ix = index(vec![
        gateway(json!([{"name":"http","port":80,"protocol":"HTTP"}])),
        service("infra"),
        newer,
        older,
    ]);
    assert_eq!(
        route_condition(&ix, "infra/checkout-service-route-a", 0, "Accepted"),
        pair("True", "Accepted")
    );
    assert_eq!(
        route_condition(&ix, "infra/checkout-service-route-b", 0, "Accepted"),
        pair("False", "Conflicted")
    );
    let parents = route_parents(&ix);
    let message = parents
        .iter()
        .find(|(r, _)| r == "infra/checkout-service-route-b")
        .map(|(_, ps)| ps[0]["conditions"][0]["message"].to_string())
        .unwrap_or_default();
    assert!(
        message.contains("HTTPRoute infra/checkout-service-route-a"),
        "{message}"
    );
    let plan = build_plan(ix.snapshot(), &ClusterConfig::default(), &Native);
    let routes: Vec<&str> = plan.services.iter().map(|s| s.route.as_str()).collect();
    assert_eq!(routes, vec!["infra/checkout-service-route-a"]);
    // The holder goes: the other route is re-planned, and takes the name.
    let dirty = ix.delete(
        "gateway.networking.k8s.io/v1",
        "HTTPRoute",
        "infra",
        "checkout-service-route-a",
    );
    assert!(
        dirty
            .routes
            .iter()
            .any(|r| r.name == "checkout-service-route-b"),
        "{dirty:?}"
    );
    assert_eq!(
        route_condition(&ix, "infra/checkout-service-route-b", 0, "Accepted"),
        pair("True", "Accepted")
    );
}

#[test]
fn an_https_listener_names_its_acm_certificate_for_the_service() {
    let arn = "arn:aws:acm:us-west-2:111122223333:certificate/abc";
    let ix = index(vec![
        gateway(json!([
            {"name":"http","port":80,"protocol":"HTTP"},
            {"name":"https","port":443,"protocol":"HTTPS","tls":{"mode":"Terminate",
                "options":{"application-networking.k8s.aws/certificate-arn": arn}}},
        ])),
        service("infra"),
        http_route("infra", "secure", to_mesh(), json!(["shop.example.com"])),
        http_route(
            "infra",
            "plain",
            json!([{"name":"mesh","sectionName":"http"}]),
            json!([]),
        ),
    ]);
    let plan = build_plan(ix.snapshot(), &ClusterConfig::default(), &Native);
    let cert = |route: &str| {
        plan.services
            .iter()
            .find(|s| s.route == route)
            .map(|s| s.certificate_arn.clone())
            .unwrap_or_else(|| panic!("no service for {route}"))
    };
    assert_eq!(cert("infra/secure").as_deref(), Some(arn));
    assert_eq!(cert("infra/plain"), None);
}

#[test]
fn when_the_holder_of_a_service_name_loses_its_gateway_the_other_route_takes_it() {
    let mut older = http_route("infra", "checkout-service-route-a", to_mesh(), json!([]));
    older["metadata"]["creationTimestamp"] = json!("2026-01-02T00:00:00Z");
    let mut newer = http_route(
        "infra",
        "checkout-service-route-b",
        json!([{"name":"second","namespace":"infra"}]),
        json!([]),
    );
    newer["metadata"]["creationTimestamp"] = json!("2026-03-01T00:00:00Z");
    let mut second = gateway(json!([{"name":"http","port":80,"protocol":"HTTP"}]));
    second["metadata"]["name"] = json!("second");
    let mut ix = index(vec![
        gateway(json!([{"name":"http","port":80,"protocol":"HTTP"}])),
        second,
        service("infra"),
        older,
        newer,
    ]);
    assert_eq!(
        route_condition(&ix, "infra/checkout-service-route-b", 0, "Accepted"),
        pair("False", "Conflicted")
    );
    let dirty = ix.delete("gateway.networking.k8s.io/v1", "Gateway", "infra", "mesh");
    assert!(
        dirty
            .routes
            .iter()
            .any(|r| r.name == "checkout-service-route-b"),
        "{dirty:?}"
    );
    assert_eq!(
        route_condition(&ix, "infra/checkout-service-route-b", 0, "Accepted"),
        pair("True", "Accepted")
    );
}

#[test]
fn an_https_listener_with_only_secret_certificates_says_lattice_cannot_use_them() {
    let secret = json!({"mode":"Terminate","certificateRefs":[{"name":"shop-tls"}]});
    let mut with_arn = secret.clone();
    with_arn["options"] = json!({"application-networking.k8s.aws/certificate-arn":
        "arn:aws:acm:us-west-2:111122223333:certificate/abc"});
    let ix = index(vec![gateway(json!([
        {"name":"secret","port":443,"protocol":"HTTPS","tls":secret},
        {"name":"acm","port":8443,"protocol":"HTTPS","tls":with_arn},
    ]))]);
    let status = gateway_status(&ix);
    assert_eq!(
        condition(&listener(&status, "secret")["conditions"], "ResolvedRefs"),
        pair("False", "InvalidCertificateRef")
    );
    assert_eq!(
        condition(&listener(&status, "secret")["conditions"], "Accepted"),
        pair("True", "Accepted")
    );
    assert_eq!(
        condition(&listener(&status, "acm")["conditions"], "ResolvedRefs"),
        pair("True", "ResolvedRefs")
    );
}

#[test]
fn a_certificate_secret_in_another_namespace_needs_a_reference_grant() {
    let tls = |ns: &str| json!({"mode":"Terminate","certificateRefs":[{"kind":"Secret","name":"cert","namespace":ns}]});
    let ix = index(vec![
        gateway(json!([
            {"name":"granted","port":443,"protocol":"HTTPS","hostname":"a.example.com","tls":tls("certs")},
            {"name":"ungranted","port":8443,"protocol":"HTTPS","hostname":"b.example.com","tls":tls("other")},
        ])),
        json!({"apiVersion":"gateway.networking.k8s.io/v1beta1","kind":"ReferenceGrant",
        "metadata":{"name":"certs","namespace":"certs"},
        "spec":{"from":[{"group":"gateway.networking.k8s.io","kind":"Gateway","namespace":"infra"}],
                "to":[{"group":"","kind":"Secret"}]}}),
    ]);
    let status = gateway_status(&ix);
    // Granted, it is still a Secret Lattice cannot use.
    assert_eq!(
        condition(&listener(&status, "granted")["conditions"], "ResolvedRefs"),
        pair("False", "InvalidCertificateRef")
    );
    assert_eq!(
        condition(
            &listener(&status, "ungranted")["conditions"],
            "ResolvedRefs"
        ),
        pair("False", "RefNotPermitted")
    );
}
