//! Access log subscriptions against lattice-sim: created on a service and a
//! service network, a changed destination is one update, a removed policy
//! one delete, and a converged plan costs no write and, without any
//! policy, no `ListAccessLogSubscriptions`.

use crate::common::*;
use lattice_core::plan::*;
use lattice_sim::RunningSim;
use lattice_sim::client as sim_client;

const BUCKET: &str = "arn:aws:s3:::access-logs-bucket";
const GROUP: &str = "arn:aws:logs:us-west-2:111122223333:log-group:first:*";
const OTHER_GROUP: &str = "arn:aws:logs:us-west-2:111122223333:log-group:second:*";

fn log(destination: &str, policy: &str) -> AccessLogPlan {
    AccessLogPlan {
        destination_arn: destination.into(),
        policy: policy.into(),
        tags: Default::default(),
    }
}

/// `routes(2)` with route 0's service logging to `service` and the
/// network to `network`.
fn plan_with(service: Vec<AccessLogPlan>, network: Vec<AccessLogPlan>) -> Plan {
    let mut plan = routes(2);
    plan.services[0].access_logs = service;
    plan.service_networks[0].access_logs = network;
    plan
}

/// The destinations Lattice holds for the service or network `name`, and
/// the policy tag of each, sorted.
async fn held(sim: &RunningSim, name: &str) -> Vec<(String, Option<String>)> {
    let c = sim_client(&sim.url());
    let svcs = c.list_services().send().await.expect("list");
    let sns = c.list_service_networks().send().await.expect("list");
    let id = svcs
        .items()
        .iter()
        .find(|s| s.name() == Some(name))
        .and_then(|s| s.id())
        .or_else(|| {
            sns.items()
                .iter()
                .find(|s| s.name() == Some(name))
                .and_then(|s| s.id())
        })
        .expect("listed")
        .to_string();
    let subs = c
        .list_access_log_subscriptions()
        .resource_identifier(id)
        .send()
        .await;
    let mut out = Vec::new();
    for s in subs.expect("list subscriptions").items() {
        let tags = c
            .list_tags_for_resource()
            .resource_arn(s.arn())
            .send()
            .await;
        let tags = tags.expect("tags").tags().cloned().unwrap_or_default();
        let policy = tags
            .get("application-networking.k8s.aws/AccessLogPolicy")
            .cloned();
        out.push((s.destination_arn().to_string(), policy));
    }
    out.sort();
    out
}

#[tokio::test]
async fn access_logs_are_created_updated_and_deleted_as_the_plan_says() {
    let sim = sim().await;
    let mut a = applier(&sim, fast());
    let plan = plan_with(
        vec![log(BUCKET, "app/s3"), log(GROUP, "app/cw")],
        vec![log(BUCKET, "app/gw")],
    );
    let (svc, sn) = (
        plan.services[0].name.clone(),
        plan.service_networks[0].name.clone(),
    );
    let r = apply_ok(&mut a, &plan).await;
    assert_eq!(r.calls.get("CreateAccessLogSubscription"), Some(&3), "{r}");
    // The report names each policy's subscription (for its annotation).
    let created: Vec<&str> = r
        .access_log_subscriptions
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(created, ["app/cw", "app/gw", "app/s3"]);
    assert_eq!(
        held(&sim, &svc).await,
        [
            (GROUP.to_string(), Some("app/cw".to_string())),
            (BUCKET.to_string(), Some("app/s3".to_string()))
        ]
    );
    assert_eq!(
        held(&sim, &sn).await,
        [(BUCKET.to_string(), Some("app/gw".to_string()))]
    );

    let again = apply_ok(&mut a, &plan).await;
    assert_eq!(again.writes(), 0, "{again}");
    assert_eq!(
        again.access_log_subscriptions, r.access_log_subscriptions,
        "read back as created"
    );

    let plan = plan_with(
        vec![log(BUCKET, "app/s3"), log(OTHER_GROUP, "app/cw")],
        vec![],
    );
    let r = apply_ok(&mut a, &plan).await;
    let want = [
        ("DeleteAccessLogSubscription".to_string(), 1),
        ("UpdateAccessLogSubscription".to_string(), 1),
    ];
    assert_eq!(writes(&r), want.into(), "{r}");
    assert!(
        !r.access_log_subscriptions.contains_key("app/gw"),
        "deleted"
    );
    assert!(held(&sim, &sn).await.is_empty());

    let plan = plan_with(vec![log(BUCKET, "app/s3")], vec![]);
    let r = apply_ok(&mut a, &plan).await;
    assert_eq!(
        writes(&r),
        [("DeleteAccessLogSubscription".to_string(), 1)].into(),
        "{r}"
    );
    assert_eq!(
        held(&sim, &svc).await,
        [(BUCKET.to_string(), Some("app/s3".to_string()))]
    );

    // A fresh applier reads it back and finds nothing to do.
    let mut cold = applier(&sim, fast());
    let r = apply_ok(&mut cold, &plan).await;
    assert_eq!(r.writes(), 0, "{r}");

    let r = apply_ok(&mut cold, &routes(2)).await;
    assert_eq!(
        writes(&r),
        [("DeleteAccessLogSubscription".to_string(), 1)].into(),
        "{r}"
    );
    // The pass after a delete reads the service once more and finds it
    // has none left; from then on it is not read.
    let r = apply_ok(&mut cold, &routes(2)).await;
    assert_eq!(r.writes(), 0, "{r}");
    assert_eq!(r.calls.get("ListAccessLogSubscriptions"), Some(&1), "{r}");
    let r = apply_ok(&mut cold, &routes(2)).await;
    assert_eq!(r.calls.get("ListAccessLogSubscriptions"), None, "{r}");
}

#[tokio::test]
async fn without_access_log_policies_no_subscription_is_listed() {
    let sim = sim().await;
    let mut a = applier(&sim, fast());
    let r = apply_ok(&mut a, &routes(3)).await;
    assert_eq!(r.calls.get("ListAccessLogSubscriptions"), None, "{r}");
}
