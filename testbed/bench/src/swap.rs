//! `lattice-host bench swap`: a plugin object swapped in while the
//! controller runs (issue 10).
//!
//! ```text
//! N synthetic routes converge with the built-in weighting (90/10, 0/1, 1/1)
//! ─► equal-split in a ConfigMap; compiled once into the controller's cache
//! ─► t0: ClusterLatticePlugin created (stage weighting, configMap source)
//!    controller: fetch ─► load (cached) ─► safety gate ─► swap ─► pass ─► apply
//! ─► lattice-sim holds an equal split on every forward action: swap_ms
//! ─► quiet: writes counted, route and plugin status read
//! ```

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::Context;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, PostParams};
use lattice_core::crds::plugins::ClusterLatticePlugin;
use lattice_plugin_sdk::types::Stage;
use lattice_wasm::PluginConfig;
use serde_json::{Value, json};

use crate::cluster::Cluster;

/// The equal-split example plugin (`examples/plugins/equal-split`), built by
/// `build.rs`: every resolved backend of a rule gets the same weight.
pub const EQUAL_SPLIT: &[u8] = include_bytes!(env!("EQUAL_SPLIT_WASM"));

/// The issue's target for `swap_ms`.
pub const TARGET_MS: u64 = 1_000;

/// The plugin object's name; its ConfigMap has the same name.
const NAME: &str = "equal-split";
/// Where the ConfigMap lives: the controller's own namespace.
const NAMESPACE: &str = "default";
/// How often Lattice is looked at while the swap runs.
const POLL: Duration = Duration::from_millis(5);
/// No Lattice call for this long: the controller is done.
const QUIET: Duration = Duration::from_millis(300);

/// Figures printed by `bench swap --json`.
#[derive(Debug, serde::Serialize)]
pub struct SwapFigures {
    /// Routes.
    pub routes: usize,
    /// The ClusterLatticePlugin's creation (the request sent) to the moment
    /// lattice-sim was seen holding an equal split on every forward action,
    /// ms. Call counts are polled every 5 ms and the state read once the
    /// writes suffice (again every 10 ms), so the figure is late by about
    /// 5–10 ms plus, rarely, one state read.
    pub swap_ms: u64,
    /// `not_programmed + failed_writes`, plus one when the plugin object
    /// does not end `Ready=True` without `Blocked=True`. Failed reads are
    /// not counted: the applier's lookups may fail by design (not found).
    pub failed_reconciles: u64,
    /// VPC Lattice write calls (every operation that is not a read, failed
    /// ones included) lattice-sim served from t0 until the controller went
    /// quiet (no call for 300 ms).
    pub writes: u64,
    /// The target for `swap_ms`.
    pub target_ms: u64,
    /// `swap_ms <= target_ms` and no failed reconcile.
    pub met: bool,
    /// Forward actions the swap had to change (not yet an equal split of
    /// both backends before t0).
    pub rules_changed: u64,
    /// t0 to the first Lattice write seen, ms: fetch, load, gate and the
    /// pass's planning and reads come before it.
    pub first_write_ms: u64,
    /// `writes` by operation.
    pub writes_by_operation: BTreeMap<String, u64>,
    /// Read calls over the same span: the applier observes what Lattice
    /// holds for the routes it re-plans before it writes.
    pub reads: u64,
    /// Routes not reporting `Programmed=True` once the controller is quiet.
    pub not_programmed: u64,
    /// Lattice write calls that failed (answered with an error or dropped).
    pub failed_writes: u64,
    /// The plugin object ends `Ready=True` and not `Blocked=True`.
    pub plugin_ready: bool,
    /// Compiling the component before t0 into the controller's cache, ms;
    /// not part of `swap_ms`.
    pub compile_ms: u64,
}

/// Converges `n` synthetic routes, then swaps the equal-split weighting in
/// as a ClusterLatticePlugin and times it until Lattice holds it everywhere.
/// Gives up after `timeout` for each of converging and swapping.
pub async fn run(n: usize, timeout: Duration) -> anyhow::Result<SwapFigures> {
    // The controller's compile cache, warmed below; gone with the run.
    let cache = tempfile::tempdir().context("a temporary compile cache")?;
    let cluster = crate::cluster::start(n).await?;
    let controller = cluster.controller(PluginConfig {
        cache_dir: Some(cache.path().to_path_buf()),
        ..PluginConfig::default()
    })?;
    cluster
        .converged(n, Instant::now() + timeout)
        .await
        .with_context(|| format!("converging within {} s", timeout.as_secs()))?;

    config_map(&cluster.client).await?;
    // "With the component already compiled": the controller's runtime
    // compiles per sha256 into its cache directory; this fills it.
    let compiling = Instant::now();
    controller
        .runtime
        .load(Stage::Weighting, "bench warm-up", EQUAL_SPLIT, "")
        .context("equal-split loads")?;
    let compile_ms = compiling.elapsed().as_millis() as u64;
    // The controller has seen the ConfigMap and finished its writes.
    quiet(&cluster, Instant::now() + timeout).await?;
    let before = unequal(&cluster.lattice.state_dump());
    anyhow::ensure!(
        before.rules > 0,
        "all {} forward actions already split equally; nothing to swap",
        before.forwards
    );

    cluster.lattice.reset_call_counts();
    // With the controller's debug log (`LOG_LEVEL=lattice_controller=debug,
    // lattice_bench=debug`), these two lines bracket its phases: fetched,
    // gate passed ("serves N routes"), applied (with apply_ms).
    tracing::debug!(routes = n, "swap: creating the ClusterLatticePlugin");
    let t0 = Instant::now();
    let deadline = t0 + timeout;
    let plugins: Api<ClusterLatticePlugin> = Api::all(cluster.client.clone());
    plugins
        .create(&PostParams::default(), &plugin_object()?)
        .await
        .context("ClusterLatticePlugin created")?;
    let (swap, first_write) = until_equal(&cluster, t0, before.listeners, deadline).await?;
    tracing::debug!(
        swap_ms = swap.as_millis() as u64,
        "swap: Lattice splits equally everywhere"
    );

    quiet(&cluster, deadline).await?;
    let counts = cluster.lattice.call_counts();
    let failed_writes: u64 = writes_of(&cluster.lattice.failed_call_counts())
        .values()
        .sum();
    let writes_by_operation = writes_of(&counts);
    let reads = counts.values().sum::<u64>() - writes_by_operation.values().sum::<u64>();
    let plugin_ready = plugin_ready(&plugins, deadline).await;
    let not_programmed = not_programmed(&cluster, n, deadline).await?;
    controller.stop().await;

    let swap_ms = swap.as_millis() as u64;
    let failed_reconciles = not_programmed + failed_writes + u64::from(!plugin_ready);
    Ok(SwapFigures {
        routes: n,
        swap_ms,
        failed_reconciles,
        writes: writes_by_operation.values().sum(),
        target_ms: TARGET_MS,
        met: swap_ms <= TARGET_MS && failed_reconciles == 0,
        rules_changed: before.rules,
        first_write_ms: first_write.map_or(swap_ms, |d| d.as_millis() as u64),
        writes_by_operation,
        reads,
        not_programmed,
        failed_writes,
        plugin_ready,
        compile_ms,
    })
}

/// The ConfigMap holding equal-split as binaryData.
async fn config_map(client: &kube::Client) -> anyhow::Result<()> {
    let cm = ConfigMap {
        metadata: kube::api::ObjectMeta {
            name: Some(NAME.into()),
            namespace: Some(NAMESPACE.into()),
            ..Default::default()
        },
        binary_data: Some(BTreeMap::from([(
            "plugin.wasm".into(),
            ByteString(EQUAL_SPLIT.to_vec()),
        )])),
        ..Default::default()
    };
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), NAMESPACE);
    api.create(&PostParams::default(), &cm)
        .await
        .context("ConfigMap created")?;
    Ok(())
}

/// equal-split for the weighting stage of every route.
fn plugin_object() -> anyhow::Result<ClusterLatticePlugin> {
    Ok(serde_json::from_value(json!({
        "apiVersion": "lattice-host.io/v1alpha1",
        "kind": "ClusterLatticePlugin",
        "metadata": {"name": NAME},
        "spec": {"stage": "weighting", "source": {"configMap":
            {"name": NAME, "namespace": NAMESPACE, "key": "plugin.wasm"}}},
    }))?)
}

/// Polls Lattice until every forward action splits equally. The cheap call
/// counts gate the expensive state read: it runs once at least `listeners`
/// writes were served (one per listener to change, at the least), again
/// when more arrive or 10 ms passed (a call is counted before it is
/// handled). Returns the time from `t0` to the start of the read that found
/// it done (the read sees the state as of then: it takes lattice-sim's one
/// lock first), and to the first write.
async fn until_equal(
    cluster: &Cluster,
    t0: Instant,
    listeners: u64,
    deadline: Instant,
) -> anyhow::Result<(Duration, Option<Duration>)> {
    let mut first_write = None;
    let mut last_read: Option<(u64, Instant)> = None;
    loop {
        let writes: u64 = writes_of(&cluster.lattice.call_counts()).values().sum();
        if writes > 0 && first_write.is_none() {
            first_write = Some(t0.elapsed());
        }
        let stale = last_read
            .is_none_or(|(w, at)| w != writes || at.elapsed() >= Duration::from_millis(10));
        if writes >= listeners && stale {
            let at = t0.elapsed();
            if unequal(&cluster.lattice.state_dump()).rules == 0 {
                return Ok((at, first_write));
            }
            last_read = Some((writes, Instant::now()));
        }
        if Instant::now() >= deadline {
            let state = cluster.lattice.state_dump();
            let left = unequal(&state).rules;
            let example = state["rules"]
                .as_object()
                .and_then(|rules| rules.values().find(|r| !is_equal_split(r)))
                .map(|r| r["action"].to_string())
                .unwrap_or_default();
            anyhow::bail!(
                "Lattice never forwarded equally everywhere: {left} forward actions left after {writes} writes, e.g. {example}"
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Waits until lattice-sim served no call for [`QUIET`].
async fn quiet(cluster: &Cluster, deadline: Instant) -> anyhow::Result<()> {
    let mut seen = cluster.calls(None);
    let mut since = Instant::now();
    while since.elapsed() < QUIET {
        anyhow::ensure!(Instant::now() < deadline, "the controller never went quiet");
        tokio::time::sleep(Duration::from_millis(20)).await;
        let now = cluster.calls(None);
        if now != seen {
            (seen, since) = (now, Instant::now());
        }
    }
    Ok(())
}

/// The write operations of `counts`.
fn writes_of(counts: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    counts
        .iter()
        .filter(|(op, _)| !lattice_sim::is_read_operation(op))
        .map(|(op, n)| (op.clone(), *n))
        .collect()
}

/// What of a lattice-sim state is not yet an equal split.
struct Unequal {
    /// Forward actions that are not an equal split of two target groups.
    rules: u64,
    /// The listeners holding them: one write call updates the rules of one
    /// listener at most (`UpdateRule`, `BatchUpdateRule`).
    listeners: u64,
    /// Forward actions in all.
    forwards: u64,
}

fn unequal(state: &Value) -> Unequal {
    let forwards: Vec<&Value> = state["rules"]
        .as_object()
        .into_iter()
        .flat_map(|rules| rules.values())
        .filter(|r| r.pointer("/action/forward").is_some())
        .collect();
    let left: Vec<&&Value> = forwards.iter().filter(|r| !is_equal_split(r)).collect();
    let listeners: std::collections::BTreeSet<&str> = left
        .iter()
        .filter_map(|r| r["listenerId"].as_str())
        .collect();
    Unequal {
        rules: left.len() as u64,
        listeners: listeners.len() as u64,
        forwards: forwards.len() as u64,
    }
}

/// Whether a rule forwards to two target groups with one weight: what
/// equal-split makes of every synthetic rule (two backends each). A rule
/// that does not forward is not this benchmark's business.
fn is_equal_split(rule: &Value) -> bool {
    let Some(tgs) = rule.pointer("/action/forward/targetGroups") else {
        return true;
    };
    let weights: Vec<Option<u64>> = tgs
        .as_array()
        .map(|a| a.iter().map(|t| t["weight"].as_u64()).collect())
        .unwrap_or_default();
    weights.len() == 2 && weights[0].is_some_and(|w| w > 0) && weights[0] == weights[1]
}

/// Whether the plugin object reports `Ready=True` and not `Blocked=True`,
/// waiting for the first of them until `deadline`.
async fn plugin_ready(plugins: &Api<ClusterLatticePlugin>, deadline: Instant) -> bool {
    loop {
        let conditions = plugins
            .get(NAME)
            .await
            .ok()
            .and_then(|p| p.status)
            .map(|s| s.conditions)
            .unwrap_or_default();
        let is = |ty: &str| {
            conditions
                .iter()
                .any(|c| c.type_ == ty && c.status == "True")
        };
        if is("Blocked") {
            return false;
        }
        if is("Ready") {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Routes not `Programmed=True`: waits up to 5 s (or `deadline`) for route
/// status written after the last Lattice call.
async fn not_programmed(cluster: &Cluster, n: usize, deadline: Instant) -> anyhow::Result<u64> {
    let until = deadline.min(Instant::now() + Duration::from_secs(5));
    loop {
        let (routes, programmed) = cluster.programmed().await?;
        let missing = n.max(routes) - programmed;
        if missing == 0 || Instant::now() >= until {
            return Ok(missing as u64);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl std::fmt::Display for SwapFigures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "routes             {}", self.routes)?;
        writeln!(
            f,
            "rules changed      {} forward actions, now an equal split",
            self.rules_changed
        )?;
        writeln!(
            f,
            "swap               {} ms from the ClusterLatticePlugin's creation to the last rule updated",
            self.swap_ms
        )?;
        writeln!(f, "  first write at   {} ms", self.first_write_ms)?;
        writeln!(
            f,
            "failed reconciles  {} (routes not Programmed {}, failed Lattice writes {}, plugin Ready {})",
            self.failed_reconciles,
            self.not_programmed,
            self.failed_writes,
            if self.plugin_ready { "yes" } else { "no" }
        )?;
        writeln!(f, "writes             {}", self.writes)?;
        for (op, count) in &self.writes_by_operation {
            writeln!(f, "  {op:<16} {count}")?;
        }
        writeln!(f, "reads              {}", self.reads)?;
        writeln!(
            f,
            "compiled before    {} ms (not part of the swap)",
            self.compile_ms
        )?;
        write!(
            f,
            "target {} ms, 0 failed reconciles: {}",
            self.target_ms,
            if self.met { "met" } else { "missed" }
        )
    }
}
