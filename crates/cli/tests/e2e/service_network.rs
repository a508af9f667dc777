//! The Go controller's ServiceNetwork kind through the running controller,
//! kube-sim and lattice-sim: a network created, one adopted, another
//! cluster's refused; a deletion that waits while a service outside the
//! cluster still uses the network; and a Gateway's use of a network this
//! cluster did not create, which never tags it (nor deletes it: see the
//! applier's `diff_tests::service_networks`).

use std::time::Duration;

use kube::api::{Api, DeleteParams, DynamicObject, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use lattice_controller::Options;
use lattice_core::ClusterConfig;
use lattice_core::model::naming::managed_by_tag;
use serde_json::{Value, json};

use super::controller::{bookstore, eventually, lattice, start_counting};

fn networks_api(client: &kube::Client) -> Api<DynamicObject> {
    let gvk = GroupVersionKind::gvk(
        "application-networking.k8s.aws",
        "v1alpha1",
        "ServiceNetwork",
    );
    Api::all_with(
        client.clone(),
        &ApiResource::from_gvk_with_plural(&gvk, "servicenetworks"),
    )
}

/// A ServiceNetwork object, with the Go controller's tags annotation.
fn object(name: &str) -> DynamicObject {
    serde_json::from_value(json!({
        "apiVersion": "application-networking.k8s.aws/v1alpha1", "kind": "ServiceNetwork",
        "metadata": {"name": name,
            "annotations": {"application-networking.k8s.aws/tags": "team=network"}},
        "spec": {}}))
    .unwrap()
}

/// `(status, reason)` of the object's condition `ty`.
fn condition(o: &Value, ty: &str) -> Option<(String, String)> {
    let c = o
        .pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c["type"] == ty)?;
    Some((
        c["status"].as_str()?.to_string(),
        c["reason"].as_str()?.to_string(),
    ))
}

fn programmed(o: &Value, status: &str, reason: &str) -> bool {
    condition(o, "Programmed") == Some((status.into(), reason.into()))
}

/// A controller applying to lattice-sim that looks again at waiting
/// deletions every half second.
fn start(
    client: &kube::Client,
    url: &str,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let options = Options {
        recheck: Duration::from_millis(500),
        ..Options::default()
    };
    let (stop, task, _) = start_counting(client, url, Default::default(), options);
    (stop, task)
}

/// The network `name` in Lattice, with its tags.
async fn network(
    aws: &lattice_apply::Client,
    name: &str,
) -> Option<(String, std::collections::HashMap<String, String>)> {
    let listed = aws.list_service_networks().send().await.unwrap();
    let sn = listed.items().iter().find(|n| n.name() == Some(name))?;
    let arn = sn.arn().unwrap().to_string();
    let tags = aws
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    Some((arn, tags.tags().cloned().unwrap_or_default()))
}

async fn create_network(aws: &lattice_apply::Client, name: &str, owner: Option<&str>) -> String {
    let mut req = aws.create_service_network().name(name);
    if let Some(o) = owner {
        req = req.tags(managed_by_tag(), o);
    }
    let sn = req.send().await.unwrap();
    sn.id().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_network_objects_create_adopt_refuse_and_delete_networks() {
    let (_sim, client) = bookstore().await;
    let lattice = lattice().await;
    let aws = lattice_sim::client(&lattice.url());
    let ours = ClusterConfig::default().managed_by();
    create_network(&aws, "adopted", None).await;
    create_network(&aws, "foreign", Some("999999999999/west/vpc-0west")).await;
    let (stop, task) = start(&client, &lattice.url());

    let sns = networks_api(&client);
    for name in ["fresh", "adopted", "foreign"] {
        sns.create(&PostParams::default(), &object(name))
            .await
            .unwrap();
    }
    // Created, with our tag; its ARN and id in status.
    let fresh = eventually(&sns, "fresh", |o| programmed(o, "True", "Programmed")).await;
    let (arn, tags) = network(&aws, "fresh").await.expect("created");
    assert_eq!(tags.get(&managed_by_tag()), Some(&ours));
    assert_eq!(tags.get("team").map(String::as_str), Some("network"));
    assert_eq!(
        fresh.pointer("/status/serviceNetworkARN"),
        Some(&json!(arn))
    );
    assert!(fresh.pointer("/status/serviceNetworkID").is_some());
    assert_eq!(
        fresh.pointer("/metadata/finalizers"),
        Some(&json!(["application-networking.k8s.aws/resources"]))
    );
    // An untagged network is adopted: tagged as ours.
    eventually(&sns, "adopted", |o| programmed(o, "True", "Programmed")).await;
    let (_, tags) = network(&aws, "adopted").await.unwrap();
    assert_eq!(tags.get(&managed_by_tag()), Some(&ours));
    assert_eq!(tags.get("team").map(String::as_str), Some("network"));
    // Another cluster's is refused, and left as it was.
    let foreign = eventually(&sns, "foreign", |o| programmed(o, "False", "Conflicted")).await;
    assert_eq!(condition(&foreign, "Accepted").unwrap().0, "True");
    let (_, tags) = network(&aws, "foreign").await.unwrap();
    assert_eq!(
        tags.get(&managed_by_tag()).map(String::as_str),
        Some("999999999999/west/vpc-0west")
    );
    assert!(!tags.contains_key("team"), "{tags:?}");

    // A service of someone else's joins `fresh`: deleting the object waits,
    // saying why, and the network stays.
    let svc = aws.create_service().name("outsider").send().await.unwrap();
    let assoc = aws
        .create_service_network_service_association()
        .service_identifier(svc.id().unwrap())
        .service_network_identifier(fresh["status"]["serviceNetworkID"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    sns.delete("fresh", &DeleteParams::default()).await.unwrap();
    eventually(&sns, "fresh", |o| programmed(o, "False", "InUse")).await;
    assert!(network(&aws, "fresh").await.is_some());

    // Once it leaves, the recheck deletes the network and the object goes.
    aws.delete_service_network_service_association()
        .service_network_service_association_identifier(assoc.id().unwrap())
        .send()
        .await
        .unwrap();
    for _ in 0..100 {
        if sns.get_opt("fresh").await.unwrap().is_none() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        sns.get_opt("fresh").await.unwrap().is_none(),
        "the object stays"
    );
    assert!(network(&aws, "fresh").await.is_none(), "the network stays");

    // Deleting the object of another cluster's network leaves the network.
    sns.delete("foreign", &DeleteParams::default())
        .await
        .unwrap();
    for _ in 0..100 {
        if sns.get_opt("foreign").await.unwrap().is_none() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(sns.get_opt("foreign").await.unwrap().is_none());
    assert!(network(&aws, "foreign").await.is_some());

    let _ = stop.send(());
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_uses_a_network_it_did_not_create_without_tagging_it() {
    let (_sim, client) = bookstore().await;
    let lattice = lattice().await;
    let aws = lattice_sim::client(&lattice.url());
    // The bookstore Gateway's network exists, made by hand: untagged.
    create_network(&aws, "bookstore", None).await;
    let (stop, task) = start(&client, &lattice.url());
    let routes = super::controller::routes_api(&client);
    super::controller::programmed(&routes, "books", "True").await;
    let (arn, tags) = network(&aws, "bookstore").await.unwrap();
    assert!(!tags.contains_key(&managed_by_tag()), "{tags:?}");
    // The example's IAMAuthPolicy on the Gateway applies to it.
    let policy = aws
        .get_auth_policy()
        .resource_identifier(&arn)
        .send()
        .await
        .unwrap();
    assert!(policy.policy().is_some());

    let _ = stop.send(());
    task.await.unwrap();
}

/// A ServiceNetwork object that comes in while a whole pass runs is not
/// judged by that pass, which did not plan it: its untagged network reads
/// `Programmed` only once the next pass has adopted it. (A whole pass once
/// judged every object in the index, and this one read `Programmed` while
/// its network was still untagged.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_that_comes_in_while_a_pass_runs_is_programmed_only_once_adopted() {
    let (_sim, client) = bookstore().await;
    let lattice = lattice().await;
    let aws = lattice_sim::client(&lattice.url());
    create_network(&aws, "late", None).await;
    // One call at a time, 50 ms each: the first pass takes seconds. The
    // adoption's TagResource takes 2 s, so a status written before it is
    // seen for that long.
    let slow = |ms| lattice_sim::FaultSpec {
        latency_ms: ms,
        ..Default::default()
    };
    let faults = [("*", slow(50)), ("TagResource", slow(2000))];
    lattice.set_faults(faults.map(|(op, f)| (op.to_string(), f)).into());
    let one_at_a_time = lattice_apply::ApplyOptions::unlimited(1);
    let (stop, task, _) =
        start_counting(&client, &lattice.url(), one_at_a_time, Options::default());
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while lattice.call_counts().values().sum::<u64>() == 0 {
        assert!(std::time::Instant::now() < deadline, "no Lattice call");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The first pass has planned, and now applies.
    let sns = networks_api(&client);
    sns.create(&PostParams::default(), &object("late"))
        .await
        .unwrap();
    let late = eventually(&sns, "late", |o| programmed(o, "True", "Programmed")).await;
    let (_, tags) = network(&aws, "late").await.unwrap();
    let ours = ClusterConfig::default().managed_by();
    assert_eq!(
        tags.get(&managed_by_tag()),
        Some(&ours),
        "Programmed before it was adopted: {late}"
    );
    let _ = stop.send(());
    task.await.unwrap();
}
