//! Gateway and GatewayClass status.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use serde_json::{Value, json};

use super::{ApplyOutcome, cond, conditions_at, keep_times, programmed, without_times};
use crate::config::CONTROLLER_NAME;
use crate::index::{Index, route_view};
use crate::kinds::GATEWAY_GROUP;
use crate::model::{RouteView, ServiceNetworkIntent};
use crate::snapshot::Key;

/// The object a status patch is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatusTarget {
    /// A GatewayClass, by name (cluster-scoped).
    GatewayClass(String),
    /// A Gateway, by namespace and name.
    Gateway(Key),
}

/// A status to write, because it says something other than the current one.
#[derive(Clone, Debug, PartialEq)]
pub struct StatusPatch {
    /// Whose status.
    pub target: StatusTarget,
    /// The whole new `status`.
    pub status: Value,
}

/// The status patches for our GatewayClasses and for the `gateways` among
/// `networks` (the service networks this pass planned), given what the apply
/// did. Only statuses that changed, ignoring timestamps, are returned.
pub fn gateway_statuses(
    index: &Index,
    gateways: &BTreeSet<Key>,
    networks: &[ServiceNetworkIntent],
    apply: &ApplyOutcome,
    now: &Time,
) -> Vec<StatusPatch> {
    let snapshot = index.snapshot();
    let mut out = Vec::new();
    for (name, class) in &snapshot.gateway_classes {
        if class.spec.controller_name != CONTROLLER_NAME {
            continue;
        }
        let status = gateway_class_status(class, now);
        if changed(serde_json::to_value(class).ok(), &status) {
            out.push(StatusPatch {
                target: StatusTarget::GatewayClass(name.clone()),
                status,
            });
        }
    }
    for key in gateways {
        let Some(sn) = networks
            .iter()
            .find(|sn| sn.gateway.namespace == key.0 && sn.gateway.name == key.1)
        else {
            continue;
        };
        let views: Vec<RouteView> = index
            .routes_of_gateway(key)
            .iter()
            .filter_map(|rk| route_view(snapshot, rk))
            .collect();
        let Some(status) = gateway_status(
            snapshot,
            key,
            &views,
            sn.invalid_name.as_deref(),
            apply,
            now,
        ) else {
            continue;
        };
        let current = snapshot
            .gateways
            .get(key)
            .and_then(|g| serde_json::to_value(g).ok());
        if changed(current, &status) {
            out.push(StatusPatch {
                target: StatusTarget::Gateway(key.clone()),
                status,
            });
        }
    }
    out
}

/// Whether `status` says something other than the object's current status.
fn changed(object: Option<Value>, status: &Value) -> bool {
    let current = object
        .and_then(|v| v.get("status").cloned())
        .unwrap_or_default();
    without_times(&current) != without_times(status)
}

/// A GatewayClass's status: accepted when it names this controller.
pub fn gateway_class_status(
    class: &gateway_api::gatewayclasses::GatewayClass,
    now: &Time,
) -> serde_json::Value {
    let current = serde_json::to_value(class).unwrap_or_default();
    let mut cs = vec![cond(
        "Accepted",
        true,
        "Accepted",
        "handled by the VPC Lattice controller".into(),
    )];
    keep_times(
        &mut cs,
        &conditions_at(&current, "/status/conditions"),
        class.metadata.generation,
        now,
    );
    serde_json::json!({ "conditions": cs })
}

/// A Gateway's status: `Accepted` and `Programmed`, and per listener the
/// route kinds it takes and how many routes attached to it.
pub fn gateway_status(
    snapshot: &crate::Snapshot,
    gateway: &Key,
    routes: &[RouteView],
    invalid_name: Option<&str>,
    apply: &ApplyOutcome,
    now: &Time,
) -> Option<serde_json::Value> {
    let gw = snapshot.gateways.get(gateway)?;
    let current = serde_json::to_value(gw).ok()?;
    let generation = gw.metadata.generation;
    let attached = attached_routes(snapshot, gateway, routes);
    let listeners: Vec<Value> = gw
        .spec
        .listeners
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let old = current
                .pointer("/status/listeners")
                .and_then(|ls| ls.as_array())
                .and_then(|ls| ls.iter().find(|x| x["name"] == l.name.as_str()))
                .map(|x| conditions_at(x, "/conditions"))
                .unwrap_or_else(|| conditions_at(&current, &format!("/status/listeners/{i}/conditions")));
            let mut cs = listener_conditions(&l.protocol, apply);
            keep_times(&mut cs, &old, generation, now);
            let kinds = route_kinds(&l.protocol);
            json!({
                "name": l.name,
                "supportedKinds": kinds.iter().map(|k| json!({"group": GATEWAY_GROUP, "kind": k})).collect::<Vec<_>>(),
                "attachedRoutes": attached.get(l.name.as_str()).copied().unwrap_or(0),
                "conditions": cs,
            })
        })
        .collect();
    let mut cs = vec![match invalid_name {
        None => cond(
            "Accepted",
            true,
            "Accepted",
            "the Gateway is a VPC Lattice service network".into(),
        ),
        Some(why) => cond(
            "Accepted",
            false,
            "Invalid",
            format!("VPC Lattice service network name {why}"),
        ),
    }];
    cs.push(programmed(apply, "service network"));
    keep_times(
        &mut cs,
        &conditions_at(&current, "/status/conditions"),
        generation,
        now,
    );
    Some(json!({ "conditions": cs, "listeners": listeners }))
}

/// Routes attached to each listener of `gateway`, by listener name.
fn attached_routes(
    snapshot: &crate::Snapshot,
    gateway: &Key,
    routes: &[RouteView],
) -> BTreeMap<String, i32> {
    let mut attached = BTreeMap::new();
    for a in routes
        .iter()
        .flat_map(|r| crate::model::parents::attachments(snapshot, r))
        .filter(|a| &a.gateway == gateway)
    {
        for name in a.listener_names {
            *attached.entry(name).or_default() += 1;
        }
    }
    attached
}

/// The route kinds a Lattice listener of `protocol` serves; none when
/// Lattice has no such listener.
fn route_kinds(protocol: &str) -> &'static [&'static str] {
    match protocol {
        "HTTP" => &["HTTPRoute"],
        "HTTPS" => &["HTTPRoute", "GRPCRoute"],
        "TLS" => &["TLSRoute"],
        _ => &[],
    }
}

/// A listener's conditions, before timestamps.
fn listener_conditions(protocol: &str, apply: &ApplyOutcome) -> Vec<Condition> {
    let accepted = if route_kinds(protocol).is_empty() {
        cond(
            "Accepted",
            false,
            "UnsupportedProtocol",
            format!("VPC Lattice listeners are HTTP, HTTPS or TLS passthrough, not {protocol}"),
        )
    } else {
        cond("Accepted", true, "Accepted", "listener accepted".into())
    };
    vec![
        accepted,
        cond(
            "ResolvedRefs",
            true,
            "ResolvedRefs",
            "no references to resolve".into(),
        ),
        programmed(apply, "listener"),
    ]
}
