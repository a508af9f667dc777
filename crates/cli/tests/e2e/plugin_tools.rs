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
