//! `plugin inspect` and `plugin diff` as a plugin author runs them.

use std::path::PathBuf;
use std::process::{Command, Output};

use lattice_plugin_sdk::types::Stage;

use crate::cli::root;

fn lattice_host(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lattice-host"))
        .current_dir(root())
        .args(args)
        .output()
        .expect("lattice-host runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The built-in plugin of `stage`, written to a file as an author has it.
fn builtin(dir: &tempfile::TempDir, stage: Stage) -> PathBuf {
    let (name, bytes) = lattice_wasm::defaults::for_stage(stage);
    let path = dir.path().join(format!("{name}.wasm"));
    std::fs::write(&path, bytes).expect("write the component");
    path
}

#[test]
fn inspect_shows_what_the_controller_would_load() {
    let o = lattice_host(&["plugin", "inspect", test_plugins::EQUAL_SPLIT, "--json"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["name"], "equal-split");
    assert_eq!(v["stage"], "weighting");
    assert_eq!(v["contract"], "lattice:plugin@0.1.0");
    assert_eq!(v["loads"], true);
    let bytes = std::fs::read(test_plugins::EQUAL_SPLIT).expect("built");
    assert_eq!(v["size"], bytes.len());
    assert_eq!(v["sha256"], lattice_oci::sha256_digest(&bytes));

    let dir = tempfile::tempdir().expect("temp dir");
    let module = dir.path().join("core.wasm");
    std::fs::write(&module, b"\0asm\x01\0\0\0").expect("write");
    let o = lattice_host(&["plugin", "inspect", module.to_str().expect("utf-8")]);
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("core.wasm: not a WebAssembly component"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn diff_prints_the_changed_weights_and_exits_0_when_nothing_is_deleted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let old = builtin(&dir, Stage::Weighting);
    let o = lattice_host(&[
        "plugin",
        "diff",
        old.to_str().expect("utf-8"),
        test_plugins::EQUAL_SPLIT,
        "-f",
        "examples/bookstore",
    ]);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}{}", text(&o.stderr));
    assert!(
        out.starts_with("route bookstore/books (service books-bookstore)\n"),
        "{out}"
    );
    assert!(
        out.contains("(90), k8s-books-bookstore-books-v2-bookstore-8080-http-http1 (10)\n"),
        "{out}"
    );
    assert!(
        out.contains("(1), k8s-books-bookstore-books-v2-bookstore-8080-http-http1 (1)\n"),
        "{out}"
    );
    assert!(!out.contains("DELETES"), "{out}");
}

#[test]
fn diff_exits_3_naming_what_a_new_version_would_delete() {
    let dir = tempfile::tempdir().expect("temp dir");
    let old = builtin(&dir, Stage::Mapping);
    let o = lattice_host(&[
        "plugin",
        "diff",
        old.to_str().expect("utf-8"),
        test_plugins::FAULTY,
        "--new-settings",
        r#"{"fault":"trap","onRoute":"books"}"#,
        "-f",
        "examples/bookstore",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    // The trapping route is kept as Lattice holds it, not deleted ...
    assert_eq!(v["kept"][0][0], "bookstore/books");
    let deleted = v["deletedTargetGroups"].to_string();
    assert!(!deleted.contains("k8s-books-"), "{deleted}");
    // ... while the others lose their rules' target groups.
    assert!(
        deleted.contains("k8s-reviews-bookstore-reviews-read"),
        "{deleted}"
    );

    let o = lattice_host(&[
        "plugin",
        "diff",
        old.to_str().expect("utf-8"),
        test_plugins::EQUAL_SPLIT,
        "-f",
        "examples/bookstore",
    ]);
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("is a mapping plugin and"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn explain_names_each_stage_s_plugin_its_input_answer_and_cost() {
    let o = lattice_host(&[
        "explain",
        "route",
        "bookstore/books",
        "-f",
        "examples/bookstore",
        "--json",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["kind"], "HTTPRoute");
    let stages = v["stages"].as_array().expect("stages");
    let names: Vec<&str> = stages.iter().filter_map(|s| s["stage"].as_str()).collect();
    assert_eq!(names, vec!["mapping", "weighting", "auth"]);
    let weighting = &stages[1];
    assert!(
        weighting["plugin"]
            .as_str()
            .unwrap_or("")
            .starts_with("weighted-forward@sha256:")
    );
    let first = &weighting["calls"][0];
    assert_eq!(first["for"], "spec.rules[0]");
    assert_eq!(first["valid"], true);
    assert_eq!(first["answer"]["action"]["Forward"][0]["weight"], 90);
    let fuel = first["fuel"].as_u64().expect("metered");
    assert!(
        fuel > 0 && fuel < first["fuelBudget"].as_u64().expect("budget"),
        "{first}"
    );
    assert_eq!(v["plan"]["services"][0]["name"], "books-bookstore");

    let o = lattice_host(&[
        "explain",
        "route",
        "bookstore/nope",
        "-f",
        "examples/bookstore",
    ]);
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("no route bookstore/nope"),
        "{}",
        text(&o.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_against_a_cluster_uses_the_plugin_object_the_controller_would() {
    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::api::{Api, PostParams};

    let (kube, client) = crate::controller::bookstore().await;
    let bytes = std::fs::read(test_plugins::EQUAL_SPLIT).expect("built");
    let cm: ConfigMap = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "equal-split", "namespace": "bookstore"},
        "binaryData": {"plugin.wasm": base64_encode(&bytes)},
    }))
    .expect("ConfigMap");
    Api::<ConfigMap>::namespaced(client.clone(), "bookstore")
        .create(&PostParams::default(), &cm)
        .await
        .expect("created");
    kube.sim()
        .apply_yaml(
            "apiVersion: lattice-host.io/v1alpha1\nkind: ClusterLatticePlugin\nmetadata:\n  name: equal\nspec:\n  stage: weighting\n  source:\n    configMap: {name: equal-split, key: plugin.wasm, namespace: bookstore}\n",
        )
        .expect("applied");
    let dir = tempfile::tempdir().expect("temp dir");
    let kubeconfig = dir.path().join("kubeconfig");
    kube.write_kubeconfig(&kubeconfig).expect("kubeconfig");
    let path = kubeconfig.to_str().expect("utf-8").to_string();
    let o = tokio::task::spawn_blocking(move || {
        lattice_host(&["explain", "route", "bookstore/books", "--kubeconfig", &path])
    })
    .await
    .expect("ran");
    let out = text(&o.stdout);
    assert!(o.status.success(), "{out}{}", text(&o.stderr));
    assert!(out.contains("\nweighting: equal-split@sha256:"), "{out}");
    assert!(
        out.contains("candidate  ClusterLatticePlugin equal (the ClusterLatticePlugin that applies to namespace bookstore): decides"),
        "{out}"
    );
    assert!(
        out.contains("-http-http1 (1), k8s-books-bookstore-books-v2-bookstore-8080-http-http1 (1)"),
        "{out}"
    );
}

fn base64_encode(bytes: &[u8]) -> String {
    let v = serde_json::to_value(k8s_openapi::ByteString(bytes.to_vec())).expect("encodes");
    v.as_str().unwrap_or_default().to_string()
}

/// Where the workspace builds its plugins, so a new plugin reuses the
/// compiled SDK and its dependencies.
fn wasm_target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
        .join("wasm-plugins")
}

fn in_dir(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lattice-host"))
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", wasm_target_dir())
        .args(args)
        .output()
        .expect("lattice-host runs")
}

#[test]
fn a_new_plugin_outside_the_repository_builds_and_passes_its_fixture_then_fails_a_wrong_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let o = in_dir(
        dir.path(),
        &["plugin", "new", "half-split", "--stage", "weighting"],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let crate_dir = dir.path().join("half-split");
    let manifest = std::fs::read_to_string(crate_dir.join("Cargo.toml")).expect("Cargo.toml");
    let sdk = root().join("sdk").canonicalize().expect("sdk");
    assert!(
        manifest.contains(&format!("path = \"{}\"", sdk.display())),
        "{manifest}"
    );

    let o = in_dir(&crate_dir, &["plugin", "build", "--json"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let built: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(built["name"], "half-split");
    assert_eq!(built["stage"], "weighting");
    assert_eq!(built["contract"], "lattice:plugin@0.1.0");

    let junit = dir.path().join("junit.xml");
    let o = in_dir(
        &crate_dir,
        &["plugin", "test", "--junit", junit.to_str().expect("utf-8")],
    );
    let out = text(&o.stdout);
    assert!(o.status.success(), "{out}{}", text(&o.stderr));
    assert!(out.contains("PASS cart.yaml"), "{out}");
    assert!(
        out.contains("(expect, determinism, batch, order, budget)"),
        "{out}"
    );
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert!(
        xml.contains("<testsuites tests=\"5\" failures=\"0\">"),
        "{xml}"
    );

    // A wrong expectation fails, showing where and both values.
    let fixture = crate_dir.join("fixtures/cart.yaml");
    let case = std::fs::read_to_string(&fixture).expect("fixture");
    let wrong = case.replace("http1, weight: 90}", "http1, weight: 50}");
    assert_ne!(case, wrong, "the fixture names the 90 weight");
    std::fs::write(&fixture, wrong).expect("write");
    let o = in_dir(
        &crate_dir,
        &["plugin", "test", "--junit", junit.to_str().expect("utf-8")],
    );
    let out = text(&o.stdout);
    assert!(!o.status.success(), "{out}");
    assert!(
        out.contains("FAIL cart.yaml (the cart route through half-split) expect: at $.services[0].listeners[0].rules[0].action.forward[0].weight:\n  - expected 50\n  + got      90"),
        "{out}"
    );
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert!(xml.contains("failures=\"1\""), "{xml}");
}

#[test]
fn plugin_test_takes_a_stage_level_input_and_checks_the_answer_and_its_diagnostics() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fixtures = dir.path().join("fixtures");
    std::fs::create_dir(&fixtures).expect("mkdir");
    let case = r#"description: an unresolved backend is left out and said so
settings: {maxBackends: 2}
input:
  route: {namespace: app, name: r}
  rule_index: 0
  backends:
    - {target_group: tg-a, display: Service app/a:80, weight: 90, resolution: Resolved, field: "spec.rules[0].backendRefs[0]"}
    - {target_group: tg-b, display: Service app/b:80, weight: 10, resolution: NotFound, field: "spec.rules[0].backendRefs[1]"}
expect:
  answer:
    action: {Forward: [{target_group: tg-a, weight: 1}]}
  diagnostics:
    - {reason: BackendNotFound, field: "spec.rules[0].backendRefs[1]"}
"#;
    std::fs::write(fixtures.join("unresolved.yaml"), case).expect("write");
    let o = lattice_host(&[
        "plugin",
        "test",
        test_plugins::EQUAL_SPLIT,
        "--fixtures",
        fixtures.to_str().expect("utf-8"),
    ]);
    let out = text(&o.stdout);
    assert!(o.status.success(), "{out}{}", text(&o.stderr));
    assert!(
        out.contains("PASS unresolved.yaml (an unresolved backend is left out and said so)"),
        "{out}"
    );

    let wrong = case.replace("reason: BackendNotFound", "reason: RefNotPermitted");
    std::fs::write(fixtures.join("unresolved.yaml"), wrong).expect("write");
    let o = lattice_host(&[
        "plugin",
        "test",
        test_plugins::EQUAL_SPLIT,
        "--fixtures",
        fixtures.to_str().expect("utf-8"),
    ]);
    let out = text(&o.stdout);
    assert!(!o.status.success(), "{out}");
    assert!(out.contains("expect: diagnostics:\n  - expected {\"field\":\"spec.rules[0].backendRefs[1]\",\"reason\":\"RefNotPermitted\"}"), "{out}");
}
