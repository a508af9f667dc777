//! Typed outcomes: every operation, failure and diagnostic names the plan
//! item it is about and the routes that want it, with no text to parse.

use super::*;
use crate::caller::CallError;
use crate::executor::Outcome;
use crate::report::ApplyReport;

const SERVICE: &str = "route-0-bench";
const ROUTE: &str = "bench/route-0";

fn rejected() -> Outcome {
    Outcome::Failed(CallError {
        operation: "any".into(),
        code: "ValidationException".into(),
        message: "no".into(),
    })
}

/// The report of a pass in which Lattice rejected every operation of `d`.
fn all_rejected(ops: &[Op]) -> ApplyReport {
    let mut r = ApplyReport::default();
    r.record(ops, &vec![rejected(); ops.len()]);
    r
}

fn of(kind: ResourceKind, name: &str, routes: &[&str]) -> ResourceRef {
    ResourceRef {
        kind,
        name: name.into(),
        routes: routes.iter().map(|r| r.to_string()).collect(),
    }
}

#[test]
fn a_failed_service_listener_rule_or_association_names_its_service_and_route() {
    let d = diff(&Observed::default(), &mk_plan(1), &cfg(), &opts());
    let r = all_rejected(&d.ops);
    for (operation, kind) in [
        ("CreateService", ResourceKind::Service),
        ("CreateListener", ResourceKind::Listener),
        ("CreateRule", ResourceKind::Rule),
        (
            "CreateServiceNetworkServiceAssociation",
            ResourceKind::ServiceNetworkServiceAssociation,
        ),
    ] {
        let f = r.failures.iter().find(|f| f.operation == operation);
        let f = f.unwrap_or_else(|| panic!("no {operation} in {r}"));
        assert_eq!(f.resource, of(kind, SERVICE, &[ROUTE]), "{operation}");
    }
}

#[test]
fn a_failed_target_group_names_every_route_that_forwards_to_it() {
    let mut plan = mk_plan(2);
    let shared = ["bench/route-0", "bench/route-1"];
    plan.target_groups[0].routes = shared.iter().map(|r| r.to_string()).collect();
    let tg = plan.target_groups[0].name.clone();
    let d = diff(&Observed::default(), &plan, &cfg(), &opts());
    let r = all_rejected(&d.ops);
    let of_tg: Vec<&ResourceRef> = r
        .failures
        .iter()
        .filter(|f| f.object == format!("target group {tg}"))
        .map(|f| &f.resource)
        .collect();
    assert_eq!(
        of_tg,
        vec![
            &of(ResourceKind::TargetGroup, &tg, &shared),
            &of(ResourceKind::Targets, &tg, &shared)
        ]
    );
}

#[test]
fn a_service_owned_by_someone_else_is_a_conflict_that_carries_its_route() {
    let plan = mk_plan(1);
    let mut obs = converged(&plan);
    obs.services[0].owner = Owner::Other("1/other/vpc-1".into());
    let d = diff(&obs, &plan, &cfg(), &opts());
    let r = ApplyReport {
        diagnostics: d.diagnostics,
        ..Default::default()
    };
    let problems = r.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(
        problems[0].resource,
        of(ResourceKind::Service, SERVICE, &[ROUTE])
    );
    let d = &r.diagnostics[0];
    assert_eq!(problems[0].message, format!("Conflicted: {}", d.message));
    assert!(
        d.message.starts_with(&format!("service {SERVICE} ")),
        "{d:?}"
    );
}

#[test]
fn service_networks_and_what_no_plan_wants_carry_no_route() {
    let d = diff(&Observed::default(), &mk_plan(1), &cfg(), &opts());
    let resource = |op: &str| &ops_named(&d.ops, op)[0].resource;
    assert_eq!(
        resource("CreateServiceNetwork"),
        &of(ResourceKind::ServiceNetwork, "bench", &[])
    );
    assert_eq!(
        resource("CreateServiceNetworkVpcAssociation"),
        &of(ResourceKind::ServiceNetworkVpcAssociation, "bench", &[])
    );

    let d = diff(&converged(&mk_plan(2)), &mk_plan(1), &cfg(), &opts());
    let resource = |op: &str| &ops_named(&d.ops, op)[0].resource;
    assert_eq!(
        resource("DeleteService"),
        &of(ResourceKind::Service, "route-1-bench", &[])
    );
    assert_eq!(
        resource("DeleteServiceNetworkServiceAssociation"),
        &of(
            ResourceKind::ServiceNetworkServiceAssociation,
            "route-1-bench",
            &[]
        )
    );
    for op in ops_named(&d.ops, "DeleteTargetGroup") {
        assert!(op.resource.routes.is_empty(), "{op:?}");
        assert_eq!(op.resource.kind, ResourceKind::TargetGroup);
    }
}

#[test]
fn problems_read_as_the_operation_the_object_and_lattices_error() {
    let d = diff(&Observed::default(), &mk_plan(1), &cfg(), &opts());
    let rule = ops_named(&d.ops, "CreateRule")[0].clone();
    let r = all_rejected(std::slice::from_ref(&rule));
    assert_eq!(
        r.problems(),
        vec![ApplyProblem {
            resource: of(ResourceKind::Rule, SERVICE, &[ROUTE]),
            message: format!("CreateRule {}: ValidationException no", rule.object),
        }]
    );
}

#[test]
fn an_observation_failure_is_about_the_observed_state() {
    let e = CallError {
        operation: "ListServices".into(),
        code: "AccessDeniedException".into(),
        message: "denied".into(),
    };
    let r = ApplyReport::observe_failed(e, Default::default());
    assert_eq!(
        r.problems(),
        vec![ApplyProblem {
            resource: of(ResourceKind::ObservedState, "", &[]),
            message: "ListServices observed state: AccessDeniedException denied".into(),
        }]
    );
}

#[test]
fn the_report_still_reads_the_same() {
    let d = diff(&Observed::default(), &mk_plan(1), &cfg(), &opts());
    let rule = ops_named(&d.ops, "CreateRule")[0].clone();
    let mut r = all_rejected(std::slice::from_ref(&rule));
    r.diagnostics.push(crate::diff::Diagnostic {
        object: "service s".into(),
        resource: of(ResourceKind::Service, "s", &["ns/r"]),
        reason: "Conflicted".into(),
        message: "service s is someone else's".into(),
    });
    assert_eq!(
        r.to_string(),
        format!(
            "Conflicted service s: service s is someone else's\n\
             FAILED   {} (CreateRule): ValidationException: no\n\
             0 changes, 1 failures, 0 calls",
            rule.object
        )
    );
}
