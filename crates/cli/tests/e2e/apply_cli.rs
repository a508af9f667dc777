//! `lattice-host apply` against lattice-sim over the AWS SDK: what it
//! changes, that a second run changes nothing, and failures naming the object.

use std::process::{Command, Output};

fn apply(url: &str, extra: &[&str]) -> Output {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap();
    Command::new(env!("CARGO_BIN_EXE_lattice-host"))
        .args([
            "apply",
            "-f",
            "examples/bookstore",
            "--lattice-endpoint",
            url,
        ])
        .args(extra)
        .current_dir(root)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env(
            "LATTICE_HOST_CACHE_DIR",
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("components"),
        )
        .output()
        .unwrap()
}

/// `apply` on a blocking thread, so the emulator keeps serving meanwhile.
async fn apply_async(url: &str, extra: &[&str]) -> Output {
    let (url, extra): (String, Vec<String>) =
        (url.into(), extra.iter().map(|e| e.to_string()).collect());
    tokio::task::spawn_blocking(move || {
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        apply(&url, &extra)
    })
    .await
    .unwrap()
}

/// A lattice-sim with the default settings.
async fn sim() -> lattice_sim::RunningSim {
    lattice_sim::LatticeSim::new(lattice_sim::SimConfig::default())
        .start()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_converges_the_bookstore_and_a_second_run_writes_nothing() {
    let sim = sim().await;
    let url = sim.url();
    let first = apply_async(&url, &[]).await;
    let out = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(out.contains("created  service books-bookstore"), "{out}");
    let state = sim.state_dump().to_string();
    for name in [
        "books-bookstore",
        "reviews-bookstore",
        "ratings-bookstore",
        "k8s-books-bookstore-books-v2-bookstore-8080-http-http1",
    ] {
        assert!(state.contains(name), "{name} missing from lattice-sim");
    }
    let second = apply_async(&url, &["--json"]).await;
    let report: serde_json::Value = serde_json::from_slice(&second.stdout).unwrap();
    assert!(report["created"].as_array().unwrap().is_empty(), "{report}");
    assert!(report["updated"].as_array().unwrap().is_empty(), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_operation_fails_the_run_and_names_the_object() {
    let sim = sim().await;
    let mut faults = lattice_sim::FaultRules::new();
    faults.insert(
        "CreateService".into(),
        lattice_sim::FaultSpec {
            error_rate: 1.0,
            ..Default::default()
        },
    );
    sim.set_faults(faults);
    let url = sim.url();
    let o = apply_async(&url, &["--concurrency", "4"]).await;
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("VPC Lattice rejected")
            && err.contains("books-bookstore")
            && err.contains("CreateService"),
        "{err}"
    );
}

/// Issue 10's reproduction: a mapping plugin trapping on one route used to
/// make `apply` delete that route's live service.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_trapping_on_a_route_makes_apply_delete_nothing_of_it() {
    let sim = sim().await;
    let url = sim.url();
    let first = apply_async(&url, &[]).await;
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let faulty = format!("mapping={}", test_plugins::FAULTY);
    let trap = r#"mapping={"fault":"trap","onRoute":"books"}"#;
    let second = apply_async(&url, &["--plugin", &faulty, "--plugin-settings", trap]).await;
    let out = String::from_utf8_lossy(&second.stdout);
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    // Other routes may be re-mapped; nothing of the trapping route is touched.
    assert!(!out.lines().any(|l| l.contains("books-bookstore")), "{out}");
    assert!(sim.state_dump().to_string().contains("books-bookstore"));
}
