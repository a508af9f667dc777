//! The status of ServiceExports: `Valid` (the Service and the exported
//! ports exist; what the tags annotation leaves out is said here too) and
//! `Ready` (VPC Lattice holds the export's target groups). The Go
//! controller's CRD has no status subresource, and its conditions only
//! `type`, `status`, `reason`, `message` and `lastTransitionTime`: the
//! status is written with the object, in exactly those fields.

use std::collections::BTreeSet;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use serde_json::{Value, json};

use super::gateway::{StatusPatch, StatusTarget};
use super::{cond, conditions_at, keep_times, without_times};
use crate::model::service_export::object;
use crate::plan::{Plan, PlanDiagnostic};
use crate::snapshot::{Key, Snapshot};

/// What the last apply did with an export's target groups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExportState {
    /// VPC Lattice holds them all.
    Ready,
    /// Something failed; the message says what.
    Failed(String),
    /// Not applied yet.
    Pending,
}

/// The status patches of the exports among `keys` whose status changed:
/// `plan` holds their diagnostics, `state` what the apply did (`None`: no
/// applier, so only `Valid` is judged).
pub fn service_export_statuses(
    snapshot: &Snapshot,
    keys: &BTreeSet<Key>,
    plan: &Plan,
    state: &dyn Fn(&Key) -> Option<ExportState>,
    now: &Time,
) -> Vec<StatusPatch> {
    let mut out = Vec::new();
    for key in keys {
        let Some(export) = snapshot.service_exports.get(key) else {
            continue;
        };
        let name = object(key);
        let diagnostics: Vec<&PlanDiagnostic> = plan
            .diagnostics
            .iter()
            .filter(|d| d.object == name)
            .collect();
        let old = export
            .status
            .as_ref()
            .and_then(|s| serde_json::to_value(s).ok())
            .unwrap_or(Value::Null);
        let mut conditions = vec![valid(&diagnostics)];
        conditions.extend(state(key).map(|s| ready(&s, &diagnostics)));
        // No observedGeneration: the Go CRD's conditions have none.
        keep_times(
            &mut conditions,
            &conditions_at(&old, "/conditions"),
            None,
            now,
        );
        let status = json!({ "conditions": conditions });
        if without_times(&old) != without_times(&status) {
            out.push(StatusPatch {
                target: StatusTarget::ServiceExport(key.clone()),
                status,
            });
        }
    }
    out
}

fn valid(diagnostics: &[&PlanDiagnostic]) -> Condition {
    let summary = |condition: &str| -> Vec<String> {
        diagnostics
            .iter()
            .filter(|d| d.condition == condition)
            .map(|d| format!("{}: {}", d.field, d.message))
            .collect()
    };
    let invalid = summary("Valid");
    if let Some(d) = diagnostics.iter().find(|d| d.condition == "Valid") {
        return cond("Valid", false, &d.reason, invalid.join("; "));
    }
    let mut message = "the Service and its exported ports exist".to_string();
    for partial in summary("PartiallyInvalid") {
        message = format!("{message}; {partial}");
    }
    cond("Valid", true, "Valid", message)
}

fn ready(state: &ExportState, diagnostics: &[&PlanDiagnostic]) -> Condition {
    if diagnostics.iter().any(|d| d.condition == "Valid") {
        let message = "nothing is exported until the export is valid".to_string();
        return cond("Ready", false, "Invalid", message);
    }
    match state {
        ExportState::Ready => cond(
            "Ready",
            true,
            "Ready",
            "VPC Lattice holds the export's target groups; any cluster's ServiceImport of this name and namespace finds them".into(),
        ),
        ExportState::Failed(m) => cond("Ready", false, "Failed", m.clone()),
        ExportState::Pending => cond(
            "Ready",
            false,
            "Pending",
            "not yet applied to VPC Lattice".into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> Snapshot {
        let mut s = Snapshot::default();
        s.add_manifest(
            json!({"apiVersion":"application-networking.k8s.aws/v1alpha1","kind":"ServiceExport",
            "metadata":{"name":"inv","namespace":"store"}}),
        )
        .unwrap();
        s
    }

    fn now() -> Time {
        Time("2026-01-01T00:00:00Z".parse().unwrap())
    }

    fn keys() -> BTreeSet<Key> {
        [("store".to_string(), "inv".to_string())].into()
    }

    fn types(p: &StatusPatch) -> Vec<(String, String, String)> {
        let cs = p.status["conditions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        cs.iter()
            .map(|c| {
                let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
                (s("type"), s("status"), s("reason"))
            })
            .collect()
    }

    #[test]
    fn a_valid_applied_export_is_valid_and_ready() {
        let p = service_export_statuses(
            &snapshot(),
            &keys(),
            &Plan::default(),
            &|_| Some(ExportState::Ready),
            &now(),
        );
        let [patch] = &p[..] else { panic!("{p:?}") };
        assert_eq!(
            types(patch),
            vec![
                ("Valid".into(), "True".into(), "Valid".into()),
                ("Ready".into(), "True".into(), "Ready".into())
            ]
        );
        assert!(
            patch.status["conditions"][0]
                .get("observedGeneration")
                .is_none()
        );
        // Written once: the same status read back asks for no other write.
        let mut s = snapshot();
        let export = s.service_exports.values_mut().next().unwrap();
        export.status = Some(serde_json::from_value(patch.status.clone()).unwrap());
        let later = Time("2026-01-02T00:00:00Z".parse().unwrap());
        let ready = |_: &Key| Some(ExportState::Ready);
        let again = service_export_statuses(&s, &keys(), &Plan::default(), &ready, &later);
        assert!(again.is_empty(), "{again:?}");
    }

    #[test]
    fn an_export_without_its_service_is_invalid_and_not_ready() {
        let plan = Plan {
            diagnostics: vec![PlanDiagnostic {
                object: "ServiceExport store/inv".into(),
                condition: "Valid".into(),
                reason: "ServiceNotFound".into(),
                message: "Service store/inv does not exist".into(),
                field: "metadata.name".into(),
                plugin: None,
            }],
            ..Plan::default()
        };
        let p = service_export_statuses(
            &snapshot(),
            &keys(),
            &plan,
            &|_| Some(ExportState::Ready),
            &now(),
        );
        assert_eq!(
            types(&p[0]),
            vec![
                ("Valid".into(), "False".into(), "ServiceNotFound".into()),
                ("Ready".into(), "False".into(), "Invalid".into())
            ]
        );
    }
}
