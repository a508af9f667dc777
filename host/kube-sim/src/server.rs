//! Starting, serving and stopping a kube-sim, and writing a kubeconfig for it.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::error::SimError;
use crate::ops::{self, Inner, WriteOpts};
use crate::registry::Registry;
use crate::state::{Shared, SimOptions};
use crate::store::Store;

/// An in-memory Kubernetes API server.
#[derive(Debug, Clone)]
pub struct KubeSim {
    shared: Arc<Shared>,
}

impl KubeSim {
    /// Creates a server: loads the state file if it exists, otherwise starts empty
    /// with the `default`, `kube-system`, `kube-public` and `kube-node-lease` namespaces.
    pub fn new(opts: SimOptions) -> Result<Self, SimError> {
        let mut inner = match &opts.state_file {
            Some(p) if p.exists() => crate::persist::load(p, opts.history_limit)?,
            _ => Inner {
                registry: Registry::default(),
                store: Store::new(0, opts.history_limit),
            },
        };
        let ns_type = inner.registry.find("", "v1", "namespaces").cloned();
        if let Some(rt) = ns_type {
            for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
                if inner.store.get("namespaces", "", ns).is_none() {
                    let w = WriteOpts {
                        manager: "kube-sim".into(),
                        ..Default::default()
                    };
                    let _ = ops::create(&mut inner, &rt, "", json!({"metadata": {"name": ns}}), &w);
                }
            }
        }
        Ok(Self {
            shared: Arc::new(Shared::new(inner, opts)),
        })
    }

    /// The axum router serving the Kubernetes API.
    pub fn router(&self) -> Router {
        Router::new()
            .fallback(crate::handlers::handle)
            .with_state(self.shared.clone())
    }

    /// Serves on `listener` until `shutdown` completes, then ends open watches and
    /// saves state (if a state file is configured).
    pub async fn serve<F>(&self, listener: TcpListener, shutdown: F) -> Result<(), SimError>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let saver = self.spawn_saver();
        let shared = self.shared.clone();
        let stop = async move {
            shutdown.await;
            shared.drop_watches();
        };
        let served = axum::serve(listener, self.router())
            .with_graceful_shutdown(stop)
            .await
            .map_err(SimError::Serve);
        if let Some(s) = saver {
            s.abort();
        }
        self.save()?;
        served
    }

    /// Starts serving on an ephemeral port of 127.0.0.1 in the background.
    pub async fn start(opts: SimOptions) -> Result<RunningSim, SimError> {
        let sim = Self::new(opts)?;
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(SimError::Serve)?;
        let addr = listener.local_addr().map_err(SimError::Serve)?;
        let (tx, rx) = oneshot::channel::<()>();
        let s = sim.clone();
        let task = tokio::spawn(async move {
            s.serve(listener, async move {
                let _ = rx.await;
            })
            .await
        });
        Ok(RunningSim {
            sim,
            addr,
            stop: Some(tx),
            task,
        })
    }

    /// Saves state to the state file now (no-op without one).
    pub fn save(&self) -> Result<(), SimError> {
        match &self.shared.opts.state_file {
            Some(p) => crate::persist::save(&self.shared.lock(), p),
            None => Ok(()),
        }
    }

    /// The latest resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.shared.lock().store.rv()
    }

    /// Forgets the change history, like an etcd compaction: watches resuming from an
    /// older resourceVersion get `410 Gone`.
    pub fn compact(&self) {
        self.shared.lock().store.compact();
    }

    /// Closes every open watch stream, as a restarting API server would.
    pub fn drop_watches(&self) {
        self.shared.drop_watches();
    }

    fn spawn_saver(&self) -> Option<JoinHandle<()>> {
        self.shared.opts.state_file.as_ref()?;
        let me = self.clone();
        Some(tokio::spawn(async move {
            loop {
                me.shared.dirty.notified().await;
                tokio::time::sleep(Duration::from_millis(200)).await;
                if let Err(e) = me.save() {
                    tracing::warn!(error = %e, "saving kube-sim state");
                }
            }
        }))
    }
}

/// A kube-sim running in the background on 127.0.0.1 (see [`KubeSim::start`]).
#[derive(Debug)]
pub struct RunningSim {
    sim: KubeSim,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), SimError>>,
}

impl RunningSim {
    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server, for test controls such as [`KubeSim::compact`].
    pub fn sim(&self) -> &KubeSim {
        &self.sim
    }

    /// Writes a kubeconfig that points at this server.
    pub fn write_kubeconfig(&self, path: &Path) -> Result<(), SimError> {
        write_kubeconfig(path, &self.url())
    }

    /// Stops the server and waits for it (state is saved if configured).
    pub async fn shutdown(mut self) -> Result<(), SimError> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        match (&mut self.task).await {
            Ok(r) => r,
            Err(e) => Err(SimError::State(format!("server task failed: {e}"))),
        }
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// Writes a kubeconfig with one cluster, user and context named `kube-sim`.
pub fn write_kubeconfig(path: &Path, server_url: &str) -> Result<(), SimError> {
    let doc = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: kube-sim\n  cluster:\n    server: {server_url}\n\
         users:\n- name: kube-sim\n  user:\n    token: kube-sim\n\
         contexts:\n- name: kube-sim\n  context:\n    cluster: kube-sim\n    user: kube-sim\n    namespace: default\n\
         current-context: kube-sim\npreferences: {{}}\n"
    );
    std::fs::write(path, doc).map_err(|e| SimError::Io(path.display().to_string(), e))
}
