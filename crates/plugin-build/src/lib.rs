//! Builds plugin crates of this workspace for `wasm32-wasip2` from a build
//! script, so `cargo build` of a crate that embeds or tests plugins needs no
//! separate step. `lattice-wasm` embeds the default plugins this way, and
//! `test-plugins` builds the fault-test plugin.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Guest stack size. A small stack keeps the memory a call touches within
/// the pages the pooling allocator keeps resident between instances (see
/// `lattice-wasm`'s `engine.rs`).
pub const STACK_SIZE: u32 = 128 * 1024;

/// Builds `packages` (`(cargo package, library file stem)`) in release for
/// `wasm32-wasip2` and returns where each `.wasm` now lives, copied into
/// `OUT_DIR`. `workspace` is the workspace root. Prints the `rerun-if`
/// lines for `watch` (paths relative to the root).
///
/// # Panics
/// When cargo cannot be run or the build fails: a build script has no other
/// way to report it, and the message says what to do.
pub fn build(workspace: &Path, packages: &[(&str, &str)], watch: &[&str]) -> Vec<PathBuf> {
    for dir in watch {
        println!("cargo:rerun-if-changed={}", workspace.join(dir).display());
    }
    println!(
        "cargo:rerun-if-changed={}",
        workspace.join("Cargo.lock").display()
    );
    println!("cargo:rerun-if-env-changed=CARGO_TARGET_DIR");
    // A separate target dir: the outer build holds the lock on its own.
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace.join("target"))
        .join("wasm-plugins");
    let status = guest_build(workspace, &target_dir, packages)
        .status()
        .expect("run cargo to build the plugins");
    if !status.success() {
        panic!(
            "building the plugins for wasm32-wasip2 failed; is the target installed? Run scripts/setup (rustup target add wasm32-wasip2)"
        );
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    packages
        .iter()
        .map(|(pkg, file)| {
            let built = target_dir
                .join("wasm32-wasip2/release")
                .join(format!("{file}.wasm"));
            let dest = out.join(format!("{pkg}.wasm"));
            std::fs::copy(&built, &dest)
                .unwrap_or_else(|e| panic!("copy {} to {}: {e}", built.display(), dest.display()));
            dest
        })
        .collect()
}

/// The inner `cargo build`, with the outer build's flags kept out of it.
fn guest_build(workspace: &Path, target_dir: &Path, packages: &[(&str, &str)]) -> Command {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace)
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--target-dir",
        ])
        .arg(target_dir);
    for (pkg, _) in packages {
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
    cmd.env(
        "CARGO_TARGET_WASM32_WASIP2_RUSTFLAGS",
        format!("-Clink-arg=-zstack-size={STACK_SIZE}"),
    );
    cmd
}

/// The workspace root, two levels above a crate at `crates/NAME` or `testbed/NAME`.
///
/// # Panics
/// Outside a build script.
pub fn workspace_root() -> PathBuf {
    let manifest =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .find(|d| d.join("Cargo.lock").exists() || d.join("rust-toolchain.toml").exists())
        .expect("the crate sits inside the workspace")
        .to_path_buf()
}
