//! `lattice-host demo`: the whole product on one machine, with no cluster
//! and no AWS. kube-sim and lattice-sim run in process on loopback; the
//! Gateway API and project CRDs are installed; the example manifests are
//! applied; the controller converges them, and the summary shows route
//! conditions and the Lattice tree. Drive it with your own kubectl and AWS CLI.

mod tree;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};

use crate::cli::RuntimeArgs;
use crate::controller::{Controller, Options};

/// `demo` arguments.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Manifests to apply (files or directories).
    #[arg(long, default_value = "examples")]
    pub manifests: Vec<PathBuf>,
    /// Address of the Kubernetes API (kube-sim).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub kube_listen: std::net::SocketAddr,
    /// Address of the VPC Lattice API (lattice-sim).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub lattice_listen: std::net::SocketAddr,
    /// Where to write a kubeconfig for kube-sim.
    #[arg(long, default_value = "target/demo-kubeconfig.yaml")]
    pub kubeconfig: PathBuf,
    /// Exit once converged (0), or with the reasons when not converged in time (1).
    #[arg(long)]
    pub once: bool,
    /// How long to wait for convergence, in seconds.
    #[arg(long, default_value_t = 60)]
    pub timeout_secs: u64,
    /// Plugin runtime.
    #[command(flatten)]
    pub runtime: RuntimeArgs,
}

/// Manifest text, with the namespaces they use created first.
fn manifests(paths: &[PathBuf]) -> anyhow::Result<(Vec<String>, BTreeSet<String>)> {
    // Bad manifests fail here, naming file and line, before anything starts.
    crate::manifests::load(paths)?;
    let mut texts = Vec::new();
    let mut namespaces = BTreeSet::new();
    for p in paths {
        for f in crate::manifests::files(p)? {
            let text = std::fs::read_to_string(&f).with_context(|| f.display().to_string())?;
            for doc in serde_yaml::Deserializer::from_str(&text) {
                let v: serde_yaml::Value = serde::Deserialize::deserialize(doc)
                    .with_context(|| f.display().to_string())?;
                if let Some(ns) = v
                    .get("metadata")
                    .and_then(|m| m.get("namespace"))
                    .and_then(|n| n.as_str())
                {
                    namespaces.insert(ns.to_string());
                }
            }
            texts.push(text);
        }
    }
    Ok((texts, namespaces))
}

fn routes_ar(kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("gateway.networking.k8s.io", "v1", kind),
        plural,
    )
}

/// Route conditions, one line each; `None` while some route is not settled.
async fn route_summary(client: &kube::Client) -> anyhow::Result<(bool, String)> {
    let mut lines = Vec::new();
    let mut settled = true;
    for (kind, plural) in [
        ("HTTPRoute", "httproutes"),
        ("GRPCRoute", "grpcroutes"),
        ("TLSRoute", "tlsroutes"),
    ] {
        let api: Api<DynamicObject> = Api::all_with(client.clone(), &routes_ar(kind, plural));
        for o in api.list(&Default::default()).await?.items {
            let v = serde_json::to_value(&o)?;
            let generation = v.pointer("/metadata/generation").cloned();
            let ns = v
                .pointer("/metadata/namespace")
                .and_then(|x| x.as_str())
                .unwrap_or("");
            let name = v
                .pointer("/metadata/name")
                .and_then(|x| x.as_str())
                .unwrap_or("");
            let parents = v
                .pointer("/status/parents")
                .and_then(|p| p.as_array())
                .cloned()
                .unwrap_or_default();
            let ours = parents
                .iter()
                .find(|p| p["controllerName"] == lattice_core::config::CONTROLLER_NAME);
            let Some(p) = ours else {
                settled = false;
                lines.push(format!("{kind} {ns}/{name}: waiting for the controller"));
                continue;
            };
            let conds = p["conditions"].as_array().cloned().unwrap_or_default();
            let mut parts = Vec::new();
            for c in &conds {
                let short = c["type"]
                    .as_str()
                    .unwrap_or("")
                    .rsplit('/')
                    .next()
                    .unwrap_or("")
                    .to_string();
                parts.push(format!(
                    "{short}={}({})",
                    c["status"].as_str().unwrap_or("?"),
                    c["reason"].as_str().unwrap_or("")
                ));
                if c["observedGeneration"] != generation.clone().unwrap_or_default()
                    || c["reason"] == "Pending"
                {
                    settled = false;
                }
            }
            lines.push(format!("{kind} {ns}/{name}: {}", parts.join(" ")));
            for c in conds
                .iter()
                .filter(|c| c["status"] == "False" || c["type"] == "PartiallyInvalid")
            {
                lines.push(format!(
                    "    {}: {}",
                    c["type"].as_str().unwrap_or(""),
                    c["message"].as_str().unwrap_or("")
                ));
            }
        }
    }
    Ok((settled, lines.join("\n")))
}

/// Runs the demo.
pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    let (texts, namespaces) = manifests(&args.manifests)?;
    let (_rt, stages) = args.runtime.stages()?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let kube_listener = tokio::net::TcpListener::bind(args.kube_listen).await.with_context(|| format!("--kube-listen {}", args.kube_listen))?;
        let lattice_listener = tokio::net::TcpListener::bind(args.lattice_listen).await.with_context(|| format!("--lattice-listen {}", args.lattice_listen))?;
        let kube_url = format!("http://{}", kube_listener.local_addr()?);
        let lattice_url = format!("http://{}", lattice_listener.local_addr()?);

        let kube = kube_sim::KubeSim::new(kube_sim::SimOptions::default())?;
        let served = kube.clone();
        tokio::spawn(async move { served.serve(kube_listener, std::future::pending()).await });
        let lattice = lattice_sim::LatticeSim::new(lattice_sim::SimConfig::default());
        tokio::spawn(lattice.clone().serve(lattice_listener));
        if let Some(dir) = args.kubeconfig.parent() {
            std::fs::create_dir_all(dir).ok();
        }
        kube_sim::write_kubeconfig(&args.kubeconfig, &kube_url)?;

        let crds = [crate::crds::gateway_api(), crate::crds::project()].concat();
        kube.apply_yaml(&crate::crds::to_yaml(&crds)?)?;
        for ns in &namespaces {
            kube.apply_yaml(&format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n"))?;
        }
        for t in &texts {
            kube.apply_yaml(t)?;
        }

        let client = kube::Client::try_from(kube::Config::new(kube_url.parse()?))?;
        let cfg = lattice_core::ClusterConfig::default();
        let aws = lattice_apply::bench::sim_client(&lattice_url);
        let applier = lattice_apply::Applier::new(aws.clone(), cfg.clone(), lattice_apply::ApplyOptions::unlimited(16));
        let controller = Controller::new(client.clone(), Arc::new(stages), Options { cluster: cfg, ..Options::default() }).with_applier(applier);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(controller.run(async {
            let _ = stopped.await;
        }));

        let deadline = tokio::time::Instant::now() + Duration::from_secs(args.timeout_secs);
        let (settled, summary) = loop {
            let (settled, summary) = route_summary(&client).await?;
            if settled || tokio::time::Instant::now() > deadline {
                break (settled, summary);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        println!("Routes\n{summary}\n");
        println!("VPC Lattice (lattice-sim at {lattice_url})");
        match tree::render(&aws).await {
            Ok(t) => println!("{t}"),
            Err(e) => println!("  (could not list: {e})"),
        }
        println!("Drive it:");
        println!("  kubectl --kubeconfig {} get httproutes -A", args.kubeconfig.display());
        println!("  AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x aws vpc-lattice list-services --endpoint-url {lattice_url} --region us-west-2");
        if args.once {
            let _ = stop.send(());
            let _ = task.await;
            anyhow::ensure!(settled, "not converged within {} s; see the route conditions above", args.timeout_secs);
            return Ok(());
        }
        println!("\nReconciling what you change with kubectl; Ctrl-C to stop.");
        crate::cli::shutdown_signal().await;
        let _ = stop.send(());
        let _ = task.await;
        Ok(())
    })
}
