//! What the report tells a caller besides the changes: where each service of
//! the plan is (ARN, DNS name) and how many calls the applier made, read from
//! a handle that outlives the caller's hold on the applier.

use crate::common::*;
use lattice_apply::{Scope, ServiceEndpoint};
use std::collections::BTreeMap;

/// Every service as lattice-sim lists it: ARN and DNS name by name.
async fn listed(sim: &lattice_sim::RunningSim) -> BTreeMap<String, ServiceEndpoint> {
    let c = lattice_sim::client(&sim.url());
    let out = c.list_services().send().await.expect("list services");
    out.items()
        .iter()
        .map(|s| {
            let endpoint = ServiceEndpoint {
                arn: s.arn().unwrap_or_default().to_string(),
                dns_name: s
                    .dns_entry()
                    .and_then(|d| d.domain_name())
                    .map(str::to_string),
            };
            (s.name().unwrap_or_default().to_string(), endpoint)
        })
        .collect()
}

#[tokio::test]
async fn created_and_existing_services_appear_with_the_arn_and_dns_name_lattice_reports() {
    let sim = sim().await;
    let mut a = applier(&sim, fast());
    let r = apply_ok(&mut a, &routes(2)).await;
    let lattice = listed(&sim).await;
    assert_eq!(r.services, lattice, "created services");
    assert!(r.services.values().all(|e| e.dns_name.is_some()), "{r:?}");

    // Two services exist already, a third is created; a cold applier reads
    // the existing ones only through its lists.
    let plan = routes(3);
    let r = apply_ok(&mut applier(&sim, fast()), &plan).await;
    let lattice = listed(&sim).await;
    assert_eq!(lattice.len(), 3);
    assert_eq!(r.services, lattice, "existing and created services");

    // A scoped pass reports the services it applied.
    let scope = Scope {
        services: ["route-1-bench".to_string()].into(),
        target_groups: Default::default(),
    };
    let r = a.apply_scoped(&plan, &scope).await;
    assert!(r.is_success(), "{r}");
    let one: BTreeMap<_, _> = lattice
        .into_iter()
        .filter(|(name, _)| name == "route-1-bench")
        .collect();
    assert_eq!(r.services, one);
}

#[tokio::test]
async fn a_deleted_service_is_not_reported_and_the_json_omits_an_empty_map() {
    let sim = sim().await;
    let mut a = applier(&sim, fast());
    apply_ok(&mut a, &routes(1)).await;
    let r = apply_ok(&mut a, &network_only("bench")).await;
    assert!(r.services.is_empty(), "{r:?}");
    let json = serde_json::to_value(&r).expect("serialise");
    assert!(json.get("services").is_none(), "{json}");
}

#[tokio::test]
async fn the_call_counts_can_be_read_while_someone_else_owns_the_applier() {
    let sim = sim().await;
    let a = applier(&sim, fast());
    let counts = a.call_counts();
    assert_eq!(counts.total(), 0);
    let task = tokio::spawn(async move {
        let mut a = a;
        apply_ok(&mut a, &routes(3)).await;
        apply_ok(&mut a, &routes(3)).await;
    });
    task.await.expect("applier task");
    // Without faults every attempt reaches the emulator exactly once.
    assert_eq!(counts.snapshot(), sim.call_counts());
    assert_eq!(counts.total(), sim.call_counts().values().sum::<u64>());
}
