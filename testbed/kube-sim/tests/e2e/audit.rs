//! The audit log: each request on a resource, as RBAC would authorize it,
//! by user (the bearer token), verb, group, resource, subresource and
//! namespace; a kube-rs client under its token, kubectl (no token over
//! plain HTTP) as anonymous.

use std::collections::BTreeSet;

use futures::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::watcher;
use kube_sim::ApiRequest;
use serde_json::json;

use kube_sim::SimOptions;

use crate::common::{eventually, start, start_with};

/// (verb, group, resource, subresource, namespace) of `user`'s requests.
fn of(
    requests: &std::collections::BTreeMap<ApiRequest, u64>,
    user: &str,
) -> BTreeSet<(String, String, String, String, Option<String>)> {
    requests
        .keys()
        .filter(|r| r.user == user)
        .map(|r| {
            (
                r.verb.clone(),
                r.group.clone(),
                r.resource.clone(),
                r.subresource.clone(),
                r.namespace.clone(),
            )
        })
        .collect()
}

fn req(
    verb: &str,
    group: &str,
    resource: &str,
    sub: &str,
    ns: Option<&str>,
) -> (String, String, String, String, Option<String>) {
    (
        verb.into(),
        group.into(),
        resource.into(),
        sub.into(),
        ns.map(String::from),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_on_a_resource_is_recorded_with_its_user_and_rbac_verb() {
    let env = start_with(SimOptions {
        record_requests: true,
        ..Default::default()
    })
    .await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut config = kube::Config::new(env.url().parse().expect("url"));
    config.auth_info.token = Some("controller".to_string().into());
    let client = kube::Client::try_from(config).expect("client");
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let cm: ConfigMap =
        serde_json::from_value(json!({"metadata": {"name": "a"}, "data": {"k": "v"}})).unwrap();
    cms.create(&PostParams::default(), &cm)
        .await
        .expect("create");
    cms.get("a").await.expect("get");
    let _ = cms.get("missing").await.expect_err("not found");
    cms.patch(
        "a",
        &PatchParams::default(),
        &Patch::Merge(json!({"data": {"k": "w"}})),
    )
    .await
    .expect("patch");
    let all: Api<ConfigMap> = Api::all(client.clone());
    all.list(&ListParams::default()).await.expect("list");
    // The watcher lists, then watches while it is polled.
    let watching = tokio::spawn(async move {
        let mut w = watcher(all, watcher::Config::default()).boxed();
        while w.next().await.is_some() {}
    });
    eventually("the watch is recorded", || {
        of(&env.sim.sim().requests(), "controller").contains(&req(
            "watch",
            "",
            "configmaps",
            "",
            None,
        ))
    })
    .await;
    watching.abort();
    cms.delete("a", &DeleteParams::default())
        .await
        .expect("delete");
    env.kubectl_ok(&["get", "namespaces"]).await;

    let requests = env.sim.sim().requests();
    assert_eq!(
        of(&requests, "controller"),
        [
            req("create", "", "configmaps", "", Some("default")),
            req("get", "", "configmaps", "", Some("default")),
            req("patch", "", "configmaps", "", Some("default")),
            req("list", "", "configmaps", "", None),
            req("watch", "", "configmaps", "", None),
            req("delete", "", "configmaps", "", Some("default")),
        ]
        .into_iter()
        .collect()
    );
    // kubectl sends no token over plain HTTP: it is anonymous.
    assert!(
        of(&requests, "system:anonymous").contains(&req("list", "", "namespaces", "", None)),
        "{requests:?}"
    );
    // The failed get counts: RBAC authorizes before the object is looked up.
    let named: BTreeSet<Option<String>> = requests
        .keys()
        .filter(|r| r.user == "controller" && r.verb == "get")
        .map(|r| r.name.clone())
        .collect();
    assert_eq!(named, [Some("a".into()), Some("missing".into())].into());
    env.sim.sim().clear_requests();
    assert!(env.sim.sim().requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_recorded_unless_asked_for() {
    let env = start().await;
    env.kubectl_ok(&["get", "namespaces"]).await;
    assert!(env.sim.sim().requests().is_empty());
}
