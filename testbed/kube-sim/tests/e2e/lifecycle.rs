//! Object lifecycles: generation, dry runs, namespace and CRD deletion.

use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use serde_json::json;

use crate::common::start;
use crate::kube_rs::install_httproute_crd;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generation_goes_up_only_when_the_spec_changes() {
    let env = start().await;
    let api = install_httproute_crd(&env).await;
    let route = serde_json::from_value(
        json!({"metadata": {"name": "r"}, "spec": {"hostnames": ["a.example.com"]}}),
    )
    .expect("route");
    let r = api
        .create(&PostParams::default(), &route)
        .await
        .expect("created");
    assert_eq!(r.metadata.generation, Some(1));
    let labels = json!({"metadata": {"labels": {"x": "y"}}});
    let r = api
        .patch("r", &PatchParams::default(), &Patch::Merge(&labels))
        .await
        .expect("labels");
    assert_eq!(r.metadata.generation, Some(1));
    let same = api
        .patch("r", &PatchParams::default(), &Patch::Merge(&labels))
        .await
        .expect("no-op");
    assert_eq!(
        same.metadata.resource_version, r.metadata.resource_version,
        "a no-op write keeps the resourceVersion"
    );
    let spec = json!({"spec": {"hostnames": ["b.example.com"]}});
    let r = api
        .patch("r", &PatchParams::default(), &Patch::Merge(&spec))
        .await
        .expect("spec");
    assert_eq!(r.metadata.generation, Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_writes_answer_but_store_nothing() {
    let env = start().await;
    let cms: Api<ConfigMap> = Api::namespaced(env.client(), "default");
    let cm: ConfigMap = serde_json::from_value(json!({"metadata": {"name": "dry"}})).expect("cm");
    let answered = cms
        .create(
            &PostParams {
                dry_run: true,
                ..Default::default()
            },
            &cm,
        )
        .await
        .expect("dry create");
    assert_eq!(answered.metadata.name.as_deref(), Some("dry"));
    assert!(cms.get_opt("dry").await.expect("get").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_namespace_removes_its_contents_and_waits_for_their_finalizers() {
    let env = start().await;
    let nss: Api<Namespace> = Api::all(env.client());
    let ns: Namespace =
        serde_json::from_value(json!({"metadata": {"name": "doomed"}})).expect("ns");
    nss.create(&PostParams::default(), &ns).await.expect("ns");
    let cms: Api<ConfigMap> = Api::namespaced(env.client(), "doomed");
    for (name, fin) in [("plain", json!([])), ("held", json!(["example.com/hold"]))] {
        let cm: ConfigMap =
            serde_json::from_value(json!({"metadata": {"name": name, "finalizers": fin}}))
                .expect("cm");
        cms.create(&PostParams::default(), &cm).await.expect("cm");
    }
    nss.delete("doomed", &DeleteParams::default())
        .await
        .expect("delete ns");
    let ns = nss
        .get("doomed")
        .await
        .expect("still there while content remains");
    let status = ns.status.expect("status");
    assert_eq!(status.phase.as_deref(), Some("Terminating"));
    let conditions = status.conditions.unwrap_or_default();
    let said = |t: &str| {
        conditions
            .iter()
            .find(|c| c.type_ == t)
            .map(|c| (c.status.clone(), c.message.clone().unwrap_or_default()))
    };
    assert_eq!(
        said("NamespaceContentRemaining"),
        Some((
            "True".into(),
            "Some resources are remaining: configmaps has 1 resource instances".into()
        ))
    );
    assert_eq!(
        said("NamespaceFinalizersRemaining"),
        Some(("True".into(), "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances".into()))
    );
    assert!(cms.get_opt("plain").await.expect("get").is_none());
    let held = cms.get("held").await.expect("held by its finalizer");
    assert!(held.metadata.deletion_timestamp.is_some());
    let refused: ConfigMap =
        serde_json::from_value(json!({"metadata": {"name": "late"}})).expect("cm");
    match cms.create(&PostParams::default(), &refused).await {
        Err(kube::Error::Api(s)) => assert_eq!((s.code, s.reason.as_str()), (403, "Forbidden")),
        other => panic!("expected 403, got {other:?}"),
    }
    let release = json!({"metadata": {"finalizers": null}});
    cms.patch("held", &PatchParams::default(), &Patch::Merge(&release))
        .await
        .expect("released");
    let gone = nss.get_opt("doomed").await.expect("get").is_none();
    assert!(gone, "the namespace goes once it is empty");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_crd_removes_its_objects_and_stops_serving_the_kind() {
    let env = start().await;
    let api = install_httproute_crd(&env).await;
    let route =
        serde_json::from_value(json!({"metadata": {"name": "r"}, "spec": {}})).expect("route");
    api.create(&PostParams::default(), &route)
        .await
        .expect("created");
    let crds: Api<k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition> =
        Api::all(env.client());
    let crd = crds
        .get("httproutes.gateway.networking.k8s.io")
        .await
        .expect("crd");
    let conds = crd.status.and_then(|s| s.conditions).unwrap_or_default();
    assert!(
        conds
            .iter()
            .any(|c| c.type_ == "Established" && c.status == "True")
    );
    crds.delete(
        "httproutes.gateway.networking.k8s.io",
        &DeleteParams::default(),
    )
    .await
    .expect("crd deleted");
    match api.list(&Default::default()).await {
        Err(kube::Error::Api(s)) => assert_eq!(s.code, 404),
        other => panic!("expected 404 once the CRD is gone, got {other:?}"),
    }
    let api = install_httproute_crd(&env).await;
    assert!(
        api.list(&Default::default())
            .await
            .expect("list")
            .items
            .is_empty(),
        "old objects went with the CRD"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_page_with_limit_and_continue_and_filter_by_label_and_field() {
    let env = start().await;
    let cms: Api<ConfigMap> = Api::namespaced(env.client(), "default");
    for i in 0..7 {
        let tier = if i % 2 == 0 { "web" } else { "db" };
        let cm: ConfigMap = serde_json::from_value(
            json!({"metadata": {"name": format!("cm-{i}"), "labels": {"tier": tier}}}),
        )
        .expect("cm");
        cms.create(&PostParams::default(), &cm).await.expect("cm");
    }
    let mut names = Vec::new();
    let mut lp = kube::api::ListParams::default().limit(3);
    loop {
        let page = cms.list(&lp).await.expect("page");
        assert!(page.items.len() <= 3);
        names.extend(page.items.into_iter().filter_map(|c| c.metadata.name));
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() => lp = lp.continue_token(&token),
            _ => break,
        }
    }
    assert_eq!(names, (0..7).map(|i| format!("cm-{i}")).collect::<Vec<_>>());
    let web = cms
        .list(&kube::api::ListParams::default().labels("tier=web"))
        .await
        .expect("labels");
    assert_eq!(web.items.len(), 4);
    let one = cms
        .list(&kube::api::ListParams::default().fields("metadata.name=cm-3"))
        .await
        .expect("fields");
    assert_eq!(one.items.len(), 1);
    let set = cms
        .list(&kube::api::ListParams::default().labels("tier in (db),tier notin (web)"))
        .await
        .expect("set");
    assert_eq!(set.items.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn later_pages_show_the_first_pages_snapshot_so_a_watch_from_it_misses_nothing() {
    let env = start().await;
    let cms: Api<ConfigMap> = Api::namespaced(env.client(), "default");
    let cm = |name: &str, v: &str| -> ConfigMap {
        serde_json::from_value(json!({"metadata": {"name": name}, "data": {"v": v}})).expect("cm")
    };
    for i in 0..4 {
        cms.create(&PostParams::default(), &cm(&format!("cm-{i}"), "old"))
            .await
            .expect("cm");
    }
    let first = cms
        .list(&kube::api::ListParams::default().limit(2))
        .await
        .expect("page 1");
    let snapshot = first.metadata.resource_version.clone().expect("rv");
    let token = first.metadata.continue_.clone().expect("more to come");

    // While the client pages: one object of page 2 changes, one goes, one comes.
    let changed = Patch::Merge(json!({"data": {"v": "new"}}));
    cms.patch("cm-2", &PatchParams::default(), &changed)
        .await
        .expect("patch");
    cms.delete("cm-3", &DeleteParams::default())
        .await
        .expect("delete");
    cms.create(&PostParams::default(), &cm("cm-4", "new"))
        .await
        .expect("create");

    let second = cms
        .list(
            &kube::api::ListParams::default()
                .limit(2)
                .continue_token(&token),
        )
        .await
        .expect("page 2");
    assert_eq!(
        second.metadata.resource_version.as_deref(),
        Some(snapshot.as_str())
    );
    let page: Vec<(String, String)> = second
        .items
        .iter()
        .map(|c| {
            let v = c.data.as_ref().and_then(|d| d.get("v")).cloned();
            (
                c.metadata.name.clone().unwrap_or_default(),
                v.unwrap_or_default(),
            )
        })
        .collect();
    let expected = [("cm-2", "old"), ("cm-3", "old")].map(|(n, v)| (n.to_string(), v.to_string()));
    assert_eq!(page, expected, "page 2 is as it was when page 1 was served");

    // A watch from the list's version sees all three changes.
    let mut watch = std::pin::pin!(
        cms.watch(&kube::api::WatchParams::default().timeout(5), &snapshot)
            .await
            .expect("watch")
    );
    let mut seen = Vec::new();
    while seen.len() < 3 {
        use futures::StreamExt;
        match watch.next().await {
            Some(Ok(kube::api::WatchEvent::Modified(c))) => {
                seen.push(("MODIFIED", c.metadata.name))
            }
            Some(Ok(kube::api::WatchEvent::Deleted(c))) => seen.push(("DELETED", c.metadata.name)),
            Some(Ok(kube::api::WatchEvent::Added(c))) => seen.push(("ADDED", c.metadata.name)),
            Some(Ok(_)) => {}
            other => panic!("watch ended early: {other:?}"),
        }
    }
    let name = |n: &str| Some(n.to_string());
    assert_eq!(
        seen,
        [
            ("MODIFIED", name("cm-2")),
            ("DELETED", name("cm-3")),
            ("ADDED", name("cm-4"))
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manifests_applied_in_process_are_served_and_can_be_reapplied() {
    let env = start().await;
    let crd = std::fs::read_to_string(crate::common::gateway_crd("httproutes")).expect("crd");
    let route = "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: seeded\nspec:\n  hostnames: [a.example.com]\n";
    let sim = env.sim.sim();
    assert_eq!(
        sim.apply_yaml(&format!("{crd}{route}")).expect("applied"),
        2
    );
    assert_eq!(
        sim.apply_yaml(&route.replace("a.example.com", "b.example.com"))
            .expect("reapplied"),
        1
    );
    let api = crate::kube_rs::routes(&env);
    let got = api.get("seeded").await.expect("served");
    assert_eq!(got.spec.hostnames, Some(vec!["b.example.com".to_string()]));
    assert_eq!(got.metadata.generation, Some(2));
    let err = sim
        .apply_yaml("apiVersion: nope.io/v1\nkind: Thing\nmetadata:\n  name: x\n")
        .expect_err("unknown kind");
    assert!(err.to_string().contains("Thing"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_namespace_goes_when_its_finalizers_are_cleared_through_finalize() {
    let env = start().await;
    let nss: Api<Namespace> = Api::all(env.client());
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": "stuck"}})).expect("ns");
    nss.create(&PostParams::default(), &ns).await.expect("ns");
    let cms: Api<ConfigMap> = Api::namespaced(env.client(), "stuck");
    let held: ConfigMap = serde_json::from_value(
        json!({"metadata": {"name": "held", "finalizers": ["example.com/never"]}}),
    )
    .expect("cm");
    cms.create(&PostParams::default(), &held).await.expect("cm");
    nss.delete("stuck", &DeleteParams::default())
        .await
        .expect("delete");
    // What users do with a namespace stuck in Terminating: `kubectl replace --raw
    // /api/v1/namespaces/stuck/finalize` with the finalizers taken out.
    let mut body =
        serde_json::to_value(nss.get("stuck").await.expect("terminating")).expect("json");
    body["spec"]["finalizers"] = json!([]);
    let out = env
        .kubectl(&[
            "replace",
            "--raw",
            "/api/v1/namespaces/stuck/finalize",
            "-f",
            &env.file("ns.json", &body.to_string()),
        ])
        .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(nss.get_opt("stuck").await.expect("get").is_none());
}
