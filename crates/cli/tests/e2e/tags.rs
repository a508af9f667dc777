//! The Go controller's `application-networking.k8s.aws/tags` annotation,
//! end to end: the controller on kube-sim and lattice-sim, the tags read
//! back with boto3 (`tests/py/tags.py`). An annotation added to a running
//! route tags its service, association, listener and rules; a malformed
//! entry is said in the route's status and the rest applied; a removed key
//! is untagged with nothing else written, and `ManagedBy` stays.

use kube::api::{Patch, PatchParams};
use serde_json::{Value, json};

use super::cli::boto3;
use super::controller::{
    bookstore, condition, eventually, lattice, lattice_writes, programmed, routes_api,
    start_with_lattice,
};

const TAGS: &str = "application-networking.k8s.aws/tags";
const MANAGED_BY: &str = "application-networking.k8s.aws/ManagedBy";

/// The tags of service `name` and its parts, as boto3 reads them.
fn read_with_boto3(lattice: &lattice_sim::RunningSim, name: &str) -> Value {
    boto3("tags.py", &[lattice.url().as_str(), name])
}

/// Every tag map: the service's, then its parts'.
fn all(held: &Value) -> Vec<&serde_json::Map<String, Value>> {
    let parts = ["associations", "listeners", "rules"]
        .iter()
        .flat_map(|k| held[*k].as_array().into_iter().flatten());
    std::iter::once(&held["service"])
        .chain(parts)
        .filter_map(Value::as_object)
        .collect()
}

/// Polls boto3's view until `check` holds for every tag map, or fails.
async fn until_tagged(
    lattice: &lattice_sim::RunningSim,
    name: &str,
    check: impl Fn(&serde_json::Map<String, Value>) -> bool,
) -> Value {
    let mut held = Value::Null;
    for _ in 0..100 {
        held = read_with_boto3(lattice, name);
        if all(&held).iter().all(|t| check(t)) {
            return held;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("{name} never got the expected tags: {held:#}");
}

async fn annotate(routes: &kube::Api<kube::api::DynamicObject>, value: &str) {
    let patch = json!({"metadata": {"annotations": {TAGS: value}}});
    routes
        .patch("books", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_routes_tags_annotation_tags_its_lattice_resources_and_follows_its_changes() {
    let (_sim, client) = bookstore().await;
    let lattice = lattice().await;
    let routes = routes_api(&client);
    let (stop, task) = start_with_lattice(&client, &lattice.url(), Default::default());
    programmed(&routes, "books", "True").await;

    annotate(&routes, "Team=books, Env=dev, broken").await;
    let held = until_tagged(&lattice, "books-bookstore", |t| {
        t.get("Team") == Some(&json!("books")) && t.get("Env") == Some(&json!("dev"))
    })
    .await;
    for t in all(&held) {
        assert!(t.contains_key(MANAGED_BY), "{t:?}");
    }
    // Service, association, listener and the route's Lattice rules.
    assert!(all(&held).len() >= 4, "{held:#}");
    let books = eventually(&routes, "books", |r| {
        condition(r, "PartiallyInvalid").is_some_and(|c| {
            let m = c["message"].as_str().unwrap_or_default();
            m.contains(TAGS) && m.contains("\"broken\"")
        })
    })
    .await;
    assert_eq!(condition(&books, "Accepted").unwrap()["status"], "True");

    // A route without the annotation has no user tags.
    let reviews = read_with_boto3(&lattice, "reviews-bookstore");
    for t in all(&reviews) {
        assert_eq!(t.keys().collect::<Vec<_>>(), [MANAGED_BY], "{t:?}");
    }

    // Env removed: untagged, and only tags written.
    lattice.reset_call_counts();
    annotate(&routes, "Team=books").await;
    until_tagged(&lattice, "books-bookstore", |t| {
        !t.contains_key("Env") && t.contains_key("Team") && t.contains_key(MANAGED_BY)
    })
    .await;
    for (op, _) in lattice_writes(&lattice) {
        assert_eq!(op, "UntagResource", "{:?}", lattice_writes(&lattice));
    }

    let _ = stop.send(());
    task.await.unwrap();
}
