//! `lattice-host bench plugins|converge|e2e|swap|faults|crash|failover`: the benchmarks of `lattice-bench`,
//! printed as text or as one JSON object.

use std::time::Duration;

use clap::{Args, Subcommand};

use crate::args::PluginArgs;

/// Benchmarks.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Plan N synthetic routes through the WASM plugins and the same logic linked natively.
    Plugins(PluginsArgs),
    /// Converge N synthetic routes into an in-process lattice-sim with injected latency, then resync.
    Converge(ConvergeArgs),
    /// N routes through kube-sim, the controller and lattice-sim; then one change.
    E2e(E2eArgs),
    /// N routes converged, then a ClusterLatticePlugin (equal-split, from a
    /// ConfigMap) swapped in: the time until Lattice holds it on every rule.
    Swap(SwapArgs),
    /// The reliability suites over N routes, each compared with a clean
    /// convergence: a VPC Lattice that throttles, fails, lags and loses
    /// answers; the controller killed with SIGKILL and restarted; an API
    /// server that drops watches, answers 410 and 409, and restarts.
    Faults(FaultsArgs),
    /// The controller as `lattice-host run` killed with SIGKILL at random
    /// moments while it converges N routes, and started again.
    Crash(CrashArgs),
    /// Two replicas of `lattice-host run`; the leader killed while it
    /// converges N routes; the follower takes the Lease over.
    Failover(FailoverArgs),
}

/// `bench failover` arguments.
#[derive(Debug, Args)]
pub struct FailoverArgs {
    /// Synthetic routes (3 rules, 2 backends, 2 endpoints each).
    #[arg(long, default_value_t = 1000)]
    routes: usize,
    /// How long the leader Lease holds unrenewed, seconds.
    #[arg(long, default_value_t = 15)]
    lease_secs: u64,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 600)]
    timeout_secs: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// `bench crash` arguments.
#[derive(Debug, Args)]
pub struct CrashArgs {
    /// Synthetic routes (3 rules, 2 backends, 2 endpoints each).
    #[arg(long, default_value_t = 1000)]
    routes: usize,
    /// Rounds: one kill and one restart each, over fresh emulators.
    #[arg(long, default_value_t = 20)]
    kills: usize,
    /// Seed of the kill moments (the same seed kills at the same moments).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Give up converging after this many seconds, each run.
    #[arg(long, default_value_t = 600)]
    timeout_secs: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// `bench faults` arguments.
#[derive(Debug, Args)]
pub struct FaultsArgs {
    /// Synthetic routes (3 rules, 2 backends, 2 endpoints each).
    #[arg(long, default_value_t = 1000)]
    routes: usize,
    /// Share of calls answered ThrottlingException.
    #[arg(long, default_value_t = 0.2)]
    throttle: f64,
    /// Share of calls answered InternalServerException.
    #[arg(long, default_value_t = 0.05)]
    errors: f64,
    /// Share of calls carried out whose answer is then lost.
    #[arg(long, default_value_t = 0.01)]
    lost: f64,
    /// Latency added to each call, uniformly from 0 to this many ms.
    #[arg(long, default_value_t = 50)]
    jitter_ms: u64,
    /// Crash rounds: SIGKILL and restart of `lattice-host run` (0 skips).
    #[arg(long, default_value_t = 20)]
    kills: usize,
    /// Seed of the kill moments (the same seed kills at the same moments).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Share of status writes kube-sim answers 409 Conflict (a negative
    /// value skips the Kubernetes suite).
    #[arg(long, default_value_t = 0.2, allow_negative_numbers = true)]
    status_conflicts: f64,
    /// How often kube-sim drops every watch or forgets its history, in turn.
    #[arg(long, default_value_t = 500)]
    disrupt_ms: u64,
    /// Give up converging after this many seconds, each run.
    #[arg(long, default_value_t = 600)]
    timeout_secs: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// `bench plugins` arguments.
#[derive(Debug, Args)]
pub struct PluginsArgs {
    /// Synthetic routes (3 rules, 2 backends each).
    #[arg(long, default_value_t = 10_000)]
    routes: usize,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Turn fuel metering off, to measure what the deterministic budget costs.
    #[arg(long)]
    no_fuel: bool,
    /// Plugin runtime.
    #[command(flatten)]
    plugins: PluginArgs,
}

/// `bench converge` arguments.
#[derive(Debug, Args)]
pub struct ConvergeArgs {
    /// Synthetic routes (3 rules, 2 backends, 2 endpoints each).
    #[arg(long, default_value_t = 1000)]
    routes: usize,
    /// Latency lattice-sim adds to every call, ms.
    #[arg(long, default_value_t = 10)]
    latency_ms: u64,
    /// Calls in flight at once. Past about 32 on two cores, the CPU of the
    /// in-process SDK and emulator, not latency, bounds the wall time.
    #[arg(long, default_value_t = 24)]
    concurrency: usize,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// `bench e2e` arguments.
#[derive(Debug, Args)]
pub struct E2eArgs {
    /// Synthetic routes (3 rules, 2 backends, 2 endpoints each).
    #[arg(long, default_value_t = 1000)]
    routes: usize,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 300)]
    timeout_secs: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Run the controller as `lattice-host run` in a process of its own (with
    /// the built-in plugins), and report its memory apart from the emulators'.
    #[arg(long, conflicts_with_all = ["plugins", "settings", "failure_policies"])]
    external: bool,
    /// Before the change, wait until the controller has written nothing for
    /// this long (after converging it still reads its own writes back).
    #[arg(long, default_value_t = 200)]
    settle_ms: u64,
    /// Plugin runtime.
    #[command(flatten)]
    plugins: PluginArgs,
}

/// `bench swap` arguments.
#[derive(Debug, Args)]
pub struct SwapArgs {
    /// Synthetic routes (3 rules, 2 backends, 2 endpoints each).
    #[arg(long, default_value_t = 1000)]
    routes: usize,
    /// Give up converging, and swapping, after this many seconds each.
    #[arg(long, default_value_t = 300)]
    timeout_secs: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs one benchmark and prints its figures.
pub fn run(cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Plugins(a) => {
            let mut config = a.plugins.config()?;
            if a.no_fuel {
                config.limits.fuel_per_item = 0;
            }
            let figures = lattice_bench::plugins::run(a.routes, &config)?;
            print(&figures, a.json)
        }
        BenchCommand::Converge(a) => {
            let figures = tokio::runtime::Runtime::new()?.block_on(lattice_bench::converge::run(
                a.routes,
                a.latency_ms,
                a.concurrency.max(1),
            ));
            print(&figures, a.json)
        }
        BenchCommand::E2e(a) => {
            let plugins = a.plugins.config()?;
            let timeout = Duration::from_secs(a.timeout_secs);
            let figures = tokio::runtime::Runtime::new()?.block_on(lattice_bench::e2e::run(
                a.routes,
                plugins,
                timeout,
                a.external,
                Duration::from_millis(a.settle_ms),
            ))?;
            print(&figures, a.json)
        }
        BenchCommand::Crash(a) => {
            let exe = std::env::current_exe()?;
            let timeout = Duration::from_secs(a.timeout_secs);
            let figures = tokio::runtime::Runtime::new()?.block_on(lattice_bench::crash::run(
                &exe, a.routes, a.kills, a.seed, timeout,
            ))?;
            print(&figures, a.json)
        }
        BenchCommand::Failover(a) => {
            let exe = std::env::current_exe()?;
            let figures =
                tokio::runtime::Runtime::new()?.block_on(lattice_bench::failover::run(
                    &exe,
                    a.routes,
                    Duration::from_secs(a.lease_secs),
                    Duration::from_secs(a.timeout_secs),
                ))?;
            print(&figures, a.json)
        }
        BenchCommand::Faults(a) => {
            let suite = lattice_bench::faults::Suite {
                routes: a.routes,
                lattice: lattice_bench::faults::Faults {
                    throttle_rate: a.throttle,
                    error_rate: a.errors,
                    lost_rate: a.lost,
                    jitter_ms: a.jitter_ms,
                },
                kills: a.kills,
                seed: a.seed,
                exe: Some(std::env::current_exe()?),
                status_conflict_rate: (a.status_conflicts >= 0.0).then_some(a.status_conflicts),
                disrupt_every: Duration::from_millis(a.disrupt_ms.max(1)),
                timeout: Duration::from_secs(a.timeout_secs),
            };
            let figures =
                tokio::runtime::Runtime::new()?.block_on(lattice_bench::faults::run(&suite))?;
            print(&figures, a.json)
        }
        BenchCommand::Swap(a) => {
            let timeout = Duration::from_secs(a.timeout_secs);
            let figures = tokio::runtime::Runtime::new()?
                .block_on(lattice_bench::swap::run(a.routes, timeout))?;
            print(&figures, a.json)
        }
    }
}

fn print<F: serde::Serialize + std::fmt::Display>(figures: &F, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(figures)?);
    } else {
        println!("{figures}");
    }
    Ok(())
}
