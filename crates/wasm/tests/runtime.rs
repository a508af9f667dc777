//! The plugin runtime against deliberately bad plugins: each budget gets a
//! test that holds and one that is violated, and no fault crashes the host
//! or reaches a plan.

use std::time::Duration;

use lattice_core::plan::Action;
use lattice_core::{ClusterConfig, Snapshot, build_plan};
use lattice_plugin_sdk::testing::*;
use lattice_plugin_sdk::types::*;
use lattice_wasm::{Limits, LoadError, LoadedPlugin, PluginRuntime, WasmStages, defaults};

/// The fault-test plugin's component bytes.
fn faulty_bytes() -> Vec<u8> {
    std::fs::read(test_plugins::FAULTY).expect("the fault-test plugin was built")
}

fn runtime(limits: Limits) -> PluginRuntime {
    PluginRuntime::new(limits, None).expect("engine")
}

fn faulty(rt: &PluginRuntime, fault: &str) -> LoadedPlugin {
    rt.load(
        Stage::Mapping,
        "faulty",
        &faulty_bytes(),
        &format!(r#"{{"fault":"{fault}"}}"#),
    )
    .expect("faulty plugin loads")
}

fn one_route() -> Vec<Route> {
    vec![
        http_route("app", "r")
            .rule(rule().matching(path_prefix("/")))
            .build(),
    ]
}

#[test]
fn default_plugins_load_and_report_their_stage() {
    let rt = runtime(Limits::default());
    for stage in [Stage::Mapping, Stage::Weighting, Stage::Auth] {
        let p = rt.load_default(stage, "").expect("default plugin loads");
        assert_eq!(p.info.stage, stage);
        assert_eq!(p.sha256.len(), 64);
        assert!(
            p.provenance()
                .starts_with(&format!("{}@sha256:", defaults::for_stage(stage).0))
        );
    }
}

#[test]
fn a_well_behaved_call_stays_within_the_time_budget() {
    let rt = runtime(Limits {
        timeout: Duration::from_millis(100),
        ..Limits::default()
    });
    let res = faulty(&rt, "none").map(&one_route()).expect("answers");
    assert_eq!(res[0].rules[0].priority, 1);
}

#[test]
fn an_infinite_loop_is_stopped_by_the_epoch_deadline() {
    // Without fuel, only the wall-clock backstop can stop it.
    let rt = runtime(Limits {
        timeout: Duration::from_millis(50),
        fuel_per_item: 0,
        ..Limits::default()
    });
    let err = faulty(&rt, "loop")
        .map(&one_route())
        .expect_err("interrupted");
    assert!(err.message.contains("time budget"), "{err}");
    assert!(err.plugin.starts_with("faulty@sha256:"));
}

#[test]
fn an_infinite_loop_runs_out_of_fuel_the_same_way_however_long_the_clock_allows() {
    let rt = runtime(Limits {
        timeout: Duration::from_secs(30),
        ..Limits::default()
    });
    let plugin = faulty(&rt, "loop");
    let started = std::time::Instant::now();
    let first = plugin.map(&one_route()).expect_err("out of fuel");
    let second = plugin.map(&one_route()).expect_err("out of fuel");
    assert!(first.message.contains("ran out of fuel"), "{first}");
    assert_eq!(first, second);
    // Fuel, not the 30 s clock, stopped both.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    // A well-behaved plugin stays far within the same budget.
    assert!(faulty(&rt, "none").map(&one_route()).is_ok());
}

#[test]
fn a_memory_bomb_is_stopped_by_the_memory_limit() {
    // A generous time budget, so only the memory limit can stop it even on a
    // loaded machine (where growing 16 MiB once took longer than 100 ms).
    // Without fuel, which would stop the hoarding loop first.
    let rt = runtime(Limits {
        max_memory_bytes: 16 << 20,
        timeout: Duration::from_secs(10),
        fuel_per_item: 0,
        ..Limits::default()
    });
    let err = faulty(&rt, "memory")
        .map(&one_route())
        .expect_err("out of memory");
    assert!(
        err.message.contains("memory") || err.message.contains("trapped"),
        "{err}"
    );
    // The same budget holds for a normal call.
    assert!(faulty(&rt, "none").map(&one_route()).is_ok());
}

#[test]
fn a_plugin_s_own_budget_is_enforced_and_never_exceeds_the_engine_s() {
    let rt = runtime(Limits {
        timeout: Duration::from_secs(10),
        fuel_per_item: 0,
        ..Limits::default()
    });
    let tight = faulty(&rt, "loop").with_budget(Some(Duration::from_millis(30)), None);
    let err = tight.map(&one_route()).expect_err("interrupted");
    assert!(err.message.contains("time budget of 30ms"), "{err}");
    let greedy = faulty(&rt, "none").with_budget(None, Some(1 << 40));
    assert_eq!(greedy.budget().1, Limits::default().max_memory_bytes);
    let small = faulty(&rt, "memory").with_budget(None, Some(4 << 20));
    let err = small.map(&one_route()).expect_err("out of memory");
    assert!(err.message.contains("4 MiB"), "{err}");
}

#[test]
fn a_trap_becomes_an_error_not_a_crash() {
    let rt = runtime(Limits::default());
    let err = faulty(&rt, "trap").map(&one_route()).expect_err("trap");
    assert!(err.message.contains("trapped"), "{err}");
}

#[test]
fn oversized_input_is_refused_before_the_call() {
    let rt = runtime(Limits {
        max_input_bytes: 64,
        ..Limits::default()
    });
    let big = vec![http_route("app", &"r".repeat(100)).rule(rule()).build()];
    let err = faulty(&rt, "none").map(&big).expect_err("too big");
    assert!(err.message.contains("exceeds"), "{err}");
    assert!(faulty(&rt, "none").map(&one_route()).is_ok());
}

#[test]
fn a_plugin_for_the_wrong_world_is_refused_at_load() {
    let rt = runtime(Limits::default());
    let err = rt
        .load(
            Stage::Mapping,
            "weighted-forward",
            defaults::WEIGHTED_FORWARD,
            "",
        )
        .err()
        .expect("wrong world");
    assert!(matches!(err, LoadError::WrongWorld { .. }), "{err}");
    assert!(err.to_string().contains("mapping world"), "{err}");
}

#[test]
fn a_core_module_or_garbage_is_not_a_component() {
    let rt = runtime(Limits::default());
    let core_module = b"\0asm\x01\0\0\0";
    for bytes in [&core_module[..], b"definitely not wasm"] {
        let err = rt
            .load(Stage::Mapping, "x.wasm", bytes, "")
            .err()
            .expect("refused");
        assert!(matches!(err, LoadError::NotAComponent { .. }), "{err}");
    }
}

#[test]
fn bad_settings_keep_a_plugin_from_going_live() {
    let rt = runtime(Limits::default());
    let err = rt
        .load(
            Stage::Mapping,
            "route-mapper",
            defaults::ROUTE_MAPPER,
            r#"{"caseSensitiv":false}"#,
        )
        .err()
        .expect("refused");
    assert!(matches!(err, LoadError::Settings { .. }), "{err}");
    assert!(
        rt.load(
            Stage::Mapping,
            "route-mapper",
            defaults::ROUTE_MAPPER,
            r#"{"caseSensitive":false}"#
        )
        .is_ok()
    );
}

#[test]
fn compiled_components_are_cached_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let rt = PluginRuntime::new(Limits::default(), Some(dir.path().to_path_buf())).unwrap();
    let p = rt.load_default(Stage::Auth, "").unwrap();
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .collect();
    assert_eq!(files.len(), 1);
    let name = files[0].file_name().into_string().unwrap();
    assert!(
        name.starts_with(&p.sha256) && name.ends_with(".cwasm"),
        "{name}"
    );
    // A second runtime loads from the cache and behaves the same.
    let rt2 = PluginRuntime::new(Limits::default(), Some(dir.path().to_path_buf())).unwrap();
    assert_eq!(rt2.load_default(Stage::Auth, "").unwrap().sha256, p.sha256);
}

fn snapshot_with_routes(names: &[&str]) -> Snapshot {
    let mut s = Snapshot::default();
    s.add_manifest(serde_json::json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"Gateway",
        "metadata":{"name":"mesh","namespace":"app"},
        "spec":{"gatewayClassName":"amazon-vpc-lattice","listeners":[{"name":"http","port":80,"protocol":"HTTP"}]}})).unwrap();
    for n in names {
        s.add_manifest(serde_json::json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute",
            "metadata":{"name":n,"namespace":"app"},
            "spec":{"parentRefs":[{"name":"mesh"}],"rules":[{"backendRefs":[{"name":"missing","port":80}]}]}})).unwrap();
    }
    s
}

fn stages_with_mapper(rt: &PluginRuntime, mapping: LoadedPlugin) -> WasmStages {
    WasmStages {
        mapping: mapping.into(),
        ..WasmStages::defaults(rt).expect("the built-in plugins load")
    }
}

#[test]
fn a_plugin_failing_on_one_route_costs_only_that_route() {
    let rt = runtime(Limits {
        timeout: Duration::from_millis(50),
        ..Limits::default()
    });
    let mapper = rt
        .load(
            Stage::Mapping,
            "faulty",
            &faulty_bytes(),
            r#"{"fault":"trap","onRoute":"b"}"#,
        )
        .unwrap();
    let stages = stages_with_mapper(&rt, mapper);
    let plan = build_plan(
        &snapshot_with_routes(&["a", "b", "c"]),
        &ClusterConfig::default(),
        &stages,
    );
    let planned: Vec<&str> = plan.services.iter().map(|s| s.route.as_str()).collect();
    assert_eq!(planned, vec!["app/a", "app/c"]);
    let d = plan
        .diagnostics
        .iter()
        .find(|d| d.reason == "PluginFailed")
        .expect("diagnostic");
    assert_eq!(d.object, "HTTPRoute app/b");
    assert!(d.plugin.as_deref().unwrap().starts_with("faulty@sha256:"));
}

#[test]
fn invalid_plugin_output_never_reaches_the_plan() {
    let rt = runtime(Limits::default());
    let stages = stages_with_mapper(&rt, faulty(&rt, "invalid"));
    let plan = build_plan(
        &snapshot_with_routes(&["a"]),
        &ClusterConfig::default(),
        &stages,
    );
    assert!(plan.services.is_empty());
    let d = &plan
        .diagnostics
        .iter()
        .find(|d| d.reason == "PluginOutputInvalid")
        .expect("diagnostic");
    assert!(d.message.contains("priority"), "{}", d.message);
}

#[test]
fn a_rule_without_backends_answers_500_through_the_wasm_plugins() {
    let rt = runtime(Limits::default());
    let stages = stages_with_mapper(&rt, rt.load_default(Stage::Mapping, "").unwrap());
    let plan = build_plan(
        &snapshot_with_routes(&["a"]),
        &ClusterConfig::default(),
        &stages,
    );
    assert_eq!(
        plan.services[0].listeners[0].rules[0].action,
        Action::FixedResponse(500)
    );
    assert!(
        plan.diagnostics
            .iter()
            .any(|d| d.reason == "BackendNotFound")
    );
}
