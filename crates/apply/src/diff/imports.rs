//! ServiceImports' groups that Lattice does not have (the export was
//! deleted, or not made yet; the ARN names nothing this account sees):
//! taken out of the plan before the diff, so every forward that named one
//! forwards to the rest, or answers 500 when none is left (the Gateway API's
//! answer for a rule without a valid backend), and the route says why in
//! `ResolvedRefs`. Nothing else of the route waits for them.

use std::borrow::Cow;
use std::collections::HashSet;

use super::{Diagnostic, of_target_group};
use crate::model::Observed;
use lattice_core::plan::{Action, ImportPlan, Plan, ResourceKind, TargetGroupPlan};

/// `plan` without the imports `observed` lacks, and a `BackendNotFound`
/// diagnostic for each.
pub(super) fn settle<'p>(plan: &'p Plan, observed: &Observed) -> (Cow<'p, Plan>, Vec<Diagnostic>) {
    let imports = plan.target_groups.iter().filter(|t| t.import.is_some());
    if imports.clone().next().is_none() {
        return (Cow::Borrowed(plan), vec![]);
    }
    let found: HashSet<&str> = observed
        .target_groups
        .iter()
        .map(|o| o.name.as_str())
        .collect();
    let missing: Vec<&TargetGroupPlan> = imports
        .filter(|t| !found.contains(t.name.as_str()))
        .collect();
    if missing.is_empty() {
        return (Cow::Borrowed(plan), vec![]);
    }
    let diagnostics = missing.iter().map(|t| not_found(t)).collect();
    let gone: HashSet<&str> = missing.iter().map(|t| t.name.as_str()).collect();
    let mut settled = plan.clone();
    settled
        .target_groups
        .retain(|t| !gone.contains(t.name.as_str()));
    for l in settled.services.iter_mut().flat_map(|s| &mut s.listeners) {
        without(&mut l.default_action, &gone);
        for r in &mut l.rules {
            without(&mut r.action, &gone);
        }
    }
    (Cow::Owned(settled), diagnostics)
}

/// `action` without the groups in `gone`; a forward left with none
/// answers 500.
fn without(action: &mut Action, gone: &HashSet<&str>) {
    let Action::Forward(ts) = action else {
        return;
    };
    ts.retain(|t| !gone.contains(t.target_group.as_str()));
    if ts.is_empty() {
        *action = Action::FixedResponse(500);
    }
}

fn not_found(t: &TargetGroupPlan) -> Diagnostic {
    let import = t.import.as_deref();
    let who = import.map_or("", |i| i.service_import.as_str());
    Diagnostic {
        object: format!("ServiceImport {who}"),
        resource: of_target_group(ResourceKind::ImportedTargetGroup, t),
        reason: "BackendNotFound".into(),
        message: import.map_or_else(String::new, missing),
    }
}

/// Why an import found nothing, in the words of what it asked for.
fn missing(i: &ImportPlan) -> String {
    let dropped = "its share of the traffic goes to the rule's other backends (500 if none)";
    if let Some(arn) = &i.target_group_arn {
        return format!(
            "ServiceImport {}: target group {arn} does not exist, or is not shared with this account; {dropped}",
            i.service_import
        );
    }
    let mut what = format!("{}/{}", i.export_namespace, i.export_name);
    if let Some(c) = &i.cluster {
        what.push_str(&format!(" by cluster {c}"));
    }
    if let Some(v) = &i.vpc {
        what.push_str(&format!(" in VPC {v}"));
    }
    format!(
        "ServiceImport {}: no cluster exports a target group as {what} (a ServiceExport of that name and namespace); {dropped}",
        i.service_import
    )
}
