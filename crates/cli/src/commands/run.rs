//! `lattice-host run`: the controller, against a cluster and VPC Lattice,
//! with its admin server (`/metrics`, `/healthz`, `/readyz`).

use std::path::PathBuf;
use std::process::Stdio;

use anyhow::Context;
use clap::Args;
use lattice_controller::{Options, leader::Election};
use lattice_wasm::PluginConfig;
use lattice_wiring::{Lattice, Parts};

use crate::args::PluginArgs;
use crate::config::{self, Settings};

/// `run` arguments. Each flag overrides the variable of the same meaning.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// A YAML file with any of the settings (keys as the variables, lower-case).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// CLUSTER_NAME: the cluster's name (required).
    #[arg(long)]
    pub cluster_name: Option<String>,
    /// CLUSTER_VPC_ID: the cluster's VPC (else from EC2 instance metadata).
    #[arg(long)]
    pub cluster_vpc_id: Option<String>,
    /// REGION: the AWS region (else from EC2 instance metadata).
    #[arg(long)]
    pub region: Option<String>,
    /// AWS_ACCOUNT_ID: the AWS account (else from EC2 instance metadata).
    #[arg(long)]
    pub aws_account_id: Option<String>,
    /// DEFAULT_SERVICE_NETWORK: a service network found or created and
    /// joined to the cluster VPC.
    #[arg(long)]
    pub default_service_network: Option<String>,
    /// REFERENCE_GRANT_POLICY: require (the default) or ignore.
    #[arg(long, value_name = "POLICY")]
    pub reference_grant_policy: Option<String>,
    /// LATTICE_ENDPOINT: a VPC Lattice endpoint URL.
    #[arg(long)]
    pub lattice_endpoint: Option<String>,
    /// ROUTE_MAX_CONCURRENT_RECONCILES: Kubernetes writes in flight at once.
    #[arg(long)]
    pub max_concurrent_reconciles: Option<u32>,
    /// RECONCILE_DEFAULT_RESYNC_SECONDS: period of the full resync (0: off, else >= 60).
    #[arg(long)]
    pub resync_seconds: Option<u64>,
    /// ADMIN_LISTEN: where /metrics, /healthz and /readyz are served
    /// (default 0.0.0.0:8080).
    #[arg(long, value_name = "ADDR")]
    pub admin_listen: Option<String>,
    /// LATTICE_READS_PER_SECOND: sustained VPC Lattice reads (0: no limit).
    #[arg(long, value_name = "N")]
    pub lattice_reads_per_second: Option<u32>,
    /// LATTICE_WRITES_PER_SECOND: sustained VPC Lattice writes (0: no limit).
    #[arg(long, value_name = "N")]
    pub lattice_writes_per_second: Option<u32>,
    /// LATTICE_MAX_CONCURRENT_CALLS: VPC Lattice calls in flight at once.
    #[arg(long, value_name = "N")]
    pub lattice_max_concurrent_calls: Option<u32>,
    /// Do not compete for the leader Lease: always write (a single replica).
    #[arg(long)]
    pub no_leader_election: bool,
    /// Plan and write status, but change nothing in VPC Lattice.
    #[arg(long)]
    pub no_apply: bool,
    /// Plugin runtime.
    #[command(flatten)]
    pub plugins: PluginArgs,
}

impl RunArgs {
    /// The flags as the top layer of the settings.
    fn settings(&self) -> Settings {
        Settings {
            cluster_name: self.cluster_name.clone(),
            cluster_vpc_id: self.cluster_vpc_id.clone(),
            region: self.region.clone(),
            aws_account_id: self.aws_account_id.clone(),
            default_service_network: self.default_service_network.clone(),
            reference_grant_policy: self.reference_grant_policy.clone(),
            lattice_endpoint: self.lattice_endpoint.clone(),
            route_max_concurrent_reconciles: self.max_concurrent_reconciles,
            reconcile_default_resync_seconds: self.resync_seconds,
            admin_listen: self.admin_listen.clone(),
            lattice_reads_per_second: self.lattice_reads_per_second,
            lattice_writes_per_second: self.lattice_writes_per_second,
            lattice_max_concurrent_calls: self.lattice_max_concurrent_calls,
            ..Default::default()
        }
    }
}

/// Runs the controller until SIGTERM or Ctrl-C; a pass in progress finishes.
pub fn run(args: RunArgs) -> anyhow::Result<()> {
    let plugins = args.plugins.config()?;
    if std::env::var_os(COMPILE_ONLY).is_some() {
        return compile_only(&plugins);
    }
    let settings = Settings::load(args.config.as_deref(), &args.settings())?;
    let (namespace, replica) = config::replica();
    let lease_duration = config::lease_duration()?;
    let log_filter = config::log_level(args.config.as_deref());
    tokio::runtime::Runtime::new()?.block_on(async move {
        // The identity left unset comes from EC2 instance metadata, as
        // the Go controller reads it; nothing else is asked before it.
        let metadata = config::metadata::Metadata::from_env();
        let config = config::resolve_with_metadata(settings, &metadata).await?;
        // Credentials first: without them the controller could only fail
        // every pass, and say so once per call.
        let lattice = if args.no_apply {
            None
        } else {
            let region = &config.cluster.region;
            Some(Lattice {
                client: super::lattice_client(
                    config.lattice_endpoint.as_deref(),
                    region,
                    &log_filter,
                )
                .await?,
                options: config.lattice_calls.apply_options(),
            })
        };
        // In a pod: the service account's token and the API server from the
        // environment kubelet sets; outside one: KUBECONFIG or ~/.kube/config.
        let kube = kube::Client::try_default()
            .await
            .context("connecting to Kubernetes (in-cluster service account, KUBECONFIG or ~/.kube/config)")?;
        let leader = (!args.no_leader_election)
            .then(|| Election::new(&namespace, &replica).with_duration(lease_duration))
            .map(|e| e.start(kube.clone()));
        let options = Options {
            cluster: config.cluster.clone(),
            resync: config.resync,
            max_concurrent_writes: config.max_concurrent_reconciles as usize,
            leader,
            instance: Some(replica),
            namespace: namespace.clone(),
            ..Options::default()
        };
        let admin = tokio::net::TcpListener::bind(config.admin_listen)
            .await
            .with_context(|| format!("ADMIN_LISTEN {}", config.admin_listen))?;
        tracing::info!(cluster = %config.cluster.cluster_name, managed_by = %config.cluster.managed_by(), "controller starting");
        compile_apart(&plugins).await;
        let assembled = lattice_wiring::controller(Parts {
            kube,
            plugins,
            lattice,
            options,
        })?;
        let router = lattice_admin::router(assembled.admin.clone());
        tracing::info!(address = %admin.local_addr()?, "admin server: /metrics, /healthz, /readyz");
        tokio::spawn(async move {
            if let Err(e) = lattice_admin::serve(admin, router, std::future::pending()).await {
                tracing::error!(error = %e, "admin server stopped");
            }
        });
        assembled.controller.run(crate::signal::shutdown()).await;
        tracing::info!("controller stopped");
        Ok(())
    })
}

/// Set for the child process that [`compile_apart`] starts.
const COMPILE_ONLY: &str = "LATTICE_HOST_COMPILE_ONLY";

/// The child's whole work: load every plugin the configuration names, each
/// compiled into the cache on the way, and exit. A plugin that does not
/// load is the controller's to report, as it loads them after this.
fn compile_only(plugins: &PluginConfig) -> anyhow::Result<()> {
    lattice_wasm::start_lenient(plugins)?;
    Ok(())
}

/// Compiles the plugins into the cache in a child process (this program,
/// with the same arguments), so that the controller maps them from the
/// cache. Compiled here, the compiler's memory stayed resident for good:
/// 72-76 MB at 5 routes against 43 MB on a warm cache (BENCHMARKS.md).
/// Without a cache nothing could be handed over; if the child fails, the
/// controller compiles them itself and reports what went wrong.
async fn compile_apart(plugins: &PluginConfig) {
    if plugins.cache_dir.is_none() {
        return;
    }
    let started = std::time::Instant::now();
    let status = match std::env::current_exe() {
        Ok(exe) => {
            tokio::process::Command::new(exe)
                .args(std::env::args_os().skip(1))
                .env(COMPILE_ONLY, "1")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .await
        }
        Err(e) => Err(e),
    };
    let ms = started.elapsed().as_millis() as u64;
    match status {
        Ok(s) if s.success() => {
            tracing::info!(ms, "plugins compiled into the cache by a child process")
        }
        Ok(s) => {
            tracing::warn!(ms, status = %s, "the plugin compile process failed; compiling here")
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not start the plugin compile process; compiling here")
        }
    }
}
