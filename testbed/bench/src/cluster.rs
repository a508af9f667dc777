//! The emulated cluster `bench e2e` and `bench swap` run on: kube-sim holding
//! N synthetic routes, an in-process lattice-sim, and the controller between
//! them, started through `lattice_wiring` as `lattice-host run` starts it.

use std::time::{Duration, Instant};

use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};
use lattice_controller::Options;
use lattice_wasm::{PluginConfig, PluginRuntime};
use lattice_wiring::{Lattice, Parts};

/// kube-sim with the synthetic routes applied, lattice-sim, and a client.
pub(crate) struct Cluster {
    /// Kept alive: dropping it stops the server.
    kube: kube_sim::RunningSim,
    pub lattice: lattice_sim::RunningSim,
    pub client: kube::Client,
}

/// A running controller.
pub(crate) struct Running {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
    /// The controller's plugin runtime (its engine and compile cache).
    pub runtime: PluginRuntime,
}

/// Starts the emulators: the CRDs, 50 namespaces and `n` synthetic routes
/// in kube-sim; an empty lattice-sim without quotas.
pub(crate) async fn start(n: usize) -> anyhow::Result<Cluster> {
    lattice_wiring::install_crypto_provider();
    let kube = kube_sim::KubeSim::start(kube_sim::SimOptions::default()).await?;
    let crds = [
        lattice_core::crds::gateway_api(),
        lattice_core::crds::project(),
    ]
    .concat();
    kube.sim()
        .apply_yaml(&lattice_core::crds::to_yaml(&crds)?)?;
    let mut docs: Vec<String> = (0..50).map(|i| format!("{{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{{\"name\":\"ns{i}\"}}}}")).collect();
    docs.extend(crate::synthetic::objects(n).iter().map(|o| o.to_string()));
    kube.sim().apply_yaml(&docs.join("\n---\n"))?;
    let lattice = lattice_sim::LatticeSim::new(lattice_sim::SimConfig {
        quotas: lattice_sim::Quotas::unlimited(),
        ..Default::default()
    })
    .start()
    .await?;
    let client = kube::Client::try_from(kube::Config::new(kube.url().parse()?))?;
    Ok(Cluster {
        kube,
        lattice,
        client,
    })
}

impl Cluster {
    /// Starts the controller with `plugins`, 64 Lattice calls in flight.
    pub fn controller(&self, plugins: PluginConfig) -> anyhow::Result<Running> {
        let assembled = lattice_wiring::controller(Parts {
            kube: self.client.clone(),
            plugins,
            lattice: Some(Lattice {
                client: lattice_sim::client(&self.lattice.url()),
                options: lattice_apply::ApplyOptions::unlimited(64),
            }),
            options: Options {
                max_concurrent_writes: 64,
                ..Options::default()
            },
        })?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(assembled.controller.run(async {
            let _ = stopped.await;
        }));
        Ok(Running {
            stop,
            task,
            runtime: assembled.plugin_runtime,
        })
    }

    /// Every HTTPRoute, and how many of them report `Programmed=True`.
    pub async fn programmed(&self) -> anyhow::Result<(usize, usize)> {
        let list = self.routes().list(&Default::default()).await?;
        let programmed = list.items.iter().filter(|r| is_programmed(r)).count();
        Ok((list.items.len(), programmed))
    }

    /// Waits until all `n` routes report `Programmed=True`; an error past
    /// `deadline`. It watches rather than lists: at 10,000 routes a list
    /// every few milliseconds would take the emulators' CPU from the
    /// controller it measures.
    pub async fn converged(&self, n: usize, deadline: Instant) -> anyhow::Result<()> {
        use futures::StreamExt;
        use kube::runtime::watcher::{self, Event};
        let mut events = std::pin::pin!(watcher::watcher(self.routes(), Default::default()));
        let mut programmed = std::collections::HashSet::new();
        let mut listed = false;
        while !(listed && programmed.len() == n) {
            let next = tokio::time::timeout_at(deadline.into(), events.next()).await;
            let event = match next {
                Err(_) => {
                    anyhow::bail!("only {} of {n} routes programmed in time", programmed.len())
                }
                Ok(None) => anyhow::bail!("the HTTPRoute watch ended"),
                Ok(Some(Err(e))) => {
                    tracing::warn!(error = %e, "HTTPRoute watch; retrying");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
                Ok(Some(Ok(event))) => event,
            };
            match event {
                Event::Init => {
                    programmed.clear();
                    listed = false;
                }
                Event::InitDone => listed = true,
                Event::Apply(r) | Event::InitApply(r) => {
                    let key = (r.metadata.namespace.clone(), r.metadata.name.clone());
                    if is_programmed(&r) {
                        programmed.insert(key);
                    } else {
                        programmed.remove(&key);
                    }
                }
                Event::Delete(r) => {
                    programmed.remove(&(r.metadata.namespace.clone(), r.metadata.name.clone()));
                }
            }
        }
        Ok(())
    }

    fn routes(&self) -> Api<DynamicObject> {
        let ar = ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("gateway.networking.k8s.io", "v1", "HTTPRoute"),
            "httproutes",
        );
        Api::all_with(self.client.clone(), &ar)
    }

    /// kube-sim's latest resourceVersion: it moves with every write.
    pub fn kube_version(&self) -> u64 {
        self.kube.sim().resource_version()
    }

    /// A kubeconfig for kube-sim at `path`.
    pub fn write_kubeconfig(&self, path: &std::path::Path) -> anyhow::Result<()> {
        Ok(self.kube.write_kubeconfig(path)?)
    }

    /// Calls lattice-sim served for `op`, or for every operation.
    pub fn calls(&self, op: Option<&str>) -> u64 {
        let c = self.lattice.call_counts();
        match op {
            Some(op) => c.get(op).copied().unwrap_or(0),
            None => c.values().sum(),
        }
    }
}

impl Running {
    /// Stops the controller and waits for its pass in progress.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
        drop(self.runtime);
    }
}

/// Whether a route's first parent says `Programmed=True`.
fn is_programmed(route: &DynamicObject) -> bool {
    let programmed = lattice_core::status::programmed_condition();
    route
        .data
        .pointer("/status/parents/0/conditions")
        .and_then(|c| c.as_array())
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == programmed.as_str() && c["status"] == "True")
        })
}
