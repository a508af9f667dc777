//! What an apply report means for one route or one Gateway: the typed keys
//! of what failed say which routes it served, so nothing is parsed from text.

use super::ApplyOutcome;
use crate::plan::{ApplyProblem, ResourceKind};

/// The outcome for the route `namespace/name`: `planned` says the desired
/// state holds a service for it (if not, nothing was applied for it yet);
/// `problems` are everything the apply could not do.
pub fn route_outcome(route: &str, planned: bool, problems: &[ApplyProblem]) -> ApplyOutcome {
    if !planned {
        return ApplyOutcome::Pending;
    }
    let ours: Vec<&ApplyProblem> = problems
        .iter()
        .filter(|p| p.resource.routes.iter().any(|r| r == route))
        .collect();
    let message = || {
        let all: Vec<&str> = ours.iter().map(|p| p.message.as_str()).collect();
        all.join("; ")
    };
    let unresolved = |p: &&ApplyProblem| p.resource.kind == ResourceKind::ImportedTargetGroup;
    match ours.is_empty() {
        true => ApplyOutcome::Programmed,
        false if ours.iter().all(unresolved) => ApplyOutcome::Unresolved(message()),
        false => ApplyOutcome::Failed(message()),
    }
}

/// The outcome for Gateways: programmed when the whole apply succeeded.
/// `failures` counts the operations that failed.
pub fn gateway_outcome(failures: usize) -> ApplyOutcome {
    if failures == 0 {
        ApplyOutcome::Programmed
    } else {
        ApplyOutcome::Failed(format!("{failures} operation(s) failed; see route status"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{ResourceKind, ResourceRef};

    fn problem(kind: ResourceKind, name: &str, routes: &[&str], message: &str) -> ApplyProblem {
        ApplyProblem {
            resource: ResourceRef {
                kind,
                name: name.into(),
                routes: routes.iter().map(|r| r.to_string()).collect(),
            },
            message: message.into(),
        }
    }

    #[test]
    fn a_missing_import_alone_leaves_the_route_programmed_but_unresolved() {
        let missing = problem(
            ResourceKind::ImportedTargetGroup,
            "serviceimport/ns/inv",
            &["ns/a"],
            "BackendNotFound: no cluster exports ns/inv",
        );
        assert_eq!(
            route_outcome("ns/a", true, std::slice::from_ref(&missing)),
            ApplyOutcome::Unresolved("BackendNotFound: no cluster exports ns/inv".into())
        );
        let failed = problem(ResourceKind::Rule, "a-ns", &["ns/a"], "UpdateRule: boom");
        assert!(matches!(
            route_outcome("ns/a", true, &[missing, failed]),
            ApplyOutcome::Failed(m) if m.contains("boom") && m.contains("ns/inv")
        ));
    }

    #[test]
    fn a_route_without_a_planned_service_is_pending() {
        assert_eq!(route_outcome("ns/a", false, &[]), ApplyOutcome::Pending);
    }

    #[test]
    fn a_route_is_programmed_when_no_problem_names_it() {
        let other = problem(ResourceKind::Rule, "b-ns", &["ns/b"], "UpdateRule: boom");
        assert_eq!(
            route_outcome("ns/a", true, &[other]),
            ApplyOutcome::Programmed
        );
    }

    #[test]
    fn every_problem_of_a_route_is_joined_in_order() {
        let ps = [
            problem(
                ResourceKind::Rule,
                "a-ns",
                &["ns/a"],
                "CreateRule rule: Conflict x",
            ),
            problem(
                ResourceKind::TargetGroup,
                "tg",
                &["ns/b", "ns/a"],
                "CreateTargetGroup: y",
            ),
            problem(
                ResourceKind::ServiceNetwork,
                "net",
                &[],
                "CreateServiceNetwork: z",
            ),
        ];
        assert_eq!(
            route_outcome("ns/a", true, &ps),
            ApplyOutcome::Failed("CreateRule rule: Conflict x; CreateTargetGroup: y".into())
        );
    }

    #[test]
    fn a_shared_target_group_failure_fails_every_route_it_serves() {
        let ps = [problem(
            ResourceKind::Targets,
            "tg",
            &["ns/a", "ns/b"],
            "RegisterTargets: e",
        )];
        for r in ["ns/a", "ns/b"] {
            assert!(matches!(
                route_outcome(r, true, &ps),
                ApplyOutcome::Failed(_)
            ));
        }
    }

    #[test]
    fn gateways_are_programmed_only_after_a_clean_apply() {
        assert_eq!(gateway_outcome(0), ApplyOutcome::Programmed);
        assert_eq!(
            gateway_outcome(2),
            ApplyOutcome::Failed("2 operation(s) failed; see route status".into())
        );
    }
}
