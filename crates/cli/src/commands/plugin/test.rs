//! `plugin test [DIR|FILE.wasm] [--fixtures DIR] [--junit FILE]`: fixture
//! cases through the real WebAssembly runtime with the controller's limits,
//! and, on every case, the properties a plugin must have:
//!
//! - `expect`: the plan (or answer) holds the expected fragments;
//! - `determinism`: the same input twice gives the same output;
//! - `batch`: a batch gives what its items give one by one;
//! - `order`: the order of the items does not change their answers;
//! - `budget`: each call stays within half its fuel, time and memory.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use lattice_core::ClusterConfig;
use lattice_core::plan::{PlanInput, plan_intents};
use lattice_plugin_sdk::types::{AuthTarget, Route, RuleBackends, Stage};
use lattice_wasm::{Limits, LoadedPlugin, Metering, PluginRuntime, StagePlugin, WasmStages};
use serde_json::Value;

use super::fixtures::{Case, mismatch, missing_diagnostics};

/// `plugin test` arguments.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// A plugin crate (built first, as `plugin build` does) or a component file.
    #[arg(default_value = ".")]
    target: PathBuf,
    /// The cases (default: `fixtures/` of the crate, or beside the file).
    #[arg(long)]
    fixtures: Option<PathBuf>,
    /// Also write the results as JUnit XML.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
}

/// One check of one case.
struct Check {
    name: &'static str,
    failure: Option<String>,
}

fn check(name: &'static str, failure: Option<String>) -> Check {
    Check { name, failure }
}

/// Runs `plugin test`.
pub fn run(args: TestArgs) -> anyhow::Result<()> {
    let (wasm, fixtures) = if args.target.extension().is_some_and(|e| e == "wasm") {
        let beside = args
            .target
            .parent()
            .unwrap_or(Path::new("."))
            .join("fixtures");
        (args.target.clone(), args.fixtures.clone().unwrap_or(beside))
    } else {
        let built = super::build::build(&args.target)?;
        (
            built,
            args.fixtures
                .clone()
                .unwrap_or_else(|| args.target.join("fixtures")),
        )
    };
    let shown = wasm.display().to_string();
    let bytes = std::fs::read(&wasm).with_context(|| format!("{shown}: cannot read"))?;
    let limits = Limits::default();
    let rt = PluginRuntime::new(limits.clone(), None)
        .map_err(|e| anyhow::anyhow!("starting wasmtime: {e:#}"))?;
    let stage = lattice_wasm::inspect(&rt, &shown, &bytes)?
        .stage
        .with_context(|| format!("{shown}: exports no stage of lattice:plugin"))?;
    let defaults = WasmStages::defaults(&rt)?;
    let files = case_files(&fixtures)?;
    let mut results = Vec::new();
    for file in &files {
        let (checks, about) = match Case::read(file) {
            Ok(case) => (
                run_case(&rt, &limits, stage, &shown, &bytes, &defaults, &case),
                case.description.clone(),
            ),
            Err(e) => (vec![check("read", Some(e))], None),
        };
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let label = match about {
            Some(d) => format!("{name} ({d})"),
            None => name,
        };
        results.push((file.clone(), label, checks));
    }
    let failed = report(&results);
    if let Some(path) = &args.junit {
        std::fs::write(path, junit(&results))
            .with_context(|| format!("{}: cannot write", path.display()))?;
    }
    let total: usize = results.iter().map(|(_, _, c)| c.len()).sum();
    anyhow::ensure!(failed == 0, "{failed} of {total} checks failed");
    println!("{total} checks passed in {} cases", results.len());
    Ok(())
}

/// The `.yaml` and `.yml` files of `dir`, sorted.
fn case_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let shown = dir.display();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("{shown}: no fixtures here (pass --fixtures DIR)"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    anyhow::ensure!(!files.is_empty(), "{shown}: no .yaml cases");
    Ok(files)
}

/// The inputs of one stage, as a batch.
enum Inputs {
    Routes(Vec<Route>),
    Rules(Vec<RuleBackends>),
    Targets(Vec<AuthTarget>),
}

impl Inputs {
    fn len(&self) -> usize {
        match self {
            Inputs::Routes(v) => v.len(),
            Inputs::Rules(v) => v.len(),
            Inputs::Targets(v) => v.len(),
        }
    }

    /// Items `range`, reversed when asked.
    fn pick(&self, range: std::ops::Range<usize>, reversed: bool) -> Inputs {
        fn take<T: Clone>(v: &[T], r: std::ops::Range<usize>, rev: bool) -> Vec<T> {
            let mut out = v[r].to_vec();
            if rev {
                out.reverse();
            }
            out
        }
        match self {
            Inputs::Routes(v) => Inputs::Routes(take(v, range, reversed)),
            Inputs::Rules(v) => Inputs::Rules(take(v, range, reversed)),
            Inputs::Targets(v) => Inputs::Targets(take(v, range, reversed)),
        }
    }

    /// One call of the plugin on the batch: each answer as JSON.
    fn call(&self, plugin: &LoadedPlugin) -> (Result<Vec<Value>, String>, Metering) {
        fn json<T: serde::Serialize>(
            r: Result<Vec<T>, lattice_core::StageError>,
        ) -> Result<Vec<Value>, String> {
            r.map(|v| {
                v.iter()
                    .map(|a| serde_json::to_value(a).unwrap_or_default())
                    .collect()
            })
            .map_err(|e| e.message)
        }
        match self {
            Inputs::Routes(v) => {
                let (r, m) = plugin.map_metered(v);
                (json(r), m)
            }
            Inputs::Rules(v) => {
                let (r, m) = plugin.weigh_metered(v);
                (json(r), m)
            }
            Inputs::Targets(v) => {
                let (r, m) = plugin.auth_metered(v);
                (json(r), m)
            }
        }
    }
}

fn run_case(
    rt: &PluginRuntime,
    limits: &Limits,
    stage: Stage,
    name: &str,
    bytes: &[u8],
    defaults: &WasmStages,
    case: &Case,
) -> Vec<Check> {
    let plugin = match rt.load(stage, name, bytes, &case.settings_json()) {
        Ok(p) => Arc::new(p),
        Err(e) => return vec![check("load", Some(e.to_string()))],
    };
    let (inputs, expect) = match (&case.manifests, &case.input) {
        (Some(text), _) => from_manifests(text, stage, &plugin, defaults, case),
        (None, Some(input)) => from_input(input, stage, &plugin, case),
        (None, None) => return vec![check("read", Some("no manifests and no input".into()))],
    };
    let Ok(inputs) = inputs else {
        return vec![check("input", inputs.err())];
    };
    let mut checks = vec![expect];
    checks.extend(properties(&plugin, limits, &inputs));
    checks
}

/// Plans the manifests with the plugin in its stage; the stage's inputs
/// are those of every route (and, for auth, every Gateway).
fn from_manifests(
    text: &str,
    stage: Stage,
    plugin: &Arc<LoadedPlugin>,
    defaults: &WasmStages,
    case: &Case,
) -> (Result<Inputs, String>, Check) {
    let mut loaded = lattice_wiring::manifests::Loaded::default();
    if let Err(e) = lattice_wiring::manifests::add_text(&mut loaded, "manifests", text) {
        return (Err(e.to_string()), check("expect", None));
    }
    let input = PlanInput::from_snapshot(&loaded.snapshot, &ClusterConfig::default());
    let mine = StagePlugin::Loaded(plugin.clone());
    let pick = |s: Stage, d: &StagePlugin| if s == stage { mine.clone() } else { d.clone() };
    let stages = WasmStages {
        mapping: pick(Stage::Mapping, &defaults.mapping),
        weighting: pick(Stage::Weighting, &defaults.weighting),
        auth: pick(Stage::Auth, &defaults.auth),
        policies: defaults.policies,
        fallback: None,
    };
    let plan = plan_intents(&input.routes, &input.service_networks, &stages);
    let plan_json = serde_json::to_value(&plan).unwrap_or_default();
    let diags = plan_json["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let expect = expectation(
        case.expect.plan.as_ref(),
        &plan_json,
        &case.expect.diagnostics,
        &diags,
    );
    let inputs = match stage {
        Stage::Mapping => Inputs::Routes(input.routes.iter().map(|r| r.route.clone()).collect()),
        Stage::Weighting => {
            Inputs::Rules(input.routes.iter().flat_map(|r| r.rules.clone()).collect())
        }
        Stage::Auth => Inputs::Targets(
            input
                .service_networks
                .iter()
                .map(|sn| sn.auth.clone())
                .chain(input.routes.iter().filter_map(|r| r.auth.clone()))
                .collect(),
        ),
    };
    (Ok(inputs), expect)
}

/// Calls the plugin on one stage input.
fn from_input(
    input: &Value,
    stage: Stage,
    plugin: &LoadedPlugin,
    case: &Case,
) -> (Result<Inputs, String>, Check) {
    let parsed = match stage {
        Stage::Mapping => serde_json::from_value(input.clone()).map(|r| Inputs::Routes(vec![r])),
        Stage::Weighting => serde_json::from_value(input.clone()).map(|r| Inputs::Rules(vec![r])),
        Stage::Auth => serde_json::from_value(input.clone()).map(|t| Inputs::Targets(vec![t])),
    };
    let inputs = match parsed {
        Ok(i) => i,
        Err(e) => {
            let why = format!("input is not a {} input: {e}", stage.as_str());
            return (Err(why), check("expect", None));
        }
    };
    let answer = match inputs.call(plugin).0 {
        Ok(mut a) if a.len() == 1 => a.remove(0),
        Ok(a) => {
            return (
                Ok(inputs),
                check("expect", Some(format!("{} answers for 1 input", a.len()))),
            );
        }
        Err(e) => {
            return (
                Ok(inputs),
                check("expect", Some(format!("the plugin failed: {e}"))),
            );
        }
    };
    let diags = answer["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let expect = expectation(
        case.expect.answer.as_ref(),
        &answer,
        &case.expect.diagnostics,
        &diags,
    );
    (Ok(inputs), expect)
}

/// The `expect` check: the fragment, then the diagnostics.
fn expectation(
    fragment: Option<&Value>,
    actual: &Value,
    wanted: &[Value],
    diags: &[Value],
) -> Check {
    if let Some((path, e, a)) = fragment.and_then(|f| mismatch(f, actual)) {
        return check(
            "expect",
            Some(format!("at {path}:\n  - expected {e}\n  + got      {a}")),
        );
    }
    let missing = missing_diagnostics(wanted, diags);
    if !missing.is_empty() {
        let got: Vec<String> = diags.iter().map(Value::to_string).collect();
        let want: Vec<String> = missing.iter().map(|v| v.to_string()).collect();
        let why = format!(
            "diagnostics:\n  - expected {}\n  + got      [{}]",
            want.join(", "),
            got.join(", ")
        );
        return check("expect", Some(why));
    }
    check("expect", None)
}

/// The properties every plugin must have, on this case's inputs.
fn properties(plugin: &LoadedPlugin, limits: &Limits, inputs: &Inputs) -> Vec<Check> {
    let n = inputs.len();
    let mut meters = Vec::new();
    let mut call = |i: &Inputs| {
        let (r, m) = i.call(plugin);
        meters.push(m);
        r
    };
    let first = call(inputs);
    let again = call(inputs);
    let determinism = (first != again)
        .then(|| format!("two calls on the same input differ:\n  - {first:?}\n  + {again:?}"));
    let singles: Result<Vec<Value>, String> = (0..n)
        .map(|i| call(&inputs.pick(i..i + 1, false)).map(|mut v| v.pop().unwrap_or_default()))
        .collect();
    let batch = (singles != first).then(|| {
        format!("a batch of {n} differs from its items one by one:\n  - {first:?}\n  + {singles:?}")
    });
    let reversed = call(&inputs.pick(0..n, true)).map(|mut v| {
        v.reverse();
        v
    });
    let order = (reversed != first).then(|| {
        format!("reversing the {n} items changed their answers:\n  - {first:?}\n  + {reversed:?}")
    });
    let budget = meters.iter().find_map(|m| over_half(m, limits));
    vec![
        check("determinism", determinism),
        check("batch", batch),
        check("order", order),
        check("budget", budget),
    ]
}

/// Why a call used more than half of a budget, if it did.
fn over_half(m: &Metering, limits: &Limits) -> Option<String> {
    if let (Some(used), Some(budget)) = (m.fuel_used, m.fuel_budget)
        && used > budget / 2
    {
        return Some(format!(
            "a call used {used} of its {budget} fuel (more than half)"
        ));
    }
    if m.elapsed > limits.timeout / 2 {
        return Some(format!(
            "a call took {:?} of its {:?} (more than half)",
            m.elapsed, limits.timeout
        ));
    }
    if m.memory_peak > m.memory_budget / 2 {
        return Some(format!(
            "a call asked for {} MiB of its {} MiB of memory (more than half)",
            m.memory_peak >> 20,
            m.memory_budget >> 20
        ));
    }
    None
}

/// Prints each case; returns how many checks failed.
fn report(results: &[(PathBuf, String, Vec<Check>)]) -> usize {
    let mut failed = 0;
    for (_, name, checks) in results {
        let bad: Vec<&Check> = checks.iter().filter(|c| c.failure.is_some()).collect();
        let names: Vec<&str> = checks.iter().map(|c| c.name).collect();
        if bad.is_empty() {
            println!("PASS {name} ({})", names.join(", "));
        }
        for c in &bad {
            println!(
                "FAIL {name} {}: {}",
                c.name,
                c.failure.as_deref().unwrap_or_default()
            );
        }
        failed += bad.len();
    }
    failed
}

fn junit(results: &[(PathBuf, String, Vec<Check>)]) -> String {
    let total: usize = results.iter().map(|(_, _, c)| c.len()).sum();
    let failures: usize = results
        .iter()
        .flat_map(|(_, _, c)| c)
        .filter(|c| c.failure.is_some())
        .count();
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites tests=\"{total}\" failures=\"{failures}\">\n  <testsuite name=\"plugin test\" tests=\"{total}\" failures=\"{failures}\">\n"
    );
    for (file, _, checks) in results {
        let case = file
            .file_stem()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        for c in checks {
            let name = escape(&format!("{case}: {}", c.name));
            match &c.failure {
                None => xml.push_str(&format!("    <testcase classname=\"fixtures\" name=\"{name}\"/>\n")),
                Some(f) => xml.push_str(&format!(
                    "    <testcase classname=\"fixtures\" name=\"{name}\">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                    escape(f.lines().next().unwrap_or_default()),
                    escape(f)
                )),
            }
        }
    }
    xml.push_str("  </testsuite>\n</testsuites>\n");
    xml
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
