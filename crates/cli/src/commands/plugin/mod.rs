//! `lattice-host plugin ...`: the plugin author's commands, one file each:
//! `new.rs` (a crate from `templates/`), `build.rs`, `test.rs` (with
//! `fixtures.rs`), `inspect.rs`,
//! `diff.rs`, and `registry.rs` (push, pull: OCI artifacts in the CNCF wasm
//! layout, pulls by digest only).

mod build;
mod diff;
mod fixtures;
mod inspect;
mod new;
mod registry;
mod test;

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use lattice_oci::Auth;

/// `plugin` subcommands.
#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Create a plugin crate for a stage that builds as it stands, with one fixture.
    New(new::NewArgs),
    /// Build a plugin crate for wasm32-wasip2 and check it as the controller will.
    Build(build::BuildArgs),
    /// Run fixture cases and property checks through the real runtime and its budgets.
    Test(test::TestArgs),
    /// Push a WebAssembly component to an OCI registry; prints `REF@sha256:…`.
    Push(PushArgs),
    /// Pull a component by digest (`REF@sha256:…`), write it, print its digest.
    Pull(PullArgs),
    /// Show what a component is: name, version, stage, contract, imports, size, digest.
    Inspect(inspect::InspectArgs),
    /// Plan the same routes with two versions of a plugin; print the Lattice change.
    Diff(Box<diff::DiffArgs>),
}

/// `plugin push` arguments.
#[derive(Debug, Args)]
pub struct PushArgs {
    /// The component file (`.wasm`).
    pub(super) file: PathBuf,
    /// Where to push: `registry/repository:tag`.
    pub(super) reference: String,
    #[command(flatten)]
    pub(super) registry: RegistryArgs,
}

/// `plugin pull` arguments.
#[derive(Debug, Args)]
pub struct PullArgs {
    /// What to pull: `registry/repository@sha256:…` (a tag may precede the digest).
    pub(super) reference: String,
    /// Where to write the component.
    #[arg(short, long, value_name = "FILE")]
    pub(super) output: PathBuf,
    #[command(flatten)]
    pub(super) registry: RegistryArgs,
}

/// How to reach the registry.
#[derive(Debug, Args)]
pub(crate) struct RegistryArgs {
    /// Plain HTTP even to a registry that is not on loopback (loopback always is).
    #[arg(long)]
    pub(crate) insecure: bool,
    /// User name for basic credentials; the password is read from stdin.
    #[arg(long, requires = "password_stdin")]
    username: Option<String>,
    /// Read the password (or token) for `--username` from stdin.
    #[arg(long, requires = "username")]
    password_stdin: bool,
}

impl RegistryArgs {
    pub(crate) fn auth(&self) -> anyhow::Result<Auth> {
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
        PluginCommand::New(args) => new::run(args),
        PluginCommand::Build(args) => build::run(args),
        PluginCommand::Test(args) => test::run(args),
        PluginCommand::Push(args) => registry::push(args),
        PluginCommand::Pull(args) => registry::pull(args),
        PluginCommand::Inspect(args) => inspect::run(args),
        PluginCommand::Diff(args) => diff::run(*args),
    }
}
