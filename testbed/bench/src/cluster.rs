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
    /// Kept alive: dropping it stops the server. `None` only inside
    /// [`Cluster::restart_kube`].
    kube: Option<kube_sim::RunningSim>,
    kube_options: kube_sim::SimOptions,
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
    start_with(n, kube_sim::SimOptions::default()).await
}

/// [`start`] with kube-sim started with `kube_options` (a state file, say).
pub(crate) async fn start_with(
    n: usize,
    kube_options: kube_sim::SimOptions,
) -> anyhow::Result<Cluster> {
    lattice_wiring::install_crypto_provider();
    let kube = kube_sim::KubeSim::start(kube_options.clone()).await?;
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
        kube: Some(kube),
        kube_options,
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
        self.programmed_at_least(n, n, deadline).await
    }

    /// Waits until `k` of the `n` routes report `Programmed=True`.
    pub async fn programmed_at_least(
        &self,
        k: usize,
        n: usize,
        deadline: Instant,
    ) -> anyhow::Result<()> {
        use futures::StreamExt;
        use kube::runtime::watcher::{self, Event};
        let mut events = std::pin::pin!(watcher::watcher(self.routes(), Default::default()));
        let mut programmed = std::collections::HashSet::new();
        let mut listed = false;
        while !(listed && programmed.len() >= k) {
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

    /// One change: route0's first rule weighs its two backends `w0`/`w1`
    /// (90/10 in the synthetic routes), which Lattice sees as one
    /// `UpdateRule`.
    pub async fn set_route0_weights(&self, w0: u32, w1: u32) -> anyhow::Result<()> {
        use anyhow::Context;
        use kube::api::{Patch, PatchParams};
        let ar = ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("gateway.networking.k8s.io", "v1", "HTTPRoute"),
            "httproutes",
        );
        let one: Api<DynamicObject> = Api::namespaced_with(self.client.clone(), "ns0", &ar);
        let backends = |w0: u32, w1: u32| serde_json::json!([{"name":"svc0-0","port":8080,"weight":w0},{"name":"svc0-1","port":8080,"weight":w1}]);
        let patch = serde_json::json!({"spec": {"rules": [
            {"matches":[{"path":{"type":"PathPrefix","value":"/api"}}],"backendRefs":backends(w0, w1)},
            {"matches":[{"headers":[{"name":"x-canary","value":"1"}],"path":{"type":"PathPrefix","value":"/"}}],"backendRefs":backends(0, 1)},
            {"backendRefs":backends(1, 1)}]}});
        one.patch("route0", &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .context("patch route0")?;
        Ok(())
    }

    /// Waits until lattice-sim has served more than `before` calls of
    /// `op`, or of every operation.
    pub async fn more_calls(
        &self,
        op: Option<&str>,
        before: u64,
        deadline: Instant,
    ) -> anyhow::Result<()> {
        while self.calls(op) <= before {
            let what = op.unwrap_or("call");
            anyhow::ensure!(
                Instant::now() < deadline,
                "too few {what}s reached Lattice in time"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
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
        self.kube().sim().resource_version()
    }

    /// kube-sim, for its fault controls.
    pub fn kube(&self) -> &kube_sim::RunningSim {
        self.kube
            .as_ref()
            .expect("kube-sim runs except inside restart_kube")
    }

    /// Stops kube-sim and starts it again on the same address from its
    /// state file, as an API server restarts: open watches end, clients
    /// reconnect, and resourceVersions before the restart are gone (410).
    pub async fn restart_kube(&mut self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.kube_options.state_file.is_some(),
            "kube-sim has no state file to restart from"
        );
        let Some(old) = self.kube.take() else {
            anyhow::bail!("kube-sim is not running");
        };
        let addr = old.addr();
        old.shutdown().await?;
        let new = kube_sim::KubeSim::start_on(self.kube_options.clone(), addr).await?;
        self.kube = Some(new);
        Ok(())
    }

    /// A kubeconfig for kube-sim at `path`.
    pub fn write_kubeconfig(&self, path: &std::path::Path) -> anyhow::Result<()> {
        Ok(self.kube().write_kubeconfig(path)?)
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
