//! The `lattice-host` binary: parses the command line, sets up logging, and
//! hands each command to its module under `commands/`.

mod args;
mod commands;
mod config;
mod output;
mod signal;

use clap::Parser;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use commands::Command;

/// Kubernetes Gateway API to Amazon VPC Lattice, with swappable WebAssembly decisions.
#[derive(Debug, Parser)]
#[command(name = "lattice-host", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let config_file = match &cli.command {
        Command::Run(args) => args.config.as_deref(),
        _ => None,
    };
    let format = match config::log_format(config_file) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let logs = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(config::log_level(
            config_file,
        )))
        .with_writer(std::io::stderr);
    match format {
        config::LogFormat::Text => logs.init(),
        // One JSON object per line, with the current span's fields (a
        // pass's routes, duration and calls) and the list of spans.
        config::LogFormat::Json => logs.json().with_current_span(true).init(),
    }
    lattice_wiring::install_crypto_provider();
    match commands::run(cli.command) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
