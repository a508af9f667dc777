//! Arbitrary plugin answers through the host's checks: what the host must
//! refuse is refused, with a diagnostic on the route or target it was
//! about, and never reaches the plan; what it accepts reaches the plan as
//! the plugin gave it.

use std::sync::atomic::{AtomicUsize, Ordering};

use lattice_core::plan::{FailurePolicy, PlanInput, plan_intents};
use lattice_fuzz::answers::{Script, script};
use lattice_fuzz::expect::{accepted_answers_in_plan, answers_reported};
use lattice_fuzz::lattice::accepts;
use lattice_fuzz::manifests::plain_routes_in_world;
use lattice_fuzz::stages::{Native, Recorder, Scripted};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::Value;

use super::{check, config, run, snapshot};

/// Manifests, and a script of answers for the routes and Gateways they plan.
fn scenario() -> impl Strategy<Value = (Vec<Value>, Script, FailurePolicy)> {
    let policy = select(vec![
        FailurePolicy::KeepLastGood,
        FailurePolicy::FailClosed,
        FailurePolicy::UseDefault,
    ]);
    plain_routes_in_world().prop_flat_map(move |objects| {
        let (snap, _) = snapshot(&objects);
        let input = PlanInput::from_snapshot(&snap, &config());
        (
            Just(objects),
            script(&input.routes, &input.service_networks),
            policy.clone(),
        )
    })
}

#[test]
fn every_answer_the_host_must_refuse_is_refused_on_its_object_and_the_rest_reach_the_plan() {
    static ACCEPTED: AtomicUsize = AtomicUsize::new(0);
    static REFUSED: AtomicUsize = AtomicUsize::new(0);
    run(scenario(), |(objects, script, policy)| {
        let (snap, _) = snapshot(&objects);
        let input = PlanInput::from_snapshot(&snap, &config());
        let stages = Scripted {
            script: script.clone(),
            policy,
            fallback: (policy == FailurePolicy::UseDefault).then_some(Native),
        };
        let recorder = Recorder::new(&stages);
        let plan = plan_intents(&input.routes, &input.service_networks, &recorder);
        let asked = recorder.take();
        check("plan", accepts(&plan))?;
        check("diagnostics", answers_reported(&script, &asked, &plan))?;
        check(
            "accepted answers",
            accepted_answers_in_plan(&script, &asked, &plan),
        )?;
        let refused = plan
            .diagnostics
            .iter()
            .any(|d| d.reason == "PluginOutputInvalid");
        let counter = if refused { &REFUSED } else { &ACCEPTED };
        if !plan.services.is_empty() {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    });
    // The cases reached both sides of the checks, with services planned.
    let (accepted, refused) = (
        ACCEPTED.load(Ordering::Relaxed),
        REFUSED.load(Ordering::Relaxed),
    );
    assert!(
        accepted > 0 && refused > 0,
        "{accepted} cases with everything accepted, {refused} with refusals"
    );
}
