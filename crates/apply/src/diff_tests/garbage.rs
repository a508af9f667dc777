//! Garbage collection: only our own, in reverse dependency order.

use super::*;

#[test]
fn garbage_is_only_our_own_and_goes_in_reverse_dependency_order() {
    let plan = mk_plan(2);
    let mut obs = converged(&plan);
    obs.services[1].owner = Owner::Untagged;
    let keep = mk_plan(0);
    let d = diff(
        &obs,
        &Plan {
            service_networks: keep.service_networks.clone(),
            ..Default::default()
        },
        &cfg(),
        &opts(),
    );
    deps_point_backwards(&d.ops);
    assert_eq!(
        ops_named(&d.ops, "DeleteService").len(),
        1,
        "the untagged service stays"
    );
    let del_svc = index_of(&d.ops, |k| matches!(k, OpKind::DeleteService { .. }));
    let del_assoc = index_of(&d.ops, |k| {
        matches!(k, OpKind::DeleteServiceAssociation { .. })
    });
    assert!(d.ops[del_svc].deps.contains(&del_assoc));
    for tg in ops_named(&d.ops, "DeleteTargetGroup") {
        assert!(tg.deps.contains(&del_svc));
    }
    assert_eq!(ops_named(&d.ops, "DeleteTargetGroup").len(), 4);
    assert!(
        ops_named(&d.ops, "DeleteServiceNetwork").is_empty(),
        "the plan still has it"
    );
}

#[test]
fn without_pruning_nothing_is_deleted() {
    let plan = mk_plan(2);
    let d = diff(
        &converged(&plan),
        &mk_plan(1),
        &cfg(),
        &DiffOptions::default(),
    );
    assert!(d.ops.iter().all(|o| !o.kind.is_delete()), "{:?}", d.ops);
}

#[test]
fn our_service_network_stays_while_other_services_use_it() {
    let plan = mk_plan(1);
    let mut obs = converged(&plan);
    obs.service_networks[0].service_association_count = 2;
    let d = diff(&obs, &Plan::default(), &cfg(), &opts());
    assert!(ops_named(&d.ops, "DeleteServiceNetwork").is_empty());
    assert_eq!(ops_named(&d.ops, "DeleteService").len(), 1);
    assert!(d.diagnostics.iter().any(|x| x.reason == "InUse"));
}
