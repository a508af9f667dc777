//! Services, EndpointSlices, ReferenceGrants and IAMAuthPolicies.

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};

use super::*;

/// A Service with a few ports, some named.
pub fn service() -> impl Strategy<Value = Value> {
    let svc_port = (optional(pool(&["http", "grpc", ""])), port()).prop_map(|(name, port)| {
        let mut p = json!({ "port": port });
        set(&mut p, "name", name.map(Value::from));
        p
    });
    let ports = optional(prop::collection::vec(svc_port, 0..3));
    (service_name(), namespace(), ports).prop_map(|(n, ns, ports)| {
        let mut spec = json!({});
        set(&mut spec, "ports", ports.map(Value::from));
        json!({"apiVersion": "v1", "kind": "Service", "metadata": meta(n, ns), "spec": spec})
    })
}

/// An EndpointSlice of a Service, with addresses that are and are not IPs.
pub fn endpoint_slice() -> impl Strategy<Value = Value> {
    let address = prop_oneof![
        6 => pool(&["10.0.0.1", "10.0.0.2", "fd00::1"]),
        1 => pool(&["", "not-an-ip", "999.1.1.1", "fe80::1%eth0", "web.example.com"]),
    ];
    let endpoint = (
        prop::collection::vec(address, 0..3),
        optional(any::<bool>()),
    )
        .prop_map(|(addresses, ready)| {
            let mut e = json!({ "addresses": addresses });
            set(&mut e, "conditions", ready.map(|r| json!({ "ready": r })));
            e
        });
    let slice_port =
        (optional(pool(&["http", "grpc", ""])), optional(port())).prop_map(|(name, port)| {
            let mut p = json!({});
            set(&mut p, "name", name.map(Value::from));
            set(&mut p, "port", port.map(Value::from));
            p
        });
    let kind = pool(&["IPv4", "IPv6", "FQDN"]);
    (
        name(&["web-1", "api-1", "db-1"]),
        service_name(),
        namespace(),
        kind,
        prop::collection::vec(slice_port, 0..3),
        prop::collection::vec(endpoint, 0..4),
    )
        .prop_map(|(n, svc, ns, kind, ports, endpoints)| {
            let mut m = meta(n, ns);
            m["labels"] = json!({ "kubernetes.io/service-name": svc });
            json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": m,
                "addressType": kind, "ports": ports, "endpoints": endpoints})
        })
}

/// A ReferenceGrant, right or subtly wrong.
pub fn reference_grant() -> impl Strategy<Value = Value> {
    let from_kind = pool(&["HTTPRoute", "GRPCRoute", "TLSRoute", "Gateway"]);
    let from = (from_kind, pool(&["app", "other", ""])).prop_map(
        |(k, ns)| json!({"group": "gateway.networking.k8s.io", "kind": k, "namespace": ns}),
    );
    let to = (
        pool(&["", "core"]),
        pool(&["Service", "Pod"]),
        optional(service_name()),
    )
        .prop_map(|(g, k, n)| {
            let mut t = json!({"group": g, "kind": k});
            set(&mut t, "name", n.map(Value::from));
            t
        });
    (
        name(&["grant"]),
        namespace(),
        prop::collection::vec(from, 0..3),
        prop::collection::vec(to, 0..3),
    )
        .prop_map(|(n, ns, from, to)| {
            json!({"apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "ReferenceGrant",
                "metadata": meta(n, ns), "spec": {"from": from, "to": to}})
        })
}

/// An IAMAuthPolicy on a Gateway or a route, with documents valid and not.
pub fn iam_auth_policy() -> impl Strategy<Value = Value> {
    let allow = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*"}]}"#;
    let big = format!(r#"{{"Pad":"{}"}}"#, "x".repeat(11 * 1024));
    let policy = prop_oneof![
        4 => Just(allow.to_string()),
        1 => select(vec!["{not json".to_string(), "[1]".into(), String::new(), big]),
        1 => "\\PC{0,20}",
    ];
    let kind = pool(&["Gateway", "HTTPRoute", "GRPCRoute", "Service"]);
    let target = (
        kind,
        name(&["mesh", "books", "r"]),
        optional(pool(&["app", "other"])),
    );
    let created = pool(&["2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z"]);
    (name(&["p1", "p2"]), namespace(), target, policy, created).prop_map(
        |(n, ns, (kind, target, target_ns), policy, created)| {
            let mut t = json!({"group": "gateway.networking.k8s.io", "kind": kind, "name": target});
            set(&mut t, "namespace", target_ns.map(Value::from));
            let mut m = meta(n, ns);
            m["creationTimestamp"] = json!(created);
            json!({"apiVersion": "application-networking.k8s.aws/v1alpha1", "kind": "IAMAuthPolicy",
                "metadata": m, "spec": {"targetRef": t, "policy": policy}})
        },
    )
}
