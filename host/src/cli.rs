//! The command line: `plan` and `bench plugins`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use lattice_core::ClusterConfig;
use lattice_plugin_sdk::types::Stage;

use crate::output::{self, Format};
use crate::runtime::{Limits, PluginRuntime, WasmStages};

/// Kubernetes Gateway API to Amazon VPC Lattice, with swappable WebAssembly decisions.
#[derive(Debug, Parser)]
#[command(name = "lattice-host", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Everything on one machine: kube-sim, lattice-sim, the examples and the controller.
    Demo(crate::demo::DemoArgs),
    /// Plan manifests offline: no cluster, no AWS. Prints the VPC Lattice plan.
    Plan(PlanArgs),
    /// Plan manifests offline, then make VPC Lattice match the plan once.
    Apply(ApplyArgs),
    /// Run the controller against a cluster (kubeconfig or in-cluster config).
    Run(RunArgs),
    /// Benchmarks.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Print the project's CustomResourceDefinitions, generated from its Rust types.
    Crds {
        /// Also the Gateway API kinds the controller reads (for clusters
        /// without them, such as `sim kube`).
        #[arg(long)]
        gateway_api: bool,
    },
    /// Run a stand-in for an outside system, on loopback by default.
    #[command(subcommand)]
    Sim(SimCommand),
}

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
    pub runtime: RuntimeArgs,
    /// Cluster identity.
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// Runs `apply`: exits non-zero when Lattice rejected anything.
pub fn apply(args: ApplyArgs) -> anyhow::Result<()> {
    let loaded = crate::manifests::load(&args.files)?;
    let cfg = args.cluster.config();
    let (_rt, stages) = args.runtime.stages()?;
    let plan = lattice_core::build_plan(&loaded.snapshot, &cfg, &stages);
    let opts = lattice_apply::ApplyOptions {
        allow_adoption: args.allow_adoption,
        concurrency: args.concurrency.max(1),
        ..Default::default()
    };
    let report = tokio::runtime::Runtime::new()?.block_on(async {
        let client = lattice_apply::client(args.lattice_endpoint.as_deref(), &cfg.region).await;
        lattice_apply::apply(&client, &cfg, &plan, &opts).await
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
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
            println!("skipped  {d:?}");
        }
        println!("{} writes, {} calls", report.writes(), report.total_calls());
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

/// Emulators.
#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// An in-memory VPC Lattice API (REST, version 2022-11-30) for the AWS SDKs and CLI.
    Lattice(SimLatticeArgs),
    /// An in-memory Kubernetes API server for kubectl and kube-rs.
    Kube(SimKubeArgs),
}

/// `sim kube` arguments.
#[derive(Debug, Args)]
pub struct SimKubeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:6443")]
    pub listen: std::net::SocketAddr,
    /// Write a kubeconfig for this server here.
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
    /// Keep objects in this file across restarts.
    #[arg(long)]
    pub state_file: Option<PathBuf>,
    /// Serve HTTPS with a generated CA (written into the kubeconfig).
    #[arg(long)]
    pub tls: bool,
}

/// Runs `sim kube` until SIGINT or SIGTERM, saving its state file on the way out.
pub fn sim_kube(args: SimKubeArgs) -> anyhow::Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("--listen {}", args.listen))?;
        // With a state file the CA's key is kept beside it, so kubeconfigs outlive restarts.
        let cert = match (args.tls, &args.state_file) {
            (false, _) => None,
            (true, Some(state)) => Some(kube_sim::SelfSigned::with_ca_key_file(
                &kube_sim::persist::ca_key_path(state),
                &[],
            )?),
            (true, None) => Some(kube_sim::SelfSigned::generate(&[])?),
        };
        // Load the state file before saying anything: a bad one is the only output.
        let sim = kube_sim::KubeSim::new(kube_sim::SimOptions {
            state_file: args.state_file.clone(),
            ..Default::default()
        })?;
        // A server listening on every address is reached, and certified, on loopback.
        let mut addr = listener.local_addr()?;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr {
                std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        let url = format!("{}://{addr}", if args.tls { "https" } else { "http" });
        if let Some(path) = &args.kubeconfig {
            kube_sim::write_kubeconfig_with_ca(
                path,
                &url,
                cert.as_ref().map(kube_sim::SelfSigned::ca_pem),
            )
            .with_context(|| format!("--kubeconfig {}", path.display()))?;
            eprintln!(
                "kube-sim: Kubernetes API on {url}; kubectl --kubeconfig {} get ns",
                path.display()
            );
        } else if args.tls {
            eprintln!(
                "kube-sim: Kubernetes API on {url}; add --kubeconfig PATH for a kubeconfig that trusts its CA"
            );
        } else {
            eprintln!("kube-sim: Kubernetes API on {url}; kubectl --server {url} get ns");
        }
        let stop = shutdown_signal();
        match &cert {
            Some(c) => sim.serve_tls(listener, c, stop).await?,
            None => sim.serve(listener, stop).await?,
        }
        Ok(())
    })
}

/// `sim lattice` arguments.
#[derive(Debug, Args)]
pub struct SimLatticeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8555")]
    pub listen: std::net::SocketAddr,
    /// Emulator settings (JSON or YAML: accountId, region, statusDelayMs, quotas, faults).
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// Runs `sim lattice` until SIGINT or SIGTERM.
pub fn sim_lattice(args: SimLatticeArgs) -> anyhow::Result<()> {
    let cfg: lattice_sim::SimConfig = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("--config {}", path.display()))?;
            serde_yaml::from_str(&text).with_context(|| format!("--config {}", path.display()))?
        }
        None => lattice_sim::SimConfig::default(),
    };
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("--listen {}", args.listen))?;
        let addr = listener.local_addr()?;
        eprintln!(
            "lattice-sim: VPC Lattice API on http://{addr} (region {}, account {})",
            cfg.region, cfg.account_id
        );
        eprintln!(
            "  aws vpc-lattice list-services --endpoint-url http://{addr} --region {}",
            cfg.region
        );
        tokio::select! {
            res = lattice_sim::LatticeSim::new(cfg).serve(listener) => res.context("lattice-sim"),
            _ = shutdown_signal() => Ok(()),
        }
    })
}

/// Benchmarks.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Plan N synthetic routes through the WASM plugins and the same logic linked natively.
    Plugins(crate::bench::PluginsArgs),
    /// Converge N synthetic routes into an in-process lattice-sim with injected latency, then resync.
    Converge(crate::bench::ConvergeArgs),
    /// N routes through kube-sim, the controller and lattice-sim; then one change.
    E2e(crate::bench_e2e::E2eArgs),
}

/// Cluster identity, named as the Go controller's environment names it.
#[derive(Debug, Clone, Args)]
pub struct ClusterArgs {
    /// AWS account id (ManagedBy tag).
    #[arg(long, env = "AWS_ACCOUNT_ID", default_value = "111122223333")]
    pub account_id: String,
    /// Cluster name (ManagedBy tag).
    #[arg(long, env = "CLUSTER_NAME", default_value = "lattice-host")]
    pub cluster_name: String,
    /// The cluster's VPC id (ManagedBy tag).
    #[arg(long, env = "CLUSTER_VPC_ID", default_value = "vpc-00000000000000000")]
    pub vpc_id: String,
    /// AWS region.
    #[arg(long, env = "REGION", default_value = "us-west-2")]
    pub region: String,
    /// A service network every route's service also joins.
    #[arg(long, env = "DEFAULT_SERVICE_NETWORK")]
    pub default_service_network: Option<String>,
}

impl ClusterArgs {
    /// The cluster config.
    pub fn config(&self) -> ClusterConfig {
        ClusterConfig {
            account_id: self.account_id.clone(),
            cluster_name: self.cluster_name.clone(),
            vpc_id: self.vpc_id.clone(),
            region: self.region.clone(),
            default_service_network: self
                .default_service_network
                .clone()
                .filter(|s| !s.is_empty()),
        }
    }
}

/// Plugin runtime options.
#[derive(Debug, Clone, Args)]
pub struct RuntimeArgs {
    /// Replace a stage's default plugin: STAGE=FILE.wasm (stage: mapping, weighting, auth).
    #[arg(long = "plugin", value_name = "STAGE=FILE")]
    pub plugins: Vec<String>,
    /// Settings JSON for a stage's plugin: STAGE=JSON.
    #[arg(long = "plugin-settings", value_name = "STAGE=JSON")]
    pub settings: Vec<String>,
    /// Wall-clock budget of one plugin call, in milliseconds.
    #[arg(long, default_value_t = 100)]
    pub plugin_timeout_ms: u64,
    /// Memory budget of one plugin instance, in MiB.
    #[arg(long, default_value_t = 64)]
    pub plugin_memory_mib: usize,
    /// Where compiled plugins are cached (default: the user cache directory).
    #[arg(long, env = "LATTICE_HOST_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Do not cache compiled plugins on disk.
    #[arg(long)]
    pub no_cache: bool,
}

fn parse_stage(s: &str) -> anyhow::Result<Stage> {
    Ok(match s {
        "mapping" => Stage::Mapping,
        "weighting" => Stage::Weighting,
        "auth" => Stage::Auth,
        other => bail!("unknown stage {other:?}: expected mapping, weighting or auth"),
    })
}

fn stage_pairs(values: &[String], flag: &str) -> anyhow::Result<Vec<(Stage, String)>> {
    values
        .iter()
        .map(|v| {
            let (stage, rest) = v
                .split_once('=')
                .with_context(|| format!("--{flag} {v:?}: expected STAGE=VALUE"))?;
            Ok((
                parse_stage(stage).with_context(|| format!("--{flag} {v:?}"))?,
                rest.to_string(),
            ))
        })
        .collect()
}

impl RuntimeArgs {
    /// Limits from the flags.
    pub fn limits(&self) -> Limits {
        Limits {
            timeout: std::time::Duration::from_millis(self.plugin_timeout_ms.max(1)),
            max_memory_bytes: self.plugin_memory_mib.max(1) << 20,
            ..Limits::default()
        }
    }

    /// Starts the runtime and loads the three stages.
    pub fn stages(&self) -> anyhow::Result<(PluginRuntime, WasmStages)> {
        let cache = if self.no_cache {
            None
        } else {
            self.cache_dir
                .clone()
                .or_else(crate::runtime::ComponentCache::default_dir)
        };
        let rt = PluginRuntime::new(self.limits(), cache)
            .map_err(|e| anyhow::anyhow!("starting wasmtime: {e:#}"))?;
        let files = stage_pairs(&self.plugins, "plugin")?;
        let settings = stage_pairs(&self.settings, "plugin-settings")?;
        let load = |stage: Stage| -> anyhow::Result<Arc<crate::runtime::LoadedPlugin>> {
            let s = settings
                .iter()
                .rev()
                .find(|(st, _)| *st == stage)
                .map(|(_, s)| s.as_str())
                .unwrap_or("");
            let plugin = match files.iter().rev().find(|(st, _)| *st == stage) {
                Some((_, path)) => {
                    let bytes = std::fs::read(path)
                        .with_context(|| format!("--plugin {}={path}", stage.as_str()))?;
                    rt.load(stage, path, &bytes, s)?
                }
                None => {
                    let (name, bytes) = crate::runtime::defaults::for_stage(stage);
                    rt.load(stage, name, bytes, s)?
                }
            };
            Ok(Arc::new(plugin))
        };
        let stages = WasmStages {
            mapping: load(Stage::Mapping)?,
            weighting: load(Stage::Weighting)?,
            auth: load(Stage::Auth)?,
        };
        Ok((rt, stages))
    }
}

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
    pub runtime: RuntimeArgs,
    /// Cluster identity.
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// Runs `plan`.
pub fn plan(args: PlanArgs) -> anyhow::Result<()> {
    let loaded = crate::manifests::load(&args.files)?;
    for note in &loaded.ignored {
        tracing::debug!("{note}");
    }
    let (_rt, stages) = args.runtime.stages()?;
    let plan = lattice_core::build_plan(&loaded.snapshot, &args.cluster.config(), &stages);
    print!("{}", output::render(&plan, args.output));
    Ok(())
}

/// The project's CRDs as multi-document YAML, generated from the Rust types
/// (checked in under `deploy/crds/`; a test keeps the two in step).
pub fn crds_yaml() -> anyhow::Result<String> {
    Ok(crate::crds::to_yaml(&crate::crds::project())?)
}

/// `run` arguments. Each flag overrides the variable of the same meaning.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// A YAML file with any of the settings (keys as the variables, lower-case).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// CLUSTER_NAME.
    #[arg(long)]
    pub cluster_name: Option<String>,
    /// CLUSTER_VPC_ID.
    #[arg(long)]
    pub cluster_vpc_id: Option<String>,
    /// REGION.
    #[arg(long)]
    pub region: Option<String>,
    /// AWS_ACCOUNT_ID.
    #[arg(long)]
    pub aws_account_id: Option<String>,
    /// DEFAULT_SERVICE_NETWORK.
    #[arg(long)]
    pub default_service_network: Option<String>,
    /// LATTICE_ENDPOINT.
    #[arg(long)]
    pub lattice_endpoint: Option<String>,
    /// ROUTE_MAX_CONCURRENT_RECONCILES.
    #[arg(long)]
    pub max_concurrent_reconciles: Option<u32>,
    /// RECONCILE_DEFAULT_RESYNC_SECONDS.
    #[arg(long)]
    pub resync_seconds: Option<u64>,
    /// Do not compete for the leader Lease: always write (a single replica).
    #[arg(long)]
    pub no_leader_election: bool,
    /// Plan and write status, but change nothing in VPC Lattice.
    #[arg(long)]
    pub no_apply: bool,
    /// Plugin runtime.
    #[command(flatten)]
    pub runtime: RuntimeArgs,
}

/// Runs the controller until SIGTERM or Ctrl-C; a pass in progress finishes.
pub fn run(args: RunArgs) -> anyhow::Result<()> {
    use crate::config::Settings;
    let flags = Settings {
        cluster_name: args.cluster_name.clone(),
        cluster_vpc_id: args.cluster_vpc_id.clone(),
        region: args.region.clone(),
        aws_account_id: args.aws_account_id.clone(),
        default_service_network: args.default_service_network.clone(),
        lattice_endpoint: args.lattice_endpoint.clone(),
        route_max_concurrent_reconciles: args.max_concurrent_reconciles,
        reconcile_default_resync_seconds: args.resync_seconds,
        ..Default::default()
    };
    let config = Settings::load(args.config.as_deref(), &flags)?.resolve()?;
    let (_rt, stages) = args.runtime.stages()?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let client = kube::Client::try_default()
            .await
            .context("connecting to Kubernetes (KUBECONFIG, ~/.kube/config or in-cluster)")?;
        let leader = (!args.no_leader_election)
            .then(|| crate::controller::leader::Election::for_process().start(client.clone()));
        let options = crate::controller::Options {
            cluster: config.cluster.clone(),
            resync: config.resync,
            max_concurrent_writes: config.max_concurrent_reconciles as usize,
            leader,
            ..Default::default()
        };
        tracing::info!(cluster = %config.cluster.cluster_name, managed_by = %config.cluster.managed_by(), "controller starting");
        let mut controller = crate::controller::Controller::new(client, std::sync::Arc::new(stages), options);
        if !args.no_apply {
            let lattice = lattice_apply::client(config.lattice_endpoint.as_deref(), &config.cluster.region).await;
            let opts = lattice_apply::ApplyOptions::default();
            controller = controller.with_applier(lattice_apply::Applier::new(lattice, config.cluster.clone(), opts));
        }
        controller.run(shutdown_signal()).await;
        tracing::info!("controller stopped");
        Ok(())
    })
}

/// Resolves on SIGTERM (how Kubernetes stops a pod) or Ctrl-C.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
