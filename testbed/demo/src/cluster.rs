//! One simulated cluster: a kube-sim on a listener of its own, with the
//! Gateway API and project CRDs, the manifests' namespaces and the
//! manifests applied, a kubeconfig for it, and its controller, which can
//! be stopped and started again (a restart mid-way, as a crash would).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Context;
use lattice_controller::Options;
use lattice_core::ClusterConfig;
use lattice_wasm::PluginConfig;
use lattice_wiring::{Assembled, Lattice, Parts, manifests};

/// A simulated cluster.
pub struct Cluster {
    /// Its name (`CLUSTER_NAME`), and the VPC its controller says it is in.
    pub config: ClusterConfig,
    /// The API server, to apply or change objects behind kubectl's back.
    pub kube: kube_sim::KubeSim,
    /// A client of it.
    pub client: kube::Client,
    /// Where its kubeconfig is.
    pub kubeconfig: PathBuf,
    running: Option<Running>,
}

/// A running controller, and the plugin runtime it needs.
struct Running {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
    _assembled: lattice_wasm::PluginRuntime,
}

/// Manifest text, with the namespaces they use.
pub fn manifest_texts(paths: &[PathBuf]) -> anyhow::Result<(Vec<String>, BTreeSet<String>)> {
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

impl Cluster {
    /// A kube-sim serving on `listener`, with `manifests` applied and a
    /// kubeconfig written at `kubeconfig`.
    pub async fn start(
        config: ClusterConfig,
        listener: tokio::net::TcpListener,
        manifests: &[PathBuf],
        kubeconfig: &Path,
    ) -> anyhow::Result<Self> {
        let (texts, namespaces) = manifest_texts(manifests)?;
        // Whoever embeds the demo (a test) gets the binary's TLS provider.
        lattice_wiring::install_crypto_provider();
        let url = format!("http://{}", listener.local_addr()?);
        let kube = kube_sim::KubeSim::new(kube_sim::SimOptions::default())?;
        let served = kube.clone();
        tokio::spawn(async move { served.serve(listener, std::future::pending()).await });
        if let Some(dir) = kubeconfig.parent() {
            std::fs::create_dir_all(dir).ok();
        }
        kube_sim::write_kubeconfig(kubeconfig, &url)?;
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
        let client = kube::Client::try_from(kube::Config::new(url.parse()?))?;
        Ok(Cluster {
            config,
            kube,
            client,
            kubeconfig: kubeconfig.to_path_buf(),
            running: None,
        })
    }

    /// Starts its controller against the VPC Lattice client `aws`; the
    /// admin server's state comes back for whoever serves it.
    pub fn run_controller(
        &mut self,
        aws: &aws_sdk_vpclattice::Client,
        plugins: PluginConfig,
        options: Options,
    ) -> anyhow::Result<lattice_admin::AdminState> {
        let assembled: Assembled = lattice_wiring::controller(Parts {
            kube: self.client.clone(),
            plugins,
            lattice: Some(Lattice {
                client: aws.clone(),
                options: lattice_apply::ApplyOptions::unlimited(16),
            }),
            options: Options {
                cluster: self.config.clone(),
                ..options
            },
        })?;
        let admin = assembled.admin.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(assembled.controller.run(async {
            let _ = stopped.await;
        }));
        self.running = Some(Running {
            stop,
            task,
            _assembled: assembled.plugin_runtime,
        });
        Ok(admin)
    }

    /// Stops its controller, if it runs, and waits for it to end.
    pub async fn stop_controller(&mut self) {
        if let Some(r) = self.running.take() {
            let _ = r.stop.send(());
            let _ = r.task.await;
        }
    }
}
