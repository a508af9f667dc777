//! Starting, serving and stopping a kube-sim, and writing a kubeconfig for it.

use std::collections::BTreeMap;
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

use crate::audit::ApiRequest;
use crate::error::SimError;
use crate::ops::{self, Inner, WriteOpts};
use crate::registry::Registry;
use crate::state::{Shared, SimOptions};
use crate::store::Store;
use crate::tls::SelfSigned;

/// An in-memory Kubernetes API server.
#[derive(Debug, Clone)]
pub struct KubeSim {
    shared: Arc<Shared>,
}

impl KubeSim {
    /// Creates a server: loads the state file if it exists, otherwise starts empty
    /// with the `default`, `kube-system`, `kube-public` and `kube-node-lease` namespaces
    /// and the `default/kubernetes` Service.
    pub fn new(opts: SimOptions) -> Result<Self, SimError> {
        let mut inner = match &opts.state_file {
            Some(p) if crate::persist::exists(p) => crate::persist::load(p, opts.history_limit)?,
            _ => Inner {
                registry: Registry::default(),
                store: Store::new(0, opts.history_limit),
            },
        };
        if let Some(p) = &opts.state_file {
            inner.store.set_journal(crate::persist::open_journal(p)?);
        }
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
        // The Service kube-apiserver keeps for itself in `default`.
        let svc_type = inner.registry.find("", "v1", "services").cloned();
        if let Some(rt) = svc_type
            && inner
                .store
                .get("services", "default", "kubernetes")
                .is_none()
        {
            let w = WriteOpts {
                manager: "kube-apiserver".into(),
                ..Default::default()
            };
            let svc = json!({"metadata": {"name": "kubernetes",
                "labels": {"component": "apiserver", "provider": "kubernetes"}},
                "spec": {"clusterIP": "10.96.0.1", "clusterIPs": ["10.96.0.1"],
                    "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                    "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}]}});
            let _ = ops::create(&mut inner, &rt, "default", svc, &w);
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

    /// Serves plain HTTP on `listener` until `shutdown` completes, then ends open
    /// watches and saves state (if a state file is configured).
    pub async fn serve<F>(&self, listener: TcpListener, shutdown: F) -> Result<(), SimError>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.run(listener, None, shutdown).await
    }

    /// Like [`KubeSim::serve`], over TLS with the given certificate.
    pub async fn serve_tls<F>(
        &self,
        listener: TcpListener,
        cert: &SelfSigned,
        shutdown: F,
    ) -> Result<(), SimError>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.run(listener, Some(cert), shutdown).await
    }

    async fn run<F>(
        &self,
        listener: TcpListener,
        cert: Option<&SelfSigned>,
        shutdown: F,
    ) -> Result<(), SimError>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let saver = self.spawn_saver();
        let shared = self.shared.clone();
        let stop = async move {
            shutdown.await;
            shared.drop_watches();
        };
        let served = match cert {
            None => axum::serve(listener, self.router())
                .with_graceful_shutdown(stop)
                .await
                .map_err(SimError::Serve),
            Some(c) => crate::tls::serve_tls(self.router(), listener, c, stop).await,
        };
        if let Some(s) = saver {
            s.abort();
        }
        self.save()?;
        served
    }

    /// Starts serving plain HTTP on an ephemeral port of 127.0.0.1 in the background.
    pub async fn start(opts: SimOptions) -> Result<RunningSim, SimError> {
        Self::start_with(opts, None).await
    }

    /// Starts serving HTTPS on an ephemeral port of 127.0.0.1 in the background, with a
    /// freshly generated CA and server certificate.
    pub async fn start_tls(opts: SimOptions) -> Result<RunningSim, SimError> {
        Self::start_with(opts, Some(SelfSigned::generate(&[])?)).await
    }

    /// Starts serving plain HTTP on `addr` in the background: with the same
    /// state file and address as a server shut down before, a restart that
    /// its clients reconnect to.
    pub async fn start_on(opts: SimOptions, addr: SocketAddr) -> Result<RunningSim, SimError> {
        Self::start_bound(opts, None, addr).await
    }

    async fn start_with(
        opts: SimOptions,
        cert: Option<SelfSigned>,
    ) -> Result<RunningSim, SimError> {
        Self::start_bound(opts, cert, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    async fn start_bound(
        opts: SimOptions,
        cert: Option<SelfSigned>,
        addr: SocketAddr,
    ) -> Result<RunningSim, SimError> {
        let sim = Self::new(opts)?;
        let listener = TcpListener::bind(addr).await.map_err(SimError::Serve)?;
        let addr = listener.local_addr().map_err(SimError::Serve)?;
        let (tx, rx) = oneshot::channel::<()>();
        let s = sim.clone();
        let c = cert.clone();
        let task = tokio::spawn(async move {
            let stop = async move {
                let _ = rx.await;
            };
            match &c {
                Some(c) => s.serve_tls(listener, c, stop).await,
                None => s.serve(listener, stop).await,
            }
        });
        Ok(RunningSim {
            sim,
            addr,
            ca_pem: cert.map(|c| c.ca_pem().to_string()),
            stop: Some(tx),
            task,
        })
    }

    /// Creates (or replaces) the objects of a multi-document YAML string in-process,
    /// e.g. CRDs to serve before any client connects. Returns how many were written.
    pub fn apply_yaml(&self, yaml: &str) -> Result<usize, SimError> {
        let written = crate::seed::apply_yaml(&mut self.shared.lock(), yaml, "kube-sim");
        self.shared.changed();
        written
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

    /// Turns on (or off) the faults of [`KubeFaults`].
    pub fn set_faults(&self, faults: crate::KubeFaults) {
        self.shared.faults.set(faults);
    }

    /// How many faults of [`KubeFaults`] were injected so far.
    pub fn injected_faults(&self) -> u64 {
        self.shared.faults.injected()
    }

    /// Closes every open watch stream, as a restarting API server would.
    pub fn drop_watches(&self) {
        self.shared.drop_watches();
    }

    /// Every kind of request made on a resource so far (user, RBAC verb,
    /// group, resource, subresource, namespace, name), with how many: what
    /// RBAC must grant for them. Empty unless started with
    /// [`SimOptions::record_requests`]. See [`crate::audit`].
    pub fn requests(&self) -> BTreeMap<ApiRequest, u64> {
        self.shared.audit.snapshot()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.shared.audit.clear();
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
    ca_pem: Option<String>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), SimError>>,
}

impl RunningSim {
    /// `http://127.0.0.1:<port>`, or `https://...` when started with TLS.
    pub fn url(&self) -> String {
        let scheme = if self.ca_pem.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    /// The CA certificate (PEM) clients must trust, when started with TLS.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
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
        write_kubeconfig_with_ca(path, &self.url(), self.ca_pem.as_deref())
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
    write_kubeconfig_with_ca(path, server_url, None)
}

/// Writes a kubeconfig that also trusts `ca_pem` (for a server started with TLS).
pub fn write_kubeconfig_with_ca(
    path: &Path,
    server_url: &str,
    ca_pem: Option<&str>,
) -> Result<(), SimError> {
    use base64::Engine;
    let ca = ca_pem
        .map(|pem| {
            let data = base64::engine::general_purpose::STANDARD.encode(pem);
            format!("    certificate-authority-data: {data}\n")
        })
        .unwrap_or_default();
    let doc = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: kube-sim\n  cluster:\n    server: {server_url}\n{ca}\
         users:\n- name: kube-sim\n  user:\n    token: kube-sim\n\
         contexts:\n- name: kube-sim\n  context:\n    cluster: kube-sim\n    user: kube-sim\n    namespace: default\n\
         current-context: kube-sim\npreferences: {{}}\n"
    );
    std::fs::write(path, doc).map_err(|e| SimError::Io(path.display().to_string(), e))
}
