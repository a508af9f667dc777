//! A small world that routes attach to, and routes that plan cleanly in
//! it, for tests whose fuzz target is elsewhere.

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};

use super::routes::backend_ref;
use super::*;

/// The [`world`]'s Services in `app`.
const APP_SERVICES: [&str; 6] = ["web", "api", "books", "cart", "pay", "search"];

/// A backendRef that resolves in the [`world`] when the route is in `app`.
pub(super) fn world_backend_ref() -> impl Strategy<Value = Value> {
    let weight = optional(0..1000i64);
    (pool(&APP_SERVICES), select(vec![80i64, 8080]), weight).prop_map(|(name, port, weight)| {
        let mut b = json!({"name": name, "port": port});
        set(&mut b, "weight", weight.map(Value::from));
        b
    })
}

/// Every port of every Service in the [`world`]'s `app`: more target
/// groups than a Lattice forward action may have.
pub(super) fn every_world_backend() -> Vec<Value> {
    APP_SERVICES
        .iter()
        .flat_map(|name| [80, 8080].map(|port| json!({"name": name, "port": port})))
        .collect()
}

/// A small world that routes attach to: Gateway `app/mesh` of our class
/// with HTTP, HTTPS and TLS passthrough listeners open to every namespace,
/// six Services in `app` (`web`, `api`, …) and `other/db`, on ports 80 and
/// 8080 with ready endpoints, and a grant that lets HTTPRoutes in `app` use
/// Services in `other`.
pub fn world() -> Vec<Value> {
    let mut out = vec![json!({"apiVersion": GATEWAY_V1, "kind": "Gateway",
        "metadata": {"name": "mesh", "namespace": "app"},
        "spec": {"gatewayClassName": "amazon-vpc-lattice", "listeners": [
            {"name": "http", "port": 80, "protocol": "HTTP", "allowedRoutes": {"namespaces": {"from": "All"}}},
            {"name": "https", "port": 443, "protocol": "HTTPS", "allowedRoutes": {"namespaces": {"from": "All"}}},
            {"name": "tls", "port": 8443, "protocol": "TLS", "tls": {"mode": "Passthrough"},
                "allowedRoutes": {"namespaces": {"from": "All"}}}]}})];
    let services = APP_SERVICES
        .iter()
        .map(|s| ("app", *s))
        .chain([("other", "db")]);
    for (ns, name) in services {
        out.push(json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"ports": [{"name": "http", "port": 80}, {"name": "grpc", "port": 8080}]}}));
        out.push(
            json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": format!("{name}-1"), "namespace": ns,
                "labels": {"kubernetes.io/service-name": name}},
            "addressType": "IPv4",
            "ports": [{"name": "http", "port": 8080}, {"name": "grpc", "port": 9090}],
            "endpoints": [{"addresses": ["10.0.0.1"]}, {"addresses": ["10.0.0.2"]}]}),
        );
    }
    out.push(json!({"apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "ReferenceGrant",
        "metadata": {"name": "grant", "namespace": "other"},
        "spec": {"from": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "app"}],
            "to": [{"group": "", "kind": "Service"}]}}));
    out
}

/// Routes that plan cleanly in [`world`], for tests whose fuzz target is
/// elsewhere (the plugins' answers): HTTPRoutes, GRPCRoutes and TLSRoutes
/// `app/route-<i>` on `app/mesh`, each rule with world backends (now and
/// then one that does not resolve), policies on them and on the Gateway.
pub fn plain_routes_in_world() -> impl Strategy<Value = Vec<Value>> {
    let few = (
        prop::collection::vec(world_backend_ref(), 1..4),
        optional(backend_ref()),
    )
        .prop_map(|(mut refs, odd)| {
            refs.extend(odd.filter(|_| refs.len() == 1));
            refs
        });
    // Now and then every port of every Service: more than a forward may have.
    let backends = prop_oneof![8 => few, 1 => Just(every_world_backend())].boxed();
    let path = (select(vec!["Exact", "PathPrefix"]), "/[a-z0-9/_-]{0,12}")
        .prop_map(|(t, v)| json!({"path": {"type": t, "value": v}}));
    let http_rule = (prop::collection::vec(path, 0..3), backends.clone())
        .prop_map(|(matches, refs)| json!({"matches": matches, "backendRefs": refs}));
    let grpc_match = optional(select(vec!["GetBook", "ListBooks"])).prop_map(|m| {
        let mut method = json!({"service": "bookstore.Catalog"});
        set(&mut method, "method", m.map(Value::from));
        json!({ "method": method })
    });
    let grpc_rule = (prop::collection::vec(grpc_match, 0..2), backends.clone())
        .prop_map(|(matches, refs)| json!({"matches": matches, "backendRefs": refs}));
    let tls_rule = backends.prop_map(|refs| json!({ "backendRefs": refs }));
    let route = prop_oneof![
        3 => prop::collection::vec(http_rule, 1..4).prop_map(|r| ("HTTPRoute", r)),
        1 => prop::collection::vec(grpc_rule, 1..3).prop_map(|r| ("GRPCRoute", r)),
        1 => prop::collection::vec(tls_rule, 1..2).prop_map(|r| ("TLSRoute", r)),
    ];
    let policy_target = (select(vec!["Gateway", "HTTPRoute", "GRPCRoute"]), 0..4usize);
    let policy = (policy_target, any::<bool>()).prop_map(|((kind, i), on_gateway)| {
        let (kind, name) = match on_gateway {
            true => ("Gateway", "mesh".to_string()),
            false => (kind, format!("route-{i}")),
        };
        json!({"apiVersion": "application-networking.k8s.aws/v1alpha1", "kind": "IAMAuthPolicy",
            "metadata": {"name": format!("p-{kind}-{name}"), "namespace": "app",
                "creationTimestamp": "2024-01-01T00:00:00Z"},
            "spec": {"targetRef": {"group": "gateway.networking.k8s.io", "kind": kind, "name": name},
                "policy": r#"{"Statement":[]}"#}})
    });
    (prop::collection::vec(route, 1..5), prop::collection::vec(policy, 0..3)).prop_map(|(routes, policies)| {
        let routes = routes.into_iter().enumerate().map(|(i, (kind, rules))| {
            let api = if kind == "TLSRoute" { "gateway.networking.k8s.io/v1alpha2" } else { GATEWAY_V1 };
            json!({"apiVersion": api, "kind": kind,
                "metadata": {"name": format!("route-{i}"), "namespace": "app"},
                "spec": {"parentRefs": [{"name": "mesh"}], "hostnames": ["books.example.com"], "rules": rules}})
        });
        world().into_iter().chain(routes).chain(policies).collect()
    })
}
