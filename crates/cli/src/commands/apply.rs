//! `lattice-host apply`: plan manifests offline, then make VPC Lattice match once.

use std::path::PathBuf;

use clap::Args;

use crate::args::{ClusterArgs, PluginArgs};

/// `apply` arguments.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Manifest files or directories.
    #[arg(short = 'f', long = "filename", required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,
    /// VPC Lattice endpoint (default: the AWS configuration chain; LATTICE_ENDPOINT also works).
    #[arg(long, env = "LATTICE_ENDPOINT")]
    pub lattice_endpoint: Option<String>,
    /// Adopt untagged Lattice resources whose names the plan uses.
    #[arg(long)]
    pub allow_adoption: bool,
    /// Calls in flight at once.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Plugin runtime.
    #[command(flatten)]
    pub plugins: PluginArgs,
    /// Cluster identity.
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// Runs `apply`: exits non-zero when Lattice rejected anything.
pub fn run(args: ApplyArgs) -> anyhow::Result<()> {
    let loaded = lattice_wiring::manifests::load(&args.files)?;
    let cfg = args.cluster.config();
    let runtime = tokio::runtime::Runtime::new()?;
    // Credentials first: without them nothing below could reach Lattice.
    let client = runtime.block_on(super::lattice_client(
        args.lattice_endpoint.as_deref(),
        &cfg.region,
        &crate::config::log_level(None),
    ))?;
    let (_rt, stages) = lattice_wiring::start_plugins(&args.plugins.config()?)?;
    let plan = lattice_core::build_plan(&loaded.snapshot, &cfg, &stages);
    let opts = lattice_apply::ApplyOptions {
        allow_adoption: args.allow_adoption,
        concurrency: args.concurrency.max(1),
        ..Default::default()
    };
    let report = runtime.block_on(lattice_apply::apply(&client, &cfg, &plan, &opts));
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    for d in &plan.diagnostics {
        eprintln!(
            "note: {} {} ({}): {}",
            d.object, d.reason, d.field, d.message
        );
    }
    if !report.is_success() {
        let lines: Vec<String> = report
            .failures
            .iter()
            .map(|f| format!("{}: {} {}: {}", f.object, f.operation, f.code, f.message))
            .collect();
        anyhow::bail!(
            "VPC Lattice rejected {} operation(s):\n  {}",
            lines.len(),
            lines.join("\n  ")
        );
    }
    Ok(())
}

fn print_report(report: &lattice_apply::ApplyReport) {
    for (verb, list) in [
        ("created", &report.created),
        ("updated", &report.updated),
        ("deleted", &report.deleted),
    ] {
        for o in list {
            println!("{verb:8} {o}");
        }
    }
    for d in &report.diagnostics {
        println!("skipped  {} ({}): {}", d.object, d.reason, d.message);
    }
    println!("{} writes, {} calls", report.writes(), report.total_calls());
}
