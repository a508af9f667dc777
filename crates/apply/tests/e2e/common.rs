//! Shared helpers: an emulator, a client, small plan builders, and checks that
//! Lattice holds exactly the plan.
#![allow(dead_code)]

use lattice_sim::client as sim_client;

#[path = "../../src/fixtures.rs"]
pub mod fixtures;
use fixtures::synthetic_plan;
use lattice_apply::{Applier, ApplyOptions, ApplyReport};
use lattice_core::ClusterConfig;
use lattice_core::plan::*;
use lattice_sim::{LatticeSim, Quotas, RunningSim, SimConfig};
use serde_json::Value;
use std::collections::BTreeMap;

/// An emulator with unlimited quotas.
pub async fn sim() -> RunningSim {
    LatticeSim::new(SimConfig {
        quotas: Quotas::unlimited(),
        fault_seed: Some(7),
        ..Default::default()
    })
    .start()
    .await
    .expect("bind")
}

/// Fast options for the emulator.
pub fn fast() -> ApplyOptions {
    ApplyOptions::unlimited(16)
}

/// An applier against `sim`.
pub fn applier(sim: &RunningSim, opts: ApplyOptions) -> Applier {
    Applier::new(sim_client(&sim.url()), ClusterConfig::default(), opts)
}

/// `n` synthetic routes (3 rules, 2 target groups of 2 targets each).
pub fn routes(n: usize) -> Plan {
    synthetic_plan(n)
}

/// Apply and insist on success.
pub async fn apply_ok(a: &mut Applier, plan: &Plan) -> ApplyReport {
    let r = a.apply(plan).await;
    assert!(r.is_success(), "{r}");
    r
}

/// Writes a report made, per operation.
pub fn writes(r: &ApplyReport) -> BTreeMap<String, u64> {
    r.calls
        .iter()
        .filter(|(k, _)| !k.starts_with("List") && !k.starts_with("Get"))
        .map(|(k, v)| (k.clone(), *v))
        .collect()
}

fn map<'a>(dump: &'a Value, kind: &str) -> Vec<&'a Value> {
    dump[kind]
        .as_object()
        .map(|m| m.values().collect())
        .unwrap_or_default()
}

/// Lattice holds exactly `plan`: nothing left to do, and nothing else (no
/// orphans, no duplicates).
pub async fn assert_holds_exactly(sim: &RunningSim, plan: &Plan) {
    assert_no_work(sim, plan).await;
    let d = sim.state_dump();
    assert_eq!(map(&d, "services").len(), plan.services.len(), "services");
    assert_eq!(
        map(&d, "targetGroups").len(),
        plan.target_groups.len(),
        "target groups"
    );
    assert_eq!(
        map(&d, "serviceNetworks").len(),
        plan.service_networks.len(),
        "service networks"
    );
    let listeners: usize = plan.services.iter().map(|s| s.listeners.len()).sum();
    assert_eq!(map(&d, "listeners").len(), listeners, "listeners");
    let rules: usize = plan
        .services
        .iter()
        .flat_map(|s| &s.listeners)
        .map(|l| l.rules.len())
        .sum();
    let non_default = map(&d, "rules")
        .into_iter()
        .filter(|r| r["isDefault"] != Value::Bool(true))
        .count();
    assert_eq!(non_default, rules, "rules");
    let assocs: usize = plan.services.iter().map(|s| s.service_networks.len()).sum();
    assert_eq!(
        map(&d, "serviceAssociations").len(),
        assocs,
        "service associations"
    );
    // A LAMBDA group's one target is its function.
    let targets: usize = plan
        .target_groups
        .iter()
        .map(|t| t.targets.len() + usize::from(t.lambda.is_some()))
        .sum();
    let live: usize = map(&d, "targetGroups")
        .iter()
        .map(|tg| {
            tg["targets"]
                .as_object()
                .map(|m| m.values().filter(|t| t["deregisteredAt"].is_null()).count())
                .unwrap_or(0)
        })
        .sum();
    assert_eq!(live, targets, "targets");
}

/// A fresh applier (cold cache, so every detail is read back) finds nothing to do.
pub async fn assert_no_work(sim: &RunningSim, plan: &Plan) {
    let mut fresh = applier(
        sim,
        ApplyOptions {
            allow_adoption: false,
            ..fast()
        },
    );
    let r = fresh.apply(plan).await;
    assert!(r.is_success(), "{r}");
    assert_eq!(r.writes(), 0, "a fresh pass still had work: {r}");
    assert!(r.diagnostics.is_empty(), "{r}");
}

/// A plan with one service network and no routes.
pub fn network_only(name: &str) -> Plan {
    Plan {
        service_networks: vec![ServiceNetworkPlan {
            vpc_association: None,
            name: name.into(),
            gateway: format!("default/{name}"),
            auth_type: "NONE".into(),
            auth_policy: None,
            auth_origin: None,
            access_logs: vec![],
            tags: None,
        }],
        ..Default::default()
    }
}

/// An IAM policy document.
pub const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*"}]}"#;
