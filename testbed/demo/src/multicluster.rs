//! `lattice-host demo --multicluster`: two clusters, `east` and `west`,
//! each a kube-sim with its own controller and its own VPC, and one VPC
//! Lattice between them. `examples/multicluster/west` exports a Service;
//! `examples/multicluster/east` imports it and splits a route between its
//! own version and the imported one. Both run the same pod IPs: target
//! groups live in their cluster's VPC, so the addresses never meet.

use std::path::{Path, PathBuf};
use std::time::Duration;

use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};
use lattice_controller::Options;
use lattice_core::ClusterConfig;
use lattice_wasm::PluginConfig;

use super::cluster::Cluster;
use super::{
    DemoOptions, Listeners, converge, follow, ns_name, print_aws_hint, print_tree, route_summary,
};

/// The `east` cluster's identity: it runs the route.
pub fn east() -> ClusterConfig {
    ClusterConfig {
        cluster_name: "east".into(),
        vpc_id: "vpc-0east000000000000".into(),
        ..ClusterConfig::default()
    }
}

/// The `west` cluster's identity: it exports.
pub fn west() -> ClusterConfig {
    ClusterConfig {
        cluster_name: "west".into(),
        vpc_id: "vpc-0west000000000000".into(),
        ..ClusterConfig::default()
    }
}

/// Two clusters and the VPC Lattice they share.
pub struct Estate {
    /// `east`.
    pub east: Cluster,
    /// `west`.
    pub west: Cluster,
    /// A client of the shared VPC Lattice.
    pub aws: aws_sdk_vpclattice::Client,
}

/// `<stem>-<cluster>.yaml` beside `kubeconfig`.
pub fn kubeconfig_of(kubeconfig: &Path, cluster: &str) -> PathBuf {
    let stem = kubeconfig
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("demo-kubeconfig");
    kubeconfig.with_file_name(format!("{stem}-{cluster}.yaml"))
}

impl Estate {
    /// Both clusters with `<manifests>/east` and `<manifests>/west` applied
    /// and their controllers running against the VPC Lattice at `lattice_url`,
    /// looking again at unresolved imports every `recheck`.
    pub async fn start(
        manifests: &Path,
        kubeconfig: &Path,
        lattice_url: &str,
        plugins: &PluginConfig,
        recheck: Duration,
    ) -> anyhow::Result<Self> {
        let aws = lattice_sim::client(lattice_url);
        let mut clusters = Vec::new();
        for config in [east(), west()] {
            let name = config.cluster_name.clone();
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let dir = [manifests.join(&name)];
            let path = kubeconfig_of(kubeconfig, &name);
            let mut c = Cluster::start(config, listener, &dir, &path).await?;
            c.run_controller(&aws, plugins.clone(), options(recheck))?;
            clusters.push(c);
        }
        let west = clusters.pop().expect("two clusters");
        let east = clusters.pop().expect("two clusters");
        Ok(Estate { east, west, aws })
    }

    /// Each cluster's routes and exports, and whether both have converged:
    /// every route programmed with every backendRef resolved, every export
    /// ready.
    pub async fn summary(&self) -> anyhow::Result<(bool, String)> {
        let mut settled = true;
        let mut out = Vec::new();
        for c in [&self.east, &self.west] {
            let (routes, r) = route_summary(&c.client, true).await?;
            let (exports, e) = export_summary(&c.client).await?;
            settled &= routes && exports;
            let name = &c.config.cluster_name;
            out.push(format!("cluster {name} ({})", c.config.vpc_id));
            out.extend([r, e].into_iter().filter(|s| !s.is_empty()));
        }
        Ok((settled, out.join("\n")))
    }

    /// Stops both controllers.
    pub async fn stop(&mut self) {
        self.east.stop_controller().await;
        self.west.stop_controller().await;
    }
}

fn options(recheck: Duration) -> Options {
    Options {
        recheck,
        ..Options::default()
    }
}

/// The ServiceExports' `Ready` conditions, one line each.
async fn export_summary(client: &kube::Client) -> anyhow::Result<(bool, String)> {
    let gvk = GroupVersionKind::gvk(
        "application-networking.k8s.aws",
        "v1alpha1",
        "ServiceExport",
    );
    let ar = ApiResource::from_gvk_with_plural(&gvk, "serviceexports");
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &ar);
    let (mut settled, mut lines) = (true, Vec::new());
    for o in api.list(&Default::default()).await?.items {
        let v = serde_json::to_value(&o)?;
        let (ns, name) = ns_name(&v);
        let conditions = v
            .pointer("/status/conditions")
            .and_then(|c| c.as_array())
            .cloned()
            .unwrap_or_default();
        let ready = conditions.iter().find(|c| c["type"] == "Ready");
        settled &= ready.is_some_and(|c| c["status"] == "True");
        let parts: Vec<String> = conditions
            .iter()
            .map(|c| {
                let s = |k: &str| c[k].as_str().unwrap_or("?").to_string();
                format!("{}={}({})", s("type"), s("status"), s("reason"))
            })
            .collect();
        let parts = match parts.is_empty() {
            true => "waiting for the controller".to_string(),
            false => parts.join(" "),
        };
        lines.push(format!("ServiceExport {ns}/{name}: {parts}"));
    }
    Ok((settled, lines.join("\n")))
}

/// Runs the multi-cluster demo until `shutdown`, or until converged with
/// `once`.
pub async fn run(
    args: DemoOptions,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let listeners = Listeners::bind(&args).await?;
    let lattice_url = listeners.lattice_url()?;
    let lattice = lattice_sim::LatticeSim::new(lattice_sim::SimConfig::default());
    tokio::spawn(lattice.clone().serve(listeners.lattice));
    let manifests = args
        .manifests
        .first()
        .cloned()
        .unwrap_or_else(|| PathBuf::from("examples/multicluster"));
    let recheck = Duration::from_secs(1);
    let mut estate = Estate::start(
        &manifests,
        &args.kubeconfig,
        &lattice_url,
        &args.plugins,
        recheck,
    )
    .await?;
    let (settled, summary) = converge(args.timeout, || estate.summary()).await?;
    println!("{summary}\n");
    println!("VPC Lattice (lattice-sim at {lattice_url}), shared by both clusters");
    let shown = print_tree(&estate.aws, true).await;
    println!("Drive it:");
    for c in [&estate.east, &estate.west] {
        println!(
            "  kubectl --kubeconfig {} get serviceexports,serviceimports,httproutes -A",
            c.kubeconfig.display()
        );
    }
    print_aws_hint(&lattice_url);
    if !args.once {
        println!(
            "\nReconciling what you change in either cluster; VPC Lattice's changes are printed below. Ctrl-C to stop."
        );
        tokio::select! {
            _ = shutdown => {}
            _ = follow(&estate.aws, shown, true) => {}
        }
    }
    estate.stop().await;
    anyhow::ensure!(
        settled || !args.once,
        "not converged within {} s; see the conditions above",
        args.timeout.as_secs()
    );
    Ok(())
}
