//! Two clusters and one VPC Lattice, as `demo --multicluster` runs them
//! (`lattice_demo::multicluster::Estate`): `west` exports inventory-ver2,
//! `east` splits a route 80/20 between its own inventory-ver1 and the
//! import. Then: a restart of east's controller touches nothing of west's;
//! deleting the export drops it from east's forward with `ResolvedRefs`
//! saying why, and its group goes once east lets go of it. And the Go
//! controller's way: a group it exported (built with boto3 as its code
//! builds it) is found by an import here and never deleted.

use std::time::Duration;

use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, PostParams};
use lattice_demo::multicluster::Estate;
use serde_json::{Value, json};

use super::cli::{boto3, root};
use super::controller::lattice;

fn api(client: &kube::Client, group: &str, kind: &str, plural: &str) -> Api<DynamicObject> {
    let version = if group.starts_with("gateway") {
        "v1"
    } else {
        "v1alpha1"
    };
    let ar =
        ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural);
    Api::namespaced_with(client.clone(), "inventory", &ar)
}

fn routes(client: &kube::Client) -> Api<DynamicObject> {
    api(
        client,
        "gateway.networking.k8s.io",
        "HTTPRoute",
        "httproutes",
    )
}

fn exports(client: &kube::Client) -> Api<DynamicObject> {
    api(
        client,
        "application-networking.k8s.aws",
        "ServiceExport",
        "serviceexports",
    )
}

fn imports(client: &kube::Client) -> Api<DynamicObject> {
    api(
        client,
        "application-networking.k8s.aws",
        "ServiceImport",
        "serviceimports",
    )
}

async fn start(lattice_url: &str) -> (Estate, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let estate = Estate::start(
        &root().join("examples/multicluster"),
        &dir.path().join("kubeconfig.yaml"),
        lattice_url,
        &Default::default(),
        Duration::from_millis(300),
    )
    .await
    .expect("both clusters start");
    (estate, dir)
}

/// Polls `check` on what `get` answers until it holds, for at most 60 s.
async fn until<T, F, Fut>(what: &str, get: F, check: impl Fn(&T) -> bool) -> T
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = T>,
    T: std::fmt::Debug,
{
    for _ in 0..600 {
        let v = get().await;
        if check(&v) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} never happened: {:#?}", get().await);
}

/// `(target group name, weight)` of every forward of every rule (only
/// east's route has rules), as lattice-sim holds them.
fn forward(sim: &lattice_sim::RunningSim) -> Vec<(String, i64)> {
    let d = sim.state_dump();
    let name = |id: &str| {
        let tgs = d["targetGroups"].as_object().into_iter().flatten();
        tgs.map(|(_, t)| t)
            .find(|t| t["id"] == id || t["arn"] == id)
            .and_then(|t| t["name"].as_str())
            .unwrap_or(id)
            .to_string()
    };
    let mut out = vec![];
    for r in d["rules"].as_object().into_iter().flatten().map(|(_, r)| r) {
        let ts = r
            .pointer("/action/forward/targetGroups")
            .and_then(Value::as_array);
        for t in ts.into_iter().flatten() {
            let id = t["targetGroupIdentifier"].as_str().unwrap_or_default();
            out.push((name(id), t["weight"].as_i64().unwrap_or(1)));
        }
    }
    out.sort();
    out
}

/// The target group `name` as lattice-sim holds it, with its tags.
fn target_group(sim: &lattice_sim::RunningSim, name: &str) -> Option<(Value, Value)> {
    let d = sim.state_dump();
    let tgs = d["targetGroups"].as_object()?;
    let tg = tgs.values().find(|t| t["name"] == name)?.clone();
    let tags = d["tags"][tg["arn"].as_str()?].clone();
    Some((tg, tags))
}

fn names(sim: &lattice_sim::RunningSim) -> Vec<String> {
    let d = sim.state_dump();
    let tgs = d["targetGroups"].as_object().cloned().unwrap_or_default();
    tgs.values()
        .filter_map(|t| t["name"].as_str().map(str::to_string))
        .collect()
}

fn resolved_refs(route: &Value) -> Option<(String, String)> {
    let c = route
        .pointer("/status/parents/0/conditions")?
        .as_array()?
        .iter()
        .find(|c| c["type"] == "ResolvedRefs")?;
    Some((
        c["reason"].as_str()?.to_string(),
        c["message"].as_str()?.to_string(),
    ))
}

const EAST_TG: &str = "k8s-inventory-inventory-inventory-ver1-inventory-80-http-http1";
const WEST_TG: &str = "k8s-export-inventory-ver2-inventory-80-http-http1-west";
const LAMBDA_TG: &str = "k8s-inventory-inventory-inventory-restock-inventory-lambda";

/// The forwards of east's route: `/restock` to the Lambda function, the
/// rest split as given.
fn east_forwards(split: &[(&str, i64)]) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = split.iter().map(|(n, w)| (n.to_string(), *w)).collect();
    out.push((LAMBDA_TG.to_string(), 1));
    out.sort();
    out
}

/// Polls until `check` holds for what `get` answers, for at most 60 s.
async fn until_sync<T: std::fmt::Debug>(
    what: &str,
    get: impl Fn() -> T,
    check: impl Fn(&T) -> bool,
) -> T {
    until(what, || std::future::ready(get()), check).await
}

fn route_of(
    client: &kube::Client,
) -> impl Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = Value> + Send>> + use<> {
    let routes = routes(client);
    move || {
        let routes = routes.clone();
        Box::pin(
            async move { serde_json::to_value(routes.get("inventory").await.unwrap()).unwrap() },
        )
    }
}

/// Sets `application-networking.k8s.aws/{name}` on the ServiceImport
/// inventory-ver2 (east's).
async fn annotate_import(client: &kube::Client, name: &str, value: &str) {
    let imports = imports(client);
    let mut import = imports.get("inventory-ver2").await.unwrap();
    let annotations = import
        .metadata
        .annotations
        .get_or_insert_with(Default::default);
    let key = format!("application-networking.k8s.aws/{name}");
    annotations.insert(key, value.into());
    imports
        .replace("inventory-ver2", &PostParams::default(), &import)
        .await
        .unwrap();
}

fn options() -> lattice_controller::Options {
    lattice_controller::Options {
        recheck: Duration::from_millis(300),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_in_west_splits_a_route_in_east_and_each_controller_keeps_to_its_own() {
    let sim = lattice().await;
    let (mut estate, _dir) = start(&sim.url()).await;
    until(
        "convergence",
        || estate.summary(),
        |s| s.as_ref().is_ok_and(|s| s.0),
    )
    .await
    .unwrap();
    let split = east_forwards(&[(EAST_TG, 80), (WEST_TG, 20)]);
    assert_eq!(forward(&sim), split);
    // In west's VPC, with the Go controller's identity: Go's imports find it too.
    let (tg, tags) = target_group(&sim, WEST_TG).expect("west's export");
    assert_eq!(tg["config"]["vpcIdentifier"], "vpc-0west000000000000");
    let t = |k: &str| {
        tags[format!("application-networking.k8s.aws/{k}")]
            .as_str()
            .map(str::to_string)
    };
    assert_eq!(
        [
            t("SourceTypeKey"),
            t("ServiceName"),
            t("ServiceNamespace"),
            t("ClusterName")
        ],
        [
            Some("ServiceExport"),
            Some("inventory-ver2"),
            Some("inventory"),
            Some("west")
        ]
        .map(|v| v.map(String::from))
    );
    // The same pod IPs in both clusters, each in its own group and VPC.
    let (east_tg, _) = target_group(&sim, EAST_TG).expect("east's group");
    assert_eq!(east_tg["targets"].as_object().map(|t| t.len()), Some(2));
    assert_eq!(tg["targets"].as_object().map(|t| t.len()), Some(2));

    // east's controller restarts: nothing of west's is written to.
    estate.east.stop_controller().await;
    estate
        .east
        .run_controller(&estate.aws.clone(), Default::default(), options())
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (after, after_tags) = target_group(&sim, WEST_TG).unwrap();
    assert_eq!((&after, &after_tags), (&tg, &tags));
    assert_eq!(forward(&sim), split);

    // The export goes: east's forward drops it and says why; then it goes.
    exports(&estate.west.client)
        .delete("inventory-ver2", &DeleteParams::default())
        .await
        .unwrap();
    let route = until("ResolvedRefs=False", route_of(&estate.east.client), |r| {
        resolved_refs(r).is_some_and(|(reason, _)| reason == "BackendNotFound")
    })
    .await;
    let (_, message) = resolved_refs(&route).unwrap();
    assert!(
        message.contains("inventory/inventory-ver2 by cluster west"),
        "{message}"
    );
    until_sync(
        "the forward to east alone",
        || forward(&sim),
        |f| f == &east_forwards(&[(EAST_TG, 80)]),
    )
    .await;
    until_sync(
        "the export's group deleted",
        || names(&sim),
        |n| !n.iter().any(|n| n == WEST_TG),
    )
    .await;
    estate.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_the_go_controller_exported_is_imported_and_never_deleted() {
    let sim = lattice().await;
    let url = sim.url();
    let args = [
        url.as_str(),
        "111122223333",
        "legacy",
        "vpc-0legacy0000000000",
        "inventory",
        "inventory-ver2",
        "80",
        "10.0.1.11",
        "10.0.1.12",
    ];
    let go = boto3("go_export.py", &args);
    let go_name = go["name"].as_str().unwrap().to_string();
    let (mut estate, _dir) = start(&sim.url()).await;
    // east's import asks for the Go cluster's export, not west's.
    annotate_import(&estate.east.client, "aws-eks-cluster-name", "legacy").await;
    until_sync(
        "the forward to Go's group",
        || forward(&sim),
        |f| f.contains(&(go_name.clone(), 20)),
    )
    .await;
    // The route goes: east deletes its service and its own group, never Go's.
    routes(&estate.east.client)
        .delete("inventory", &DeleteParams::default())
        .await
        .unwrap();
    until_sync(
        "east's group deleted",
        || names(&sim),
        |n| !n.iter().any(|n| n == EAST_TG),
    )
    .await;
    assert!(names(&sim).contains(&go_name), "{:?}", names(&sim));
    estate.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_by_arn_and_bad_imports_get_the_right_reason() {
    let sim = lattice().await;
    let (mut estate, _dir) = start(&sim.url()).await;
    until_sync(
        "west's export",
        || names(&sim),
        |n| n.iter().any(|n| n == WEST_TG),
    )
    .await;
    let imports = imports(&estate.east.client);
    let route = route_of(&estate.east.client);
    let set = |annotations: Value| {
        let imports = imports.clone();
        async move {
            let mut i = imports.get("inventory-ver2").await.unwrap();
            i.metadata.annotations = Some(serde_json::from_value(annotations).unwrap());
            imports
                .replace("inventory-ver2", &PostParams::default(), &i)
                .await
                .unwrap();
        }
    };
    let says = |want: &'static str| {
        until(want, &route, move |r| match want {
            "ResolvedRefs" => resolved_refs(r).is_some_and(|(reason, _)| reason == "ResolvedRefs"),
            other => resolved_refs(r).is_some_and(|(_, m)| m.contains(other)),
        })
    };
    // By ARN: any group, here west's.
    let (west, _) = target_group(&sim, WEST_TG).unwrap();
    set(json!({"application-networking.k8s.aws/target-group-arn": west["arn"]})).await;
    says("ResolvedRefs").await;
    assert!(forward(&sim).contains(&(WEST_TG.to_string(), 20)));
    // An ARN Lattice does not know.
    set(json!({"application-networking.k8s.aws/target-group-arn": "arn:aws:vpc-lattice:us-west-2:111122223333:targetgroup/tg-0000000000000dead"})).await;
    says("does not exist, or is not shared").await;
    assert_eq!(forward(&sim), east_forwards(&[(EAST_TG, 80)]));
    // An export no cluster made.
    set(json!({"application-networking.k8s.aws/export-name": "inventory-ver3"})).await;
    says("no cluster exports a target group as inventory/inventory-ver3").await;
    // A VPC that has none.
    set(json!({"application-networking.k8s.aws/aws-vpc": "vpc-0east000000000000"})).await;
    says("in VPC vpc-0east000000000000").await;
    // Not a target group ARN at all: the plan refuses it.
    set(json!({"application-networking.k8s.aws/target-group-arn": "tg-0abc"})).await;
    says("not a VPC Lattice target group ARN").await;
    estate.stop().await;
}

/// An import that finds nothing is looked at again after 1, 2, 4, then 8
/// recheck periods, not every period (each look lists every target group
/// in the account); and an export made later is still found.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_that_finds_nothing_is_looked_at_less_often_and_found_once_exported() {
    let sim = lattice().await;
    let (mut estate, _dir) = start(&sim.url()).await;
    until_sync(
        "the split",
        || forward(&sim),
        |f| f == &east_forwards(&[(EAST_TG, 80), (WEST_TG, 20)]),
    )
    .await;
    annotate_import(&estate.east.client, "export-name", "inventory-ver3").await;
    until("BackendNotFound", route_of(&estate.east.client), |r| {
        resolved_refs(r).is_some_and(|(_, m)| m.contains("inventory/inventory-ver3"))
    })
    .await;

    // 30 periods of 300 ms: one look each would be 30 lists; backoff
    // looks after periods 1, 3, 7, 15, 23 (and 31).
    let lists = || sim.call_counts().get("ListTargetGroups").copied();
    let before = lists().unwrap_or(0);
    tokio::time::sleep(Duration::from_millis(30 * 300)).await;
    let looks = lists().unwrap_or(0) - before;
    assert!((2..=10).contains(&looks), "{looks} lists in 30 periods");

    // west exports inventory-ver3 now; east finds it within 8 periods.
    let services: Api<k8s_openapi::api::core::v1::Service> =
        Api::namespaced(estate.west.client.clone(), "inventory");
    let service = json!({"metadata": {"name": "inventory-ver3"},
        "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8090}]}});
    let service = serde_json::from_value(service).unwrap();
    services
        .create(&PostParams::default(), &service)
        .await
        .unwrap();
    let export = json!({"apiVersion": "application-networking.k8s.aws/v1alpha1",
        "kind": "ServiceExport", "metadata": {"name": "inventory-ver3", "namespace": "inventory"},
        "spec": {"exportedPorts": [{"port": 80, "routeType": "HTTP"}]}});
    let export = serde_json::from_value(export).unwrap();
    exports(&estate.west.client)
        .create(&PostParams::default(), &export)
        .await
        .unwrap();
    until("ResolvedRefs", route_of(&estate.east.client), |r| {
        resolved_refs(r).is_some_and(|(reason, _)| reason == "ResolvedRefs")
    })
    .await;
    let ver3 = "k8s-export-inventory-ver3-inventory-80-http-http1-west";
    assert!(
        forward(&sim).contains(&(ver3.to_string(), 20)),
        "{:?}",
        forward(&sim)
    );
    estate.stop().await;
}
