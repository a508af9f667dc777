//! `lattice-host bench plugins`: the plan through the WASM plugins against
//! the same logic linked natively, on synthetic routes.

use std::time::Instant;

use anyhow::Context;
use clap::Args;
use lattice_core::{ClusterConfig, Snapshot, Stages};
use serde_json::json;

use crate::native::NativeStages;

/// `bench plugins` arguments.
#[derive(Debug, Args)]
pub struct PluginsArgs {
    /// Synthetic routes (3 rules, 2 backends each).
    #[arg(long, default_value_t = 10_000)]
    pub routes: usize,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Plugin runtime.
    #[command(flatten)]
    pub runtime: crate::cli::RuntimeArgs,
}

/// `n` HTTPRoutes on one Gateway, as manifests: 3 rules each (a weighted
/// canary, a header match, a catch-all), 2 backends each, 2 endpoints each,
/// spread over 50 namespaces.
pub fn synthetic_objects(n: usize) -> Vec<serde_json::Value> {
    let mut out = vec![
        json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"Gateway",
        "metadata":{"name":"bench","namespace":"default"},
        "spec":{"gatewayClassName":"amazon-vpc-lattice","listeners":[{"name":"http","port":80,"protocol":"HTTP",
            "allowedRoutes":{"namespaces":{"from":"All"}}}]}}),
    ];
    for i in 0..n {
        let ns = format!("ns{}", i % 50);
        for b in 0..2 {
            let svc = format!("svc{i}-{b}");
            out.push(
                json!({"apiVersion":"v1","kind":"Service","metadata":{"name":svc,"namespace":ns},
                "spec":{"ports":[{"name":"http","port":8080,"targetPort":8080}]}}),
            );
            out.push(json!({"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice",
                "metadata":{"name":format!("{svc}-abc"),"namespace":ns,"labels":{"kubernetes.io/service-name":svc}},
                "addressType":"IPv4","ports":[{"name":"http","port":8080}],
                "endpoints":[{"addresses":[format!("10.{}.{}.1", i / 250 % 250, i % 250)],"conditions":{"ready":true}},
                             {"addresses":[format!("10.{}.{}.2", i / 250 % 250, i % 250)],"conditions":{"ready":true}}]}));
        }
        let backends = |w0: u32, w1: u32| json!([{"name":format!("svc{i}-0"),"port":8080,"weight":w0},{"name":format!("svc{i}-1"),"port":8080,"weight":w1}]);
        out.push(json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute",
            "metadata":{"name":format!("route{i}"),"namespace":ns},
            "spec":{"parentRefs":[{"name":"bench","namespace":"default"}],
              "rules":[
                {"matches":[{"path":{"type":"PathPrefix","value":"/api"}}],"backendRefs":backends(90,10)},
                {"matches":[{"headers":[{"name":"x-canary","value":"1"}],"path":{"type":"PathPrefix","value":"/"}}],"backendRefs":backends(0,1)},
                {"backendRefs":backends(1,1)}]}}));
    }
    out
}

/// The same routes as a snapshot, for planning without a cluster.
pub fn synthetic(n: usize) -> Snapshot {
    let mut s = Snapshot::default();
    for o in synthetic_objects(n) {
        s.add_manifest(o).expect("synthetic manifests are valid");
    }
    s
}

/// Figures printed by `bench plugins --json`.
#[derive(Debug, serde::Serialize)]
pub struct PluginFigures {
    /// Routes planned.
    pub routes: usize,
    /// Whole plan through the WASM plugins, ms.
    pub wasm_ms: f64,
    /// Whole plan through the native plugins, ms.
    pub native_ms: f64,
    /// `wasm_ms / native_ms`.
    pub ratio: f64,
    /// One mapping call on a warm instance, one typical route, µs.
    pub warm_call_us: f64,
    /// Fresh instance plus one mapping call, one typical route, µs.
    pub fresh_call_us: f64,
    /// The same call linked natively, µs: what the WASM boundary adds to.
    pub native_call_us: f64,
}

fn time_plan(snapshot: &Snapshot, stages: &dyn Stages) -> (f64, usize) {
    let cfg = ClusterConfig::default();
    let start = Instant::now();
    let plan = lattice_core::build_plan(snapshot, &cfg, stages);
    (start.elapsed().as_secs_f64() * 1e3, plan.services.len())
}

/// Microseconds per call: the median of 9 batches of 1,000 calls, so a
/// scheduling hiccup on a shared machine skews one batch, not the figure.
fn per_call_us(
    mut call: impl FnMut() -> Result<(), lattice_core::StageError>,
) -> anyhow::Result<f64> {
    const BATCHES: usize = 9;
    const CALLS: u32 = 1_000;
    let mut batches = Vec::with_capacity(BATCHES);
    for _ in 0..BATCHES {
        let start = Instant::now();
        for _ in 0..CALLS {
            call()?;
        }
        batches.push(start.elapsed().as_secs_f64() * 1e6 / f64::from(CALLS));
    }
    batches.sort_by(f64::total_cmp);
    Ok(batches[BATCHES / 2])
}

/// Runs `bench plugins`.
pub fn plugins(args: PluginsArgs) -> anyhow::Result<()> {
    let snapshot = synthetic(args.routes);
    let (_rt, wasm) = args.runtime.stages()?;
    // Warm up both paths once (page faults, caches), then measure.
    let _ = time_plan(&synthetic(50), &wasm);
    let _ = time_plan(&synthetic(50), &NativeStages);
    let (wasm_ms, planned) = time_plan(&snapshot, &wasm);
    let (native_ms, native_planned) = time_plan(&snapshot, &NativeStages);
    anyhow::ensure!(
        planned == args.routes && native_planned == args.routes,
        "planned {planned} (wasm) and {native_planned} (native) of {} routes",
        args.routes
    );

    let one =
        lattice_core::plan::PlanInput::from_snapshot(&synthetic(1), &ClusterConfig::default());
    let route = std::slice::from_ref(&one.routes.first().context("synthetic route")?.route);
    let mut warm = wasm.mapping.warm_mapper()?;
    let warm_call_us = per_call_us(|| warm.map(route).map(drop))?;
    let fresh_call_us = per_call_us(|| wasm.mapping.map(route).map(drop))?;
    let native_call_us = per_call_us(|| NativeStages.map(route).map(drop))?;

    let f = PluginFigures {
        routes: args.routes,
        wasm_ms,
        native_ms,
        ratio: wasm_ms / native_ms.max(1e-9),
        warm_call_us,
        fresh_call_us,
        native_call_us,
    };
    if args.json {
        println!("{}", serde_json::to_string(&f)?);
    } else {
        println!("routes         {}", f.routes);
        println!("plan (wasm)    {:.1} ms", f.wasm_ms);
        println!("plan (native)  {:.1} ms", f.native_ms);
        println!("ratio          {:.2}", f.ratio);
        println!("warm call      {:.2} µs", f.warm_call_us);
        println!("fresh + call   {:.2} µs", f.fresh_call_us);
        println!("native call    {:.2} µs", f.native_call_us);
    }
    Ok(())
}

/// `bench converge` arguments.
#[derive(Debug, Args)]
pub struct ConvergeArgs {
    /// Synthetic routes (3 rules, 2 backends, 2 endpoints each).
    #[arg(long, default_value_t = 1000)]
    pub routes: usize,
    /// Latency lattice-sim adds to every call, ms.
    #[arg(long, default_value_t = 10)]
    pub latency_ms: u64,
    /// Calls in flight at once. Past about 32 on two cores, the CPU of the
    /// in-process SDK and emulator, not latency, bounds the wall time.
    #[arg(long, default_value_t = 24)]
    pub concurrency: usize,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Runs `bench converge`.
pub fn converge(args: ConvergeArgs) -> anyhow::Result<()> {
    let f = tokio::runtime::Runtime::new()?.block_on(lattice_apply::bench::converge(
        args.routes,
        args.latency_ms,
        args.concurrency.max(1),
    ));
    if args.json {
        println!("{}", serde_json::to_string(&f)?);
    } else {
        println!("routes          {}", f.routes);
        println!(
            "api calls       {} (minimum {})",
            f.api_calls, f.min_api_calls
        );
        println!("writes          {}", f.writes);
        println!("wall            {} ms (bound {} ms)", f.wall_ms, f.bound_ms);
        println!(
            "resync          {} writes, {} reads",
            f.resync_writes, f.resync_reads
        );
        println!("rss             {:.1} MB", f.rss_mb);
    }
    Ok(())
}
