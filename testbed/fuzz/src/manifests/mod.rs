//! Manifests as `kubectl apply` or the offline `plan` would read them:
//! structurally plausible Gateway API, core and policy objects whose values
//! are adversarial (odd names, missing fields, huge or negative numbers,
//! refs to what is not there, invalid paths and headers), and JSON of any
//! shape for the loader itself.
//!
//! Names come from small pools so that references often hit: a route's
//! parentRef finds a Gateway, a backendRef a Service, a policy its target.

mod gateways;
mod json;
mod objects;
mod routes;
mod world;

pub use gateways::{gateway, gateway_class};
pub use json::json_object;
pub use objects::{endpoint_slice, iam_auth_policy, reference_grant, service};
pub use routes::{grpc_route, http_route, tls_route};
pub use world::{plain_routes_in_world, world};

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};

const GATEWAY_V1: &str = "gateway.networking.k8s.io/v1";

fn pool(items: &[&str]) -> BoxedStrategy<String> {
    let items: Vec<String> = items.iter().map(|s| s.to_string()).collect();
    select(items).boxed()
}

/// Namespaces: mostly two plain ones, and some no Kubernetes would allow.
fn namespace() -> BoxedStrategy<Option<String>> {
    prop_oneof![
        2 => Just(None),
        8 => pool(&["app", "other"]).prop_map(Some),
        1 => pool(&["", "Team-A", "ns-ünï", &"n".repeat(70)]).prop_map(Some),
    ]
    .boxed()
}

/// Names: a pool that references find, and odd ones (empty, uppercase,
/// unicode across byte 20 where names are truncated, far too long).
fn name(common: &[&str]) -> BoxedStrategy<String> {
    prop_oneof![
        10 => pool(common),
        1 => pool(&[
            "",
            "UPPER",
            "svc-reserved",
            "a--b-",
            "aaaaaaaaaaaaaaaaaaaé-ünï",
            "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn",
        ]),
        1 => "\\PC{0,30}",
    ]
    .boxed()
}

fn gateway_name() -> BoxedStrategy<String> {
    name(&["mesh", "gw"])
}

fn service_name() -> BoxedStrategy<String> {
    name(&["web", "api", "db"])
}

fn route_name() -> BoxedStrategy<String> {
    name(&["books", "a-very-long-route-name-indeed", "r"])
}

/// Ports: common ones, any valid one, and out of range.
fn port() -> BoxedStrategy<i64> {
    prop_oneof![
        6 => select(vec![80i64, 443, 8080]),
        2 => 1..=65535i64,
        1 => select(vec![0i64, -1, 65536, i64::from(i32::MAX), i64::from(i32::MIN)]),
    ]
    .boxed()
}

fn meta(name: String, namespace: Option<String>) -> Value {
    let mut m = json!({ "name": name });
    if let Some(ns) = namespace {
        m["namespace"] = json!(ns);
    }
    m
}

/// Sets `key` to `value` when there is one: a missing field.
fn set(obj: &mut Value, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        obj[key] = v;
    }
}

fn optional<T: std::fmt::Debug + Clone + 'static>(
    s: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Option<T>> {
    prop_oneof![1 => Just(None), 3 => s.prop_map(Some)].boxed()
}

/// A set of objects: Gateways, routes of every kind, the Services and
/// EndpointSlices they point at, grants, policies and classes; half the
/// time in [`world`], so that many routes get as far as target groups.
pub fn objects() -> impl Strategy<Value = Vec<Value>> {
    (any::<bool>(), loose_objects()).prop_map(|(in_world, objects)| match in_world {
        true => world().into_iter().chain(objects).collect(),
        false => objects,
    })
}

fn loose_objects() -> impl Strategy<Value = Vec<Value>> {
    let v = |s: BoxedStrategy<Value>, n: std::ops::Range<usize>| prop::collection::vec(s, n);
    (
        v(gateway().boxed(), 0..3),
        v(http_route().boxed(), 0..4),
        v(grpc_route().boxed(), 0..2),
        v(tls_route().boxed(), 0..2),
        v(service().boxed(), 0..4),
        v(endpoint_slice().boxed(), 0..4),
        v(reference_grant().boxed(), 0..2),
        v(iam_auth_policy().boxed(), 0..3),
        v(gateway_class().boxed(), 0..2),
    )
        .prop_map(|(a, b, c, d, e, f, g, h, i)| {
            [a, b, c, d, e, f, g, h, i].into_iter().flatten().collect()
        })
}

/// Objects as [`objects`] makes them, with one value somewhere inside one
/// of them replaced by JSON of any shape: almost right, wrong in one place.
pub fn mutated_objects() -> impl Strategy<Value = Vec<Value>> {
    let path = prop::collection::vec(any::<prop::sample::Index>(), 1..6);
    (objects(), any::<prop::sample::Index>(), path, json_object()).prop_map(
        |(mut objects, which, path, replacement)| {
            if !objects.is_empty() {
                let i = which.index(objects.len());
                replace_at(&mut objects[i], &path, replacement);
            }
            objects
        },
    )
}

/// Walks down `path` (each step picks a child) and replaces what it ends on.
fn replace_at(v: &mut Value, path: &[prop::sample::Index], replacement: Value) {
    let Some((step, rest)) = path.split_first() else {
        *v = replacement;
        return;
    };
    let child = match v {
        Value::Object(o) if !o.is_empty() => {
            let i = step.index(o.len());
            o.values_mut().nth(i)
        }
        Value::Array(a) if !a.is_empty() => {
            let i = step.index(a.len());
            a.get_mut(i)
        }
        _ => None,
    };
    match child {
        Some(c) => replace_at(c, rest, replacement),
        None => *v = replacement,
    }
}
