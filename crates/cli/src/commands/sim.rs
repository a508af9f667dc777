//! `lattice-host sim kube|lattice`: the stand-ins for a Kubernetes API server
//! and the VPC Lattice API, served for kubectl, kube-rs, the AWS SDKs and CLI.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};

/// Runs one emulator until SIGINT or SIGTERM.
pub fn run(cmd: SimCommand) -> anyhow::Result<()> {
    match cmd {
        SimCommand::Kube(args) => sim_kube(args),
        SimCommand::Lattice(args) => sim_lattice(args),
    }
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
fn sim_kube(args: SimKubeArgs) -> anyhow::Result<()> {
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
        let stop = crate::signal::shutdown();
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
fn sim_lattice(args: SimLatticeArgs) -> anyhow::Result<()> {
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
            _ = crate::signal::shutdown() => Ok(()),
        }
    })
}
