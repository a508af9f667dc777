//! A `LAMBDA` target group against lattice-sim, read back by the AWS SDK:
//! created with its event structure version and its function as the one
//! target (no port), a changed function swapped with one register and one
//! deregister, a changed version refused as `Immutable`, and the group
//! deleted once no route forwards to it.

use crate::common::*;
use lattice_core::plan::*;
use lattice_sim::RunningSim;
use lattice_sim::client as sim_client;

const ARN: &str = "arn:aws:lambda:us-west-2:123456789012:function:books";
const NEXT: &str = "arn:aws:lambda:us-west-2:123456789012:function:books:live";

/// `routes(2)` with route 0's first group (rules 0 and 2 forward to it)
/// made the function `arn`.
fn plan_with(arn: &str, version: Option<&str>) -> Plan {
    let mut plan = routes(2);
    let tg = &mut plan.target_groups[0];
    tg.name = "k8s-route-0-bench-books-bench-lambda".into();
    tg.backend = "LambdaTarget bench/books".into();
    (tg.port, tg.protocol, tg.protocol_version) = (0, String::new(), None);
    tg.targets.clear();
    tg.lambda = Some(Box::new(LambdaPlan {
        function_arn: arn.into(),
        event_structure_version: version.map(str::to_string),
    }));
    let name = tg.name.clone();
    for rule in &mut plan.services[0].listeners[0].rules {
        if let Action::Forward(ts) = &mut rule.action {
            ts.iter_mut()
                .filter(|t| t.target_group == fixtures::group(0, 'a'))
                .for_each(|t| t.target_group = name.clone());
        }
    }
    plan
}

/// The group named `name` as the SDK lists it, and its targets.
async fn listed(
    sim: &RunningSim,
    name: &str,
) -> Option<(
    aws_sdk_vpclattice::types::TargetGroupSummary,
    Vec<aws_sdk_vpclattice::types::TargetSummary>,
)> {
    let c = sim_client(&sim.url());
    let groups = c.list_target_groups().send().await.expect("list");
    let g = groups
        .items()
        .iter()
        .find(|g| g.name() == Some(name))?
        .clone();
    let targets = c
        .list_targets()
        .target_group_identifier(g.id().expect("an id"))
        .send()
        .await
        .expect("list targets");
    let live = targets
        .items()
        .iter()
        .filter(|t| t.status().map(|s| s.as_str()) != Some("DRAINING"))
        .cloned()
        .collect();
    Some((g, live))
}

fn ids(targets: &[aws_sdk_vpclattice::types::TargetSummary]) -> Vec<(String, Option<i32>)> {
    targets
        .iter()
        .map(|t| (t.id().unwrap_or_default().to_string(), t.port()))
        .collect()
}

#[tokio::test]
async fn a_lambda_group_is_created_swapped_to_a_new_function_and_deleted_with_its_backend() {
    let sim = sim().await;
    let mut a = applier(&sim, fast());
    let plan = plan_with(ARN, Some("V2"));
    let name = plan.target_groups[0].name.clone();
    apply_ok(&mut a, &plan).await;
    let (g, targets) = listed(&sim, &name).await.expect("the group exists");
    assert_eq!(g.r#type().map(|t| t.as_str()), Some("LAMBDA"));
    assert_eq!(
        g.lambda_event_structure_version().map(|v| v.as_str()),
        Some("V2")
    );
    assert_eq!((g.port(), g.vpc_identifier()), (None, None));
    assert_eq!(ids(&targets), vec![(ARN.to_string(), None)]);
    assert_holds_exactly(&sim, &plan).await;

    // A new function (an alias): one register, one deregister, nothing else.
    let plan = plan_with(NEXT, Some("V2"));
    let r = apply_ok(&mut a, &plan).await;
    assert_eq!(
        writes(&r),
        [
            ("DeregisterTargets".to_string(), 1),
            ("RegisterTargets".to_string(), 1)
        ]
        .into(),
        "{r}"
    );
    let (_, targets) = listed(&sim, &name).await.expect("the group exists");
    assert_eq!(ids(&targets), vec![(NEXT.to_string(), None)]);
    assert_holds_exactly(&sim, &plan).await;

    // Lattice cannot change the event structure version: said, not done.
    let r = a.apply(&plan_with(NEXT, Some("V1"))).await;
    assert_eq!(r.writes(), 0, "{r}");
    let immutable: Vec<_> = r
        .diagnostics
        .iter()
        .filter(|d| d.reason == "Immutable")
        .collect();
    assert_eq!(immutable.len(), 1, "{r}");
    assert!(immutable[0].message.contains("the plan wants V1"), "{r}");

    // The backend removed: its rules forward to the other group alone, and
    // the LAMBDA group, ours, is deleted.
    let mut plan = routes(2);
    plan.target_groups.remove(0);
    for rule in &mut plan.services[0].listeners[0].rules {
        if let Action::Forward(ts) = &mut rule.action {
            ts.retain(|t| t.target_group != fixtures::group(0, 'a'));
            if ts.is_empty() {
                ts.push(WeightedTargetGroup {
                    target_group: fixtures::group(0, 'b'),
                    weight: 1,
                });
            }
        }
    }
    let r = apply_ok(&mut a, &plan).await;
    assert_eq!(writes(&r).get("DeleteTargetGroup"), Some(&1), "{r}");
    assert!(listed(&sim, &name).await.is_none(), "the group is gone");
    assert_holds_exactly(&sim, &plan).await;
}
