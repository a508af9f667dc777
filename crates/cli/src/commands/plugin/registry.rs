//! `plugin push` and `plugin pull`.

use anyhow::Context;

use super::{PullArgs, PushArgs};

pub(super) fn push(args: PushArgs) -> anyhow::Result<()> {
    let file = args.file.display();
    let bytes = std::fs::read(&args.file).with_context(|| format!("{file}: cannot read"))?;
    if !lattice_wasm::is_component(&bytes) {
        anyhow::bail!(
            "{file}: not a WebAssembly component (build it with `cargo build --target wasm32-wasip2`)"
        );
    }
    let auth = args.registry.auth()?;
    let rt = tokio::runtime::Runtime::new()?;
    let digest = rt.block_on(lattice_oci::push(
        &args.reference,
        &bytes,
        &auth,
        args.registry.insecure,
    ))?;
    println!("{}@{digest}", args.reference);
    Ok(())
}

pub(super) fn pull(args: PullArgs) -> anyhow::Result<()> {
    let auth = args.registry.auth()?;
    let rt = tokio::runtime::Runtime::new()?;
    let pulled = rt.block_on(lattice_oci::pull(
        &args.reference,
        &auth,
        args.registry.insecure,
    ))?;
    let out = args.output.display();
    std::fs::write(&args.output, &pulled.bytes).with_context(|| format!("{out}: cannot write"))?;
    println!("{}", pulled.digest);
    Ok(())
}
