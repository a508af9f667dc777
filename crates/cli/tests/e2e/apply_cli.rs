//! `lattice-host apply` against lattice-sim over the AWS SDK: what it
//! changes, that a second run changes nothing, and failures naming the object.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

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

/// `lattice-host ARGS` with no AWS credentials anywhere: no `AWS_*`
/// variables, an empty home (no profile), instance metadata off; and
/// `LATTICE_ENDPOINT` at a port nobody listens on.
fn without_credentials(args: &[&str], extra_env: &[(&str, &str)]) -> (Output, Duration) {
    let home = tempfile::tempdir().unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap();
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_lattice-host"))
        .args(args)
        .current_dir(root)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("LATTICE_ENDPOINT", endpoint)
        .envs(extra_env.iter().copied())
        .output()
        .unwrap();
    (out, started.elapsed())
}

/// The one line naming every source of the default chain.
fn names_every_source(out: &Output, elapsed: Duration) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line, not the SDK's noise:\n{err}");
    assert!(lines[0].starts_with("error: no AWS credentials"), "{err}");
    for source in [
        "environment (AWS_ACCESS_KEY_ID)",
        "profile (~/.aws/config",
        "web identity token (IRSA",
        "container endpoint (EKS Pod Identity",
        "EC2 instance metadata (IMDS): IMDS disabled",
    ] {
        assert!(lines[0].contains(source), "{source} not named: {err}");
    }
}

#[test]
fn apply_without_aws_credentials_fails_at_once_naming_every_source_it_tried() {
    let (out, elapsed) = without_credentials(&["apply", "-f", "examples/bookstore"], &[]);
    names_every_source(&out, elapsed);
}

#[test]
fn run_without_aws_credentials_fails_at_once_naming_every_source_it_tried() {
    let identity = [
        ("CLUSTER_NAME", "c"),
        ("CLUSTER_VPC_ID", "vpc-0123456789abcdef0"),
        ("REGION", "us-west-2"),
        ("AWS_ACCOUNT_ID", "123456789012"),
        // Credentials are checked before the cluster is reached.
        ("KUBECONFIG", "/nonexistent/kubeconfig"),
    ];
    let (out, elapsed) = without_credentials(&["run"], &identity);
    names_every_source(&out, elapsed);
}
