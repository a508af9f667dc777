//! A small kube-rs `Controller` (finalizer helper, status writes) runs its whole
//! loop against kube-sim: the shape of lattice-host's own controller.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use gateway_api::httproutes::HttpRoute;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::finalizer::{Event, finalizer};
use kube::runtime::watcher;
use serde_json::json;

use crate::common::start;
use crate::kube_rs::install_httproute_crd;

const FINALIZER: &str = "application-networking.k8s.aws/resources";

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Failed(String);

async fn reconcile(route: Arc<HttpRoute>, api: Arc<Api<HttpRoute>>) -> Result<Action, Failed> {
    finalizer(&api, FINALIZER, route, |event| async {
        match event {
            Event::Apply(r) => {
                let name = r.metadata.name.clone().unwrap_or_default();
                let status = json!({"status": {"parents": [{
                    "controllerName": "application-networking.k8s.aws/gateway-api-controller",
                    "parentRef": {"name": "lattice"},
                    "conditions": [{"type": "Accepted", "status": "True", "reason": "Accepted", "message": "",
                        "lastTransitionTime": "2024-01-01T00:00:00Z",
                        "observedGeneration": r.metadata.generation.unwrap_or(0)}]}]}});
                api.patch_status(&name, &PatchParams::default(), &Patch::Merge(&status)).await.map_err(|e| Failed(e.to_string()))?;
                Ok(Action::await_change())
            }
            Event::Cleanup(_) => Ok::<Action, Failed>(Action::await_change()),
        }
    })
    .await
    .map_err(|e| Failed(e.to_string()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kube_rs_controller_adds_its_finalizer_writes_status_and_lets_deletes_finish() {
    let env = start().await;
    let api = install_httproute_crd(&env).await;
    let ctx = Arc::new(api.clone());
    let controller = Controller::new(api.clone(), watcher::Config::default())
        .run(
            reconcile,
            |_, _, _| Action::requeue(Duration::from_millis(100)),
            ctx,
        )
        .for_each(|r| async move {
            if let Err(e) = r {
                eprintln!("controller: {e:?}");
            }
        });
    let task = tokio::spawn(controller);

    let route = serde_json::from_value(
        json!({"metadata": {"name": "web"}, "spec": {"parentRefs": [{"name": "lattice"}]}}),
    )
    .expect("route");
    api.create(&PostParams::default(), &route)
        .await
        .expect("created");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let r = api.get("web").await.expect("get");
        let accepted = r.status.as_ref().is_some_and(|s| !s.parents.is_empty());
        let finalized = r
            .metadata
            .finalizers
            .unwrap_or_default()
            .contains(&FINALIZER.to_string());
        if accepted && finalized {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "controller did not reconcile"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    api.delete("web", &DeleteParams::default())
        .await
        .expect("delete accepted");
    loop {
        if api.get_opt("web").await.expect("get").is_none() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the finalizer was never removed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_from_a_kube_rs_recorder_show_in_kubectl_describe() {
    use kube::Resource;
    use kube::runtime::events::{Event as KubeEvent, EventType, Recorder, Reporter};
    let env = start().await;
    let api = install_httproute_crd(&env).await;
    let route =
        serde_json::from_value(json!({"metadata": {"name": "web"}, "spec": {}})).expect("route");
    let route: HttpRoute = api
        .create(&PostParams::default(), &route)
        .await
        .expect("created");
    let recorder = Recorder::new(
        env.client(),
        Reporter {
            controller: "lattice-host".into(),
            instance: None,
        },
    );
    let ev = KubeEvent {
        type_: EventType::Normal,
        reason: "Reconciled".into(),
        note: Some("service network association ready".into()),
        action: "Reconcile".into(),
        secondary: None,
    };
    let reference = route.object_ref(&());
    recorder
        .publish(&ev, &reference)
        .await
        .expect("first event");
    recorder
        .publish(&ev, &reference)
        .await
        .expect("repeated event becomes a series");
    let out = env.kubectl_ok(&["describe", "httproute", "web"]).await;
    assert!(
        out.contains("Reconciled") && out.contains("service network association ready"),
        "{out}"
    );
    let listed = env.kubectl_ok(&["get", "events"]).await;
    assert!(listed.starts_with("LAST SEEN"), "{listed}");
    assert!(listed.contains("httproute/web"), "{listed}");
}
