//! Gateway and GatewayClass status.

use std::collections::BTreeSet;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde_json::{Value, json};

use super::{ApplyOutcome, cond, conditions_at, keep_times, programmed, without_times};
use crate::config::CONTROLLER_NAME;
use crate::index::{Index, route_view};
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
    let mut attached: std::collections::BTreeMap<&str, i32> = Default::default();
    let attachments: Vec<_> = routes
        .iter()
        .flat_map(|r| crate::model::parents::attachments(snapshot, r))
        .filter(|a| &a.gateway == gateway)
        .collect();
    for a in &attachments {
        for name in &a.listener_names {
            *attached.entry(name.as_str()).or_default() += 1;
        }
    }
    let mut listeners = Vec::new();
    for l in &gw.spec.listeners {
        let kinds: &[&str] = match l.protocol.as_str() {
            "HTTP" => &["HTTPRoute"],
            "HTTPS" => &["HTTPRoute", "GRPCRoute"],
            "TLS" => &["TLSRoute"],
            _ => &[],
        };
        let mut cs = if kinds.is_empty() {
            vec![cond(
                "Accepted",
                false,
                "UnsupportedProtocol",
                format!(
                    "VPC Lattice listeners are HTTP, HTTPS or TLS passthrough, not {}",
                    l.protocol
                ),
            )]
        } else {
            vec![cond(
                "Accepted",
                true,
                "Accepted",
                "listener accepted".into(),
            )]
        };
        cs.push(cond(
            "ResolvedRefs",
            true,
            "ResolvedRefs",
            "no references to resolve".into(),
        ));
        cs.push(programmed(apply, "listener"));
        let pointer = format!("/status/listeners/{}/conditions", listeners.len());
        let old = current
            .pointer("/status/listeners")
            .and_then(|ls| ls.as_array())
            .and_then(|ls| ls.iter().find(|x| x["name"] == l.name.as_str()))
            .map(|x| conditions_at(x, "/conditions"))
            .unwrap_or_else(|| conditions_at(&current, &pointer));
        keep_times(&mut cs, &old, generation, now);
        listeners.push(json!({
            "name": l.name,
            "supportedKinds": kinds.iter().map(|k| json!({"group": "gateway.networking.k8s.io", "kind": k})).collect::<Vec<_>>(),
            "attachedRoutes": attached.get(l.name.as_str()).copied().unwrap_or(0),
            "conditions": cs,
        }));
    }
    let mut cs = match invalid_name {
        None => vec![cond(
            "Accepted",
            true,
            "Accepted",
            "the Gateway is a VPC Lattice service network".into(),
        )],
        Some(why) => vec![cond(
            "Accepted",
            false,
            "Invalid",
            format!("VPC Lattice service network name {why}"),
        )],
    };
    cs.push(programmed(apply, "service network"));
    keep_times(
        &mut cs,
        &conditions_at(&current, "/status/conditions"),
        generation,
        now,
    );
    Some(json!({ "conditions": cs, "listeners": listeners }))
}
