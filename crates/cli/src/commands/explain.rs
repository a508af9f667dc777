//! `lattice-host explain route NS/NAME`: for one route, per stage, which
//! plugin decided and why, what it was given and answered, what the host
//! made of the answer and what the call cost; then the route's Lattice
//! listeners and rules and every diagnostic.

use std::collections::BTreeSet;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};
use lattice_core::crds::plugins::{PluginSpec, PluginStage};
use lattice_core::index::{Dirty, RouteKey};
use lattice_core::model::RouteIntent;
use lattice_core::plan::{FailurePolicy, Plan, PlanInput, plan_intents, validate};
use lattice_core::plugins::{Choice, candidates, spec_of};
use lattice_core::{Snapshot, kinds};
use lattice_plugin_sdk::types::{Resolution, Stage};
use lattice_wasm::{LoadedPlugin, Metering, PluginRuntime, StagePlugin, WasmStages};
use serde_json::{Value, json};

use crate::args::{ClusterArgs, PluginArgs, RoutesSource};

/// `explain` subcommands.
#[derive(Debug, Subcommand)]
pub enum ExplainCommand {
    /// How one route is decided, stage by stage, and what it becomes in VPC Lattice.
    Route(Box<RouteArgs>),
}

/// `explain route` arguments.
#[derive(Debug, Args)]
pub struct RouteArgs {
    /// The route: NAMESPACE/NAME.
    route: String,
    /// Its kind, when routes of several kinds share the name.
    #[arg(long, value_parser = ["HTTPRoute", "GRPCRoute", "TLSRoute"])]
    kind: Option<String>,
    /// The route and what it uses; from a cluster, its plugin objects are
    /// loaded as the controller loads them.
    #[command(flatten)]
    source: RoutesSource,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// The default plugins and the runtime's limits.
    #[command(flatten)]
    plugins: PluginArgs,
    /// Cluster identity.
    #[command(flatten)]
    cluster: ClusterArgs,
}

/// Runs one `explain` subcommand.
pub fn run(command: ExplainCommand) -> anyhow::Result<()> {
    match command {
        ExplainCommand::Route(args) => route(*args),
    }
}

/// The plugin that decided one stage, and why.
struct Decider {
    stage: Stage,
    plugin: StagePlugin,
    policy: FailurePolicy,
    /// Each candidate, most specific first, with what became of it.
    why: Vec<String>,
}

fn route(args: RouteArgs) -> anyhow::Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    let (snapshot, client) = args.source.load(&rt)?;
    let key = find(&snapshot, &args.route, args.kind.as_deref())?;
    let cfg = args.cluster.config();
    let dirty = Dirty {
        routes: BTreeSet::from([key.clone()]),
        ..Dirty::default()
    };
    let input = PlanInput::for_changes(&snapshot, &cfg, &dirty);
    let intent = input.routes.first().with_context(|| {
        format!(
            "{} {}/{} has no parent Gateway of this controller's class, so nothing plans it",
            key.kind.kind_name(),
            key.namespace,
            key.name
        )
    })?;
    let config = args.plugins.config()?;
    let (runtime, defaults) = lattice_wiring::start_plugins(&config)?;
    let deciders: Vec<Decider> = PluginStage::ALL
        .iter()
        .map(|&stage| {
            decider(
                &rt,
                &runtime,
                client.as_ref(),
                &snapshot,
                &key,
                stage,
                &defaults,
            )
        })
        .collect();
    let calls = stage_calls(intent, &deciders);
    let stages = WasmStages {
        mapping: deciders[0].plugin.clone(),
        weighting: deciders[1].plugin.clone(),
        auth: deciders[2].plugin.clone(),
        policies: [deciders[0].policy, deciders[1].policy, deciders[2].policy],
        fallback: None,
    };
    let plan = plan_intents(std::slice::from_ref(intent), &[], &stages);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&as_json(&key, &deciders, &calls, &plan))?
        );
    } else {
        print!("{}", as_text(&key, &deciders, &calls, &plan));
    }
    Ok(())
}

/// The route named `ns/name`, of `kind` when given.
fn find(snapshot: &Snapshot, route: &str, kind: Option<&str>) -> anyhow::Result<RouteKey> {
    let (ns, name) = route
        .split_once('/')
        .with_context(|| format!("{route}: name the route as NAMESPACE/NAME"))?;
    let found: Vec<RouteKey> = kinds::routes()
        .map(|r| RouteKey {
            kind: r.route_kind(),
            namespace: ns.into(),
            name: name.into(),
        })
        .filter(|k| kind.is_none_or(|want| k.kind.kind_name() == want))
        .filter(|k| lattice_core::index::route_view(snapshot, k).is_some())
        .collect();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => anyhow::bail!("no route {route} (HTTPRoute, GRPCRoute or TLSRoute) in the input"),
        _ => anyhow::bail!("several routes are named {route}; say which with --kind"),
    }
}

/// Which plugin decides `stage` of the route: the first candidate that
/// loads, as the controller would serve it.
fn decider(
    rt: &tokio::runtime::Runtime,
    runtime: &PluginRuntime,
    client: Option<&kube::Client>,
    snapshot: &Snapshot,
    key: &RouteKey,
    stage: PluginStage,
    defaults: &WasmStages,
) -> Decider {
    let sdk = stage.stage();
    let mut why = Vec::new();
    // Cluster plugins read their sources in the controller's namespace.
    let (own_namespace, _) = crate::config::replica();
    for choice in candidates(snapshot, key, stage) {
        let Some((spec, namespace)) = spec_of(snapshot, &choice, &own_namespace) else {
            break;
        };
        let object = choice.to_string();
        match load(rt, runtime, client, spec, &namespace, &object) {
            Ok(p) => {
                why.push(format!("{object} {}: decides", rank(&choice, key)));
                let plugin = StagePlugin::Loaded(Arc::new(p));
                return Decider {
                    stage: sdk,
                    plugin,
                    policy: spec.failure_policy,
                    why,
                };
            }
            Err(e) => why.push(format!(
                "{object} {}: cannot be loaded here ({e}); the next decides",
                rank(&choice, key)
            )),
        }
    }
    // The candidates end with the default, which always decides.
    why.push(format!(
        "the controller's default for {} (the built-in plugin or --plugin): decides",
        stage.as_str()
    ));
    let plugin = match sdk {
        Stage::Mapping => defaults.mapping.clone(),
        Stage::Weighting => defaults.weighting.clone(),
        Stage::Auth => defaults.auth.clone(),
    };
    let policy = lattice_core::Stages::failure_policy(defaults, sdk);
    Decider {
        stage: sdk,
        plugin,
        policy,
        why,
    }
}

/// Why a candidate ranks where it does.
fn rank(choice: &Choice, key: &RouteKey) -> String {
    match choice {
        Choice::Namespaced(_) => format!(
            "(a LatticePlugin of namespace {}, delegated to by the cluster plugin)",
            key.namespace
        ),
        Choice::Cluster(_) => format!(
            "(the ClusterLatticePlugin that applies to namespace {})",
            key.namespace
        ),
        Choice::Default => String::new(),
    }
}

/// Fetches and loads a plugin object's component.
fn load(
    rt: &tokio::runtime::Runtime,
    runtime: &PluginRuntime,
    client: Option<&kube::Client>,
    spec: &PluginSpec,
    namespace: &str,
    name: &str,
) -> Result<LoadedPlugin, String> {
    let bytes = match (&spec.source.file, client) {
        (Some(path), _) => {
            std::fs::read(path).map_err(|e| format!("spec.source.file {path}: {e}"))?
        }
        (None, Some(c)) => {
            rt.block_on(lattice_controller::fetch_component(
                c, namespace, spec, None,
            ))?
            .0
        }
        (None, None) => return Err("its source is read from a cluster: pass --kubeconfig".into()),
    };
    let settings = spec
        .settings
        .as_ref()
        .map(|s| s.to_string())
        .unwrap_or_default();
    runtime
        .load(spec.stage.stage(), name, &bytes, &settings)
        .map_err(|e| e.to_string())
}

/// One plugin call: what it was given, what it answered, what the host
/// made of it, and what it cost.
struct Call {
    stage: Stage,
    label: String,
    input: Value,
    answer: Result<Value, String>,
    verdict: Result<(), String>,
    metering: Metering,
}

/// Calls each stage's plugin on the route as the plan does: mapping once,
/// weighting once per rule, auth once.
fn stage_calls(intent: &RouteIntent, deciders: &[Decider]) -> Vec<Call> {
    let mut calls = Vec::new();
    let route = &intent.route;
    let mapper = deciders[0].plugin.loaded().ok();
    let mapped = mapper.map(|p| p.map_metered(std::slice::from_ref(route)));
    let mut forwards = BTreeSet::new();
    if let Some((res, metering)) = mapped {
        let answer = res.map(|mut a| a.remove(0)).map_err(|e| e.message);
        let verdict = match &answer {
            Ok(m) => validate::mapping(route, m),
            Err(e) => Err(e.clone()),
        };
        if let (Ok(m), Ok(())) = (&answer, &verdict) {
            forwards.extend(m.rules.iter().map(|r| r.rule_index));
            forwards.extend(m.default_rule);
        }
        calls.push(call(
            Stage::Mapping,
            "route".into(),
            route,
            answer,
            verdict,
            metering,
        ));
    }
    if let Ok(weigher) = deciders[1].plugin.loaded() {
        for rule in intent
            .rules
            .iter()
            .filter(|r| forwards.contains(&r.rule_index))
        {
            let (res, metering) = weigher.weigh_metered(std::slice::from_ref(rule));
            let answer = res.map(|mut a| a.remove(0)).map_err(|e| e.message);
            let known: BTreeSet<&str> = rule
                .backends
                .iter()
                .filter(|b| b.resolution == Resolution::Resolved)
                .map(|b| b.target_group.as_str())
                .collect();
            let verdict = match &answer {
                Ok(w) => validate::weighting(&known, w),
                Err(e) => Err(e.clone()),
            };
            let label = format!("spec.rules[{}]", rule.rule_index);
            calls.push(call(
                Stage::Weighting,
                label,
                rule,
                answer,
                verdict,
                metering,
            ));
        }
    }
    if let (Some(target), Ok(auth)) = (&intent.auth, deciders[2].plugin.loaded()) {
        let (res, metering) = auth.auth_metered(std::slice::from_ref(target));
        let answer = res.map(|mut a| a.remove(0)).map_err(|e| e.message);
        let verdict = match &answer {
            Ok(a) => validate::auth(a),
            Err(e) => Err(e.clone()),
        };
        calls.push(call(
            Stage::Auth,
            "service".into(),
            target,
            answer,
            verdict,
            metering,
        ));
    }
    calls
}

fn call<I: serde::Serialize, A: serde::Serialize>(
    stage: Stage,
    label: String,
    input: &I,
    answer: Result<A, String>,
    verdict: Result<(), String>,
    metering: Metering,
) -> Call {
    Call {
        stage,
        label,
        input: serde_json::to_value(input).unwrap_or_default(),
        answer: answer.map(|a| serde_json::to_value(a).unwrap_or_default()),
        verdict,
        metering,
    }
}

fn cost(m: &Metering) -> String {
    let fuel = match (m.fuel_used, m.fuel_budget) {
        (Some(used), Some(budget)) => format!(", fuel {used} of {budget}"),
        _ => String::new(),
    };
    format!("{} µs{fuel}", m.elapsed.as_micros())
}

fn as_text(key: &RouteKey, deciders: &[Decider], calls: &[Call], plan: &Plan) -> String {
    let mut out = format!("{} {}/{}\n", key.kind.kind_name(), key.namespace, key.name);
    for d in deciders {
        out.push_str(&format!(
            "\n{}: {}\n",
            d.stage.as_str(),
            d.plugin.provenance()
        ));
        for w in &d.why {
            out.push_str(&format!("  candidate  {w}\n"));
        }
        out.push_str(&format!("  failurePolicy {:?}\n", d.policy));
        for c in calls.iter().filter(|c| c.stage == d.stage) {
            out.push_str(&format!("  call ({}): {}\n", c.label, cost(&c.metering)));
            out.push_str(&format!("    input   {}\n", c.input));
            match &c.answer {
                Ok(a) => out.push_str(&format!("    answer  {a}\n")),
                Err(e) => out.push_str(&format!("    failed  {e}\n")),
            }
            match &c.verdict {
                Ok(()) => out.push_str("    verdict valid: within VPC Lattice's limits\n"),
                Err(e) => out.push_str(&format!("    verdict refused: {e}\n")),
            }
        }
    }
    out.push_str("\nVPC Lattice\n");
    for s in &plan.services {
        out.push_str(&format!("  service {}\n", s.name));
        for l in &s.listeners {
            out.push_str(&format!(
                "    listener {}:{}  default {}\n",
                l.protocol, l.port, l.default_action
            ));
            for r in &l.rules {
                out.push_str(&format!(
                    "      rule {:>4}  {}  {}\n",
                    r.priority, r.r#match, r.action
                ));
            }
        }
    }
    for k in &plan.kept {
        out.push_str(&format!(
            "  kept as VPC Lattice holds it: service {} ({}: {})\n",
            k.service, k.plugin, k.message
        ));
    }
    if !plan.diagnostics.is_empty() {
        out.push_str("\ndiagnostics\n");
    }
    for d in &plan.diagnostics {
        let by = d
            .plugin
            .as_deref()
            .map(|p| format!(" [{p}]"))
            .unwrap_or_default();
        out.push_str(&format!(
            "  {} {} {} {}: {}{by}\n",
            d.object, d.condition, d.reason, d.field, d.message
        ));
    }
    out
}

fn as_json(key: &RouteKey, deciders: &[Decider], calls: &[Call], plan: &Plan) -> Value {
    let stages: Vec<Value> = deciders
        .iter()
        .map(|d| {
            let calls: Vec<Value> = calls
                .iter()
                .filter(|c| c.stage == d.stage)
                .map(|c| {
                    json!({
                        "for": c.label,
                        "input": c.input,
                        "answer": c.answer.as_ref().ok(),
                        "error": c.answer.as_ref().err(),
                        "valid": c.verdict.is_ok(),
                        "refused": c.verdict.as_ref().err(),
                        "micros": c.metering.elapsed.as_micros() as u64,
                        "fuel": c.metering.fuel_used,
                        "fuelBudget": c.metering.fuel_budget,
                    })
                })
                .collect();
            json!({
                "stage": d.stage.as_str(),
                "plugin": d.plugin.provenance(),
                "failurePolicy": format!("{:?}", d.policy),
                "why": d.why,
                "calls": calls,
            })
        })
        .collect();
    json!({
        "route": format!("{}/{}", key.namespace, key.name),
        "kind": key.kind.kind_name(),
        "stages": stages,
        "plan": plan,
    })
}
