//! The offline `plan`'s manifest loader on arbitrary text (issue 15's
//! fuzzed bad input): documents of any JSON shape as YAML or JSON, split by
//! `---` lines, with stray lines of anything between them. The loader reads
//! them or says which line is wrong, and never panics; what it reads plans
//! within what VPC Lattice accepts.
//!
//! `CORE_FUZZ_CASES` runs more than the default 256 cases (as it does for
//! `lattice-core`'s fuzzed tests of the same manifests):
//! `CORE_FUZZ_CASES=20000 cargo test -p lattice-wiring --test fuzzed`.

use std::sync::atomic::{AtomicUsize, Ordering};

use lattice_core::{ClusterConfig, build_plan};
use lattice_fuzz::lattice::accepts;
use lattice_fuzz::manifests::{json_object, mutated_objects};
use lattice_fuzz::stages::Native;
use lattice_wiring::manifests::{Loaded, ManifestError, add_text};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;

/// A value as a file would hold it: YAML or JSON.
fn render(v: &Value, yaml: bool) -> String {
    match yaml {
        true => serde_yaml::to_string(v).unwrap_or_default(),
        false => v.to_string(),
    }
}

/// Manifests almost right (one value replaced somewhere), documents of any
/// shape and lines of anything, split by `---` lines of several spellings.
fn text() -> impl Strategy<Value = String> {
    let stray = prop_oneof![
        4 => json_object().prop_map(|v| (v, true)),
        1 => "\\PC{0,40}".prop_map(|s| (Value::String(s), false)),
    ];
    let separator = select(vec!["---\n", "--- \n", "--- # next\n", "\n"]);
    let objects = mutated_objects().prop_flat_map(|objects| {
        let n = objects.len();
        (Just(objects), prop::collection::vec(any::<bool>(), n))
    });
    (
        objects,
        prop::collection::vec((stray, separator.clone()), 0..3),
        separator,
    )
        .prop_map(|((objects, yaml), strays, sep)| {
            let mut docs: Vec<String> = objects
                .iter()
                .zip(yaml)
                .map(|(o, y)| render(o, y))
                .collect();
            for ((v, structured), sep) in strays {
                let doc = match (&v, structured) {
                    (Value::String(s), false) => s.clone(),
                    _ => render(&v, true),
                };
                docs.push(format!("{doc}\n{sep}"));
            }
            docs.join(&format!("\n{sep}"))
        })
}

#[test]
fn any_text_is_loaded_or_refused_at_a_line_of_it_and_what_loads_plans_within_lattices_limits() {
    let mut runner = TestRunner::new(Config {
        cases: lattice_fuzz::cases("CORE_FUZZ_CASES", 256),
        failure_persistence: None,
        ..Config::default()
    });
    let (read, refused) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let result = runner.run(&text(), |text| {
        let mut loaded = Loaded::default();
        let outcome = add_text(&mut loaded, "fuzzed.yaml", &text);
        let counter = if outcome.is_ok() { &read } else { &refused };
        counter.fetch_add(1, Ordering::Relaxed);
        match outcome {
            Ok(()) => {
                let plan = build_plan(&loaded.snapshot, &ClusterConfig::default(), &Native);
                prop_assert!(accepts(&plan).is_ok(), "{:?}", accepts(&plan));
            }
            Err(ManifestError::Invalid { line, .. }) => {
                let lines = text.lines().count().max(1);
                prop_assert!((1..=lines + 1).contains(&line), "line {line} of {lines}");
            }
            Err(e) => prop_assert!(false, "reading text is no I/O: {e}"),
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let (read, refused) = (read.into_inner(), refused.into_inner());
    assert!(
        read > 0 && refused > 0,
        "{read} texts read, {refused} refused"
    );
}
