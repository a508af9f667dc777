//! `lattice-host plugin push|pull`: plugins as OCI artifacts in a registry
//! (the CNCF wasm layout, see `lattice-oci`). Pulls are by digest only.

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use lattice_oci::Auth;

/// `plugin` subcommands.
#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Push a WebAssembly component to an OCI registry; prints `REF@sha256:…`.
    Push(PushArgs),
    /// Pull a component by digest (`REF@sha256:…`), write it, print its digest.
    Pull(PullArgs),
}

/// `plugin push` arguments.
#[derive(Debug, Args)]
pub struct PushArgs {
    /// The component file (`.wasm`).
    file: PathBuf,
    /// Where to push: `registry/repository:tag`.
    reference: String,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// `plugin pull` arguments.
#[derive(Debug, Args)]
pub struct PullArgs {
    /// What to pull: `registry/repository@sha256:…` (a tag may precede the digest).
    reference: String,
    /// Where to write the component.
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// How to reach the registry.
#[derive(Debug, Args)]
struct RegistryArgs {
    /// Plain HTTP even to a registry that is not on loopback (loopback always is).
    #[arg(long)]
    insecure: bool,
    /// User name for basic credentials; the password is read from stdin.
    #[arg(long, requires = "password_stdin")]
    username: Option<String>,
    /// Read the password (or token) for `--username` from stdin.
    #[arg(long, requires = "username")]
    password_stdin: bool,
}

impl RegistryArgs {
    fn auth(&self) -> anyhow::Result<Auth> {
        let Some(username) = self.username.clone() else {
            return Ok(Auth::Anonymous);
        };
        let mut password = String::new();
        std::io::stdin()
            .read_to_string(&mut password)
            .context("reading the password from stdin")?;
        let password = password.trim_end_matches(['\r', '\n']).to_owned();
        Ok(Auth::Basic { username, password })
    }
}

/// Runs one `plugin` subcommand.
pub fn run(command: PluginCommand) -> anyhow::Result<()> {
    match command {
        PluginCommand::Push(args) => push(args),
        PluginCommand::Pull(args) => pull(args),
    }
}

fn push(args: PushArgs) -> anyhow::Result<()> {
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

fn pull(args: PullArgs) -> anyhow::Result<()> {
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
