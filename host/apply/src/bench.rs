//! The converge benchmark: N synthetic routes against an in-process lattice-sim
//! with L ms of latency on every call, from empty, then a second pass with
//! nothing changed.
//!
//! Each route is one service (HTTP:80, default 404) joining one service network,
//! with 3 rules forwarding to 2 target groups of 2 endpoints each.
//!
//! - `min_api_calls`: the calls this plan needs from empty: one list page
//!   each of service networks, services, target groups and VPC associations,
//!   then every create, one `RegisterTargets` per 100 targets of a group and
//!   the associations.
//! - `bound_ms`: the observation takes at least one round trip, and the writes
//!   form a graph of depth 3 (target groups / services → listeners, targets,
//!   associations → rules), so with C calls in flight:
//!   `L × (1 + max(3, ⌈writes_min / C⌉))`.

use crate::{Applier, ApplyOptions};
use lattice_core::ClusterConfig;
use lattice_core::plan::*;
use lattice_sim::{LatticeSim, Quotas, SimConfig, is_read_operation};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// What `lattice-host bench converge --json` prints.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConvergeFigures {
    /// N.
    pub routes: usize,
    /// Calls the first pass made (as lattice-sim counted them, retries included).
    pub api_calls: u64,
    /// The fewest calls the first pass could make.
    pub min_api_calls: u64,
    /// Write calls of the first pass.
    pub writes: u64,
    /// Wall time of the first pass.
    pub wall_ms: u64,
    /// Lower bound on the first pass's wall time.
    pub bound_ms: u64,
    /// Write calls of the second pass.
    pub resync_writes: u64,
    /// Read calls of the second pass.
    pub resync_reads: u64,
    /// Peak resident memory of the process, MB.
    pub rss_mb: f64,
}

/// The service network every synthetic route joins.
pub const BENCH_NETWORK: &str = "bench";

fn tg(name: String, i: usize, base: u8) -> TargetGroupPlan {
    let (a, b) = ((i / 250) as u8, (i % 250) as u8);
    TargetGroupPlan {
        name,
        backend: format!("bench/svc-{i}:8080"),
        port: 8080,
        protocol: "HTTP".into(),
        protocol_version: Some("HTTP1".into()),
        targets: (0..2)
            .map(|k| TargetPlan {
                ip: format!("10.{a}.{b}.{}", base + k),
                port: 8080,
            })
            .collect(),
        routes: vec![format!("bench/route-{i}")],
    }
}

fn prefix(p: &str) -> MatchPlan {
    MatchPlan {
        method: None,
        path: Some(PathMatchPlan {
            r#type: "prefix".into(),
            value: p.into(),
            case_sensitive: true,
        }),
        headers: vec![],
    }
}

/// The plan of `n` synthetic routes.
pub fn synthetic_plan(n: usize) -> Plan {
    let mut plan = Plan {
        service_networks: vec![ServiceNetworkPlan {
            name: BENCH_NETWORK.into(),
            gateway: "bench/bench".into(),
            auth_type: "NONE".into(),
            auth_policy: None,
            auth_origin: None,
        }],
        ..Default::default()
    };
    for i in 0..n {
        let (a, b) = (
            format!("k8s-svc-{i}-a-bench-8080-http-http1"),
            format!("k8s-svc-{i}-b-bench-8080-http-http1"),
        );
        plan.target_groups.push(tg(a.clone(), i, 1));
        plan.target_groups.push(tg(b.clone(), i, 3));
        let w = |t: &str, weight| WeightedTargetGroup {
            target_group: t.to_string(),
            weight,
        };
        let origin = |k| Origin {
            rule_index: k,
            match_index: Some(0),
            plugin: "bench".into(),
            weighting: None,
        };
        let rules = vec![
            RulePlan {
                priority: 1,
                r#match: prefix("/v1"),
                action: Action::Forward(vec![w(&a, 1)]),
                origin: origin(0),
            },
            RulePlan {
                priority: 2,
                r#match: prefix("/v2"),
                action: Action::Forward(vec![w(&b, 1)]),
                origin: origin(1),
            },
            RulePlan {
                priority: 3,
                r#match: prefix("/"),
                action: Action::Forward(vec![w(&a, 90), w(&b, 10)]),
                origin: origin(2),
            },
        ];
        plan.services.push(ServicePlan {
            name: format!("route-{i}-bench"),
            route: format!("bench/route-{i}"),
            route_kind: "HTTPRoute".into(),
            custom_domain_name: None,
            allow_takeover_from: None,
            auth_type: "NONE".into(),
            auth_policy: None,
            service_networks: vec![BENCH_NETWORK.into()],
            listeners: vec![ListenerPlan {
                port: 80,
                protocol: "HTTP".into(),
                default_action: Action::FixedResponse(404),
                rules,
            }],
            auth_origin: None,
        });
    }
    plan
}

/// The fewest write calls that build `plan` from empty.
pub fn min_writes(plan: &Plan) -> u64 {
    let sn = plan.service_networks.len() as u64 * 2; // create + VPC association
    let policies = plan
        .service_networks
        .iter()
        .filter(|s| s.auth_policy.is_some())
        .count()
        + plan
            .services
            .iter()
            .filter(|s| s.auth_policy.is_some())
            .count();
    let tgs: u64 = plan
        .target_groups
        .iter()
        .map(|t| 1 + t.targets.len().div_ceil(100) as u64)
        .sum();
    let svcs: u64 = plan
        .services
        .iter()
        .map(|s| {
            1 + s.service_networks.len() as u64
                + s.listeners
                    .iter()
                    .map(|l| 1 + l.rules.len() as u64)
                    .sum::<u64>()
        })
        .sum();
    sn + policies as u64 + tgs + svcs
}

/// A client for an emulator at `url`: static credentials, no SDK retries.
pub fn sim_client(url: &str) -> aws_sdk_vpclattice::Client {
    use aws_sdk_vpclattice::config::{BehaviorVersion, Credentials, Region};
    let conf = aws_sdk_vpclattice::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-west-2"))
        .credentials_provider(Credentials::new(
            "AKIDLATTICESIM",
            "secret",
            None,
            None,
            "lattice-sim",
        ))
        .endpoint_url(url)
        .stalled_stream_protection(
            aws_sdk_vpclattice::config::StalledStreamProtectionConfig::disabled(),
        )
        .retry_config(aws_sdk_vpclattice::config::retry::RetryConfig::disabled())
        .timeout_config(
            aws_sdk_vpclattice::config::timeout::TimeoutConfig::builder()
                .operation_attempt_timeout(Duration::from_secs(20))
                .build(),
        )
        .build();
    aws_sdk_vpclattice::Client::from_conf(conf)
}

fn split(calls: &BTreeMap<String, u64>) -> (u64, u64) {
    calls.iter().fold((0, 0), |(r, w), (op, n)| {
        if is_read_operation(op) {
            (r + n, w)
        } else {
            (r, w + n)
        }
    })
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    (kb / 1024.0 * 10.0).round() / 10.0
}

/// Converge `routes` synthetic routes against an in-process lattice-sim with
/// `latency_ms` on every call and `concurrency` calls in flight, then resync.
///
/// # Panics
/// If the emulator cannot bind a port on 127.0.0.1.
pub async fn converge(routes: usize, latency_ms: u64, concurrency: usize) -> ConvergeFigures {
    let sim_cfg: SimConfig =
        serde_json::from_value(serde_json::json!({"faults": {"*": {"latencyMs": latency_ms}}}))
            .unwrap_or_default();
    let sim = LatticeSim::new(SimConfig {
        quotas: Quotas::unlimited(),
        ..sim_cfg
    })
    .start()
    .await
    .expect("lattice-sim binds 127.0.0.1");
    let plan = synthetic_plan(routes);
    let applier = Applier::new(
        sim_client(&sim.url()),
        ClusterConfig::default(),
        ApplyOptions::unlimited(concurrency),
    );
    // Run the passes on a runtime worker, next to the I/O driver, rather than on
    // the thread that blocks on this future.
    let counts = sim.sim().clone();
    let task = tokio::spawn(async move {
        let mut applier = applier;
        counts.reset_call_counts();
        let t0 = Instant::now();
        let first = applier.apply(&plan).await;
        let wall = t0.elapsed();
        if !first.is_success() {
            tracing::warn!(
                failures = first.failures.len(),
                "converge: first pass had failures"
            );
        }
        let pass1 = counts.call_counts();
        counts.reset_call_counts();
        let _second = applier.apply(&plan).await;
        (plan, wall, pass1, counts.call_counts())
    });
    let (plan, wall, pass1, pass2) = task.await.expect("converge task");
    let (r1, w1) = split(&pass1);
    let (r2, w2) = split(&pass2);

    let min_writes = min_writes(&plan);
    let c = concurrency.max(1) as u64;
    ConvergeFigures {
        routes,
        api_calls: r1 + w1,
        min_api_calls: 4 + min_writes,
        writes: w1,
        wall_ms: wall.as_millis() as u64,
        bound_ms: latency_ms * (1 + 3u64.max(min_writes.div_ceil(c))),
        resync_writes: w2,
        resync_reads: r2,
        rss_mb: peak_rss_mb(),
    }
}
