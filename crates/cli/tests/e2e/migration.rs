//! Taking over from the Go controller (`aws-application-networking-k8s`):
//! its finalizers are replaced by this controller's, so an object deleted
//! afterwards does not hang in `Terminating` with the Go controller gone.

use kube::api::{DeleteParams, Patch, PatchParams};
use serde_json::{Value, json};

use super::controller::{bookstore, eventually, lattice, routes_api, start_with_lattice};

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
    let lattice = lattice().await;
    let (stop, task) = start_with_lattice(&client, &lattice.url(), Default::default());

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
