//! Route attachment and Gateway API status through the running controller
//! and kube-sim's watches: a GatewayClass accepted before any Gateway uses
//! it, and a listener that selects namespaces by label following a
//! namespace's relabelling.

use kube::api::{Api, DynamicObject};
use kube::core::{ApiResource, GroupVersionKind};
use lattice_controller::{Controller, Options};
use serde_json::{Value, json};

use super::controller::{bookstore, eventually};

fn api(client: &kube::Client, kind: &str, plural: &str, ns: Option<&str>) -> Api<DynamicObject> {
    let gvk = GroupVersionKind::gvk("gateway.networking.k8s.io", "v1", kind);
    let ar = ApiResource::from_gvk_with_plural(&gvk, plural);
    match ns {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &ar),
        None => Api::all_with(client.clone(), &ar),
    }
}

/// `(status, reason)` of our parent entry's condition `ty`.
fn parent_condition(route: &Value, ty: &str) -> Option<(String, String)> {
    let c = route
        .pointer("/status/parents/0/conditions")?
        .as_array()?
        .iter()
        .find(|c| c["type"] == ty)?;
    Some((
        c["status"].as_str()?.to_string(),
        c["reason"].as_str()?.to_string(),
    ))
}

fn is(route: &Value, ty: &str, status: &str, reason: &str) -> bool {
    parent_condition(route, ty) == Some((status.into(), reason.into()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn classes_and_namespace_selectors_follow_the_spec_through_the_watches() {
    let (sim, client) = bookstore().await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let controller = Controller::new(
        client.clone(),
        super::controller::stages(),
        Options::default(),
    );
    let task = tokio::spawn(controller.run(async {
        let _ = stopped.await;
    }));

    // A second class of ours, which no Gateway uses, is accepted.
    sim.sim()
        .apply_yaml(
            "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata:\n  name: spare\nspec:\n  controllerName: application-networking.k8s.aws/gateway-api-controller\n",
        )
        .unwrap();
    let classes = api(&client, "GatewayClass", "gatewayclasses", None);
    let spare = eventually(&classes, "spare", |c| {
        c.pointer("/status/conditions/0/status") == Some(&json!("True"))
    })
    .await;
    assert_eq!(
        spare.pointer("/status/conditions/0/observedGeneration"),
        spare.pointer("/metadata/generation")
    );

    // A listener that admits routes from namespaces labelled team=books.
    sim.sim()
        .apply_yaml(
            r#"apiVersion: v1
kind: Namespace
metadata:
  name: music
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: shared
  namespace: bookstore
spec:
  gatewayClassName: amazon-vpc-lattice
  listeners:
  - name: http
    port: 80
    protocol: HTTP
    allowedRoutes:
      namespaces:
        from: Selector
        selector:
          matchLabels:
            team: books
---
apiVersion: v1
kind: Service
metadata:
  name: tunes
  namespace: music
spec:
  ports:
  - port: 8080
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: tunes
  namespace: music
spec:
  parentRefs:
  - name: shared
    namespace: bookstore
  rules:
  - backendRefs:
    - name: tunes
      port: 8080
"#,
        )
        .unwrap();
    let routes = api(&client, "HTTPRoute", "httproutes", Some("music"));
    eventually(&routes, "tunes", |r| {
        is(r, "Accepted", "False", "NotAllowedByListeners")
    })
    .await;

    // Labelling the namespace admits the route, and the Gateway counts it.
    sim.sim()
        .apply_yaml(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: music\n  labels:\n    team: books\n",
        )
        .unwrap();
    eventually(&routes, "tunes", |r| is(r, "Accepted", "True", "Accepted")).await;
    let gateways = api(&client, "Gateway", "gateways", Some("bookstore"));
    eventually(&gateways, "shared", |g| {
        g.pointer("/status/listeners/0/attachedRoutes") == Some(&json!(1))
    })
    .await;

    let _ = stop.send(());
    task.await.unwrap();
}
