//! Arbitrary plugin answers across the component boundary (issue 15's
//! fuzzed bad input). The echo plugin (`testbed/plugins/echo`) answers
//! what its settings say, so any answer reaches the host exactly as a
//! plugin would give it: the host sees what the plugin said, refuses what
//! it must with a diagnostic on the route or target, and plans the rest as
//! given, within what VPC Lattice accepts.
//!
//! `WASM_FUZZ_CASES` runs more than the default 256 cases:
//! `WASM_FUZZ_CASES=5000 cargo test -p lattice-wasm --test fuzzed`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use lattice_core::plan::{FailurePolicy, PlanInput, plan_intents};
use lattice_core::{ClusterConfig, Snapshot, Stages};
use lattice_fuzz::answers::{Script, script};
use lattice_fuzz::expect::{accepted_answers_in_plan, answers_reported};
use lattice_fuzz::lattice::accepts;
use lattice_fuzz::manifests::plain_routes_in_world;
use lattice_fuzz::stages::{Asked, Recorder};
use lattice_plugin_sdk::limits::fit_diagnostics;
use lattice_plugin_sdk::types::Stage;
use lattice_wasm::{Limits, PluginRuntime, StagePlugin, WasmStages};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::Value;

/// The runtime, with a compile cache so that each case's loads of the echo
/// plugin (one per stage, with that case's answers as settings) compile it
/// once. The echo plugin reads its settings on every call, whatever their
/// size: no fuel, and a wall-clock budget no loaded machine runs out of.
fn runtime(cache: &std::path::Path) -> PluginRuntime {
    let limits = Limits {
        timeout: Duration::from_secs(10),
        fuel_per_item: 0,
        ..Limits::default()
    };
    PluginRuntime::new(limits, Some(cache.to_path_buf())).expect("engine")
}

fn snapshot(objects: &[Value]) -> Snapshot {
    let mut s = Snapshot::default();
    for o in objects {
        let _ = s.add_manifest(o.clone());
    }
    s
}

/// What the echo plugin can say: what a plugin built with the SDK can,
/// whose runner fits diagnostics within the host's caps, one answer per
/// input. (The host's checks of what no SDK would send are in
/// `lattice-core`'s fuzzed tests.)
fn as_the_sdk_sends_it(mut s: Script) -> Script {
    s.miscount.clear();
    s.mapping
        .values_mut()
        .for_each(|a| fit_diagnostics(&mut a.diagnostics));
    s.weighting
        .values_mut()
        .for_each(|a| fit_diagnostics(&mut a.diagnostics));
    s.auth
        .values_mut()
        .for_each(|a| fit_diagnostics(&mut a.diagnostics));
    s
}

fn scenario() -> impl Strategy<Value = (Vec<Value>, Script, FailurePolicy)> {
    let policy = select(vec![
        FailurePolicy::KeepLastGood,
        FailurePolicy::FailClosed,
        FailurePolicy::UseDefault,
    ]);
    plain_routes_in_world().prop_flat_map(move |objects| {
        let input = PlanInput::from_snapshot(&snapshot(&objects), &ClusterConfig::default());
        let script = script(&input.routes, &input.service_networks).prop_map(as_the_sdk_sends_it);
        (Just(objects), script, policy.clone())
    })
}

/// The echo plugin serving every stage with `script`'s answers.
fn echo_stages(
    rt: &PluginRuntime,
    bytes: &[u8],
    script: &Script,
    policy: FailurePolicy,
    defaults: &WasmStages,
) -> WasmStages {
    let settings = serde_json::to_string(script).expect("a script serialises");
    let load = |stage| -> StagePlugin {
        rt.load(stage, "echo", bytes, &settings)
            .expect("the echo plugin loads with any script")
            .into()
    };
    let fallback = (policy == FailurePolicy::UseDefault).then(|| {
        Box::new(WasmStages {
            mapping: defaults.mapping.clone(),
            weighting: defaults.weighting.clone(),
            auth: defaults.auth.clone(),
            policies: defaults.policies,
            fallback: None,
        })
    });
    WasmStages {
        mapping: load(Stage::Mapping),
        weighting: load(Stage::Weighting),
        auth: load(Stage::Auth),
        policies: [policy; 3],
        fallback,
    }
}

/// Each input asked, answered alone across the boundary, comes back as the
/// script says, or fails where the script traps.
fn answers_cross_unchanged(
    stages: &WasmStages,
    script: &Script,
    asked: &[Asked],
) -> Result<(), TestCaseError> {
    for a in asked {
        let (trapped, same) = match a {
            Asked::Mapping(r) => {
                let got = stages.map(std::slice::from_ref(r));
                (got.is_err(), got.map_or(true, |g| g == [script.map(r)]))
            }
            Asked::Weighting(r) => {
                let got = stages.weigh(std::slice::from_ref(r));
                (got.is_err(), got.map_or(true, |g| g == [script.weigh(r)]))
            }
            Asked::Auth(t) => {
                let got = stages.auth(std::slice::from_ref(t));
                (got.is_err(), got.map_or(true, |g| g == [script.decide(t)]))
            }
        };
        let key = match a {
            Asked::Mapping(r) => lattice_fuzz::answers::route_key(r),
            Asked::Weighting(r) => lattice_fuzz::answers::rule_key(r),
            Asked::Auth(t) => lattice_fuzz::answers::target_key(t),
        };
        prop_assert_eq!(
            trapped,
            script.trap.contains(&key),
            "{} trapped: {}",
            key,
            trapped
        );
        prop_assert!(same, "{key}: the answer changed crossing the boundary");
    }
    Ok(())
}

#[test]
fn any_answer_crosses_the_boundary_unchanged_and_only_valid_ones_reach_the_plan() {
    let cache = tempfile::tempdir().expect("a cache directory");
    let rt = runtime(cache.path());
    let bytes = std::fs::read(test_plugins::ECHO).expect("the echo plugin was built");
    let defaults = WasmStages::defaults(&rt).expect("the built-in plugins load");
    let accepted = AtomicUsize::new(0);
    let refused = AtomicUsize::new(0);
    let mut runner = TestRunner::new(Config {
        cases: lattice_fuzz::cases("WASM_FUZZ_CASES", 256),
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&scenario(), |(objects, script, policy)| {
        let input = PlanInput::from_snapshot(&snapshot(&objects), &ClusterConfig::default());
        let stages = echo_stages(&rt, &bytes, &script, policy, &defaults);
        let recorder = Recorder::new(&stages);
        let plan = plan_intents(&input.routes, &input.service_networks, &recorder);
        let asked = recorder.take();
        let check = |what: &str, v: Result<(), String>| {
            v.map_err(|e| TestCaseError::fail(format!("{what}: {e}")))
        };
        check("plan", accepts(&plan))?;
        check("diagnostics", answers_reported(&script, &asked, &plan))?;
        check(
            "accepted answers",
            accepted_answers_in_plan(&script, &asked, &plan),
        )?;
        answers_cross_unchanged(&stages, &script, &asked)?;
        let counter = match plan
            .diagnostics
            .iter()
            .any(|d| d.reason == "PluginOutputInvalid")
        {
            true => &refused,
            false => &accepted,
        };
        if !plan.services.is_empty() {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let (accepted, refused) = (accepted.into_inner(), refused.into_inner());
    assert!(
        accepted > 0 && refused > 0,
        "{accepted} cases with everything accepted, {refused} with refusals"
    );
}
