//! `lattice-host demo`: the whole product on one machine, with no cluster
//! and no AWS. kube-sim and lattice-sim run in process on loopback; the
//! Gateway API and project CRDs are installed; the example manifests are
//! applied; the controller converges them, and the summary shows route
//! conditions and the Lattice tree. Drive it with your own kubectl and AWS CLI;
//! the controller's admin server (the topology page at `/`, `/metrics`,
//! `/healthz`, `/readyz`) runs too.

mod tree;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};
use lattice_controller::Options;
use lattice_wasm::PluginConfig;
use lattice_wiring::{Lattice, Parts, manifests};

/// How the demo runs.
#[derive(Debug)]
pub struct DemoOptions {
    /// Manifests to apply (files or directories).
    pub manifests: Vec<PathBuf>,
    /// Address of the Kubernetes API (kube-sim).
    pub kube_listen: std::net::SocketAddr,
    /// Address of the VPC Lattice API (lattice-sim).
    pub lattice_listen: std::net::SocketAddr,
    /// Address of the controller's admin server.
    pub admin_listen: std::net::SocketAddr,
    /// Where to write a kubeconfig for kube-sim.
    pub kubeconfig: PathBuf,
    /// Return once converged (`Ok`), or with the reasons when not converged in time.
    pub once: bool,
    /// How long to wait for convergence.
    pub timeout: Duration,
    /// The plugins.
    pub plugins: PluginConfig,
}

/// Manifest text, with the namespaces they use created first.
fn manifest_texts(paths: &[PathBuf]) -> anyhow::Result<(Vec<String>, BTreeSet<String>)> {
    // Bad manifests fail here, naming file and line, before anything starts.
    manifests::load(paths)?;
    let mut texts = Vec::new();
    let mut namespaces = BTreeSet::new();
    for p in paths {
        for f in manifests::files(p)? {
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

/// Runs the demo until `shutdown` resolves, or until converged with `once`.
pub async fn run(
    args: DemoOptions,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let (texts, namespaces) = manifest_texts(&args.manifests)?;
    {
        let kube_listener = tokio::net::TcpListener::bind(args.kube_listen)
            .await
            .with_context(|| format!("--kube-listen {}", args.kube_listen))?;
        let lattice_listener = tokio::net::TcpListener::bind(args.lattice_listen)
            .await
            .with_context(|| format!("--lattice-listen {}", args.lattice_listen))?;
        let admin_listener = tokio::net::TcpListener::bind(args.admin_listen)
            .await
            .with_context(|| format!("--admin-listen {}", args.admin_listen))?;
        let admin_url = format!("http://{}", admin_listener.local_addr()?);
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

        let crds = [
            lattice_core::crds::gateway_api(),
            lattice_core::crds::project(),
        ]
        .concat();
        kube.apply_yaml(&lattice_core::crds::to_yaml(&crds)?)?;
        for ns in &namespaces {
            kube.apply_yaml(&format!(
                "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n"
            ))?;
        }
        for t in &texts {
            kube.apply_yaml(t)?;
        }

        let client = kube::Client::try_from(kube::Config::new(kube_url.parse()?))?;
        let aws = lattice_sim::client(&lattice_url);
        let assembled = lattice_wiring::controller(Parts {
            kube: client.clone(),
            plugins: args.plugins,
            lattice: Some(Lattice {
                client: aws.clone(),
                options: lattice_apply::ApplyOptions::unlimited(16),
            }),
            options: Options::default(),
        })?;
        let router = lattice_admin::router(assembled.admin.clone());
        tokio::spawn(lattice_admin::serve(
            admin_listener,
            router,
            std::future::pending(),
        ));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(assembled.controller.run(async {
            let _ = stopped.await;
        }));

        let deadline = tokio::time::Instant::now() + args.timeout;
        let (settled, summary) = loop {
            let (settled, summary) = route_summary(&client).await?;
            if settled || tokio::time::Instant::now() > deadline {
                break (settled, summary);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        println!("Routes\n{summary}\n");
        println!("VPC Lattice (lattice-sim at {lattice_url})");
        let shown = match tree::render(&aws).await {
            Ok(t) => {
                println!("{t}");
                t
            }
            Err(e) => {
                println!("  (could not list: {e})");
                String::new()
            }
        };
        println!("Drive it:");
        println!(
            "  kubectl --kubeconfig {} get httproutes -A",
            args.kubeconfig.display()
        );
        println!(
            "  AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x aws vpc-lattice list-services --endpoint-url {lattice_url} --region us-west-2"
        );
        println!("  open {admin_url}/    # the live VPC Lattice topology page");
        println!("  curl {admin_url}/metrics    # also /healthz and /readyz");
        if args.once {
            let _ = stop.send(());
            let _ = task.await;
            anyhow::ensure!(
                settled,
                "not converged within {} s; see the route conditions above",
                args.timeout.as_secs()
            );
            return Ok(());
        }
        println!(
            "\nReconciling what you change with kubectl; VPC Lattice's changes are printed below. Ctrl-C to stop."
        );
        tokio::select! {
            _ = shutdown => {}
            _ = follow(&aws, shown) => {}
        }
        let _ = stop.send(());
        let _ = task.await;
        Ok(())
    }
}

/// Prints what changed in the Lattice tree, line by line, once a second:
/// `+` for a line that appeared, `-` for one that went.
async fn follow(aws: &aws_sdk_vpclattice::Client, mut shown: String) {
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let Ok(now) = tree::render(aws).await else {
            continue;
        };
        if now == shown {
            continue;
        }
        let old: BTreeSet<&str> = shown.lines().collect();
        let new: BTreeSet<&str> = now.lines().collect();
        println!("VPC Lattice changed:");
        for line in shown.lines().filter(|l| !new.contains(l)) {
            println!("- {line}");
        }
        for line in now.lines().filter(|l| !old.contains(l)) {
            println!("+ {line}");
        }
        shown = now;
    }
}
