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
    #[arg(long, default_values = ["examples/bookstore", "examples/unsupported"])]
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
    /// Where to write a kubeconfig for kube-sim.
    #[arg(long, default_value = "target/demo-kubeconfig.yaml")]
    kubeconfig: PathBuf,
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
    let options = lattice_demo::DemoOptions {
        manifests: args.manifests,
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
