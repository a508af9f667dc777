//! `lattice-host bench e2e`: N routes applied through kube-sim, converged by
//! the controller into lattice-sim; then one route's weights change.

use std::time::{Duration, Instant};

use anyhow::Context;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams};
use lattice_controller::Options;
use lattice_wasm::PluginConfig;
use lattice_wiring::{Lattice, Parts};

/// Figures printed by `bench e2e --json`.
#[derive(Debug, serde::Serialize)]
pub struct E2eFigures {
    /// Routes.
    pub routes: usize,
    /// Controller start to every route programmed, ms.
    pub converge_ms: u64,
    /// One route's weights edited to Lattice updated, ms.
    pub change_ms: u64,
    /// VPC Lattice API calls, converge and change together.
    pub api_calls: u64,
    /// Resident memory of the process at the end, MB.
    pub rss_mb: f64,
}

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn calls(sim: &lattice_sim::LatticeSim, op: Option<&str>) -> u64 {
    let c = sim.call_counts();
    match op {
        Some(op) => c.get(op).copied().unwrap_or(0),
        None => c.values().sum(),
    }
}

/// Applies `n` synthetic routes to kube-sim, runs the controller (plugins
/// from `plugins`) until every route is `Programmed`, then edits one route's
/// weights and waits for Lattice to see it; gives up after `timeout`.
pub async fn run(n: usize, plugins: PluginConfig, timeout: Duration) -> anyhow::Result<E2eFigures> {
    let kube = kube_sim::KubeSim::start(kube_sim::SimOptions::default()).await?;
    let crds = [
        lattice_core::crds::gateway_api(),
        lattice_core::crds::project(),
    ]
    .concat();
    kube.sim()
        .apply_yaml(&lattice_core::crds::to_yaml(&crds)?)?;
    let mut docs: Vec<String> = (0..50).map(|i| format!("{{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{{\"name\":\"ns{i}\"}}}}")).collect();
    docs.extend(crate::synthetic::objects(n).iter().map(|o| o.to_string()));
    kube.sim().apply_yaml(&docs.join("\n---\n"))?;
    let lattice = lattice_sim::LatticeSim::new(lattice_sim::SimConfig {
        quotas: lattice_sim::Quotas::unlimited(),
        ..Default::default()
    })
    .start()
    .await?;

    let client = kube::Client::try_from(kube::Config::new(kube.url().parse()?))?;
    let assembled = lattice_wiring::controller(Parts {
        kube: client.clone(),
        plugins,
        lattice: Some(Lattice {
            client: lattice_sim::client(&lattice.url()),
            options: lattice_apply::ApplyOptions::unlimited(64),
        }),
        options: Options {
            max_concurrent_writes: 64,
            ..Options::default()
        },
    })?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let started = Instant::now();
    let task = tokio::spawn(assembled.controller.run(async {
        let _ = stopped.await;
    }));

    // Converged: every route reports Programmed=True.
    let ar = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("gateway.networking.k8s.io", "v1", "HTTPRoute"),
        "httproutes",
    );
    let all: Api<DynamicObject> = Api::all_with(client.clone(), &ar);
    let deadline = started + timeout;
    loop {
        let list = all.list(&Default::default()).await?;
        let programmed = list
            .items
            .iter()
            .filter(|r| {
                serde_json::to_value(r).ok().is_some_and(|v| {
                    v.pointer("/status/parents/0/conditions")
                        .and_then(|c| c.as_array())
                        .is_some_and(|cs| {
                            cs.iter().any(|c| {
                                c["type"] == lattice_core::status::programmed_condition().as_str()
                                    && c["status"] == "True"
                            })
                        })
                })
            })
            .count();
        if programmed == n {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "only {programmed} of {n} routes programmed in {} s",
            timeout.as_secs()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let converge_ms = started.elapsed().as_millis() as u64;

    // One change: the canary weights of route0; Lattice sees one UpdateRule.
    let before = calls(&lattice, Some("UpdateRule"));
    let one: Api<DynamicObject> = Api::namespaced_with(client.clone(), "ns0", &ar);
    let patch = serde_json::json!({"spec": {"rules": [
            {"matches":[{"path":{"type":"PathPrefix","value":"/api"}}],"backendRefs":[{"name":"svc0-0","port":8080,"weight":50},{"name":"svc0-1","port":8080,"weight":50}]},
            {"matches":[{"headers":[{"name":"x-canary","value":"1"}],"path":{"type":"PathPrefix","value":"/"}}],"backendRefs":[{"name":"svc0-0","port":8080,"weight":0},{"name":"svc0-1","port":8080,"weight":1}]},
            {"backendRefs":[{"name":"svc0-0","port":8080,"weight":1},{"name":"svc0-1","port":8080,"weight":1}]}]}});
    let changed = Instant::now();
    one.patch("route0", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .context("patch route0")?;
    while calls(&lattice, Some("UpdateRule")) == before {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the change never reached Lattice"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let change_ms = changed.elapsed().as_millis() as u64;
    let _ = stop.send(());
    let _ = task.await;
    drop(assembled.plugin_runtime);
    Ok(E2eFigures {
        routes: n,
        converge_ms,
        change_ms,
        api_calls: calls(&lattice, None),
        rss_mb: rss_mb(),
    })
}

impl std::fmt::Display for E2eFigures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "routes      {}", self.routes)?;
        writeln!(f, "converge    {} ms", self.converge_ms)?;
        writeln!(f, "one change  {} ms to Lattice", self.change_ms)?;
        writeln!(f, "api calls   {}", self.api_calls)?;
        write!(f, "rss         {:.1} MB", self.rss_mb)
    }
}
