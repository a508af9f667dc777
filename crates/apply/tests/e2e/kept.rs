//! Regression tests for issue 10, "a plugin failure never destroys anything":
//! a route in `Plan::kept` keeps its service, listeners, rules, associations
//! and target groups exactly as Lattice has them, in whole and scoped passes.

use crate::common::fixtures::{group, keep};
use crate::common::*;
use lattice_apply::{ApplyReport, Scope};
use lattice_core::plan::*;
use lattice_sim::RunningSim;
use serde_json::Value;
use std::collections::BTreeMap;

fn values<'a>(dump: &'a Value, kind: &str) -> impl Iterator<Item = &'a Value> {
    dump[kind].as_object().into_iter().flat_map(|m| m.values())
}

/// Everything the emulator stores for route `i`: its service, listeners,
/// rules (the default ones included), service associations and groups.
fn held_by(sim: &RunningSim, i: usize) -> Vec<Value> {
    let dump = sim.state_dump();
    let name = format!("route-{i}-bench");
    let groups = [group(i, 'a'), group(i, 'b')];
    let service: Vec<&Value> = values(&dump, "services")
        .filter(|s| s["name"] == name.as_str())
        .collect();
    let id = service.first().map(|s| s["id"].clone()).unwrap_or_default();
    let listeners: Vec<&Value> = values(&dump, "listeners")
        .filter(|l| l["serviceId"] == id)
        .collect();
    let rules =
        values(&dump, "rules").filter(|r| listeners.iter().any(|l| l["id"] == r["listenerId"]));
    let assocs = values(&dump, "serviceAssociations").filter(|a| a["serviceId"] == id);
    let tgs =
        values(&dump, "targetGroups").filter(|t| groups.iter().any(|g| t["name"] == g.as_str()));
    service
        .iter()
        .chain(&listeners)
        .copied()
        .chain(rules)
        .chain(assocs)
        .chain(tgs)
        .cloned()
        .collect()
}

/// Every call the emulator served since the last reset that was not a read.
fn sim_writes(sim: &RunningSim) -> BTreeMap<String, u64> {
    sim.call_counts()
        .into_iter()
        .filter(|(op, _)| !op.starts_with("List") && !op.starts_with("Get"))
        .collect()
}

/// Nothing failed, and no problem is about the kept route or its names.
fn nothing_failed_for_kept(r: &ApplyReport, plan: &Plan) {
    assert!(r.is_success(), "{r}");
    for k in &plan.kept {
        for p in r.problems() {
            assert!(
                !p.resource.routes.contains(&k.route)
                    && p.resource.name != k.service
                    && !k.target_groups.contains(&p.resource.name),
                "{p:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_kept_route_keeps_its_service_listeners_rules_and_groups_in_lattice() {
    let sim = sim().await;
    let mut a = applier(&sim, fast());
    let mut plan = routes(3);
    apply_ok(&mut a, &plan).await;
    let before = held_by(&sim, 1);
    // 1 service, 1 listener, 3 rules + the default, 1 association, 2 groups.
    assert_eq!(before.len(), 9, "{before:#?}");

    keep(&mut plan, 1);
    sim.reset_call_counts();
    let r = a.apply(&plan).await;
    nothing_failed_for_kept(&r, &plan);
    assert_eq!(sim_writes(&sim), BTreeMap::new(), "{r}");
    assert_eq!(held_by(&sim, 1), before);

    // Every route kept: still not one delete (nor any other write).
    let everything = (0..3).map(|i| held_by(&sim, i)).collect::<Vec<_>>();
    keep(&mut plan, 0);
    keep(&mut plan, 2);
    assert!(plan.services.is_empty() && plan.target_groups.is_empty());
    sim.reset_call_counts();
    let r = a.apply(&plan).await;
    nothing_failed_for_kept(&r, &plan);
    assert_eq!(sim.call_counts().get("DeleteService"), None, "{r}");
    assert_eq!(sim_writes(&sim), BTreeMap::new(), "{r}");
    assert_eq!(
        (0..3).map(|i| held_by(&sim, i)).collect::<Vec<_>>(),
        everything
    );
}

#[tokio::test]
async fn a_scoped_pass_with_a_kept_route_in_scope_leaves_it_alone() {
    let sim = sim().await;
    let mut a = applier(&sim, fast());
    let mut plan = routes(3);
    apply_ok(&mut a, &plan).await;
    let before = held_by(&sim, 1);

    // Route 0 changes its weights in the same pass, and converges.
    if let Action::Forward(ws) = &mut plan.services[0].listeners[0].rules[2].action {
        ws[0].weight = 50;
        ws[1].weight = 50;
    }
    keep(&mut plan, 1);
    let scope = Scope {
        services: ["route-0-bench", "route-1-bench"].map(String::from).into(),
        target_groups: [group(1, 'a'), group(1, 'b')].into(),
    };
    sim.reset_call_counts();
    let r = a.apply_scoped(&plan, &scope).await;
    nothing_failed_for_kept(&r, &plan);
    assert_eq!(
        sim_writes(&sim),
        [("UpdateRule".to_string(), 1)].into(),
        "{r}"
    );
    assert_eq!(held_by(&sim, 1), before);
}
