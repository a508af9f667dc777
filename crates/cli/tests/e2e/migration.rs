//! Taking over from the Go controller (`aws-application-networking-k8s`):
//! the estate it built is adopted without a deletion or a re-creation (its
//! target groups by their tags), and its finalizers are replaced by this
//! controller's (or, on policies, removed), so an object deleted afterwards
//! does not hang in `Terminating` with the Go controller gone.

use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::{Value, json};

use super::cli::{boto3, root};
use super::controller::{
    bookstore, eventually, lattice, programmed, routes_api, start_with_lattice,
};

fn finalizers(o: &Value) -> Vec<String> {
    o.pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .map(|fs| {
            fs.iter()
                .filter_map(|f| f.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_go_controllers_finalizers_are_replaced_and_deletion_completes() {
    let (_sim, client) = bookstore().await;
    let routes = routes_api(&client);
    let go =
        json!({"metadata": {"finalizers": ["httproute.k8s.aws/resources", "example.com/keep"]}});
    routes
        .patch("books", &PatchParams::default(), &Patch::Merge(&go))
        .await
        .unwrap();
    let policies: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        "bookstore",
        &ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk(
                "application-networking.k8s.aws",
                "v1alpha1",
                "IAMAuthPolicy",
            ),
            "iamauthpolicies",
        ),
    );
    let go_policy =
        json!({"metadata": {"finalizers": ["application-networking.k8s.aws/iam-auth-policy"]}});
    policies
        .patch(
            "bookstore-network",
            &PatchParams::default(),
            &Patch::Merge(&go_policy),
        )
        .await
        .unwrap();
    let lattice = lattice().await;
    let (stop, task) = start_with_lattice(&client, &lattice.url(), Default::default());

    // A policy needs no finalizer here: the Go controller's is removed, and
    // deleting the policy completes.
    eventually(&policies, "bookstore-network", |p| finalizers(p).is_empty()).await;
    policies
        .delete("bookstore-network", &DeleteParams::default())
        .await
        .unwrap();
    for _ in 0..100 {
        if policies
            .get_opt("bookstore-network")
            .await
            .unwrap()
            .is_none()
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        policies
            .get_opt("bookstore-network")
            .await
            .unwrap()
            .is_none()
    );

    let books = eventually(&routes, "books", |r| {
        finalizers(r).contains(&"application-networking.k8s.aws/resources".to_string())
    })
    .await;
    assert_eq!(
        finalizers(&books),
        [
            "example.com/keep",
            "application-networking.k8s.aws/resources"
        ]
    );

    // Deleted, the route waits for its Lattice resources to go, then only
    // the other finalizer holds it.
    routes
        .delete("books", &DeleteParams::default())
        .await
        .unwrap();
    eventually(&routes, "books", |r| finalizers(r) == ["example.com/keep"]).await;

    let _ = stop.send(());
    task.await.unwrap();
}

/// The Go controller's estate for the bookstore's `books` and `ratings`
/// routes, built with boto3 as its code builds it (`tests/py/go_estate.py`).
fn go_estate(lattice: &lattice_sim::RunningSim) -> Value {
    let cfg = lattice_core::ClusterConfig::default();
    let services = root().join("examples/bookstore/services.yaml");
    let services = services.to_string_lossy().into_owned();
    let args = [
        &lattice.url(),
        &services,
        &cfg.account_id,
        &cfg.cluster_name,
        &cfg.vpc_id,
    ];
    boto3("go_estate.py", &args)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_go_controllers_estate_is_taken_over_without_a_deletion_or_a_recreation() {
    let (_sim, client) = bookstore().await;
    let lattice = lattice().await;
    let estate = go_estate(&lattice);
    let grpc = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("gateway.networking.k8s.io", "v1", "GRPCRoute"),
        "grpcroutes",
    );
    let grpcroutes: Api<DynamicObject> = Api::namespaced_with(client.clone(), "bookstore", &grpc);
    let routes = routes_api(&client);
    let pp = PatchParams::default();
    let go = |f: &str| json!({"metadata": {"finalizers": [f]}});
    routes
        .patch(
            "books",
            &pp,
            &Patch::Merge(&go("httproute.k8s.aws/resources")),
        )
        .await
        .unwrap();
    grpcroutes
        .patch(
            "ratings",
            &pp,
            &Patch::Merge(&go("grpcroute.k8s.aws/resources")),
        )
        .await
        .unwrap();
    lattice.reset_call_counts();

    let (stop, task) = start_with_lattice(&client, &lattice.url(), Default::default());
    programmed(&routes, "books", "True").await;
    programmed(&routes, "reviews", "True").await;
    programmed(&grpcroutes, "ratings", "True").await;
    let calls = lattice.call_counts();
    eprintln!("Lattice calls taking the estate over: {calls:?}");
    let n = |op: &str| calls.get(op).copied().unwrap_or(0);
    for op in [
        "DeleteService",
        "DeleteTargetGroup",
        "DeleteServiceNetwork",
        "CreateServiceNetwork",
    ] {
        assert_eq!(n(op), 0, "{op}: {calls:?}");
    }
    // Only `reviews` is new: the Go controller refuses its two-match rule.
    assert_eq!(n("CreateService"), 1, "{calls:?}");
    assert_eq!(
        n("CreateTargetGroup"),
        2,
        "reviews-read and reviews-write: {calls:?}"
    );
    // The Go controller's groups, found by their tags, are the ones in use.
    let aws = lattice_sim::client(&lattice.url());
    let listed = aws.list_target_groups().send().await.unwrap();
    for (backend, name) in estate["targetGroups"].as_object().unwrap() {
        let tg = listed
            .items()
            .iter()
            .find(|t| Some(t.name().unwrap_or_default()) == name.as_str());
        let tg = tg.unwrap_or_else(|| panic!("{backend}'s group {name} is gone"));
        assert!(
            !tg.service_arns().is_empty(),
            "{backend}'s group {name} is not forwarded to"
        );
    }
    let books = routes.get("books").await.unwrap();
    let books = serde_json::to_value(books).unwrap();
    assert_eq!(
        finalizers(&books),
        ["application-networking.k8s.aws/resources"]
    );

    // An edit afterwards (a scoped pass; with so few groups it lists them
    // rather than reading each by id) finds the adopted groups again.
    lattice.reset_call_counts();
    let weights = json!({"spec": {"rules": [
        {"matches": [{"path": {"type": "PathPrefix", "value": "/books"}}],
         "backendRefs": [{"name": "books-v1", "port": 8080, "weight": 50},
                         {"name": "books-v2", "port": 8080, "weight": 50}]}]}});
    routes
        .patch("books", &pp, &Patch::Merge(&weights))
        .await
        .unwrap();
    let mut calls = lattice.call_counts();
    for _ in 0..200 {
        if calls.contains_key("UpdateRule") || calls.contains_key("DeleteRule") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        calls = lattice.call_counts();
    }
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let calls = lattice.call_counts();
    assert!(
        calls.contains_key("UpdateRule") || calls.contains_key("DeleteRule"),
        "{calls:?}"
    );
    for op in ["CreateTargetGroup", "DeleteTargetGroup"] {
        assert!(!calls.contains_key(op), "{op}: {calls:?}");
    }
    let _ = stop.send(());
    task.await.unwrap();
}
