//! A route's status: conditions per parentRef, and the merge of our
//! `status.parents` entries with those of other controllers.

use std::collections::BTreeSet;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use serde_json::{Value, json};

use super::{ApplyOutcome, cond, keep_times, programmed_condition, same_conditions};
use crate::config::CONTROLLER_NAME;
use crate::index::{RouteKey, route_view};
use crate::model::RouteView;
use crate::plan::{Attached, Plan, PlanDiagnostic};
use crate::snapshot::Snapshot;

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
    out.push(match (refs.first(), apply) {
        (None, ApplyOutcome::Unresolved(m)) => {
            cond("ResolvedRefs", false, "BackendNotFound", m.clone())
        }
        (None, _) => cond(
            "ResolvedRefs",
            true,
            "ResolvedRefs",
            "all backendRefs resolved".into(),
        ),
        (Some(d), ApplyOutcome::Unresolved(m)) => cond(
            "ResolvedRefs",
            false,
            &d.reason,
            format!("{}; {m}", summary(&refs)),
        ),
        (Some(d), _) => cond("ResolvedRefs", false, &d.reason, summary(&refs)),
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
        ApplyOutcome::Programmed | ApplyOutcome::Unresolved(_) => cond(
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
        ApplyOutcome::Kept(m) => cond(&programmed, false, "KeptLastGood", m.clone()),
    });
    keep_times(&mut out, existing, generation, now);
    out
}

/// A route's `status.parents` entry for one parentRef.
fn parent_ref_json(view: &RouteView, i: usize) -> Value {
    let p = &view.parent_refs[i];
    let mut v = json!({"group": p.group, "kind": p.kind, "namespace": p.namespace, "name": p.name});
    if let Some(s) = &p.section_name {
        v["sectionName"] = s.clone().into();
    }
    if let Some(port) = p.port {
        v["port"] = port.into();
    }
    v
}

/// Two parentRefs name the same parent, with defaults applied.
fn same_parent(a: &Value, b: &Value) -> bool {
    let norm =
        |v: &Value, k: &str, d: &str| v.get(k).and_then(Value::as_str).unwrap_or(d).to_string();
    ["group", "kind", "name", "sectionName"].iter().all(|k| {
        let d = match *k {
            "group" => "gateway.networking.k8s.io",
            "kind" => "Gateway",
            _ => "",
        };
        norm(a, k, d) == norm(b, k, d)
    }) && a.get("port") == b.get("port")
        && (a.get("namespace").is_none()
            || b.get("namespace").is_none()
            || a.get("namespace") == b.get("namespace"))
}

/// The new `status.parents` list, or `None` when nothing of ours changed.
/// `parents`: the parentRefs (indices) of ours the route was planned for.
pub fn desired_parents(
    current: &Value,
    view: &RouteView,
    parents: Option<&[usize]>,
    diagnostics: &[&PlanDiagnostic],
    apply: &ApplyOutcome,
    now: &Time,
) -> Option<Vec<Value>> {
    let existing: Vec<Value> = current
        .pointer("/status/parents")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let (ours, mut others): (Vec<Value>, Vec<Value>) = existing
        .into_iter()
        .partition(|p| p.get("controllerName").and_then(Value::as_str) == Some(CONTROLLER_NAME));
    let mut changed = false;
    let mut fresh = Vec::new();
    for &i in parents.unwrap_or_default() {
        let parent_ref = parent_ref_json(view, i);
        let old = ours.iter().find(|p| {
            p.get("parentRef")
                .is_some_and(|r| same_parent(r, &parent_ref))
        });
        let old_conditions: Vec<Condition> = old
            .and_then(|p| p.get("conditions"))
            .and_then(|c| serde_json::from_value(c.clone()).ok())
            .unwrap_or_default();
        let conditions =
            route_parent_conditions(diagnostics, i, view.generation, apply, &old_conditions, now);
        changed |= old.is_none() || !same_conditions(&old_conditions, &conditions);
        fresh.push(json!({"parentRef": parent_ref, "controllerName": CONTROLLER_NAME, "conditions": conditions}));
    }
    changed |= fresh.len() != ours.len();
    if !changed {
        return None;
    }
    others.extend(fresh);
    Some(others)
}

/// The `status.parents` each dirty route needs, for the routes whose
/// conditions changed: `outcome` says what the apply did for a route.
pub fn route_statuses(
    snapshot: &Snapshot,
    routes: &BTreeSet<RouteKey>,
    attached: &Attached,
    plan: &Plan,
    outcome: &dyn Fn(&RouteKey) -> ApplyOutcome,
    now: &Time,
) -> Vec<(RouteKey, Vec<Value>)> {
    let mut out = Vec::new();
    // Looked up, not walked per route: a first pass has 10,000 of each.
    let mut diagnostics: std::collections::HashMap<&str, Vec<_>> = Default::default();
    for d in &plan.diagnostics {
        diagnostics.entry(d.object.as_str()).or_default().push(d);
    }
    for key in routes {
        let (Some(view), Some(current)) = (route_view(snapshot, key), snapshot.route_json(key))
        else {
            continue;
        };
        let parents = attached.routes.get(key).map(Vec::as_slice);
        let object = key.to_string();
        let diags = diagnostics
            .get(object.as_str())
            .cloned()
            .unwrap_or_default();
        if let Some(parents) = desired_parents(&current, &view, parents, &diags, &outcome(key), now)
        {
            out.push((key.clone(), parents));
        }
    }
    out
}
