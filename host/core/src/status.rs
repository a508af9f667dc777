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
    for c in &mut out {
        c.observed_generation = generation;
        c.last_transition_time = match existing.iter().find(|e| e.type_ == c.type_) {
            Some(e) if e.status == c.status => e.last_transition_time.clone(),
            _ => now.clone(),
        };
    }
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
