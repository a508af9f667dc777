//! `plugin diff OLD NEW (-f MANIFESTS | --kubeconfig FILE)`: the Lattice change between two
//! versions of a plugin over the same routes. Exit 3 when anything would be
//! deleted, so CI can gate a plugin release.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use lattice_core::plan::compare::{PlanChange, compare};
use lattice_wasm::PluginConfig;

use crate::args::{ClusterArgs, PluginArgs, RoutesSource};

/// The exit code of a diff that would delete from Lattice.
pub const DELETES: i32 = 3;

/// `plugin diff` arguments.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The version serving today: a component file, or `builtin` for the
    /// stage's built-in plugin.
    old: String,
    /// The candidate: a component file for the same stage.
    new: PathBuf,
    /// The routes to plan.
    #[command(flatten)]
    source: RoutesSource,
    /// Settings of the old version (JSON).
    #[arg(long, default_value = "")]
    old_settings: String,
    /// Settings of the new version (JSON).
    #[arg(long, default_value = "")]
    new_settings: String,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// The other stages' plugins, runtime limits and cache.
    #[command(flatten)]
    plugins: PluginArgs,
    /// Cluster identity.
    #[command(flatten)]
    cluster: ClusterArgs,
}

/// The old version's name for the stage's built-in plugin.
const BUILTIN: &str = "builtin";

/// Runs `plugin diff`.
pub fn run(args: DiffArgs) -> anyhow::Result<()> {
    let (snapshot, _) = args.source.load(&tokio::runtime::Runtime::new()?)?;
    let base = args.plugins.config()?;
    let stage = stage_of(&args.new, &base)?;
    let old_file = (args.old != BUILTIN).then(|| PathBuf::from(&args.old));
    if let Some(old) = &old_file {
        let old_stage = stage_of(old, &base)?;
        anyhow::ensure!(
            stage == old_stage,
            "{} is a {} plugin and {} a {} plugin: diff compares two versions of one stage",
            old.display(),
            old_stage.as_str(),
            args.new.display(),
            stage.as_str()
        );
    }
    let cfg = args.cluster.config();
    let plan_with = |file: Option<PathBuf>, settings: &str| -> anyhow::Result<lattice_core::Plan> {
        let mut config = base.clone();
        let choice = config.stage_mut(stage);
        choice.file = file;
        choice.settings = settings.to_string();
        let (_rt, stages) = lattice_wiring::start_plugins(&config)?;
        Ok(lattice_core::build_plan(&snapshot, &cfg, &stages))
    };
    let old = plan_with(old_file, &args.old_settings)?;
    let new = plan_with(Some(args.new.clone()), &args.new_settings)?;
    let change = compare(&old, &new);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&change)?);
    } else {
        print!("{}", render(&change));
    }
    if change.deletes() {
        std::process::exit(DELETES);
    }
    Ok(())
}

/// The stage a component implements, from its exports.
fn stage_of(
    file: &PathBuf,
    config: &PluginConfig,
) -> anyhow::Result<lattice_plugin_sdk::types::Stage> {
    let shown = file.display().to_string();
    let bytes = std::fs::read(file).with_context(|| format!("{shown}: cannot read"))?;
    let rt = lattice_wasm::PluginRuntime::new(config.limits.clone(), config.cache_dir.clone())
        .map_err(|e| anyhow::anyhow!("starting wasmtime: {e:#}"))?;
    let i = lattice_wasm::inspect(&rt, &shown, &bytes)?;
    i.stage
        .with_context(|| format!("{shown}: exports no stage of lattice:plugin"))
}

/// The change, route by route; then what would be deleted.
fn render(change: &PlanChange) -> String {
    let mut out = String::new();
    if change.is_empty() && change.kept.is_empty() {
        out.push_str("no change in VPC Lattice\n");
        return out;
    }
    for r in &change.routes {
        out.push_str(&format!("route {} (service {})\n", r.route, r.service));
        for rule in &r.removed {
            out.push_str(&format!("  - {rule}\n"));
        }
        for rule in &r.added {
            out.push_str(&format!("  + {rule}\n"));
        }
        for (was, now) in &r.changed {
            out.push_str(&format!("  ~ {was}\n    {now}\n"));
        }
    }
    for (route, why) in &change.kept {
        out.push_str(&format!(
            "route {route}: the new version fails on it ({why}); Lattice keeps it as it is\n"
        ));
    }
    for s in &change.deleted_services {
        out.push_str(&format!("DELETES service {s}\n"));
    }
    for t in &change.deleted_target_groups {
        out.push_str(&format!("DELETES target group {t}\n"));
    }
    out
}
