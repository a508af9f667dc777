//! Builders shared by the kinds' unit tests. Routes and Gateways are in
//! namespace `app`.

use lattice_plugin_sdk::types::RouteKind;
use serde_json::{Value, json};

use crate::index::{Dirty, RouteKey};

/// A route of `kind` in `app` under Gateway `gateway`, with one rule and the
/// hostname TLSRoutes require.
pub(super) fn mk_route(kind: &str, name: &str, gateway: &str, backends: Value) -> Value {
    json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":kind,
        "metadata":{"name":name,"namespace":"app"},
        "spec":{"hostnames":["r.example.com"],"parentRefs":[{"name":gateway}],
            "rules":[{"backendRefs":backends}]}})
}

/// A Gateway in `app` of class `class`.
pub(super) fn mk_gateway(name: &str, class: &str) -> Value {
    json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"Gateway",
        "metadata":{"name":name,"namespace":"app"},
        "spec":{"gatewayClassName":class,"listeners":[]}})
}

/// A Service with one port.
pub(super) fn mk_service(ns: &str, name: &str) -> Value {
    json!({"apiVersion":"v1","kind":"Service","metadata":{"name":name,"namespace":ns},
        "spec":{"ports":[{"port":80}]}})
}

/// The key of a route in `app`.
pub(super) fn rk(kind: RouteKind, name: &str) -> RouteKey {
    RouteKey {
        kind,
        namespace: "app".into(),
        name: name.into(),
    }
}

/// The names of the dirty routes, in order.
pub(super) fn route_names(d: &Dirty) -> Vec<String> {
    d.routes.iter().map(|r| r.name.clone()).collect()
}
