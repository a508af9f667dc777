//! `plugin inspect FILE|REF`: what a component is, as the controller would
//! load it.

use std::path::Path;

use anyhow::Context;
use clap::Args;
use serde_json::json;

use super::RegistryArgs;

/// `plugin inspect` arguments.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A component file, or an OCI reference pinned by digest (`REF@sha256:…`).
    target: String,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// Runs `plugin inspect`.
pub fn run(args: InspectArgs) -> anyhow::Result<()> {
    let bytes = read(&args.target, &args.registry)?;
    let rt = lattice_wasm::PluginRuntime::new(lattice_wasm::Limits::default(), None)
        .map_err(|e| anyhow::anyhow!("starting wasmtime: {e:#}"))?;
    let i = lattice_wasm::inspect(&rt, &args.target, &bytes)?;
    let (info, refused) = match &i.load {
        Ok(info) => (Some(info), None),
        Err(e) => (None, Some(e.as_str())),
    };
    if args.json {
        let v = json!({
            "name": info.map(|i| &i.name),
            "version": info.map(|i| &i.version),
            "stage": i.stage.map(|s| s.as_str()),
            "contract": i.contract,
            "imports": i.imports,
            "exports": i.exports,
            "size": i.size,
            "sha256": format!("sha256:{}", i.sha256),
            "loads": refused.is_none(),
            "refused": refused,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        let none = || "-".to_string();
        println!("name      {}", info.map_or_else(none, |i| i.name.clone()));
        println!(
            "version   {}",
            info.map_or_else(none, |i| i.version.clone())
        );
        println!("stage     {}", i.stage.map_or("-", |s| s.as_str()));
        println!("contract  {}", i.contract.clone().unwrap_or_else(none));
        let imports = match i.imports.is_empty() {
            true => "none".to_string(),
            false => i.imports.join(", "),
        };
        println!("imports   {imports}");
        println!("size      {} bytes", i.size);
        println!("sha256    sha256:{}", i.sha256);
        if let Some(why) = refused {
            println!("refused   {why}");
        }
    }
    anyhow::ensure!(
        refused.is_none(),
        "the controller would refuse {}",
        args.target
    );
    Ok(())
}

/// The component's bytes: a file, else a pull by digest.
fn read(target: &str, registry: &RegistryArgs) -> anyhow::Result<Vec<u8>> {
    if Path::new(target).exists() || !target.contains("@sha256:") {
        return std::fs::read(target).with_context(|| format!("{target}: cannot read"));
    }
    let auth = registry.auth()?;
    let rt = tokio::runtime::Runtime::new()?;
    let pulled = rt.block_on(lattice_oci::pull(target, &auth, registry.insecure))?;
    Ok(pulled.bytes)
}
