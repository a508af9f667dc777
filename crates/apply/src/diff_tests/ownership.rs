//! Ownership: what is left alone, adopted or taken over.

use super::*;

#[test]
fn an_untagged_service_is_left_alone_without_adoption() {
    let plan = mk_plan(1);
    let mut obs = converged(&plan);
    obs.services[0].owner = Owner::Untagged;
    obs.services[0].auth_type = Some("AWS_IAM".into());
    let d = diff(&obs, &plan, &cfg(), &opts());
    assert_eq!(d.ops, vec![]);
    assert_eq!(d.diagnostics.len(), 1);
    assert_eq!(d.diagnostics[0].reason, "Conflicted");
}

#[test]
fn an_untagged_service_is_tagged_before_it_is_changed_when_adoption_is_allowed() {
    let plan = mk_plan(1);
    let mut obs = converged(&plan);
    obs.services[0].owner = Owner::Untagged;
    obs.services[0].auth_type = Some("AWS_IAM".into());
    let d = diff(
        &obs,
        &plan,
        &cfg(),
        &DiffOptions {
            allow_adoption: true,
            ..opts()
        },
    );
    assert_eq!(
        d.ops.iter().map(|o| o.kind.operation()).collect::<Vec<_>>(),
        vec!["TagResource", "UpdateService"]
    );
    assert_eq!(d.ops[1].deps, vec![0]);
}

#[test]
fn another_clusters_service_is_taken_over_only_when_the_route_allows_it() {
    let plan = mk_plan(1);
    let mut obs = converged(&plan);
    obs.services[0].owner = Owner::Other("1/other/vpc-1".into());
    let d = diff(&obs, &plan, &cfg(), &opts());
    assert_eq!((d.ops.len(), d.diagnostics.len()), (0, 1));
    let mut plan = plan;
    plan.services[0].allow_takeover_from = Some("1/other/vpc-1".into());
    let d = diff(&obs, &plan, &cfg(), &opts());
    assert_eq!(
        d.ops.iter().map(|o| o.kind.operation()).collect::<Vec<_>>(),
        vec!["TagResource"]
    );
    assert!(d.diagnostics.is_empty());
}

#[test]
fn a_conflicted_target_group_blocks_the_rules_that_use_it() {
    let plan = mk_plan(1);
    let mut obs = converged(&plan);
    obs.target_groups[0].owner = Owner::Other("someone".into());
    obs.services[0].listeners[0].rules.clear();
    let d = diff(&obs, &plan, &cfg(), &opts());
    // Rules 1 and 3 use the first group; rule 2 only the second.
    assert_eq!(ops_named(&d.ops, "CreateRule").len(), 1);
    assert_eq!(
        d.diagnostics
            .iter()
            .filter(|x| x.reason == "Conflicted")
            .count(),
        3
    );
}
