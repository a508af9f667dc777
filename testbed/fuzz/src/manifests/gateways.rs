//! GatewayClasses, Gateways and the parentRefs that point at them.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

/// A GatewayClass, ours or another controller's.
pub fn gateway_class() -> impl Strategy<Value = Value> {
    let controller = pool(&[
        "application-networking.k8s.aws/gateway-api-controller",
        "example.com/other",
        "",
    ]);
    (name(&["amazon-vpc-lattice", "other"]), controller).prop_map(|(n, c)| {
        json!({"apiVersion": GATEWAY_V1, "kind": "GatewayClass", "metadata": {"name": n},
            "spec": {"controllerName": c}})
    })
}

fn listener() -> impl Strategy<Value = Value> {
    let protocol = pool(&["HTTP", "HTTPS", "TLS", "TCP", "UDP", "bogus"]);
    let mode = optional(pool(&["Passthrough", "Terminate"]));
    let from = optional(pool(&["All", "Same", "Selector"]));
    (
        name(&["http", "https", "tls"]),
        port(),
        protocol,
        mode,
        from,
    )
        .prop_map(|(name, port, protocol, mode, from)| {
            let mut l = json!({"name": name, "port": port, "protocol": protocol});
            set(&mut l, "tls", mode.map(|m| json!({"mode": m})));
            set(
                &mut l,
                "allowedRoutes",
                from.map(|f| json!({"namespaces": {"from": f}})),
            );
            l
        })
}

/// A Gateway, mostly of our class, with a few listeners.
pub fn gateway() -> impl Strategy<Value = Value> {
    let class = prop_oneof![8 => pool(&["amazon-vpc-lattice"]), 1 => pool(&["other", ""])];
    let listeners = prop::collection::vec(listener(), 0..4);
    (
        gateway_name(),
        namespace(),
        class,
        listeners,
        prop::bool::weighted(0.05),
    )
        .prop_map(|(n, ns, class, listeners, deleting)| {
            let mut m = meta(n, ns);
            if deleting {
                m["deletionTimestamp"] = json!("2024-01-01T00:00:00Z");
            }
            json!({"apiVersion": GATEWAY_V1, "kind": "Gateway", "metadata": m,
                "spec": {"gatewayClassName": class, "listeners": listeners}})
        })
}

fn parent_ref() -> impl Strategy<Value = Value> {
    let kind = prop_oneof![6 => Just(None), 1 => pool(&["Gateway", "Service", ""]).prop_map(Some)];
    let group = prop_oneof![6 => Just(None), 1 => pool(&["gateway.networking.k8s.io", "", "x.io"]).prop_map(Some)];
    let section = optional(name(&["http", "https", "tls"]));
    let port = prop_oneof![4 => Just(None), 1 => port().prop_map(Some)];
    (gateway_name(), namespace(), kind, group, section, port).prop_map(
        |(name, ns, kind, group, section, port)| {
            let mut p = json!({"name": name});
            set(&mut p, "namespace", ns.map(Value::from));
            set(&mut p, "kind", kind.map(Value::from));
            set(&mut p, "group", group.map(Value::from));
            set(&mut p, "sectionName", section.map(Value::from));
            set(&mut p, "port", port.map(Value::from));
            p
        },
    )
}

/// parentRefs: often just the [`world`]'s Gateway, else anything.
pub(super) fn parent_refs() -> BoxedStrategy<Option<Vec<Value>>> {
    let mesh = json!({"name": "mesh", "namespace": "app"});
    prop_oneof![
        3 => Just(Some(vec![mesh])),
        2 => optional(prop::collection::vec(parent_ref(), 0..3)),
    ]
    .boxed()
}
