//! Issue 10, "a plugin failure never destroys anything": a route whose
//! mapping plugin traps keeps its Lattice resources exactly as they are,
//! while the other routes converge.

use std::sync::Arc;
use std::time::Duration;

use lattice_controller::{Controller, Options};
use lattice_wasm::{PluginConfig, StageChoice};

use crate::controller::{
    PROGRAMMED, bookstore, condition, eventually, lattice, lattice_writes, programmed, routes_api,
};

/// A controller whose mapping stage is the fault-test plugin with `settings`.
fn start_faulty(
    client: &kube::Client,
    url: &str,
    settings: &str,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let plugins = PluginConfig {
        mapping: StageChoice {
            file: Some(test_plugins::FAULTY.into()),
            settings: settings.into(),
            ..StageChoice::default()
        },
        ..PluginConfig::default()
    };
    let (_rt, stages) = lattice_wasm::start(&plugins).expect("the fault-test plugin loads");
    let cfg = lattice_core::ClusterConfig::default();
    let applier = lattice_apply::Applier::new(
        lattice_sim::client(url),
        cfg.clone(),
        lattice_apply::ApplyOptions::unlimited(16),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let options = Options {
        cluster: cfg,
        ..Options::default()
    };
    let task = tokio::spawn(
        Controller::new(client.clone(), Arc::new(stages), options)
            .with_applier(applier)
            .run(async {
                let _ = stopped.await;
            }),
    );
    (stop, task)
}

/// Starts the default plugins, waits for the bookstore to be programmed, stops.
async fn converge_with_defaults(client: &kube::Client, url: &str) {
    let (stop, task) = start_faulty(client, url, r#"{"fault":"none"}"#);
    let api = routes_api(client);
    programmed(&api, "books", "True").await;
    programmed(&api, "reviews", "True").await;
    let _ = stop.send(());
    task.await.expect("the controller stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_trapping_on_one_route_changes_nothing_of_it_in_lattice() {
    let (_kube, client) = bookstore().await;
    let lattice = lattice().await;
    converge_with_defaults(&client, &lattice.url()).await;
    let before = lattice.state_dump();
    lattice.reset_call_counts();

    let (stop, task) = start_faulty(
        &client,
        &lattice.url(),
        r#"{"fault":"trap","onRoute":"books"}"#,
    );
    let api = routes_api(&client);
    let books = eventually(&api, "books", |r| {
        condition(r, PROGRAMMED).is_some_and(|c| c["reason"] == "KeptLastGood")
    })
    .await;
    let message = condition(&books, PROGRAMMED).expect("Programmed")["message"].to_string();
    assert!(message.contains("@sha256:"), "{message}");
    assert!(message.contains("last programmed state"), "{message}");
    // The other routes are still programmed by the same plugin.
    programmed(&api, "reviews", "True").await;
    // And `kubectl describe` shows why, as a Warning on the route.
    let events: kube::Api<k8s_openapi::api::core::v1::Event> = kube::Api::all(client.clone());
    let mut warned = false;
    for _ in 0..50 {
        let list = events.list(&Default::default()).await.expect("events");
        warned = list.items.iter().any(|e| {
            e.involved_object.name.as_deref() == Some("books")
                && e.reason.as_deref() == Some("PluginFailed")
                && e.type_.as_deref() == Some("Warning")
        });
        if warned {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(warned, "no PluginFailed Warning on the route");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = stop.send(());
    task.await.expect("the controller stops");

    assert_eq!(
        lattice_writes(&lattice),
        vec![],
        "a trapping route's resources were written to"
    );
    let after = lattice.state_dump().to_string();
    assert!(
        after.contains("books-bookstore"),
        "the kept service is gone"
    );
    let services = |v: &serde_json::Value| v.pointer("/services").map(|s| s.to_string());
    assert_eq!(services(&before), services(&lattice.state_dump()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_trapping_on_every_route_deletes_no_service() {
    let (_kube, client) = bookstore().await;
    let lattice = lattice().await;
    converge_with_defaults(&client, &lattice.url()).await;
    lattice.reset_call_counts();

    let (stop, task) = start_faulty(&client, &lattice.url(), r#"{"fault":"trap"}"#);
    let api = routes_api(&client);
    for name in ["books", "reviews"] {
        eventually(&api, name, |r| {
            condition(r, PROGRAMMED).is_some_and(|c| c["reason"] == "KeptLastGood")
        })
        .await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = stop.send(());
    task.await.expect("the controller stops");
    let deletes: Vec<_> = lattice_writes(&lattice)
        .into_iter()
        .filter(|(op, _)| op.starts_with("Delete"))
        .collect();
    assert_eq!(deletes, vec![]);
    assert!(
        lattice
            .state_dump()
            .to_string()
            .contains("reviews-bookstore")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_that_cannot_load_stops_neither_the_controller_nor_its_routes() {
    let (_kube, client) = bookstore().await;
    let lattice = lattice().await;
    converge_with_defaults(&client, &lattice.url()).await;
    lattice.reset_call_counts();

    let not_a_component =
        std::env::temp_dir().join(format!("not-a-plugin-{}.wasm", std::process::id()));
    std::fs::write(&not_a_component, b"\0asm\x01\0\0\0").expect("write a core module header");
    let parts = lattice_wiring::Parts {
        kube: client.clone(),
        plugins: PluginConfig {
            mapping: StageChoice {
                file: Some(not_a_component.clone()),
                ..StageChoice::default()
            },
            ..PluginConfig::default()
        },
        lattice: Some(lattice_wiring::Lattice {
            client: lattice_sim::client(&lattice.url()),
            options: lattice_apply::ApplyOptions::unlimited(16),
        }),
        options: Options::default(),
    };
    let assembled = lattice_wiring::controller(parts).expect("the controller starts");
    assert_eq!(assembled.refused.len(), 1);
    assert!(
        assembled.refused[0]
            .to_string()
            .contains("not a WebAssembly component")
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(assembled.controller.run(async {
        let _ = stopped.await;
    }));
    let api = routes_api(&client);
    let books = eventually(&api, "books", |r| {
        condition(r, PROGRAMMED).is_some_and(|c| c["reason"] == "KeptLastGood")
    })
    .await;
    let message = condition(&books, PROGRAMMED).expect("Programmed")["message"].to_string();
    assert!(message.contains("not loaded"), "{message}");
    let _ = stop.send(());
    task.await.expect("the controller stops");
    let _ = std::fs::remove_file(&not_a_component);
    assert_eq!(
        lattice_writes(&lattice),
        vec![],
        "routes of a refused plugin were written to"
    );
}
