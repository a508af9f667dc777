//! One module per command. `run` dispatches; commands never import each
//! other, and share only the helpers at the end of this file.

mod apply;
#[cfg(feature = "testbed")]
mod bench;
mod crds;
#[cfg(feature = "testbed")]
mod demo;
mod explain;
mod plan;
mod plugin;
mod run;
#[cfg(feature = "testbed")]
mod sim;

use clap::Subcommand;

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Everything on one machine: kube-sim, lattice-sim, the examples and the controller.
    #[cfg(feature = "testbed")]
    Demo(demo::DemoArgs),
    /// Plan manifests offline: no cluster, no AWS. Prints the VPC Lattice plan.
    Plan(plan::PlanArgs),
    /// Plan manifests offline, then make VPC Lattice match the plan once.
    Apply(apply::ApplyArgs),
    /// Run the controller against a cluster (kubeconfig or in-cluster config).
    #[command(after_help = crate::config::variables::help())]
    Run(run::RunArgs),
    /// Benchmarks.
    #[cfg(feature = "testbed")]
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// The plugin author's tools: inspect, diff, push and pull.
    #[command(subcommand)]
    Plugin(plugin::PluginCommand),
    /// How a route is decided: per stage, the plugin and why, its input, answer and cost.
    #[command(subcommand)]
    Explain(explain::ExplainCommand),
    /// Print the project's CustomResourceDefinitions, generated from its Rust types.
    Crds(crds::CrdsArgs),
    /// Run a stand-in for an outside system, on loopback by default.
    #[cfg(feature = "testbed")]
    #[command(subcommand)]
    Sim(sim::SimCommand),
}

/// Runs one command.
pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        #[cfg(feature = "testbed")]
        Command::Demo(args) => demo::run(args),
        Command::Plan(args) => plan::run(args),
        Command::Apply(args) => apply::run(args),
        Command::Run(args) => run::run(args),
        #[cfg(feature = "testbed")]
        Command::Bench(cmd) => bench::run(cmd),
        Command::Plugin(cmd) => plugin::run(cmd),
        Command::Explain(cmd) => explain::run(cmd),
        Command::Crds(args) => crds::run(args),
        #[cfg(feature = "testbed")]
        Command::Sim(cmd) => sim::run(cmd),
    }
}

/// A client for the cluster a kubeconfig file names (its current context).
pub(crate) async fn kube_client(path: &std::path::Path) -> anyhow::Result<kube::Client> {
    use anyhow::Context;
    lattice_wiring::install_crypto_provider();
    let shown = path.display();
    let kubeconfig = kube::config::Kubeconfig::read_from(path)
        .with_context(|| format!("{shown}: cannot read"))?;
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .with_context(|| format!("{shown}: not a usable kubeconfig"))?;
    Ok(kube::Client::try_from(config)?)
}

/// A VPC Lattice client once AWS credentials are found
/// ([`lattice_apply::connect`]). Its error names every source of the default
/// chain in one line, so the SDK's own warnings about them are muted
/// meanwhile, unless the log filter (`log_filter`) names `aws` or asks for
/// `debug` or `trace`.
pub(crate) async fn lattice_client(
    endpoint: Option<&str>,
    region: &str,
    log_filter: &str,
) -> anyhow::Result<lattice_apply::Client> {
    use tracing::instrument::WithSubscriber;
    let connect = lattice_apply::connect(endpoint, region);
    let verbose = ["aws", "debug", "trace"]
        .iter()
        .any(|w| log_filter.contains(w));
    let client = if verbose {
        connect.await
    } else {
        connect
            .with_subscriber(tracing::subscriber::NoSubscriber::default())
            .await
    };
    Ok(client?)
}
