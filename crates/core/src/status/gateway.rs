//! Gateway and GatewayClass status.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use serde_json::{Value, json};

use super::{ApplyOutcome, cond, conditions_at, keep_times, programmed, without_times};
use crate::config::CONTROLLER_NAME;
use crate::index::{Index, route_view};
use crate::kinds::GATEWAY_GROUP;
use crate::model::listeners::{self, ListenerSupport};
use crate::model::{RouteView, ServiceNetworkIntent};
use crate::snapshot::Key;
use lattice_plugin_sdk::types::RouteKind;

/// The object a status patch is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatusTarget {
    /// A GatewayClass, by name (cluster-scoped).
    GatewayClass(String),
    /// A Gateway, by namespace and name.
    Gateway(Key),
    /// A policy of the Go controller's, by kind, namespace and name.
    Policy(&'static str, Key),
    /// A ServiceNetwork object, by name (cluster-scoped).
    ServiceNetwork(String),
    /// A ServiceExport, by namespace and name: its status is written with
    /// the object (its CRD has no status subresource).
    ServiceExport(Key),
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
/// route kinds it takes, how many routes attached to it, and whether VPC
/// Lattice can serve it.
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
    let mut invalid = Vec::new();
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
                .unwrap_or_else(|| {
                    conditions_at(&current, &format!("/status/listeners/{i}/conditions"))
                });
            let support = listeners::support(l);
            if support.protocol.is_err() {
                invalid.push(l.name.as_str());
            }
            let kinds: Vec<Value> = support
                .kinds
                .iter()
                .map(|k| json!({"group": GATEWAY_GROUP, "kind": k.kind_name()}))
                .collect();
            let ungranted = listeners::ungranted_certificates(snapshot, &gateway.0, l);
            let mut cs = listener_conditions(&support, &ungranted, apply);
            keep_times(&mut cs, &old, generation, now);
            json!({
                "name": l.name,
                "supportedKinds": kinds,
                "attachedRoutes": attached.get(l.name.as_str()).map_or(0, BTreeSet::len),
                "conditions": cs,
            })
        })
        .collect();
    let valid = gw.spec.listeners.len() - invalid.len();
    let mut cs = vec![gateway_accepted(invalid_name, &invalid, valid)];
    cs.push(if cs[0].status == "True" {
        programmed(apply, "service network")
    } else {
        cond("Programmed", false, "Invalid", cs[0].message.clone())
    });
    keep_times(
        &mut cs,
        &conditions_at(&current, "/status/conditions"),
        generation,
        now,
    );
    // A service network has no address of its own: clients reach each
    // route's service at its own DNS name (README, "status.addresses").
    Some(json!({ "conditions": cs, "listeners": listeners }))
}

/// The Gateway's `Accepted`: refused when Lattice refuses the service
/// network's name or serves none of its listeners; accepted with
/// `ListenersNotValid` when it serves only some.
fn gateway_accepted(invalid_name: Option<&str>, invalid: &[&str], valid: usize) -> Condition {
    if let Some(why) = invalid_name {
        let why = format!("VPC Lattice service network name {why}");
        return cond("Accepted", false, "Invalid", why);
    }
    if invalid.is_empty() {
        let message = "the Gateway is a VPC Lattice service network".into();
        return cond("Accepted", true, "Accepted", message);
    }
    let message = format!(
        "VPC Lattice cannot serve listener(s) {}; see their conditions",
        invalid.join(", ")
    );
    cond("Accepted", valid > 0, "ListenersNotValid", message)
}

/// Routes attached to each listener of `gateway`, by listener name; a
/// route counts once per listener, however many parentRefs select it.
fn attached_routes(
    snapshot: &crate::Snapshot,
    gateway: &Key,
    routes: &[RouteView],
) -> BTreeMap<String, BTreeSet<(RouteKind, String, String)>> {
    let mut attached: BTreeMap<String, BTreeSet<_>> = BTreeMap::new();
    for r in routes {
        let id = (r.kind, r.id.namespace.clone(), r.id.name.clone());
        for a in crate::model::parents::attachments(snapshot, r) {
            if &a.gateway != gateway {
                continue;
            }
            for name in a.listener_names {
                attached.entry(name).or_default().insert(id.clone());
            }
        }
    }
    attached
}

/// A listener's conditions, before timestamps.
fn listener_conditions(
    support: &ListenerSupport,
    ungranted: &[String],
    apply: &ApplyOutcome,
) -> Vec<Condition> {
    let (accepted, programmed_now) = match &support.protocol {
        Ok(_) => (
            cond("Accepted", true, "Accepted", "listener accepted".into()),
            programmed(apply, "listener"),
        ),
        Err((reason, why)) => (
            cond("Accepted", false, reason, why.clone()),
            cond("Programmed", false, "Invalid", why.clone()),
        ),
    };
    let resolved = if !support.invalid_kinds.is_empty() {
        cond(
            "ResolvedRefs",
            false,
            "InvalidRouteKinds",
            format!(
                "this listener cannot serve allowedRoutes.kinds {}",
                support.invalid_kinds.join(", ")
            ),
        )
    } else if !ungranted.is_empty() {
        cond(
            "ResolvedRefs",
            false,
            "RefNotPermitted",
            format!(
                "no ReferenceGrant lets this Gateway use the certificate Secret {}",
                ungranted.join(", ")
            ),
        )
    } else if support.secret_certificates {
        cond(
            "ResolvedRefs",
            false,
            "InvalidCertificateRef",
            format!(
                "VPC Lattice cannot use certificates in Kubernetes Secrets: name an ACM certificate in tls.options {:?}; until then services answer with VPC Lattice's own certificate for their generated domain",
                listeners::CERTIFICATE_ARN
            ),
        )
    } else {
        cond(
            "ResolvedRefs",
            true,
            "ResolvedRefs",
            "all references resolved".into(),
        )
    };
    vec![accepted, resolved, programmed_now]
}
