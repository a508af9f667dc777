//! `lattice-host plan`: manifests in, the VPC Lattice plan out; no cluster, no AWS.

use std::path::PathBuf;

use clap::Args;

use crate::args::{ClusterArgs, PluginArgs};
use crate::output::{self, Format};

/// `plan` arguments.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Manifest files or directories (multi-document YAML or JSON).
    #[arg(short = 'f', long = "filename", required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "table")]
    pub output: Format,
    /// Plugin runtime.
    #[command(flatten)]
    pub plugins: PluginArgs,
    /// Cluster identity.
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// Runs `plan`.
pub fn run(args: PlanArgs) -> anyhow::Result<()> {
    let loaded = lattice_wiring::manifests::load(&args.files)?;
    for note in &loaded.ignored {
        tracing::debug!("{note}");
    }
    let (_rt, stages) = lattice_wiring::start_plugins(&args.plugins.config()?)?;
    let plan = lattice_core::build_plan(&loaded.snapshot, &args.cluster.config(), &stages);
    print!("{}", output::render(&plan, args.output));
    Ok(())
}
