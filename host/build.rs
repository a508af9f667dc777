//! Builds the default plugins (and the fault-test plugin) for wasm32-wasip2,
//! so `cargo run -p lattice-host` finds them without a separate step. The
//! three defaults are embedded with `include_bytes!`; the fault-test plugin's
//! path is handed to tests through `FAULTY_PLUGIN_WASM`.

use std::path::{Path, PathBuf};
use std::process::Command;

const PLUGINS: &[(&str, &str)] = &[
    ("route-mapper", "route_mapper"),
    ("weighted-forward", "weighted_forward"),
    ("iam-auth", "iam_auth"),
    ("faulty-plugin", "faulty_plugin"),
];

fn main() {
    let manifest =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest
        .parent()
        .expect("host/ sits in the workspace root")
        .to_path_buf();
    for dir in ["wit", "sdk", "plugins", "host/tests/plugins/faulty"] {
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }
    println!(
        "cargo:rerun-if-changed={}",
        root.join("Cargo.lock").display()
    );
    println!("cargo:rerun-if-env-changed=CARGO_TARGET_DIR");

    // A separate target dir: the outer build holds the lock on its own.
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("wasm-plugins");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root)
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--target-dir",
        ])
        .arg(&target_dir);
    for (pkg, _) in PLUGINS {
        cmd.args(["-p", pkg]);
    }
    // Flags and wrappers meant for the host build must not leak into the guest build.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        cmd.env_remove(var);
    }
    // A small guest stack keeps the memory a call touches within the pages the
    // pooling allocator keeps resident between instances (see runtime/engine.rs).
    cmd.env(
        "CARGO_TARGET_WASM32_WASIP2_RUSTFLAGS",
        "-Clink-arg=-zstack-size=131072",
    );
    let status = cmd.status().expect("run cargo to build the plugins");
    if !status.success() {
        panic!(
            "building the plugins for wasm32-wasip2 failed; is the target installed? Run scripts/setup (rustup target add wasm32-wasip2)"
        );
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    for (pkg, file) in PLUGINS {
        let built = target_dir
            .join("wasm32-wasip2/release")
            .join(format!("{file}.wasm"));
        let dest = out.join(format!("{pkg}.wasm"));
        copy(&built, &dest);
        let var = format!("{}_WASM", pkg.replace('-', "_").to_uppercase());
        println!("cargo:rustc-env={var}={}", dest.display());
    }
}

fn copy(from: &Path, to: &Path) {
    std::fs::copy(from, to)
        .unwrap_or_else(|e| panic!("copy {} to {}: {e}", from.display(), to.display()));
}
