//! User tags (a route's `application-networking.k8s.aws/tags` annotation)
//! against lattice-sim: created with the service, its listener, rules and
//! association and its target groups; a changed annotation is one
//! `TagResource` and one `UntagResource` per resource, nothing else; the
//! controllers' tags stay; and reading costs nothing where nothing differs.

use crate::common::*;
use lattice_core::plan::*;
use lattice_sim::RunningSim;
use lattice_sim::client as sim_client;
use std::collections::HashMap;

const MANAGED_BY: &str = "application-networking.k8s.aws/ManagedBy";

fn tags(pairs: &[(&str, &str)]) -> Tags {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// `routes(2)`, route 0 annotated with `want` (its groups too).
fn plan_with(want: &[(&str, &str)]) -> Plan {
    let mut plan = routes(2);
    plan.services[0].tags = tags(want);
    for tg in plan.target_groups.iter_mut() {
        if tg.routes == ["bench/route-0"] {
            tg.tags = tags(want);
        }
    }
    plan
}

/// Every tag of every resource of route `i`: its service, association,
/// listener, rules and target groups.
async fn held(sim: &RunningSim, i: usize) -> Vec<HashMap<String, String>> {
    let c = sim_client(&sim.url());
    let mut arns = Vec::new();
    let svcs = c.list_services().send().await.expect("services");
    let svc = svcs
        .items()
        .iter()
        .find(|s| s.name() == Some(&format!("route-{i}-bench")))
        .expect("the service");
    let svc_id = svc.id().unwrap_or_default();
    arns.push(svc.arn().unwrap_or_default().to_string());
    let assocs = c
        .list_service_network_service_associations()
        .service_identifier(svc_id)
        .send()
        .await
        .expect("associations");
    arns.extend(
        assocs
            .items()
            .iter()
            .filter_map(|a| a.arn())
            .map(str::to_string),
    );
    let listeners = c
        .list_listeners()
        .service_identifier(svc_id)
        .send()
        .await
        .expect("listeners");
    for l in listeners.items() {
        arns.extend(l.arn().map(str::to_string));
        let rules = c
            .list_rules()
            .service_identifier(svc_id)
            .listener_identifier(l.id().unwrap_or_default())
            .send()
            .await
            .expect("rules");
        let non_default = rules
            .items()
            .iter()
            .filter(|r| r.is_default() != Some(true));
        arns.extend(non_default.filter_map(|r| r.arn()).map(str::to_string));
    }
    let tgs = c.list_target_groups().send().await.expect("groups");
    let prefix = format!("k8s-svc-{i}-");
    let ours = tgs
        .items()
        .iter()
        .filter(|t| t.name().is_some_and(|n| n.starts_with(&prefix)));
    arns.extend(ours.filter_map(|t| t.arn()).map(str::to_string));
    let mut out = Vec::new();
    for arn in arns {
        let t = c.list_tags_for_resource().resource_arn(&arn).send().await;
        out.push(t.expect("tags").tags().cloned().unwrap_or_default());
    }
    // Service, association, listener, 3 rules, 2 groups.
    assert_eq!(out.len(), 8, "{out:?}");
    out
}

/// The user tags (not ManagedBy) of each, checking ManagedBy is there.
fn user(held: &[HashMap<String, String>]) -> Vec<Tags> {
    held.iter()
        .map(|t| {
            assert!(t.contains_key(MANAGED_BY), "{t:?}");
            t.iter()
                .filter(|(k, _)| !k.starts_with("application-networking.k8s.aws/"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .collect()
}

fn n(r: &lattice_apply::ApplyReport, op: &str) -> u64 {
    r.calls.get(op).copied().unwrap_or(0)
}

#[tokio::test]
async fn tags_are_created_with_the_route_then_changed_by_their_difference_only() {
    let sim = sim().await;
    let mut a = applier(&sim, fast());
    let first = plan_with(&[("Team", "books"), ("Env", "dev")]);
    apply_ok(&mut a, &first).await;
    for t in user(&held(&sim, 0).await) {
        assert_eq!(t, tags(&[("Team", "books"), ("Env", "dev")]));
    }
    for t in user(&held(&sim, 1).await) {
        assert!(t.is_empty(), "route 1 has no annotation: {t:?}");
    }
    assert_no_work(&sim, &first).await;

    // Env goes, Cost comes, Team stays: one untag and one tag each.
    let second = plan_with(&[("Team", "books"), ("Cost", "42")]);
    let r = apply_ok(&mut a, &second).await;
    let w = writes(&r);
    assert_eq!(w.get("TagResource"), Some(&8), "{w:?}");
    assert_eq!(w.get("UntagResource"), Some(&8), "{w:?}");
    assert_eq!(w.len(), 2, "nothing else is written: {w:?}");
    for t in user(&held(&sim, 0).await) {
        assert_eq!(t, tags(&[("Team", "books"), ("Cost", "42")]));
    }
    assert_no_work(&sim, &second).await;

    // The annotation removed: untagged, ManagedBy kept (checked by `user`).
    let r = apply_ok(&mut a, &routes(2)).await;
    assert_eq!(writes(&r).get("UntagResource"), Some(&8), "{r}");
    assert_eq!(writes(&r).len(), 1, "{r}");
    for t in user(&held(&sim, 0).await) {
        assert!(t.is_empty(), "{t:?}");
    }
}

#[tokio::test]
async fn a_restart_reads_a_services_parts_tags_only_where_the_service_differs() {
    let sim = sim().await;
    // Without any annotation: what a fresh applier reads.
    apply_ok(&mut applier(&sim, fast()), &routes(2)).await;
    let r = apply_ok(&mut applier(&sim, fast()), &routes(2)).await;
    let baseline = n(&r, "ListTagsForResource");

    // Annotated and converged: the same reads, no write.
    let plan = plan_with(&[("Team", "books")]);
    apply_ok(&mut applier(&sim, fast()), &plan).await;
    let r = apply_ok(&mut applier(&sim, fast()), &plan).await;
    assert_eq!(n(&r, "ListTagsForResource"), baseline, "{r}");
    assert_eq!(r.writes(), 0, "{r}");

    // Changed: the service's parts are read too (association, listener,
    // three rules), and then remembered.
    let changed = plan_with(&[("Team", "maps")]);
    let mut a = applier(&sim, fast());
    let r = apply_ok(&mut a, &changed).await;
    assert_eq!(n(&r, "ListTagsForResource"), baseline + 5, "{r}");
    assert_eq!(writes(&r).get("TagResource"), Some(&8), "{r}");
    let r = apply_ok(&mut a, &changed).await;
    assert_eq!(n(&r, "ListTagsForResource"), 0, "{r}");
    assert_eq!(r.writes(), 0, "{r}");
}
