//! Durability: a restart that keeps the state file keeps the objects, the CRDs stay
//! served, and resourceVersions carry on from where they stopped.

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, PostParams};
use kube_sim::SimOptions;
use serde_json::json;

use crate::common::start_with;
use crate::kube_rs::install_httproute_crd;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_with_the_state_file_keeps_objects_crds_and_resource_versions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = SimOptions {
        state_file: Some(dir.path().join("state.json")),
        ..Default::default()
    };

    let env = start_with(opts.clone()).await;
    let routes = install_httproute_crd(&env).await;
    let route = serde_json::from_value(
        json!({"metadata": {"name": "web"}, "spec": {"hostnames": ["a.example.com"]}}),
    )
    .expect("route");
    let route = routes
        .create(&PostParams::default(), &route)
        .await
        .expect("route");
    let cms: Api<ConfigMap> = Api::namespaced(env.client(), "default");
    let cm: ConfigMap =
        serde_json::from_value(json!({"metadata": {"name": "cfg"}, "data": {"a": "1"}}))
            .expect("cm");
    cms.create(&PostParams::default(), &cm).await.expect("cm");
    let last_rv = env.sim.sim().resource_version();
    env.sim.shutdown().await.expect("clean shutdown");

    let env = start_with(opts).await;
    let routes = crate::kube_rs::routes(&env);
    let back = routes.get("web").await.expect("route survived the restart");
    assert_eq!(back.metadata.uid, route.metadata.uid);
    let cms: Api<ConfigMap> = Api::namespaced(env.client(), "default");
    assert_eq!(
        cms.get("cfg")
            .await
            .expect("cm survived")
            .data
            .unwrap_or_default()
            .get("a")
            .map(String::as_str),
        Some("1")
    );
    let cm: ConfigMap = serde_json::from_value(json!({"metadata": {"name": "after"}})).expect("cm");
    let after = cms
        .create(&PostParams::default(), &cm)
        .await
        .expect("new write");
    let rv: u64 = after
        .metadata
        .resource_version
        .as_deref()
        .unwrap_or("0")
        .parse()
        .expect("numeric");
    assert!(
        rv > last_rv,
        "resourceVersion {rv} carries on after {last_rv}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_just_before_a_kill_survives_and_its_resource_version_is_not_reused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = SimOptions {
        state_file: Some(dir.path().join("state.json")),
        ..Default::default()
    };
    // No snapshot is ever written: the process "dies" right after the write.
    let sim = kube_sim::KubeSim::new(opts.clone()).expect("sim");
    sim.apply_yaml(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: last\n  namespace: default\n",
    )
    .expect("written");
    let last_rv = sim.resource_version();
    drop(sim);

    let env = start_with(opts).await;
    let cms: Api<ConfigMap> = Api::namespaced(env.client(), "default");
    let back = cms.get("last").await.expect("the last write survived");
    assert_eq!(
        back.metadata.resource_version.as_deref(),
        Some(last_rv.to_string().as_str())
    );
    assert_eq!(env.sim.sim().resource_version(), last_rv);
}
