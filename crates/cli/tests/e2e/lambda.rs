//! A Lambda function as a backend, end to end: `examples/lambda` applied
//! with kubectl to kube-sim, the controller applying to lattice-sim, and
//! what Lattice holds read back with boto3 (`tests/py/lambda.py`): the
//! route's rule forwards 80/20 to the Service's IP group and a `LAMBDA`
//! group whose one target is the function. A route naming a LambdaTarget
//! that does not exist is `ResolvedRefs=False` `BackendNotFound`, until the
//! LambdaTarget is created.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use super::cli::{boto3, root};
use super::controller::{
    bookstore, condition, eventually, lattice, programmed, routes_api, start_with_lattice,
};

const FUNCTION: &str = "arn:aws:lambda:us-west-2:123456789012:function:books-search:live";

/// `kubectl apply` of `manifest` (a path, or YAML on stdin with `-`).
fn kubectl_apply(kubeconfig: &Path, file: &str, stdin: &str) {
    let mut child = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(["apply", "-f", file])
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubectl (scripts/setup --test)");
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin.as_bytes()).unwrap();
    }
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// The forward actions of service `name`, as boto3 reads them.
fn forwards(lattice: &lattice_sim::RunningSim, name: &str) -> Value {
    boto3("lambda.py", &[lattice.url().as_str(), name])
}

/// Polls boto3's view of service `name` until a forward goes to a `LAMBDA`
/// group, or fails.
async fn until_lambda(lattice: &lattice_sim::RunningSim, name: &str) -> Value {
    let mut held = Value::Null;
    for _ in 0..100 {
        held = forwards(lattice, name);
        let groups = held
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|f| f.as_array())
            .flatten();
        if groups
            .clone()
            .any(|g| g["type"] == "LAMBDA" && !g["targets"].as_array().is_none_or(Vec::is_empty))
        {
            return held;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("{name} never forwarded to a LAMBDA group: {held:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lambda_target_backend_becomes_a_weighted_lambda_group_in_lattice() {
    let (sim, client) = bookstore().await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    sim.write_kubeconfig(&kubeconfig).unwrap();
    let lattice = lattice().await;
    let routes = routes_api(&client);
    let (stop, task) = start_with_lattice(&client, &lattice.url(), Default::default());
    programmed(&routes, "books", "True").await;

    kubectl_apply(&kubeconfig, "examples/lambda", "");
    programmed(&routes, "books-search", "True").await;
    let held = until_lambda(&lattice, "books-search-bookstore").await;
    let forward = held
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f.as_array().unwrap().len() == 2)
        .unwrap_or_else(|| panic!("no forward to two groups: {held:#}"));
    let summary: Vec<(&str, &Value)> = forward
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["type"].as_str().unwrap(), &g["weight"]))
        .collect();
    assert_eq!(summary, vec![("IP", &json!(80)), ("LAMBDA", &json!(20))]);
    let lambda = &forward[1];
    assert_eq!(
        lambda["name"],
        "k8s-books-search-bookstore-books-search-bookstore-lambda"
    );
    assert_eq!(lambda["targets"], json!([{"id": FUNCTION}]), "no port");
    assert_eq!(lambda["config"]["lambdaEventStructureVersion"], "V2");
    assert!(lambda["config"].get("port").is_none(), "{lambda}");

    // A LambdaTarget that does not exist yet: BackendNotFound, then
    // resolved once it is created (its change re-plans the route).
    let late = r#"
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: books-late, namespace: bookstore}
spec:
  parentRefs: [{name: bookstore, sectionName: http}]
  rules:
    - backendRefs: [{group: lattice-host.io, kind: LambdaTarget, name: books-late}]
"#;
    kubectl_apply(&kubeconfig, "-", late);
    let route = eventually(&routes, "books-late", |r| {
        condition(r, "ResolvedRefs").is_some_and(|c| c["status"] == "False")
    })
    .await;
    let refs = condition(&route, "ResolvedRefs").unwrap();
    assert_eq!(refs["reason"], "BackendNotFound", "{refs}");
    assert!(
        refs["message"]
            .as_str()
            .unwrap()
            .contains("LambdaTarget bookstore/books-late"),
        "{refs}"
    );
    let target = format!(
        "apiVersion: lattice-host.io/v1alpha1\nkind: LambdaTarget\n\
         metadata: {{name: books-late, namespace: bookstore}}\n\
         spec: {{functionArn: \"{FUNCTION}\"}}\n"
    );
    kubectl_apply(&kubeconfig, "-", &target);
    eventually(&routes, "books-late", |r| {
        condition(r, "ResolvedRefs").is_some_and(|c| c["status"] == "True")
    })
    .await;
    let held = until_lambda(&lattice, "books-late-bookstore").await;
    assert_eq!(held[0][0]["type"], "LAMBDA", "{held:#}");
    // No version asked for: none sent, so Lattice applies its default
    // (lattice-sim then keeps no config at all).
    assert!(
        held[0][0]["config"]["lambdaEventStructureVersion"].is_null(),
        "{held:#}"
    );

    let _ = stop.send(());
    task.await.unwrap();
}
