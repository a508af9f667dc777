//! `lattice-host demo`: the whole product on one machine (see `lattice-demo`).

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::args::PluginArgs;

/// `demo` arguments.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Manifests to apply (files or directories). The default leaves out
    /// `examples/plugins`, which the README applies by hand to show a swap.
    /// With `--multicluster`: one directory with `east/` and `west/` in it
    /// (default `examples/multicluster`).
    #[arg(long)]
    manifests: Vec<PathBuf>,
    /// Address of the Kubernetes API (kube-sim).
    #[arg(long, default_value = "127.0.0.1:0")]
    kube_listen: std::net::SocketAddr,
    /// Address of the VPC Lattice API (lattice-sim).
    #[arg(long, default_value = "127.0.0.1:0")]
    lattice_listen: std::net::SocketAddr,
    /// Address of the controller's admin server (/metrics, /healthz, /readyz).
    #[arg(long, default_value = "127.0.0.1:0")]
    admin_listen: std::net::SocketAddr,
    /// Where to write a kubeconfig for kube-sim; with `--multicluster`, one
    /// per cluster beside it (`demo-kubeconfig-east.yaml`, `-west.yaml`).
    #[arg(long, default_value = "target/demo-kubeconfig.yaml")]
    kubeconfig: PathBuf,
    /// Two clusters, `east` and `west`, each with its own kube-sim,
    /// controller and VPC, sharing one VPC Lattice: a ServiceExport in
    /// `west`, imported by a route in `east`.
    #[arg(long)]
    multicluster: bool,
    /// Exit once converged (0), or with the reasons when not converged in time (1).
    #[arg(long)]
    once: bool,
    /// How long to wait for convergence, in seconds.
    #[arg(long, default_value_t = 60)]
    timeout_secs: u64,
    /// Plugin runtime.
    #[command(flatten)]
    plugins: PluginArgs,
}

/// Runs the demo until Ctrl-C, or until converged with `--once`.
pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    let manifests = match (args.manifests.is_empty(), args.multicluster) {
        (false, _) => args.manifests,
        (true, true) => vec!["examples/multicluster".into()],
        (true, false) => vec!["examples/bookstore".into(), "examples/unsupported".into()],
    };
    let options = lattice_demo::DemoOptions {
        manifests,
        multicluster: args.multicluster,
        kube_listen: args.kube_listen,
        lattice_listen: args.lattice_listen,
        admin_listen: args.admin_listen,
        kubeconfig: args.kubeconfig,
        once: args.once,
        timeout: Duration::from_secs(args.timeout_secs),
        plugins: args.plugins.config()?,
    };
    tokio::runtime::Runtime::new()?.block_on(lattice_demo::run(options, crate::signal::shutdown()))
}
