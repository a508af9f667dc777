//! The plugin tutorial (`docs/plugins.md`) as written: its `sh tutorial`
//! blocks run in bash, in a fresh directory, against a running demo, with
//! the real kubectl. If a command in the page stops working, this fails.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::cli::root;

/// The demo process, stopped when dropped.
struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The lines of every ```` ```sh tutorial ```` block, in order.
fn tutorial_commands(page: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in page.lines() {
        match (inside, line.trim()) {
            (false, "```sh tutorial") => inside = true,
            (true, "```") => inside = false,
            (true, l) if !l.is_empty() && !l.starts_with('#') => out.push(line.to_string()),
            _ => {}
        }
    }
    out
}

/// Starts `lattice-host demo` writing its kubeconfig where the tutorial
/// expects it (`target/demo-kubeconfig.yaml` under `dir`), and waits until
/// it has converged.
fn start_demo(dir: &Path) -> Demo {
    let kubeconfig = dir.join("target/demo-kubeconfig.yaml");
    let log = std::fs::File::create(dir.join("demo.log")).expect("demo log");
    let child = Command::new(env!("CARGO_BIN_EXE_lattice-host"))
        .current_dir(root())
        .args(["demo", "--kubeconfig"])
        .arg(&kubeconfig)
        .stdout(log)
        .stderr(Stdio::null())
        .spawn()
        .expect("start the demo");
    let demo = Demo(child);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let out = std::fs::read_to_string(dir.join("demo.log")).unwrap_or_default();
        if out.contains("Reconciling what you change") {
            return demo;
        }
        assert!(
            Instant::now() < deadline,
            "the demo did not converge:\n{out}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn the_plugin_tutorial_runs_as_written() {
    if Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("LATTICE_HOST_REQUIRE_REGISTRY").is_none(),
            "kubectl is missing; run scripts/setup --test"
        );
        eprintln!("SKIPPED: kubectl is missing");
        return;
    }
    let page = std::fs::read_to_string(root().join("docs/plugins.md")).expect("docs/plugins.md");
    let commands = tutorial_commands(&page);
    assert!(commands.len() >= 6, "{commands:?}");
    let dir = tempfile::tempdir().expect("temp dir");
    let _demo = start_demo(dir.path());
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_lattice-host"));
    let bin_dir = bin.parent().expect("bin dir").display().to_string();
    let wasm_target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
        .join("wasm-plugins");
    let script = format!(
        "set -euo pipefail\nexport PATH={bin_dir}:$PATH\nexport CARGO_TARGET_DIR={}\n{}\n",
        wasm_target.display(),
        commands.join("\n")
    );
    let o = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(dir.path())
        .output()
        .expect("bash runs");
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success(),
        "the tutorial failed:\n{script}\n--- stdout\n{out}\n--- stderr\n{err}"
    );
    assert!(
        out.contains("clusterlatticeplugin.lattice-host.io/my-split condition met"),
        "{out}"
    );
    assert!(out.contains("PASS cart.yaml"), "{out}");
    assert!(out.contains("no change in VPC Lattice"), "{out}");
    assert!(out.contains("\nweighting: my-split@sha256:"), "{out}");
}

#[test]
fn tutorial_blocks_are_found_in_order() {
    let page = "text\n```sh tutorial\nexport A=1\n# a comment\nrun a\n```\n```sh\nnot this\n```\n```sh tutorial\nrun b\n```\n";
    assert_eq!(
        tutorial_commands(page),
        vec!["export A=1", "run a", "run b"]
    );
}
