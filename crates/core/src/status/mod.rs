//! Status, computed (not written) from the plan and the apply result: what
//! every route, Gateway and GatewayClass of ours should say.
//!
//! The writer lives at the edge (the controller); this module is pure. It
//! follows the Gateway API: per parentRef `Accepted`, `ResolvedRefs` and, when
//! some rules could not be programmed, `PartiallyInvalid`; plus a
//! domain-prefixed condition saying whether VPC Lattice holds the plan.
//! Timestamps move only when a condition's status changes, so re-computing an
//! unchanged status writes nothing.
//!
//! - [`outcome`]: what an apply report means for one route or Gateway;
//! - [`route`]: route conditions and the `status.parents` merge;
//! - [`gateway`]: Gateway and GatewayClass status;
//! - [`plugin`]: ClusterLatticePlugin and LatticePlugin status;
//! - [`policy`]: the Go controller's policies' status;
//! - [`service_network`]: ServiceNetwork objects' status.

pub mod gateway;
pub mod outcome;
pub mod plugin;
pub mod policy;
pub mod route;
pub mod service_export;
pub mod service_network;

pub use gateway::{
    StatusPatch, StatusTarget, gateway_class_status, gateway_status, gateway_statuses,
};
pub use outcome::{gateway_outcome, route_outcome};
pub use plugin::{Attempt, PluginFacts, plugin_status};
pub use policy::policy_statuses;
pub use route::{desired_parents, route_parent_conditions, route_statuses};
pub use service_export::{ExportState, service_export_statuses};
pub use service_network::{NetworkState, service_network_statuses};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

use crate::config::DOMAIN;

/// The domain-prefixed condition for "programmed in VPC Lattice".
pub fn programmed_condition() -> String {
    format!("{DOMAIN}/Programmed")
}

/// What the apply engine said about a route's Lattice resources.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// Not applied yet (offline, or waiting).
    Pending,
    /// Lattice holds the plan.
    Programmed,
    /// Lattice rejected something; the message names it.
    Failed(String),
    /// A plugin failed on the route under `KeepLastGood`: Lattice keeps
    /// what it held; the message names the plugin and the failure.
    Kept(String),
    /// Lattice holds the plan but for backends the apply could not find
    /// (a ServiceImport's group): `ResolvedRefs=False`, the message says
    /// which.
    Unresolved(String),
}

pub(crate) fn cond(type_: &str, ok: bool, reason: &str, message: String) -> Condition {
    Condition {
        type_: type_.to_string(),
        status: if ok { "True" } else { "False" }.to_string(),
        reason: reason.to_string(),
        message,
        observed_generation: None,
        last_transition_time: Time(Default::default()),
    }
}

/// Whether two condition lists say the same thing, ignoring timestamps:
/// the status writer sends a patch only when they differ.
pub fn same_conditions(a: &[Condition], b: &[Condition]) -> bool {
    let key = |c: &Condition| {
        (
            c.type_.clone(),
            c.status.clone(),
            c.reason.clone(),
            c.message.clone(),
            c.observed_generation,
        )
    };
    let mut x: Vec<_> = a.iter().map(key).collect();
    let mut y: Vec<_> = b.iter().map(key).collect();
    x.sort();
    y.sort();
    x == y
}

/// Keeps `lastTransitionTime` of conditions whose status did not change.
pub(crate) fn keep_times(
    conditions: &mut [Condition],
    existing: &[Condition],
    generation: Option<i64>,
    now: &Time,
) {
    for c in conditions {
        c.observed_generation = generation;
        c.last_transition_time = match existing.iter().find(|e| e.type_ == c.type_) {
            Some(e) if e.status == c.status => e.last_transition_time.clone(),
            _ => now.clone(),
        };
    }
}

pub(crate) fn programmed(apply: &ApplyOutcome, what: &str) -> Condition {
    match apply {
        ApplyOutcome::Programmed | ApplyOutcome::Unresolved(_) => cond(
            "Programmed",
            true,
            "Programmed",
            format!("VPC Lattice holds the {what}"),
        ),
        ApplyOutcome::Pending => cond(
            "Programmed",
            false,
            "Pending",
            format!("the {what} is not yet in VPC Lattice"),
        ),
        ApplyOutcome::Failed(m) => cond("Programmed", false, "Invalid", m.clone()),
        ApplyOutcome::Kept(m) => cond("Programmed", false, "KeptLastGood", m.clone()),
    }
}

pub(crate) fn conditions_at(v: &serde_json::Value, pointer: &str) -> Vec<Condition> {
    v.pointer(pointer)
        .and_then(|c| serde_json::from_value(c.clone()).ok())
        .unwrap_or_default()
}

/// A status with every `lastTransitionTime` removed, for comparing what two
/// statuses say.
pub fn without_times(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(m) => m
            .iter()
            .filter(|(k, _)| k.as_str() != "lastTransitionTime")
            .map(|(k, v)| (k.clone(), without_times(v)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        serde_json::Value::Array(a) => a.iter().map(without_times).collect::<Vec<_>>().into(),
        other => other.clone(),
    }
}
