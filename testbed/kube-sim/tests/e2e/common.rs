//! Helpers shared by the end-to-end tests: a kube-sim on an ephemeral port, kubectl
//! pointed at it, a kube-rs client, and the Gateway API CRDs.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use kube_sim::{KubeSim, RunningSim, SimOptions};
use tempfile::TempDir;

/// A running kube-sim with a kubeconfig and a kubectl cache of its own.
pub struct Env {
    pub sim: RunningSim,
    pub dir: TempDir,
    pub kubeconfig: PathBuf,
}

pub async fn start() -> Env {
    start_with(SimOptions::default()).await
}

pub async fn start_with(opts: SimOptions) -> Env {
    env_for(KubeSim::start(opts).await.expect("kube-sim starts"))
}

/// A kube-sim serving HTTPS with a fresh CA (the kubeconfig trusts it).
pub async fn start_tls() -> Env {
    env_for(
        KubeSim::start_tls(SimOptions::default())
            .await
            .expect("kube-sim starts with TLS"),
    )
}

fn env_for(sim: RunningSim) -> Env {
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = dir.path().join("kubeconfig");
    sim.write_kubeconfig(&kubeconfig)
        .expect("kubeconfig written");
    Env {
        sim,
        dir,
        kubeconfig,
    }
}

/// The shared CRD directory (outside the repository).
pub fn crds_dir() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/crds")).to_path_buf()
}

/// The Gateway API CRD file of `plural` (e.g. `httproutes`).
pub fn gateway_crd(plural: &str) -> PathBuf {
    crds_dir().join(format!(
        "gateway-api-v1.5.1/gateway.networking.k8s.io_{plural}.yaml"
    ))
}

/// Every CRD of the Gateway API and of the AWS controller, as one multi-document YAML.
pub fn all_crds_yaml() -> String {
    let mut out = String::new();
    for sub in ["gateway-api-v1.5.1", "aws-application-networking-v2.1.3"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(crds_dir().join(sub))
            .expect("crd dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        files.sort();
        for f in files {
            out.push_str("---\n");
            out.push_str(&std::fs::read_to_string(&f).expect("crd file"));
            out.push('\n');
        }
    }
    out
}

impl Env {
    pub fn url(&self) -> String {
        self.sim.url()
    }

    fn kubectl_cmd(&self, args: &[&str]) -> tokio::process::Command {
        let mut c = tokio::process::Command::new("kubectl");
        c.args(args)
            .arg("--cache-dir")
            .arg(self.dir.path().join("cache"))
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", self.dir.path())
            .kill_on_drop(true);
        c
    }

    /// Runs kubectl to completion (at most 30 s).
    pub async fn kubectl(&self, args: &[&str]) -> Output {
        let fut = self.kubectl_cmd(args).output();
        tokio::time::timeout(Duration::from_secs(30), fut)
            .await
            .expect("kubectl finishes in time")
            .expect("kubectl runs")
    }

    /// Runs kubectl and asserts it exits 0; returns stdout.
    pub async fn kubectl_ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args).await;
        assert!(
            out.status.success(),
            "kubectl {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Starts kubectl in the background.
    pub fn kubectl_spawn(&self, args: &[&str]) -> tokio::process::Child {
        self.kubectl_cmd(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("kubectl starts")
    }

    /// Writes `yaml` to a file in the test's directory and returns its path.
    pub fn file(&self, name: &str, yaml: &str) -> String {
        let p = self.dir.path().join(name);
        std::fs::write(&p, yaml).expect("write manifest");
        p.display().to_string()
    }

    /// A kube-rs client for the server.
    pub fn client(&self) -> kube::Client {
        // In a workspace build another crate may enable rustls' aws-lc-rs
        // beside ring; rustls then needs the process default chosen.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let uri: http::Uri = self.url().parse().expect("url");
        kube::Client::try_from(kube::Config::new(uri)).expect("client")
    }
}

/// Waits (at most 10 s) until `f` returns true.
pub async fn eventually<F: FnMut() -> bool>(what: &str, mut f: F) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
