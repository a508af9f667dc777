//! The `lattice-host` binary.

use clap::Parser;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;
use lattice_host::cli::{BenchCommand, Cli, Command, SimCommand};

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LOG_LEVEL")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    lattice_host::install_crypto_provider();
    let cli = Cli::parse();
    let res = match cli.command {
        Command::Plan(args) => lattice_host::cli::plan(args),
        Command::Demo(args) => lattice_host::demo::run(args),
        Command::Run(args) => lattice_host::cli::run(args),
        Command::Apply(args) => lattice_host::cli::apply(args),
        Command::Bench(BenchCommand::Converge(args)) => lattice_host::bench::converge(args),
        Command::Bench(BenchCommand::E2e(args)) => lattice_host::bench_e2e::e2e(args),
        Command::Bench(BenchCommand::Plugins(args)) => lattice_host::bench::plugins(args),
        Command::Sim(SimCommand::Lattice(args)) => lattice_host::cli::sim_lattice(args),
        Command::Sim(SimCommand::Kube(args)) => lattice_host::cli::sim_kube(args),
        Command::Crds { gateway_api: false } => {
            lattice_host::cli::crds_yaml().map(|y| print!("{y}"))
        }
        Command::Crds { gateway_api: true } => {
            let crds = [
                lattice_host::crds::gateway_api(),
                lattice_host::crds::project(),
            ]
            .concat();
            lattice_host::crds::to_yaml(&crds)
                .map(|y| print!("{y}"))
                .map_err(Into::into)
        }
    };
    match res {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
