//! The `lattice-host` binary: parses the command line, sets up logging, and
//! hands each command to its module under `commands/`.

mod args;
mod commands;
mod config;
mod output;
mod signal;

use clap::Parser;

#[cfg(not(feature = "system-allocator"))]
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

/// A reader that closed the pipe (`lattice-host plan … | head`) ends the
/// command quietly, as a C tool killed by SIGPIPE would (exit 141), instead
/// of a panic: Rust ignores SIGPIPE, and resetting it takes `unsafe`, which
/// the workspace forbids. Every other panic keeps the default report.
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}

fn main() -> std::process::ExitCode {
    quiet_on_closed_pipe();
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
