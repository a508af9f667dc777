//! JSON of any shape, for the loaders themselves.

use proptest::prelude::*;
use serde_json::{Map, Value};

use super::*;

/// JSON of any shape, a few levels deep, with the keys manifests use among
/// arbitrary ones; at the top, mostly an object with a known `apiVersion`
/// and `kind`, so that some of it reaches the decoders.
pub fn json_object() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        3 => pool(&[
            "metadata", "name", "namespace", "spec", "rules", "matches", "backendRefs",
            "parentRefs", "listeners", "port", "ports", "weight", "hostnames", "path", "value",
            "headers", "type", "kind", "group", "labels", "annotations", "endpoints",
            "addresses", "policy", "targetRef", "gatewayClassName", "protocol", "items",
        ]),
        1 => "[a-zA-Z]{1,8}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "\\PC{0,12}".prop_map(Value::from),
    ];
    let value = leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(key.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    let kinds = pool(&[
        "gateway.networking.k8s.io/v1 Gateway",
        "gateway.networking.k8s.io/v1 GatewayClass",
        "gateway.networking.k8s.io/v1 HTTPRoute",
        "gateway.networking.k8s.io/v1 GRPCRoute",
        "gateway.networking.k8s.io/v1alpha2 TLSRoute",
        "gateway.networking.k8s.io/v1beta1 ReferenceGrant",
        "v1 Service",
        "v1 Namespace",
        "discovery.k8s.io/v1 EndpointSlice",
        "application-networking.k8s.aws/v1alpha1 IAMAuthPolicy",
        "lattice-host.io/v1alpha1 LatticePlugin",
        "lattice-host.io/v1alpha1 ClusterLatticePlugin",
        "v1 ConfigMap",
    ]);
    let typed = (
        kinds,
        prop::collection::btree_map(key_or_meta(), value.clone(), 0..5),
    )
        .prop_map(|(kind, body)| {
            let (api_version, kind) = kind.split_once(' ').unwrap_or(("v1", "Service"));
            let mut o: Map<String, Value> = body.into_iter().collect();
            o.insert("apiVersion".into(), api_version.into());
            o.insert("kind".into(), kind.into());
            Value::Object(o)
        });
    prop_oneof![6 => typed, 1 => value]
}

fn key_or_meta() -> impl Strategy<Value = String> {
    pool(&[
        "metadata",
        "spec",
        "status",
        "items",
        "endpoints",
        "ports",
        "addressType",
    ])
}
