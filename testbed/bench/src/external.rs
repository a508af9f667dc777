//! The controller in a process of its own: `lattice-host run`, as a
//! Deployment runs it, against the benchmark's emulators. Its memory is then
//! its own, apart from kube-sim's and lattice-sim's.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context;
use lattice_core::ClusterConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A `lattice-host run` child process.
pub(crate) struct External {
    child: tokio::process::Child,
    /// Where it serves `/metrics`.
    admin: SocketAddr,
    /// Its kubeconfig and plugin cache.
    _dir: tempfile::TempDir,
}

/// Memory of a process, MB: now and at its peak.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct Memory {
    /// Resident now (`VmRSS`).
    pub rss_mb: f64,
    /// Resident at most, since it started (`VmHWM`).
    pub peak_mb: f64,
    /// Of `rss_mb`, private memory (`RssAnon`: the heap and stacks); the
    /// rest is mostly the binary's own pages, shared with every process
    /// that maps it.
    pub anon_mb: f64,
}

impl External {
    /// Starts `lattice-host run` (the binary `exe`) against kube-sim at
    /// the kubeconfig it writes and lattice-sim at `lattice_url`, with no
    /// limit on VPC Lattice calls but 64 in flight, as the in-process
    /// benchmark runs it. `cache`: the plugin cache to keep across restarts
    /// (a pod's volume), else one of its own.
    pub fn start(
        exe: &Path,
        write_kubeconfig: impl FnOnce(&Path) -> anyhow::Result<()>,
        lattice_url: &str,
        cache: Option<&Path>,
    ) -> anyhow::Result<External> {
        Self::spawn(exe, write_kubeconfig, lattice_url, cache, None)
    }

    /// [`start`](Self::start) as one of several replicas: it competes for
    /// the leader Lease (held `lease` unrenewed) as `replica`, its
    /// `HOSTNAME`, and signs its Lattice calls with `replica` as its access
    /// key, so lattice-sim can tell the replicas' calls apart.
    pub fn start_replica(
        exe: &Path,
        write_kubeconfig: impl FnOnce(&Path) -> anyhow::Result<()>,
        lattice_url: &str,
        cache: Option<&Path>,
        (replica, lease): (&str, std::time::Duration),
    ) -> anyhow::Result<External> {
        Self::spawn(
            exe,
            write_kubeconfig,
            lattice_url,
            cache,
            Some((replica, lease)),
        )
    }

    fn spawn(
        exe: &Path,
        write_kubeconfig: impl FnOnce(&Path) -> anyhow::Result<()>,
        lattice_url: &str,
        cache: Option<&Path>,
        replica: Option<(&str, std::time::Duration)>,
    ) -> anyhow::Result<External> {
        let dir = tempfile::tempdir()?;
        let kubeconfig = dir.path().join("kubeconfig");
        write_kubeconfig(&kubeconfig)?;
        let cache = cache.map_or_else(|| dir.path().join("cache"), Path::to_path_buf);
        let cluster = ClusterConfig::default();
        let admin = free_port()?;
        let mut command = wrapped(exe);
        command.arg("run");
        match replica {
            Some((name, lease)) => command
                .env("HOSTNAME", name)
                .env("POD_NAMESPACE", "default")
                .env("LEADER_LEASE_DURATION_SECONDS", lease.as_secs().to_string())
                .env("AWS_ACCESS_KEY_ID", name),
            None => command
                .arg("--no-leader-election")
                .env("AWS_ACCESS_KEY_ID", "bench"),
        };
        let child = command
            .env("KUBECONFIG", &kubeconfig)
            .env("LATTICE_HOST_CACHE_DIR", cache)
            .env("LATTICE_ENDPOINT", lattice_url)
            .env("AWS_SECRET_ACCESS_KEY", "bench")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("CLUSTER_NAME", &cluster.cluster_name)
            .env("CLUSTER_VPC_ID", &cluster.vpc_id)
            .env("REGION", &cluster.region)
            .env("AWS_ACCOUNT_ID", &cluster.account_id)
            .env("ADMIN_LISTEN", admin.to_string())
            .env("LATTICE_READS_PER_SECOND", "0")
            .env("LATTICE_WRITES_PER_SECOND", "0")
            .env("LATTICE_MAX_CONCURRENT_CALLS", "64")
            .env("ROUTE_MAX_CONCURRENT_RECONCILES", "64")
            .env("LOG_LEVEL", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting lattice-host run")?;
        Ok(External {
            child,
            admin,
            _dir: dir,
        })
    }

    /// Waits until what its whole passes left has been compacted
    /// (`lattice_host_compaction_pending` 0, after at least one compaction),
    /// so a memory reading is of the state it keeps; errs at `deadline`.
    pub async fn compacted(&self, deadline: Instant) -> anyhow::Result<()> {
        loop {
            let text = self.metrics().await.unwrap_or_default();
            let done = sample(&text, "lattice_host_compaction_duration_seconds_count")
                .is_some_and(|n| n >= 1.0)
                && sample(&text, "lattice_host_compaction_pending") == Some(0.0);
            if done {
                return Ok(());
            }
            if Instant::now() >= deadline {
                anyhow::bail!("lattice-host run had not compacted by the deadline");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Its `/metrics` text, or `None` while nothing answers.
    async fn metrics(&self) -> Option<String> {
        let mut stream = tokio::net::TcpStream::connect(self.admin).await.ok()?;
        let request = format!("GET /metrics HTTP/1.0\r\nHost: {}\r\n\r\n", self.admin);
        stream.write_all(request.as_bytes()).await.ok()?;
        let mut response = String::new();
        stream.read_to_string(&mut response).await.ok()?;
        let (head, body) = response.split_once("\r\n\r\n")?;
        head.contains(" 200 ").then(|| body.to_string())
    }

    /// Its memory now, or an error once it has exited.
    pub fn memory(&mut self) -> anyhow::Result<Memory> {
        if let Some(status) = self.child.try_wait()? {
            anyhow::bail!("lattice-host run exited: {status}");
        }
        let pid = self.child.id().context("lattice-host run has no pid")?;
        Ok(memory_of(&format!("/proc/{pid}/status")))
    }

    /// Stops it (SIGKILL: what it has written is all that counts).
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// `exe`, or `$LATTICE_BENCH_WRAPPER exe` when that is set: a profiler
/// such as `heaptrack -o /tmp/controller` around the controller alone.
fn wrapped(exe: &Path) -> tokio::process::Command {
    let wrapper = std::env::var("LATTICE_BENCH_WRAPPER").unwrap_or_default();
    let mut words = wrapper.split_whitespace();
    match words.next() {
        Some(program) => {
            let mut c = tokio::process::Command::new(program);
            c.args(words).arg(exe);
            c
        }
        None => tokio::process::Command::new(exe),
    }
}

/// A loopback address nothing listens on now, for the child's admin server.
fn free_port() -> anyhow::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

/// The value of the unlabelled sample `name` in Prometheus text.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

/// This process's own memory.
pub(crate) fn own_memory() -> Memory {
    memory_of("/proc/self/status")
}

fn memory_of(status: &str) -> Memory {
    let text = std::fs::read_to_string(status).unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    Memory {
        rss_mb: field("VmRSS:"),
        peak_mb: field("VmHWM:"),
        anon_mb: field("RssAnon:"),
    }
}
