//! Arbitrary manifests through the snapshot, the model and the plan, with
//! the built-in plugins (linked natively).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use lattice_core::plan::{Group, PlanInput, plan_groups};
use lattice_core::{Plan, build_plan};
use lattice_fuzz::lattice::{PLUGIN_REASONS, accepts, every_diagnostic_names_a_field};
use lattice_fuzz::manifests::{json_object, mutated_objects, objects};
use lattice_fuzz::stages::Native;
use lattice_fuzz::{judge, lattice};
use lattice_plugin_sdk::types::{Resolution, RuleAction};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value;

use super::{check, config, run, snapshot};

fn plan_of(objects: &[Value]) -> Plan {
    build_plan(&snapshot(objects).0, &config(), &Native)
}

#[test]
fn any_json_is_loaded_or_refused_and_whatever_loads_plans_within_lattices_limits() {
    let docs = prop::collection::vec(json_object(), 0..8);
    run(docs, |docs| {
        let plan = plan_of(&docs);
        check("plan", accepts(&plan))
    });
}

#[test]
fn a_manifest_wrong_in_one_place_is_refused_or_plans_within_lattices_limits() {
    run(mutated_objects(), |objects| {
        let plan = plan_of(&objects);
        check("plan", accepts(&plan))
    });
}

/// The kind, namespace and name of an object: what a later object of the
/// same identity replaces.
fn identity(o: &Value) -> (String, String, String) {
    let s = |p: &str| {
        o.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    (s("/kind"), s("/metadata/namespace"), s("/metadata/name"))
}

/// Each object once by identity, the first of each kept.
fn distinct(objects: Vec<Value>) -> Vec<Value> {
    let mut seen = BTreeSet::new();
    objects
        .into_iter()
        .filter(|o| seen.insert(identity(o)))
        .collect()
}

#[test]
fn plausible_manifests_plan_within_lattices_limits_with_every_problem_at_its_field() {
    static DEEP: AtomicUsize = AtomicUsize::new(0);
    run(objects(), |objects| {
        let (snap, errors) = snapshot(&objects);
        prop_assert!(
            errors.is_empty(),
            "the generator made objects that do not decode: {errors:?}"
        );
        let plan = build_plan(&snap, &config(), &Native);
        check("plan", accepts(&plan))?;
        check("fields", every_diagnostic_names_a_field(&plan))?;
        // The built-in plugins answer what the host accepts, whatever the route.
        let plugin_problems: Vec<_> = plan
            .diagnostics
            .iter()
            .filter(|d| PLUGIN_REASONS.contains(&d.reason.as_str()))
            .collect();
        prop_assert!(plugin_problems.is_empty(), "{plugin_problems:#?}");
        prop_assert!(plan.kept.is_empty(), "{:#?}", plan.kept);
        if plan.target_groups.iter().any(|tg| !tg.targets.is_empty()) {
            DEEP.fetch_add(1, Ordering::Relaxed);
        }
        each_problem_reported_at_its_field(&PlanInput::from_snapshot(&snap, &config()), &plan)
    });
    let deep = DEEP.load(Ordering::Relaxed);
    eprintln!("{deep} cases planned a target group with targets");
    assert!(
        deep > 0,
        "no case planned a target group with targets: the fuzzing went no deeper than the model"
    );
}

/// Every match Lattice cannot express is reported at
/// `spec.rules[i].matches[j]`, and every backendRef that does not resolve,
/// in a rule that forwards, at `spec.rules[i].backendRefs[j]` (unless the
/// route has more problems than a plugin answer may list).
fn each_problem_reported_at_its_field(input: &PlanInput, plan: &Plan) -> Result<(), TestCaseError> {
    for r in &input.routes {
        let object = format!("{} {}", r.kind.kind_name(), r.id);
        // Past the host's cap, the rest are counted rather than listed.
        let capped = plan
            .diagnostics
            .iter()
            .any(|d| d.object == object && d.message.ends_with("more problems not listed"));
        let reported = |field: &str| {
            capped
                || plan
                    .diagnostics
                    .iter()
                    .any(|d| d.object == object && d.field.starts_with(field))
        };
        for (ri, rule) in r.route.rules.iter().enumerate() {
            for (mi, m) in rule.matches.iter().enumerate() {
                let field = format!("spec.rules[{ri}].matches[{mi}]");
                if let Err(why) = judge::route_match(m) {
                    prop_assert!(
                        reported(&field),
                        "{object}: {field} ({why}) is not reported"
                    );
                }
            }
        }
        let mapped = lattice_plugin_sdk::map_routes::<route_mapper::RouteMapper>(
            "",
            std::slice::from_ref(&r.route),
        );
        let m = &mapped[0];
        let forwarded: BTreeSet<u32> = m
            .rules
            .iter()
            .filter(|mr| mr.action == RuleAction::Forward)
            .map(|mr| mr.rule_index)
            .chain(m.default_rule)
            .collect();
        for ri in forwarded {
            for b in &r.rules[ri as usize].backends {
                if b.resolution != Resolution::Resolved {
                    prop_assert!(
                        reported(&b.field),
                        "{object}: {} ({:?}) is not reported",
                        b.field,
                        b.resolution
                    );
                }
            }
        }
    }
    Ok(())
}

#[test]
fn the_same_manifests_in_any_order_give_the_same_plan() {
    let input = (objects(), any::<u64>());
    run(input, |(objects, seed)| {
        let objects = distinct(objects);
        let plan = plan_of(&objects);
        prop_assert_eq!(&plan, &plan_of(&objects), "planning twice");
        let mut shuffled = objects.clone();
        shuffle(&mut shuffled, seed);
        prop_assert_eq!(&plan, &plan_of(&shuffled), "shuffled");
        Ok(())
    });
}

/// A Fisher-Yates shuffle driven by a seed (no rand dependency needed).
fn shuffle<T>(v: &mut [T], mut seed: u64) {
    for i in (1..v.len()).rev() {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        v.swap(i, (seed >> 33) as usize % (i + 1));
    }
}

#[test]
fn planning_in_groups_gives_the_same_plan_however_the_routes_are_grouped() {
    let input = (
        objects(),
        prop::collection::vec(any::<Index>(), 64),
        1..4usize,
    );
    run(input, |(objects, picks, groups)| {
        let (snap, _) = snapshot(&objects);
        let input = PlanInput::from_snapshot(&snap, &config());
        let whole = plan_groups(&[Group {
            stages: &Native,
            routes: &input.routes,
            service_networks: &input.service_networks,
        }]);
        // Routes and service networks dealt out to `groups` groups, each
        // keeping their order.
        let mut routes = vec![Vec::new(); groups];
        let mut sns = vec![Vec::new(); groups];
        let mut pick = picks.iter().cycle().map(|p| p.index(groups));
        for r in &input.routes {
            routes[pick.next().unwrap_or(0)].push(r.clone());
        }
        for sn in &input.service_networks {
            sns[pick.next().unwrap_or(0)].push(sn.clone());
        }
        let parts: Vec<Group<'_>> = routes
            .iter()
            .zip(&sns)
            .map(|(routes, sns)| Group {
                stages: &Native,
                routes,
                service_networks: sns,
            })
            .collect();
        prop_assert_eq!(whole, plan_groups(&parts));
        Ok(())
    });
}

#[test]
fn lattice_oracle_refuses_what_lattice_refuses() {
    // The oracle itself: a name Lattice refuses is refused.
    for bad in ["", "ab", "Upper", "a--b", "-a", "a-", "svc-x"] {
        assert!(lattice::name(bad, 3, 40, Some("svc-")).is_err(), "{bad}");
    }
    assert!(lattice::name("books-app", 3, 40, Some("svc-")).is_ok());
    assert!(lattice::path("/a b").is_err());
    assert!(lattice::path("/api/v1?x=1").is_ok());
    assert!(!lattice::condition_reason("not a reason!"));
    assert!(lattice::condition_reason("UnsupportedValue"));
}
