//! The controller against kube-sim over real HTTP: watches, the index,
//! planning through the WASM plugins, and route status written back.

use std::sync::Arc;
use std::time::Duration;

use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::{ApiResource, GroupVersionKind};
use lattice_controller::{Controller, Options};
use lattice_wasm::{Limits, PluginRuntime, WasmStages};
use serde_json::{Value, json};

fn read(path: &str) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap();
    std::fs::read_to_string(root.join(path)).unwrap()
}

pub(crate) fn routes_api(client: &kube::Client) -> Api<DynamicObject> {
    let ar = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("gateway.networking.k8s.io", "v1", "HTTPRoute"),
        "httproutes",
    );
    Api::namespaced_with(client.clone(), "bookstore", &ar)
}

pub(crate) fn condition<'a>(route: &'a Value, ty: &str) -> Option<&'a Value> {
    route
        .pointer("/status/parents/0/conditions")?
        .as_array()?
        .iter()
        .find(|c| c["type"] == ty)
}

/// Polls until `check` holds for the route, or fails after 20 s.
pub(crate) async fn eventually(
    api: &Api<DynamicObject>,
    name: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    for _ in 0..200 {
        if let Ok(o) = api.get(name).await {
            let v = serde_json::to_value(&o).unwrap();
            if check(&v) {
                return v;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let o = api
        .get(name)
        .await
        .map(|o| serde_json::to_value(o).unwrap());
    panic!("route {name} never reached the expected status: {o:#?}");
}

/// Polls until the route's `Programmed` condition has `status` ("True"/"False").
pub(crate) async fn programmed(api: &Api<DynamicObject>, name: &str, status: &str) -> Value {
    eventually(api, name, |r| {
        condition(r, PROGRAMMED).is_some_and(|c| c["status"] == status)
    })
    .await
}

/// The condition that carries Lattice's answer.
pub(crate) const PROGRAMMED: &str = "application-networking.k8s.aws/Programmed";

/// Write calls lattice-sim served since its counts were reset, by operation.
pub(crate) fn lattice_writes(lattice: &lattice_sim::RunningSim) -> Vec<(String, u64)> {
    lattice
        .call_counts()
        .into_iter()
        .filter(|(op, n)| *n > 0 && !lattice_sim::is_read_operation(op))
        .collect()
}

/// A lattice-sim with the default settings.
pub(crate) async fn lattice() -> lattice_sim::RunningSim {
    lattice_sim::LatticeSim::new(lattice_sim::SimConfig::default())
        .start()
        .await
        .unwrap()
}

/// kube-sim with the CRDs and the bookstore applied, and a client for it.
pub(crate) async fn bookstore() -> (kube_sim::RunningSim, kube::Client) {
    let sim = kube_sim::KubeSim::start(kube_sim::SimOptions::default())
        .await
        .unwrap();
    let crds = [
        lattice_core::crds::gateway_api(),
        lattice_core::crds::project(),
    ]
    .concat();
    sim.sim()
        .apply_yaml(&lattice_core::crds::to_yaml(&crds).unwrap())
        .unwrap();
    sim.sim()
        .apply_yaml("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bookstore\n")
        .unwrap();
    for f in ["gateway.yaml", "services.yaml", "routes.yaml", "auth.yaml"] {
        sim.sim()
            .apply_yaml(&read(&format!("examples/bookstore/{f}")))
            .unwrap();
    }
    lattice_wiring::install_crypto_provider();
    let client = kube::Client::try_from(kube::Config::new(sim.url().parse().unwrap())).unwrap();
    (sim, client)
}

pub(crate) fn stages() -> Arc<WasmStages> {
    let rt = PluginRuntime::new(Limits::default(), None).unwrap();
    Arc::new(WasmStages::defaults(&rt).expect("the built-in plugins load"))
}

/// lattice-sim with one fault rule for `operation` (`*` for all).
async fn lattice_with_fault(
    operation: &str,
    spec: lattice_sim::FaultSpec,
) -> lattice_sim::RunningSim {
    let lattice = lattice().await;
    lattice.set_faults([(operation.to_string(), spec)].into_iter().collect());
    lattice
}

/// A controller applying to lattice-sim at `url`; send on the sender to stop it.
pub(crate) fn start_with_lattice(
    client: &kube::Client,
    url: &str,
    opts: lattice_apply::ApplyOptions,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let (stop, task, _) = start_counting(client, url, opts, Options::default());
    (stop, task)
}

/// As [`start_with_lattice`], with the controller's `options` (its cluster
/// is the applier's), and the applier's running count of Lattice calls.
pub(crate) fn start_counting(
    client: &kube::Client,
    url: &str,
    opts: lattice_apply::ApplyOptions,
    options: Options,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
    lattice_apply::CallCounts,
) {
    let s = start_controller(client, url, opts, options);
    (s.stop, s.task, s.counts)
}

/// A running controller, as the tests hold it.
struct Started {
    /// Send to stop it.
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
    /// The applier's running count of Lattice calls.
    counts: lattice_apply::CallCounts,
    /// Where to ask for its topology.
    topology: lattice_controller::topology::TopologySource,
}

/// The controller of [`start_counting`], with everything a test may ask of it.
fn start_controller(
    client: &kube::Client,
    url: &str,
    opts: lattice_apply::ApplyOptions,
    options: Options,
) -> Started {
    let cfg = lattice_core::ClusterConfig::default();
    let applier = lattice_apply::Applier::new(lattice_sim::client(url), cfg.clone(), opts);
    let counts = applier.call_counts();
    let options = Options {
        cluster: cfg,
        ..options
    };
    let controller = Controller::new(client.clone(), stages(), options).with_applier(applier);
    let topology = controller.topology_source();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(controller.run(async {
        let _ = stopped.await;
    }));
    Started {
        stop,
        task,
        counts,
        topology,
    }
}

/// Regression for issue 9: the controller once listed services itself to
/// annotate routes, past the applier's rate limiter and count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_lattice_call_goes_through_the_applier() {
    let (_kube, client) = bookstore().await;
    let lattice = lattice().await;
    let (stop, task, counts) = start_counting(
        &client,
        &lattice.url(),
        lattice_apply::ApplyOptions::unlimited(16),
        Options::default(),
    );
    let api = routes_api(&client);
    programmed(&api, "books", "True").await;
    eventually(&api, "books", |r| {
        r.pointer(
            "/metadata/annotations/application-networking.k8s.aws~1lattice-assigned-domain-name",
        )
        .is_some()
    })
    .await;
    let _ = stop.send(());
    task.await.unwrap();
    let served: std::collections::BTreeMap<String, u64> = lattice
        .call_counts()
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect();
    assert!(!served.is_empty());
    assert_eq!(
        served,
        counts.snapshot(),
        "lattice-sim served calls the applier did not make"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_writes_nothing_until_it_leads() {
    let (_sim, client) = bookstore().await;
    let (lead, leader) = tokio::sync::watch::channel(false);
    let options = Options {
        leader: Some(lattice_controller::leader::Leadership::unfenced(leader)),
        ..Options::default()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(
        Controller::new(client.clone(), stages(), options).run(async {
            let _ = stopped.await;
        }),
    );
    let api = routes_api(&client);
    tokio::time::sleep(Duration::from_millis(800)).await;
    let books = serde_json::to_value(api.get("books").await.unwrap()).unwrap();
    assert!(
        books.pointer("/status/parents/0").is_none(),
        "a follower wrote status: {books:#}"
    );
    lead.send(true).unwrap();
    eventually(&api, "books", |r| condition(r, "Accepted").is_some()).await;
    let _ = stop.send(());
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_get_status_from_their_plans_and_follow_edits() {
    let (sim, client) = bookstore().await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let controller = Controller::new(client.clone(), stages(), Options::default());
    let task = tokio::spawn(controller.run(async {
        let _ = stopped.await;
    }));

    let api = routes_api(&client);
    let books = eventually(&api, "books", |r| {
        condition(r, "Accepted").is_some_and(|c| c["status"] == "True")
    })
    .await;
    assert_eq!(condition(&books, "ResolvedRefs").unwrap()["status"], "True");
    assert_eq!(
        books.pointer("/status/parents/0/controllerName").unwrap(),
        "application-networking.k8s.aws/gateway-api-controller"
    );
    assert_eq!(
        books
            .pointer("/status/parents/0/parentRef/sectionName")
            .unwrap(),
        "http"
    );
    assert_eq!(
        condition(&books, "Accepted").unwrap()["observedGeneration"],
        books.pointer("/metadata/generation").unwrap().clone()
    );

    // The Gateway counts its attached routes per listener; the class is accepted.
    let gw_ar = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("gateway.networking.k8s.io", "v1", "Gateway"),
        "gateways",
    );
    let gateways: Api<DynamicObject> = Api::namespaced_with(client.clone(), "bookstore", &gw_ar);
    let gw = eventually(&gateways, "bookstore", |g| {
        g.pointer("/status/listeners/1/attachedRoutes").is_some()
    })
    .await;
    let attached = |i: usize| {
        gw.pointer(&format!("/status/listeners/{i}/attachedRoutes"))
            .cloned()
    };
    assert_eq!(
        (attached(0), attached(1)),
        (Some(json!(2)), Some(json!(2))),
        "{gw:#}"
    );
    assert_eq!(gw.pointer("/status/conditions/0/type").unwrap(), "Accepted");
    assert_eq!(gw.pointer("/status/conditions/0/status").unwrap(), "True");
    let class_ar = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("gateway.networking.k8s.io", "v1", "GatewayClass"),
        "gatewayclasses",
    );
    let classes: Api<DynamicObject> = Api::all_with(client.clone(), &class_ar);
    eventually(&classes, "amazon-vpc-lattice", |c| {
        c.pointer("/status/conditions/0/status") == Some(&json!("True"))
    })
    .await;

    // An edit that breaks a backend shows up as ResolvedRefs=False, with the field.
    let patch = json!({"spec": {"rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/books"}}],
        "backendRefs": [{"name": "books-v1", "port": 8080}, {"name": "books-v3", "port": 8080}]}]}});
    api.patch("books", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
    let books = eventually(&api, "books", |r| {
        condition(r, "ResolvedRefs").is_some_and(|c| c["status"] == "False")
    })
    .await;
    let refs = condition(&books, "ResolvedRefs").unwrap();
    assert_eq!(refs["reason"], "BackendNotFound");
    assert!(
        refs["message"]
            .as_str()
            .unwrap()
            .contains("spec.rules[0].backendRefs[1]"),
        "{refs}"
    );

    // The other routes are unaffected.
    let reviews = api.get("reviews").await.unwrap();
    let reviews = serde_json::to_value(reviews).unwrap();
    assert_eq!(
        condition(&reviews, "ResolvedRefs").unwrap()["status"],
        "True"
    );

    // Creating the missing Service resolves it again: the index follows Services too.
    sim.sim()
        .apply_yaml("apiVersion: v1\nkind: Service\nmetadata:\n  name: books-v3\n  namespace: bookstore\nspec:\n  ports:\n  - port: 8080\n")
        .unwrap();
    eventually(&api, "books", |r| {
        condition(r, "ResolvedRefs").is_some_and(|c| c["status"] == "True")
    })
    .await;

    let _ = stop.send(());
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_controller_programs_lattice_and_removes_what_a_deleted_route_had() {
    let (_kube, client) = bookstore().await;
    let lattice = lattice().await;
    let (stop, task) = start_with_lattice(
        &client,
        &lattice.url(),
        lattice_apply::ApplyOptions::unlimited(16),
    );
    let api = routes_api(&client);
    programmed(&api, "books", "True").await;
    programmed(&api, "reviews", "True").await;
    let books = eventually(&api, "books", |r| {
        r.pointer("/metadata/annotations/application-networking.k8s.aws~1lattice-service-arn")
            .is_some()
    })
    .await;
    let arn = books
        .pointer("/metadata/annotations/application-networking.k8s.aws~1lattice-service-arn")
        .unwrap();
    assert!(
        arn.as_str().unwrap().starts_with("arn:aws:vpc-lattice:"),
        "{arn}"
    );
    assert!(
        books
            .pointer(
                "/metadata/annotations/application-networking.k8s.aws~1lattice-assigned-domain-name"
            )
            .is_some()
    );
    let state = lattice.state_dump().to_string();
    for name in [
        "books-bookstore",
        "reviews-bookstore",
        "ratings-bookstore",
        "k8s-reviews-bookstore-reviews-write-bookstore-80-http-http1",
    ] {
        assert!(state.contains(name), "{name} is not in lattice-sim");
    }

    // Editing one backend weight changes exactly that rule's forward action.
    tokio::time::sleep(Duration::from_millis(300)).await;
    lattice.reset_call_counts();
    let patch = json!({"spec": {"rules": [
        {"matches": [{"path": {"type": "PathPrefix", "value": "/books"}}],
         "backendRefs": [{"name": "books-v1", "port": 8080, "weight": 80}, {"name": "books-v2", "port": 8080, "weight": 20}]},
        {"matches": [{"path": {"type": "PathPrefix", "value": "/books"}, "headers": [{"name": "x-beta", "value": "true"}]}],
         "backendRefs": [{"name": "books-v2", "port": 8080}]}]}});
    api.patch("books", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
    for _ in 0..100 {
        if lattice
            .call_counts()
            .get("UpdateRule")
            .copied()
            .unwrap_or(0)
            >= 1
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let writes: Vec<(String, u64)> = lattice
        .call_counts()
        .into_iter()
        .filter(|(op, n)| *n > 0 && !op.starts_with("List") && !op.starts_with("Get"))
        .collect();
    assert_eq!(
        writes,
        vec![("UpdateRule".to_string(), 1)],
        "a weight edit should be one UpdateRule"
    );
    assert!(
        lattice.state_dump().to_string().contains("\"weight\":80"),
        "the new weight is not in Lattice"
    );

    let reviews = serde_json::to_value(api.get("reviews").await.unwrap()).unwrap();
    assert!(
        reviews
            .pointer("/metadata/finalizers")
            .unwrap()
            .to_string()
            .contains("application-networking.k8s.aws/resources"),
        "{reviews:#}"
    );
    api.delete("reviews", &Default::default()).await.unwrap();
    for _ in 0..100 {
        let state = lattice.state_dump().to_string();
        if !state.contains("reviews-bookstore")
            && !state.contains("k8s-reviews-bookstore-reviews-write-bookstore")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let state = lattice.state_dump().to_string();
    assert!(
        !state.contains("reviews-bookstore"),
        "the deleted route's service is still in Lattice"
    );
    assert!(
        !state.contains("k8s-reviews-bookstore-reviews-write-bookstore"),
        "its target group is still in Lattice"
    );
    assert!(
        state.contains("books-bookstore"),
        "another route's service went too"
    );

    let _ = stop.send(());
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lattice_rejection_shows_in_status_and_as_an_event() {
    let (_kube, client) = bookstore().await;
    let lattice = lattice_with_fault(
        "CreateService",
        lattice_sim::FaultSpec {
            error_rate: 1.0,
            ..Default::default()
        },
    )
    .await;
    let opts = lattice_apply::ApplyOptions {
        max_retries: 0,
        ..lattice_apply::ApplyOptions::unlimited(8)
    };
    let (stop, task) = start_with_lattice(&client, &lattice.url(), opts);
    let api = routes_api(&client);
    let books = eventually(&api, "books", |r| {
        condition(r, PROGRAMMED).is_some_and(|c| c["reason"] == "ApplyFailed")
    })
    .await;
    let message = condition(&books, PROGRAMMED).unwrap()["message"].to_string();
    assert!(
        message.contains("CreateService") && message.contains("books-bookstore"),
        "{message}"
    );

    let events: Api<k8s_openapi::api::events::v1::Event> =
        Api::namespaced(client.clone(), "bookstore");
    let mut found = false;
    for _ in 0..50 {
        let list = events.list(&Default::default()).await.unwrap();
        found = list.items.iter().any(|e| {
            e.reason.as_deref() == Some("ApplyFailed")
                && e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some("books")
        });
        if found {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(found, "no ApplyFailed event for books");
    let _ = stop.send(());
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_service_network_is_an_event_on_its_gateway() {
    let (_kube, client) = bookstore().await;
    let lattice = lattice_with_fault(
        "CreateServiceNetwork",
        lattice_sim::FaultSpec {
            error_rate: 1.0,
            ..Default::default()
        },
    )
    .await;
    let opts = lattice_apply::ApplyOptions {
        max_retries: 0,
        ..lattice_apply::ApplyOptions::unlimited(8)
    };
    let (stop, task) = start_with_lattice(&client, &lattice.url(), opts);
    let events: Api<k8s_openapi::api::events::v1::Event> =
        Api::namespaced(client.clone(), "bookstore");
    let mut found = None;
    for _ in 0..100 {
        let list = events.list(&Default::default()).await.unwrap();
        found = list.items.into_iter().find(|e| {
            e.reason.as_deref() == Some("ApplyFailed")
                && e.regarding.as_ref().and_then(|r| r.kind.as_deref()) == Some("Gateway")
                && e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some("bookstore")
        });
        if found.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let event = found.expect("no ApplyFailed event on the Gateway");
    let note = event.note.unwrap_or_default();
    assert!(note.contains("CreateServiceNetwork"), "{note}");
    let _ = stop.send(());
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_controller_restarted_mid_convergence_converges_with_nothing_duplicated() {
    let (_kube, client) = bookstore().await;
    let lattice = lattice_with_fault(
        "*",
        lattice_sim::FaultSpec {
            latency_ms: 40,
            ..Default::default()
        },
    )
    .await;
    let run = |client: kube::Client| {
        start_with_lattice(
            &client,
            &lattice.url(),
            lattice_apply::ApplyOptions::unlimited(4),
        )
    };
    // First replica: stopped while creates are in flight.
    let (stop, task) = run(client.clone());
    for _ in 0..100 {
        if lattice
            .call_counts()
            .get("CreateService")
            .copied()
            .unwrap_or(0)
            >= 1
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop.send(());
    task.abort();
    let _ = task.await;
    assert!(
        lattice
            .call_counts()
            .get("CreateService")
            .copied()
            .unwrap_or(0)
            >= 1,
        "the first replica was stopped before it created anything"
    );

    // Second replica finishes the job.
    let (stop, task) = run(client.clone());
    let api = routes_api(&client);
    for name in ["books", "reviews"] {
        programmed(&api, name, "True").await;
    }
    let _ = stop.send(());
    let _ = task.await;
    lattice.set_faults(Default::default());

    let aws = lattice_sim::client(&lattice.url());
    let services = aws.list_services().send().await.unwrap();
    let mut names: Vec<_> = services.items().iter().filter_map(|s| s.name()).collect();
    names.sort();
    assert_eq!(
        names,
        vec!["books-bookstore", "ratings-bookstore", "reviews-bookstore"]
    );
    let tgs = aws.list_target_groups().send().await.unwrap();
    let mut tg_names: Vec<_> = tgs.items().iter().filter_map(|t| t.name()).collect();
    tg_names.sort();
    let before = tg_names.len();
    tg_names.dedup();
    assert_eq!(before, tg_names.len(), "duplicate target groups");
    assert_eq!(tg_names.len(), 5, "{tg_names:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_clusters_service_is_conflicted_until_the_route_allows_takeover() {
    use lattice_core::model::naming::{ALLOW_TAKEOVER_FROM, managed_by_tag};
    let (_kube, client) = bookstore().await;
    let lattice = lattice().await;
    // Another cluster already owns the service that `reviews` maps to.
    let other = "111122223333/other-cluster/vpc-0aaaaaaaaaaaaaaaa";
    let sdk = lattice_sim::client(&lattice.url());
    let theirs = sdk
        .create_service()
        .name("reviews-bookstore")
        .tags(managed_by_tag(), other)
        .send()
        .await
        .unwrap();
    let (stop, task) = start_with_lattice(
        &client,
        &lattice.url(),
        lattice_apply::ApplyOptions::unlimited(16),
    );
    let api = routes_api(&client);
    let reviews = programmed(&api, "reviews", "False").await;
    let message = condition(&reviews, PROGRAMMED).unwrap()["message"].to_string();
    assert!(message.contains("Conflicted"), "{message}");
    // The other route is unaffected.
    programmed(&api, "books", "True").await;

    let patch = json!({"metadata": {"annotations": {ALLOW_TAKEOVER_FROM: other}}});
    api.patch("reviews", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
    programmed(&api, "reviews", "True").await;
    // Taken over in place: the same service, now tagged as ours.
    let tags = sdk
        .list_tags_for_resource()
        .resource_arn(theirs.arn().unwrap_or_default())
        .send()
        .await
        .unwrap();
    assert_eq!(
        tags.tags().and_then(|t| t.get(&managed_by_tag())),
        Some(&lattice_core::ClusterConfig::default().managed_by())
    );
    let _ = stop.send(());
    task.await.unwrap();
}

/// The run loop keeps taking watch events while a pass waits on Lattice: a
/// route created mid-pass is in the controller's topology at once, before
/// the pass has written a single status. (A pass once held the loop; at
/// 10,000 routes the watches then fell out of the API server's history,
/// answered 410 Gone and re-listed, and an edit waited seconds behind.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_events_reach_the_index_while_a_pass_waits_on_lattice() {
    let (kube, client) = bookstore().await;
    // One call at a time, 100 ms each: the first pass takes seconds.
    let lattice = lattice_with_fault(
        "*",
        lattice_sim::FaultSpec {
            latency_ms: 100,
            ..Default::default()
        },
    )
    .await;
    let Started {
        stop,
        task,
        topology,
        ..
    } = start_controller(
        &client,
        &lattice.url(),
        lattice_apply::ApplyOptions::unlimited(1),
        Options::default(),
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while lattice.call_counts().values().sum::<u64>() == 0 {
        assert!(std::time::Instant::now() < deadline, "no Lattice call");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let late = read("examples/bookstore/routes.yaml")
        .split("\n---")
        .next()
        .expect("a route")
        .replace("name: books\n", "name: late\n");
    kube.sim().apply_yaml(&late).unwrap();
    let asked = std::time::Instant::now();
    loop {
        let seen = tokio::time::timeout(Duration::from_secs(2), topology.get())
            .await
            .expect("the run loop answers while a pass runs")
            .expect("the controller runs");
        if seen.routes.iter().any(|r| r.name == "late") {
            break;
        }
        assert!(
            asked.elapsed() < Duration::from_secs(3),
            "the new route is not in the index"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let api = routes_api(&client);
    let books = api.get("books").await.unwrap();
    let books = serde_json::to_value(books).unwrap();
    assert!(
        condition(&books, PROGRAMMED).is_none(),
        "the first pass was already over: {books}"
    );
    // Both routes converge: the late one in the pass after.
    programmed(&api, "books", "True").await;
    programmed(&api, "late", "True").await;
    let _ = stop.send(());
    task.await.unwrap();
}
