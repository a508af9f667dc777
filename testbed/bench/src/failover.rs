//! `lattice-host bench failover`: two replicas of `lattice-host run`
//! compete for the leader Lease; the leader is killed with SIGKILL while it
//! converges N routes; the follower takes over (issue 15).
//!
//! ```text
//! reference: N routes converge against a clean lattice-sim ─► its resources
//! replica-a ─► holds the Lease, converges ─► replica-b starts, follows
//!   ─► half the Lattice calls of a convergence made ─► SIGKILL replica-a
//!   ─► the Lease passes to replica-b ─► every route Programmed
//!   ─► route0's weights changed and changed back (two UpdateRule) ─► quiet
//!   ─► lattice-sim compared with the reference; the replicas' writes
//!      told apart by their access keys: none from replica-b before the kill
//! ```

use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use k8s_openapi::api::coordination::v1::Lease;
use kube::Api;

use crate::estate::{compare, resources};
use crate::external::External;
use crate::throttling::converge;

/// Figures printed by `bench failover --json`.
#[derive(Debug, serde::Serialize)]
pub struct FailoverFigures {
    /// Routes.
    pub routes: usize,
    /// How long the Lease holds unrenewed, ms.
    pub lease_ms: u64,
    /// Routes `Programmed` when the leader was killed.
    pub programmed_at_kill: usize,
    /// Kill to the Lease held by the follower, ms.
    pub takeover_ms: u64,
    /// The Lease's expiry (last renewal + its duration) to the follower
    /// holding it, ms; negative if it took over early (it must not).
    pub after_expiry_ms: i64,
    /// Kill to every route `Programmed`, ms.
    pub converge_after_kill_ms: u64,
    /// Lattice writes the leader made before it was killed.
    pub leader_writes: u64,
    /// Lattice writes the follower made, all after the kill.
    pub follower_writes: u64,
    /// Lattice writes the follower made while the leader lived (must be 0).
    pub follower_writes_before_kill: u64,
    /// Routes `Programmed=True` at the end.
    pub programmed: usize,
    /// Resources lattice-sim holds that the reference does not.
    pub orphans: usize,
    /// Resources lattice-sim holds more than once.
    pub duplicates: usize,
    /// Resources the reference holds that lattice-sim does not.
    pub missing: usize,
}

const LEASE_NAME: &str = "lattice-host-leader";

/// Runs the failover over `n` routes with the binary `exe`.
pub async fn run(
    exe: &Path,
    n: usize,
    lease: Duration,
    timeout: Duration,
) -> anyhow::Result<FailoverFigures> {
    let reference = converge(n, None, timeout).await?;
    let cluster = crate::cluster::start(n).await?;
    let url = cluster.lattice.url();
    let cache = tempfile::tempdir()?;
    let leases: Api<Lease> = Api::namespaced(cluster.client.clone(), "default");
    let deadline = Instant::now() + timeout;
    let kubeconfig = |p: &Path| cluster.write_kubeconfig(p);
    let a = External::start_replica(
        exe,
        kubeconfig,
        &url,
        Some(cache.path()),
        ("replica-a", lease),
    )?;
    holder(&leases, "replica-a", deadline).await?;
    let b = External::start_replica(
        exe,
        kubeconfig,
        &url,
        Some(cache.path()),
        ("replica-b", lease),
    )?;
    // Mid-way: the leader has made half the calls a convergence takes (its
    // statuses come at the end of its pass, so they cannot say "half").
    cluster
        .more_calls(None, reference.calls / 2, deadline)
        .await?;
    let (_, programmed_at_kill) = cluster.programmed().await?;
    let killed = Instant::now();
    a.stop().await;
    // The dead leader's last renewal, once one it sent as it died has landed.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let renewed = renew_time(&leases).await?;
    let taken = holder(&leases, "replica-b", deadline).await?;
    let takeover_ms = killed.elapsed().as_millis() as u64;
    let expiry = renewed + lease;
    let after_expiry_ms = match taken.duration_since(expiry) {
        Ok(d) => d.as_millis() as i64,
        Err(e) => -(e.duration().as_millis() as i64),
    };
    cluster.converged(n, deadline).await?;
    let converge_after_kill_ms = killed.elapsed().as_millis() as u64;
    // The new leader acts on a change, and on its undoing (so that
    // Lattice can be compared with the reference).
    let before = cluster.calls(Some("UpdateRule"));
    cluster.set_route0_weights(50, 50).await?;
    cluster
        .more_calls(Some("UpdateRule"), before, deadline)
        .await?;
    cluster.set_route0_weights(90, 10).await?;
    cluster
        .more_calls(Some("UpdateRule"), before + 1, deadline)
        .await?;
    crate::e2e::quiet(&cluster, crate::e2e::QUIET, deadline).await;
    b.stop().await;
    let callers = cluster.lattice.callers();
    let writes = |who: &str| callers.get(who).map_or(0, |c| c.writes);
    let follower_writes_before_kill = callers
        .get("replica-b")
        .and_then(|c| c.first_write)
        .map_or(0, |first| u64::from(first < killed));
    let (_, programmed) = cluster.programmed().await?;
    let (orphans, duplicates, missing) = compare(
        &reference.resources,
        &resources(&cluster.lattice.state_dump()),
    );
    Ok(FailoverFigures {
        routes: n,
        lease_ms: lease.as_millis() as u64,
        programmed_at_kill,
        takeover_ms,
        after_expiry_ms,
        converge_after_kill_ms,
        leader_writes: writes("replica-a"),
        follower_writes: writes("replica-b"),
        follower_writes_before_kill,
        programmed,
        orphans,
        duplicates,
        missing,
    })
}

/// Waits until the Lease names `replica` (its identity is `replica-<pid>`);
/// when it first did.
async fn holder(
    leases: &Api<Lease>,
    replica: &str,
    deadline: Instant,
) -> anyhow::Result<SystemTime> {
    let prefix = format!("{replica}-");
    loop {
        let lease = leases.get_opt(LEASE_NAME).await.ok().flatten();
        let who = lease
            .and_then(|l| l.spec)
            .and_then(|s| s.holder_identity)
            .unwrap_or_default();
        if who.starts_with(&prefix) {
            return Ok(SystemTime::now());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the Lease never passed to {replica} (held by {who:?})"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// When the Lease was last renewed.
async fn renew_time(leases: &Api<Lease>) -> anyhow::Result<SystemTime> {
    let lease = leases.get(LEASE_NAME).await?;
    let t = lease
        .spec
        .and_then(|s| s.renew_time)
        .ok_or_else(|| anyhow::anyhow!("the Lease has no renewTime"))?;
    let micros = t.0.as_microsecond();
    Ok(SystemTime::UNIX_EPOCH + Duration::from_micros(u64::try_from(micros)?))
}

impl std::fmt::Display for FailoverFigures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "routes       {} ({} Programmed at the kill)",
            self.routes, self.programmed_at_kill
        )?;
        writeln!(
            f,
            "takeover     {} ms after the kill, {} ms after the Lease expired (lease {} ms)",
            self.takeover_ms, self.after_expiry_ms, self.lease_ms
        )?;
        writeln!(
            f,
            "converge     {} ms after the kill",
            self.converge_after_kill_ms
        )?;
        writeln!(
            f,
            "writes       leader {}, follower {} ({} while the leader lived)",
            self.leader_writes, self.follower_writes, self.follower_writes_before_kill
        )?;
        writeln!(f, "programmed   {} of {}", self.programmed, self.routes)?;
        write!(
            f,
            "lattice      {} orphaned, {} duplicated, {} missing",
            self.orphans, self.duplicates, self.missing
        )
    }
}
