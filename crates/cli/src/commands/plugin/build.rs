//! `plugin build [DIR]`: builds a plugin crate for `wasm32-wasip2` in
//! release, then checks the component as the controller will when it
//! loads it: a component, the contract this host speaks, one stage's
//! world, no imports, and an `info` that agrees.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;
use clap::Args;
use serde_json::Value;

/// `plugin build` arguments.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The plugin crate (default: the current directory).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Also copy the component to this file.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// What cargo says about the crate.
struct Crate {
    package: String,
    lib: String,
    target_dir: PathBuf,
}

/// Runs `plugin build`.
pub fn run(args: BuildArgs) -> anyhow::Result<()> {
    let krate = metadata(&args.dir.join("Cargo.toml"))?;
    let wasm = build(&args.dir)?;
    let shown = wasm.display().to_string();
    let bytes =
        std::fs::read(&wasm).with_context(|| format!("{shown}: cannot read what cargo built"))?;
    let rt = lattice_wasm::PluginRuntime::new(lattice_wasm::Limits::default(), None)
        .map_err(|e| anyhow::anyhow!("starting wasmtime: {e:#}"))?;
    let i = lattice_wasm::inspect(&rt, &shown, &bytes)?;
    if let Some(out) = &args.output {
        std::fs::write(out, &bytes).with_context(|| format!("{}: cannot write", out.display()))?;
    }
    let info = i
        .load
        .clone()
        .map_err(|e| anyhow::anyhow!("the controller would refuse it: {e}"))?;
    if info.name != krate.package {
        eprintln!(
            "note: info says name {:?}, the crate is {:?}; the controller records the former as name@sha256",
            info.name, krate.package
        );
    }
    if args.json {
        let v = serde_json::json!({
            "name": info.name, "version": info.version, "stage": info.stage.as_str(),
            "contract": i.contract, "size": i.size, "sha256": format!("sha256:{}", i.sha256),
            "path": shown,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!("built     {shown}");
        println!("name      {}", info.name);
        println!("version   {}", info.version);
        println!("stage     {}", info.stage.as_str());
        println!("contract  {}", i.contract.unwrap_or_default());
        println!("size      {} bytes", i.size);
        println!("sha256    sha256:{}", i.sha256);
    }
    Ok(())
}

/// Builds the crate in `dir` for wasm32-wasip2 in release; returns the
/// component's path.
pub(super) fn build(dir: &Path) -> anyhow::Result<PathBuf> {
    let manifest = dir.join("Cargo.toml");
    let krate = metadata(&manifest)?;
    let status = cargo()
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--manifest-path",
        ])
        .arg(&manifest)
        .env(
            "CARGO_TARGET_WASM32_WASIP2_RUSTFLAGS",
            format!(
                "-Clink-arg=-zstack-size={}",
                lattice_plugin_build::STACK_SIZE
            ),
        )
        .status()
        .context("running cargo")?;
    anyhow::ensure!(
        status.success(),
        "cargo build of {} for wasm32-wasip2 failed (is the target installed? rustup target add wasm32-wasip2)",
        manifest.display()
    );
    Ok(krate
        .target_dir
        .join("wasm32-wasip2/release")
        .join(format!("{}.wasm", krate.lib)))
}

/// cargo, without what an outer cargo (running this binary) would leak.
fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "RUSTC_WRAPPER",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// The package, its library's file stem and the target directory.
fn metadata(manifest: &Path) -> anyhow::Result<Crate> {
    let shown = manifest.display();
    let out = cargo()
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--manifest-path",
        ])
        .arg(manifest)
        .output()
        .context("running cargo metadata")?;
    anyhow::ensure!(
        out.status.success(),
        "{shown}: not a cargo crate: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    let v: Value = serde_json::from_slice(&out.stdout).context("reading cargo metadata")?;
    let wanted = manifest
        .canonicalize()
        .unwrap_or_else(|_| manifest.to_path_buf());
    let package = v["packages"]
        .as_array()
        .and_then(|ps| {
            ps.iter().find(|p| {
                p["manifest_path"]
                    .as_str()
                    .map(PathBuf::from)
                    .is_some_and(|m| m == wanted)
            })
        })
        .with_context(|| {
            format!("{shown}: no package (is it a workspace manifest? point at the plugin crate)")
        })?;
    let lib = package["targets"]
        .as_array()
        .and_then(|ts| {
            ts.iter().find(|t| {
                t["kind"]
                    .as_array()
                    .is_some_and(|k| k.iter().any(|k| k == "cdylib"))
            })
        })
        .and_then(|t| t["name"].as_str())
        .with_context(|| {
            format!("{shown}: no cdylib library; add [lib] crate-type = [\"cdylib\", \"rlib\"]")
        })?;
    Ok(Crate {
        package: package["name"].as_str().unwrap_or_default().to_string(),
        lib: lib.replace('-', "_"),
        target_dir: PathBuf::from(v["target_directory"].as_str().unwrap_or("target")),
    })
}
