//! A service's ACM certificate against lattice-sim: created with the
//! service, changed with one `UpdateService`, and left alone when the plan
//! names none.

use crate::common::*;
use lattice_core::plan::*;
use lattice_sim::RunningSim;
use lattice_sim::client as sim_client;

const FIRST: &str = "arn:aws:acm:us-west-2:111122223333:certificate/first";
const SECOND: &str = "arn:aws:acm:us-west-2:111122223333:certificate/second";

/// `routes(n)` with route 0's service naming certificate `c`.
fn plan_with(n: usize, c: Option<&str>) -> Plan {
    let mut plan = routes(n);
    plan.services[0].certificate_arn = c.map(str::to_string);
    plan
}

/// The certificate Lattice holds for service `name`, as the AWS SDK reads it.
async fn held(sim: &RunningSim, name: &str) -> Option<String> {
    let c = sim_client(&sim.url());
    let listed = c.list_services().send().await.expect("list");
    let s = listed.items().iter().find(|s| s.name() == Some(name));
    let id = s.and_then(|s| s.id()).expect("listed");
    let got = c.get_service().service_identifier(id).send().await;
    got.expect("get").certificate_arn().map(str::to_string)
}

#[tokio::test]
async fn a_planned_certificate_is_created_with_the_service_and_changed_by_one_update() {
    let sim = sim().await;
    let mut a = applier(&sim, fast());
    let plan = plan_with(2, Some(FIRST));
    let name = plan.services[0].name.clone();
    apply_ok(&mut a, &plan).await;
    assert_eq!(held(&sim, &name).await.as_deref(), Some(FIRST));
    assert_eq!(held(&sim, &plan.services[1].name).await, None);

    let r = apply_ok(&mut a, &plan).await;
    assert_eq!(r.writes(), 0, "{r}");

    let plan = plan_with(2, Some(SECOND));
    let r = apply_ok(&mut a, &plan).await;
    assert_eq!(writes(&r), [("UpdateService".to_string(), 1)].into(), "{r}");
    assert_eq!(held(&sim, &name).await.as_deref(), Some(SECOND));

    // A fresh applier reads it back and finds nothing to do.
    let mut cold = applier(&sim, fast());
    let r = apply_ok(&mut cold, &plan).await;
    assert_eq!(r.writes(), 0, "{r}");

    // A plan that names none leaves Lattice's alone: it cannot be removed.
    let r = apply_ok(&mut cold, &plan_with(2, None)).await;
    assert_eq!(r.writes(), 0, "{r}");
    assert_eq!(held(&sim, &name).await.as_deref(), Some(SECOND));
}
