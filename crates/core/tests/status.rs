//! Route status from plan diagnostics and apply outcomes.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use lattice_core::plan::PlanDiagnostic;
use lattice_core::status::{
    ApplyOutcome, programmed_condition, route_parent_conditions, same_conditions,
};

fn d(condition: &str, reason: &str, field: &str) -> PlanDiagnostic {
    PlanDiagnostic {
        object: "HTTPRoute app/r".into(),
        condition: condition.into(),
        reason: reason.into(),
        message: format!("{reason} here"),
        field: field.into(),
        plugin: None,
    }
}

fn t(s: &str) -> Time {
    Time(s.parse().unwrap())
}

fn get<'a>(cs: &'a [Condition], ty: &str) -> &'a Condition {
    cs.iter()
        .find(|c| c.type_ == ty)
        .unwrap_or_else(|| panic!("no {ty} in {cs:?}"))
}

#[test]
fn a_clean_programmed_route_is_accepted_resolved_and_programmed() {
    let cs = route_parent_conditions(
        &[],
        0,
        Some(3),
        &ApplyOutcome::Programmed,
        &[],
        &t("2026-01-01T00:00:00Z"),
    );
    assert_eq!(get(&cs, "Accepted").status, "True");
    assert_eq!(get(&cs, "ResolvedRefs").status, "True");
    assert_eq!(get(&cs, &programmed_condition()).status, "True");
    assert!(cs.iter().all(|c| c.observed_generation == Some(3)));
    assert!(cs.iter().all(|c| c.type_ != "PartiallyInvalid"));
}

#[test]
fn diagnostics_become_the_gateway_api_conditions_with_their_reasons() {
    let ds = [
        d(
            "ResolvedRefs",
            "BackendNotFound",
            "spec.rules[0].backendRefs[1]",
        ),
        d(
            "PartiallyInvalid",
            "UnsupportedValue",
            "spec.rules[1].matches[0].path.type",
        ),
    ];
    let refs: Vec<&PlanDiagnostic> = ds.iter().collect();
    let cs = route_parent_conditions(
        &refs,
        0,
        Some(1),
        &ApplyOutcome::Programmed,
        &[],
        &t("2026-01-01T00:00:00Z"),
    );
    assert_eq!(get(&cs, "Accepted").status, "True");
    let r = get(&cs, "ResolvedRefs");
    assert_eq!(
        (r.status.as_str(), r.reason.as_str()),
        ("False", "BackendNotFound")
    );
    assert!(r.message.contains("spec.rules[0].backendRefs[1]"));
    assert_eq!(get(&cs, "PartiallyInvalid").status, "True");
}

#[test]
fn a_parent_specific_refusal_touches_only_that_parent() {
    let ds = [d("Accepted", "NotAllowedByListeners", "spec.parentRefs[1]")];
    let refs: Vec<&PlanDiagnostic> = ds.iter().collect();
    let now = t("2026-01-01T00:00:00Z");
    let p0 = route_parent_conditions(&refs, 0, None, &ApplyOutcome::Pending, &[], &now);
    let p1 = route_parent_conditions(&refs, 1, None, &ApplyOutcome::Pending, &[], &now);
    assert_eq!(get(&p0, "Accepted").status, "True");
    assert_eq!(
        (
            get(&p1, "Accepted").status.as_str(),
            get(&p1, "Accepted").reason.as_str()
        ),
        ("False", "NotAllowedByListeners")
    );
}

#[test]
fn an_apply_failure_carries_the_lattice_error() {
    let cs = route_parent_conditions(
        &[],
        0,
        None,
        &ApplyOutcome::Failed("CreateRule: ConflictException: priority 3 in use".into()),
        &[],
        &t("2026-01-01T00:00:00Z"),
    );
    let p = get(&cs, &programmed_condition());
    assert_eq!(
        (p.status.as_str(), p.reason.as_str()),
        ("False", "ApplyFailed")
    );
    assert!(p.message.contains("ConflictException"));
}

#[test]
fn transition_times_move_only_when_status_changes() {
    let first = route_parent_conditions(
        &[],
        0,
        Some(1),
        &ApplyOutcome::Pending,
        &[],
        &t("2026-01-01T00:00:00Z"),
    );
    let again = route_parent_conditions(
        &[],
        0,
        Some(1),
        &ApplyOutcome::Pending,
        &first,
        &t("2026-01-02T00:00:00Z"),
    );
    assert_eq!(first, again);
    assert!(same_conditions(&first, &again));
    let done = route_parent_conditions(
        &[],
        0,
        Some(1),
        &ApplyOutcome::Programmed,
        &again,
        &t("2026-01-03T00:00:00Z"),
    );
    assert_eq!(
        get(&done, "Accepted").last_transition_time,
        t("2026-01-01T00:00:00Z")
    );
    assert_eq!(
        get(&done, &programmed_condition()).last_transition_time,
        t("2026-01-03T00:00:00Z")
    );
    assert!(!same_conditions(&again, &done));
}
