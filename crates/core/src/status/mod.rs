//! Route status, computed (not written) from the plan and the apply result.
//!
//! The writer lives at the edge; this module is pure. It follows the Gateway
//! API: per parentRef `Accepted`, `ResolvedRefs` and, when some rules could not
//! be programmed, `PartiallyInvalid`; plus a domain-prefixed condition saying
//! whether VPC Lattice holds the plan. Timestamps move only when a condition's
//! status changes, so re-computing an unchanged status writes nothing.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

use crate::config::DOMAIN;
use crate::plan::PlanDiagnostic;

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
}

/// Conditions for one parentRef of a route.
///
/// `parent_index` selects diagnostics about `spec.parentRefs[i]`; route-wide
/// diagnostics apply to every parent. `existing` are the conditions the
/// object has now, whose `lastTransitionTime` is kept where the status holds.
pub fn route_parent_conditions(
    diagnostics: &[&PlanDiagnostic],
    parent_index: usize,
    generation: Option<i64>,
    apply: &ApplyOutcome,
    existing: &[Condition],
    now: &Time,
) -> Vec<Condition> {
    let parent_field = format!("spec.parentRefs[{parent_index}]");
    let relevant = |d: &&&PlanDiagnostic| {
        !d.field.starts_with("spec.parentRefs[") || d.field.starts_with(&parent_field)
    };
    let of = |condition: &str| -> Vec<&PlanDiagnostic> {
        diagnostics
            .iter()
            .filter(relevant)
            .filter(|d| d.condition == condition)
            .copied()
            .collect()
    };
    let summary = |ds: &[&PlanDiagnostic]| -> String {
        let mut parts: Vec<String> = ds
            .iter()
            .map(|d| format!("{}: {}", d.field, d.message))
            .collect();
        parts.dedup();
        let mut s = parts.join("; ");
        // Kubernetes caps condition messages at 32768 bytes.
        if s.len() > 32_000 {
            let mut cut = 32_000;
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            s.truncate(cut);
            s.push('…');
        }
        s
    };
    let mut out = Vec::new();
    let accepted = of("Accepted");
    out.push(match accepted.first() {
        None => cond(
            "Accepted",
            true,
            "Accepted",
            "the route is accepted by the VPC Lattice controller".into(),
        ),
        Some(d) => cond("Accepted", false, &d.reason, summary(&accepted)),
    });
    let refs = of("ResolvedRefs");
    out.push(match refs.first() {
        None => cond(
            "ResolvedRefs",
            true,
            "ResolvedRefs",
            "all backendRefs resolved".into(),
        ),
        Some(d) => cond("ResolvedRefs", false, &d.reason, summary(&refs)),
    });
    let partial = of("PartiallyInvalid");
    if !partial.is_empty() {
        out.push(cond(
            "PartiallyInvalid",
            true,
            "UnsupportedValue",
            summary(&partial),
        ));
    }
    let programmed = programmed_condition();
    out.push(match apply {
        ApplyOutcome::Programmed => cond(
            &programmed,
            true,
            "Programmed",
            "VPC Lattice holds the plan".into(),
        ),
        ApplyOutcome::Pending => cond(
            &programmed,
            false,
            "Pending",
            "not yet applied to VPC Lattice".into(),
        ),
        ApplyOutcome::Failed(m) => cond(&programmed, false, "ApplyFailed", m.clone()),
    });
    keep_times(&mut out, existing, generation, now);
    out
}

fn cond(type_: &str, ok: bool, reason: &str, message: String) -> Condition {
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
fn keep_times(
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

fn programmed(apply: &ApplyOutcome, what: &str) -> Condition {
    match apply {
        ApplyOutcome::Programmed => cond(
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
    }
}

fn conditions_at(v: &serde_json::Value, pointer: &str) -> Vec<Condition> {
    v.pointer(pointer)
        .and_then(|c| serde_json::from_value(c.clone()).ok())
        .unwrap_or_default()
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
    gateway: &crate::snapshot::Key,
    routes: &[crate::model::RouteView],
    invalid_name: Option<&str>,
    apply: &ApplyOutcome,
    now: &Time,
) -> Option<serde_json::Value> {
    use serde_json::json;
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
