//! Plugin calls counted by outcome: the fault-test plugin answers, traps,
//! loops until its fuel or its time runs out, and hoards memory; each call
//! lands in its own outcome, under the plugin's name and digest.

use std::time::Duration;

use lattice_plugin_sdk::testing::*;
use lattice_plugin_sdk::types::*;
use lattice_wasm::{Limits, LoadedPlugin, PluginMetrics, PluginRuntime};
use prometheus::{Encoder, Registry, TextEncoder};

fn observed(limits: Limits) -> (PluginRuntime, Registry) {
    let registry = Registry::new();
    let metrics = PluginMetrics::register(&registry).expect("registered");
    let rt = PluginRuntime::observed(limits, None, Some(metrics)).expect("engine");
    (rt, registry)
}

fn faulty(rt: &PluginRuntime, fault: &str) -> LoadedPlugin {
    let bytes = std::fs::read(test_plugins::FAULTY).expect("the fault-test plugin was built");
    let settings = format!(r#"{{"fault":"{fault}"}}"#);
    rt.load(Stage::Mapping, "faulty", &bytes, &settings)
        .expect("faulty plugin loads")
}

fn one_route() -> Vec<Route> {
    vec![
        http_route("app", "r")
            .rule(rule().matching(path_prefix("/")))
            .build(),
    ]
}

/// The count of `lattice_host_plugin_calls_total` for `outcome` of `plugin`.
fn calls(registry: &Registry, plugin: &LoadedPlugin, outcome: &str) -> u64 {
    let mut text = Vec::new();
    TextEncoder::new()
        .encode(&registry.gather(), &mut text)
        .unwrap();
    let text = String::from_utf8(text).unwrap();
    let series = format!(
        r#"lattice_host_plugin_calls_total{{digest="sha256:{}",outcome="{outcome}",plugin="{}",stage="mapping"}} "#,
        plugin.sha256, plugin.info.name
    );
    text.lines()
        .find_map(|l| l.strip_prefix(&series)?.parse().ok())
        .unwrap_or_else(|| panic!("no {series} in\n{text}"))
}

#[test]
fn answers_traps_and_exhausted_fuel_are_counted_apart() {
    let (rt, registry) = observed(Limits::default());
    let ok = faulty(&rt, "none");
    assert!(ok.map(&one_route()).is_ok());
    assert!(ok.map(&one_route()).is_ok());
    assert_eq!(calls(&registry, &ok, "ok"), 2);
    assert_eq!(calls(&registry, &ok, "trap"), 0);

    // The same component with other settings: the same series (one digest).
    let trap = faulty(&rt, "trap");
    assert!(trap.map(&one_route()).is_err());
    assert_eq!(calls(&registry, &trap, "trap"), 1);
    assert_eq!(calls(&registry, &trap, "ok"), 2);

    let looping = faulty(&rt, "loop");
    assert!(looping.map(&one_route()).is_err());
    assert_eq!(calls(&registry, &looping, "fuel"), 1);
    assert_eq!(calls(&registry, &looping, "timeout"), 0);
    assert_eq!(calls(&registry, &looping, "trap"), 1);
}

#[test]
fn a_call_stopped_by_its_deadline_counts_as_a_timeout() {
    let (rt, registry) = observed(Limits {
        timeout: Duration::from_millis(50),
        fuel_per_item: 0,
        ..Limits::default()
    });
    let looping = faulty(&rt, "loop");
    assert!(looping.map(&one_route()).is_err());
    assert_eq!(calls(&registry, &looping, "timeout"), 1);
    assert_eq!(calls(&registry, &looping, "fuel"), 0);
}

#[test]
fn a_memory_bomb_counts_as_memory() {
    let (rt, registry) = observed(Limits {
        max_memory_bytes: 16 << 20,
        timeout: Duration::from_secs(10),
        fuel_per_item: 0,
        ..Limits::default()
    });
    let bomb = faulty(&rt, "memory");
    let err = bomb.map(&one_route()).expect_err("out of memory");
    assert_eq!(calls(&registry, &bomb, "memory"), 1, "{err}");
}
