//! `lattice-host demo`: the whole product on one machine, with no cluster
//! and no AWS. kube-sim and lattice-sim run in process on loopback; the
//! Gateway API and project CRDs are installed; the example manifests are
//! applied; the controller converges them, and the summary shows route
//! conditions and the Lattice tree. Drive it with your own kubectl and AWS CLI;
//! the controller's admin server (the topology page at `/`, `/metrics`,
//! `/healthz`, `/readyz`) runs too.

pub mod cluster;
pub mod multicluster;
mod tree;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};
use lattice_controller::Options;
use lattice_core::ClusterConfig;
use lattice_wasm::PluginConfig;

use cluster::Cluster;

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
    /// Two clusters (`east`, `west`) and one VPC Lattice: the multi-cluster
    /// example ([`multicluster`]).
    pub multicluster: bool,
}

/// An object's namespace and name, as JSON holds them.
fn ns_name(v: &serde_json::Value) -> (&str, &str) {
    let at = |p: &str| v.pointer(p).and_then(|x| x.as_str()).unwrap_or("");
    (at("/metadata/namespace"), at("/metadata/name"))
}

fn routes_ar(kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("gateway.networking.k8s.io", "v1", kind),
        plural,
    )
}

/// Route conditions, one line each, and whether every route is settled
/// (and, with `resolved`, has every backendRef resolved).
async fn route_summary(client: &kube::Client, resolved: bool) -> anyhow::Result<(bool, String)> {
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
            let (ns, name) = ns_name(&v);
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
                    || (resolved && c["type"] == "ResolvedRefs" && c["status"] != "True")
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
    if args.multicluster {
        return multicluster::run(args, shutdown).await;
    }
    let listeners = Listeners::bind(&args).await?;
    let lattice_url = listeners.lattice_url()?;
    let admin_url = format!("http://{}", listeners.admin.local_addr()?);
    let lattice = lattice_sim::LatticeSim::new(lattice_sim::SimConfig::default());
    tokio::spawn(lattice.clone().serve(listeners.lattice));
    let config = ClusterConfig::default();
    let mut cluster =
        Cluster::start(config, listeners.kube, &args.manifests, &args.kubeconfig).await?;
    let aws = lattice_sim::client(&lattice_url);
    let admin = cluster.run_controller(&aws, args.plugins.clone(), Options::default())?;
    let router = lattice_admin::router(admin);
    tokio::spawn(lattice_admin::serve(
        listeners.admin,
        router,
        std::future::pending(),
    ));
    let (settled, summary) =
        converge(args.timeout, || route_summary(&cluster.client, false)).await?;
    println!("Routes\n{summary}\n");
    println!("VPC Lattice (lattice-sim at {lattice_url})");
    let shown = print_tree(&aws, false).await;
    println!("Drive it:");
    println!(
        "  kubectl --kubeconfig {} get httproutes -A",
        args.kubeconfig.display()
    );
    print_aws_hint(&lattice_url);
    println!("  open {admin_url}/    # the live VPC Lattice topology page");
    println!("  curl {admin_url}/metrics    # also /healthz and /readyz");
    if !args.once {
        println!(
            "\nReconciling what you change with kubectl; VPC Lattice's changes are printed below. Ctrl-C to stop."
        );
        tokio::select! {
            _ = shutdown => {}
            _ = follow(&aws, shown, false) => {}
        }
    }
    cluster.stop_controller().await;
    anyhow::ensure!(
        settled || !args.once,
        "not converged within {} s; see the route conditions above",
        args.timeout.as_secs()
    );
    Ok(())
}

/// The demo's listeners, bound before anything starts so that a busy
/// address fails at once, naming the flag.
struct Listeners {
    kube: tokio::net::TcpListener,
    lattice: tokio::net::TcpListener,
    admin: tokio::net::TcpListener,
}

impl Listeners {
    async fn bind(args: &DemoOptions) -> anyhow::Result<Self> {
        Ok(Listeners {
            kube: bind(args.kube_listen, "--kube-listen").await?,
            lattice: bind(args.lattice_listen, "--lattice-listen").await?,
            admin: bind(args.admin_listen, "--admin-listen").await?,
        })
    }

    fn lattice_url(&self) -> anyhow::Result<String> {
        Ok(format!("http://{}", self.lattice.local_addr()?))
    }
}

async fn bind(addr: std::net::SocketAddr, flag: &str) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("{flag} {addr}"))
}

/// Polls `summary` until it says settled or `timeout` passes.
async fn converge<F, Fut>(timeout: Duration, mut summary: F) -> anyhow::Result<(bool, String)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<(bool, String)>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let (settled, text) = summary().await?;
        if settled || tokio::time::Instant::now() > deadline {
            return Ok((settled, text));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Prints the Lattice tree (with each target group's cluster and VPC when
/// `owners`); returns what it printed.
async fn print_tree(aws: &aws_sdk_vpclattice::Client, owners: bool) -> String {
    match tree::render(aws, owners).await {
        Ok(t) => {
            println!("{t}");
            t
        }
        Err(e) => {
            println!("  (could not list: {e})");
            String::new()
        }
    }
}

fn print_aws_hint(lattice_url: &str) {
    println!(
        "  AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x aws vpc-lattice list-services --endpoint-url {lattice_url} --region us-west-2"
    );
}

/// Prints what changed in the Lattice tree, line by line, once a second:
/// `+` for a line that appeared, `-` for one that went.
async fn follow(aws: &aws_sdk_vpclattice::Client, mut shown: String, owners: bool) {
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let Ok(now) = tree::render(aws, owners).await else {
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
