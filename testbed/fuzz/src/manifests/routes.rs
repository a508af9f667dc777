//! HTTPRoutes, GRPCRoutes and TLSRoutes: matches, filters, backendRefs,
//! hostnames and annotations, each with values a cluster would refuse.

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value, json};

use super::gateways::parent_refs;
use super::world::{every_world_backend, world_backend_ref};
use super::*;

pub(super) fn backend_ref() -> impl Strategy<Value = Value> {
    let kind = prop_oneof![
        6 => Just(None),
        2 => pool(&["Service", "ServiceImport", "LambdaTarget", "Pod", "", "service"]).prop_map(Some),
    ];
    let groups = [
        "",
        "core",
        "application-networking.k8s.aws",
        "multicluster.x-k8s.io",
        "lattice-host.io",
    ];
    let group = prop_oneof![6 => Just(None), 1 => pool(&groups).prop_map(Some)];
    let port = prop_oneof![1 => Just(None), 6 => port().prop_map(Some)];
    let weight = prop_oneof![
        4 => Just(None),
        2 => select(vec![0i64, 1, 999, 1000]).prop_map(Some),
        1 => select(vec![-1i64, i64::from(i32::MAX), i64::from(i32::MIN)]).prop_map(Some),
        1 => (0..100_000i64).prop_map(Some),
    ];
    (service_name(), namespace(), kind, group, port, weight).prop_map(
        |(name, ns, kind, group, port, weight)| {
            let mut b = json!({"name": name});
            set(&mut b, "namespace", ns.map(Value::from));
            set(&mut b, "kind", kind.map(Value::from));
            set(&mut b, "group", group.map(Value::from));
            set(&mut b, "port", port.map(Value::from));
            set(&mut b, "weight", weight.map(Value::from));
            b
        },
    )
}

fn backend_refs() -> impl Strategy<Value = Vec<Value>> {
    let one = prop_oneof![4 => world_backend_ref().boxed(), 1 => backend_ref().boxed()];
    prop_oneof![
        24 => prop::collection::vec(one.clone(), 0..4),
        1 => prop::collection::vec(one, 10..13),
        1 => Just(every_world_backend()),
    ]
}

/// Path values: Lattice's alphabet, and what it refuses.
fn path_value() -> BoxedStrategy<String> {
    prop_oneof![
        6 => "/[a-zA-Z0-9_.~-]{0,20}",
        1 => pool(&["", "api", "/a b", "/ünï", "/a\"b", "/%zz", &format!("/{}", "a".repeat(250)), &format!("/{}", "é".repeat(1500))]),
        1 => "\\PC{0,20}",
    ]
    .boxed()
}

fn header_name() -> BoxedStrategy<String> {
    prop_oneof![
        6 => pool(&["x-env", "X-Version", "user-agent"]),
        1 => pool(&["", "bad name:", &"h".repeat(120), "ünï"]),
    ]
    .boxed()
}

fn header_value() -> BoxedStrategy<String> {
    prop_oneof![
        6 => "[ -~]{1,20}",
        1 => pool(&["", &"v".repeat(250), "ünï"]),
    ]
    .boxed()
}

fn header_match(types: &'static [&'static str]) -> impl Strategy<Value = Value> {
    let kind = optional(select(types.to_vec()));
    (header_name(), header_value(), kind).prop_map(|(name, value, kind)| {
        let mut h = json!({"name": name, "value": value});
        set(&mut h, "type", kind.map(Value::from));
        h
    })
}

fn headers(types: &'static [&'static str]) -> BoxedStrategy<Option<Vec<Value>>> {
    prop_oneof![
        4 => Just(None),
        4 => prop::collection::vec(header_match(types), 0..3).prop_map(Some),
        1 => prop::collection::vec(header_match(types), 5..8).prop_map(Some),
    ]
    .boxed()
}

fn http_match() -> impl Strategy<Value = Value> {
    let path_type = optional(pool(&["Exact", "PathPrefix", "RegularExpression"]));
    let path = optional((path_type, optional(path_value())));
    let method = optional(pool(&["GET", "POST", "PATCH"]));
    let query = prop_oneof![6 => Just(None), 1 => prop::collection::vec(header_match(&["Exact"]), 1..2).prop_map(Some)];
    (
        path,
        headers(&["Exact", "RegularExpression"]),
        method,
        query,
    )
        .prop_map(|(path, headers, method, query)| {
            let mut m = json!({});
            set(
                &mut m,
                "path",
                path.map(|(t, v)| {
                    let mut p = json!({});
                    set(&mut p, "type", t.map(Value::from));
                    set(&mut p, "value", v.map(Value::from));
                    p
                }),
            );
            set(&mut m, "headers", headers.map(Value::from));
            set(&mut m, "method", method.map(Value::from));
            set(&mut m, "queryParams", query.map(Value::from));
            m
        })
}

fn grpc_match() -> impl Strategy<Value = Value> {
    let method_type = optional(pool(&["Exact", "RegularExpression"]));
    let service =
        optional(prop_oneof![4 => pool(&["bookstore.Catalog"]), 1 => pool(&["", "a b", "ünï"])]);
    let method = optional(prop_oneof![4 => pool(&["GetBook"]), 1 => pool(&["", "x/y", "ünï"])]);
    let m = optional((method_type, service, method));
    (m, headers(&["Exact", "RegularExpression"])).prop_map(|(m, headers)| {
        let mut out = json!({});
        set(
            &mut out,
            "method",
            m.map(|(t, s, n)| {
                let mut x = json!({});
                set(&mut x, "type", t.map(Value::from));
                set(&mut x, "service", s.map(Value::from));
                set(&mut x, "method", n.map(Value::from));
                x
            }),
        );
        set(&mut out, "headers", headers.map(Value::from));
        out
    })
}

/// Filters of the kinds a route kind has (gRPC has no URLRewrite or CORS).
fn filters(kinds: &[&str]) -> BoxedStrategy<Option<Vec<Value>>> {
    let filter = pool(kinds).prop_map(|t| json!({ "type": t }));
    prop_oneof![8 => Just(None), 1 => prop::collection::vec(filter, 1..3).prop_map(Some)].boxed()
}

fn rule(
    matches: BoxedStrategy<Value>,
    filter_kinds: &[&str],
) -> impl Strategy<Value = Value> + use<> {
    let many = prop_oneof![
        // Now and then more matches than a listener can have rules.
        300 => prop::collection::vec(matches.clone(), 0..4),
        1 => prop::collection::vec(matches, 2001..2004),
    ];
    (
        optional(many),
        filters(filter_kinds),
        optional(backend_refs()),
        optional(name(&["r0"])),
    )
        .prop_map(|(matches, filters, backends, name)| {
            let mut r = json!({});
            set(&mut r, "matches", matches.map(Value::from));
            set(&mut r, "filters", filters.map(Value::from));
            set(&mut r, "backendRefs", backends.map(Value::from));
            set(&mut r, "name", name.map(Value::from));
            r
        })
}

/// Hostnames: plausible, odd, and sometimes very many.
fn hostnames() -> BoxedStrategy<Vec<String>> {
    let host = prop_oneof![
        6 => pool(&["books.example.com", "api.example.com", "*.example.com"]),
        1 => pool(&["", "a", "UPPER.example.com", "ünï.example", &format!("{}.com", "x".repeat(300))]),
    ];
    prop_oneof![
        10 => prop::collection::vec(host.clone(), 0..3),
        1 => prop::collection::vec(host, 50..60),
    ]
    .boxed()
}

/// Annotations a route may carry: service name overrides and rule
/// priorities, with odd values.
fn annotations() -> BoxedStrategy<Map<String, Value>> {
    let override_value = pool(&[
        "custom-svc",
        "",
        "svc-x",
        "UPPER",
        "ünïcödé-ünïcödé-ünïcödé-ünïcödé",
        &"s".repeat(50),
    ]);
    let priority_key =
        (0..4u32).prop_map(|i| format!("application-networking.k8s.aws/rule-{i}-priority"));
    let priority_value = pool(&["1", "0", "-1", "abc", "4294967296", " 7 "]);
    let entry = prop_oneof![
        (
            Just("application-networking.k8s.aws/service-name-override".to_string()),
            override_value
        ),
        (priority_key, priority_value),
        (
            Just("application-networking.k8s.aws/allow-takeover-from".to_string()),
            pool(&["1/c/v", ""])
        ),
    ];
    prop_oneof![4 => Just(Map::new()), 1 => prop::collection::vec(entry, 1..3).prop_map(|kv| {
        kv.into_iter().map(|(k, v)| (k, Value::from(v))).collect()
    })]
    .boxed()
}

fn route_meta() -> impl Strategy<Value = Value> {
    let ns = prop_oneof![4 => Just(Some("app".to_string())), 1 => namespace()];
    (route_name(), ns, annotations(), prop::bool::weighted(0.05)).prop_map(
        |(name, ns, annotations, deleting)| {
            let mut m = meta(name, ns);
            if !annotations.is_empty() {
                m["annotations"] = Value::Object(annotations);
            }
            if deleting {
                m["deletionTimestamp"] = json!("2024-01-01T00:00:00Z");
            }
            m
        },
    )
}

/// An HTTPRoute or a GRPCRoute.
fn http_or_grpc(
    kind: &'static str,
    matches: BoxedStrategy<Value>,
    filter_kinds: &[&str],
) -> impl Strategy<Value = Value> + use<> {
    let rules = optional(prop::collection::vec(rule(matches, filter_kinds), 0..4));
    (route_meta(), parent_refs(), optional(hostnames()), rules).prop_map(
        move |(m, parents, hosts, rules)| {
            let mut spec = json!({});
            set(&mut spec, "parentRefs", parents.map(Value::from));
            set(&mut spec, "hostnames", hosts.map(Value::from));
            set(&mut spec, "rules", rules.map(Value::from));
            json!({"apiVersion": GATEWAY_V1, "kind": kind, "metadata": m, "spec": spec})
        },
    )
}

/// An HTTPRoute.
pub fn http_route() -> impl Strategy<Value = Value> {
    let filters = [
        "RequestHeaderModifier",
        "URLRewrite",
        "RequestMirror",
        "CORS",
    ];
    http_or_grpc("HTTPRoute", http_match().boxed(), &filters)
}

/// A GRPCRoute.
pub fn grpc_route() -> impl Strategy<Value = Value> {
    let filters = [
        "RequestHeaderModifier",
        "ResponseHeaderModifier",
        "RequestMirror",
    ];
    http_or_grpc("GRPCRoute", grpc_match().boxed(), &filters)
}

/// A TLSRoute.
pub fn tls_route() -> impl Strategy<Value = Value> {
    let rule = backend_refs().prop_map(|b| json!({ "backendRefs": b }));
    let rules = prop::collection::vec(rule, 0..3);
    (route_meta(), parent_refs(), hostnames(), rules).prop_map(|(m, parents, hosts, rules)| {
        let mut spec = json!({"hostnames": hosts, "rules": rules});
        set(&mut spec, "parentRefs", parents.map(Value::from));
        json!({"apiVersion": "gateway.networking.k8s.io/v1alpha2", "kind": "TLSRoute",
            "metadata": m, "spec": spec})
    })
}
