//! The state shared by every request: the locked registry and store, and the
//! signals that wake watches and the state-file writer.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{Notify, watch};

use crate::ops::Inner;

/// Options of a kube-sim server.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Where to save and load state; `None` keeps everything in memory only.
    pub state_file: Option<PathBuf>,
    /// How many changes are kept for watches to resume from; older resourceVersions get 410 Gone.
    pub history_limit: usize,
    /// How often a watch with `allowWatchBookmarks=true` gets a BOOKMARK while idle.
    pub bookmark_interval: Duration,
    /// The longest a watch stays open when the client gives no `timeoutSeconds`.
    pub max_watch_timeout: Duration,
    /// Record every request on a resource as RBAC sees it, for
    /// [`KubeSim::requests`](crate::KubeSim::requests).
    pub record_requests: bool,
}

impl Default for SimOptions {
    fn default() -> Self {
        Self {
            state_file: None,
            history_limit: 10_000,
            bookmark_interval: Duration::from_secs(15),
            max_watch_timeout: Duration::from_secs(1800),
            record_requests: false,
        }
    }
}

/// Shared server state.
#[derive(Debug)]
pub struct Shared {
    inner: Mutex<Inner>,
    /// The latest resourceVersion; watches wait on it.
    pub rv_tx: watch::Sender<u64>,
    /// Bumped to end every open watch.
    pub drop_tx: watch::Sender<u64>,
    /// Woken after each write, for the state-file writer.
    pub dirty: Notify,
    /// The options the server was started with.
    pub opts: SimOptions,
    /// Every request on a resource, as RBAC sees it.
    pub audit: crate::audit::Audit,
    /// Faults a test turned on.
    pub faults: crate::faults::FaultState,
}

impl Shared {
    /// Wraps the initial state.
    pub fn new(inner: Inner, opts: SimOptions) -> Self {
        let rv = inner.store.rv();
        Self {
            inner: Mutex::new(inner),
            rv_tx: watch::Sender::new(rv),
            drop_tx: watch::Sender::new(0),
            dirty: Notify::new(),
            opts,
            audit: Default::default(),
            faults: Default::default(),
        }
    }

    /// Locks the state. A panic while holding the lock does not make the state unusable.
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Tells watches and the state writer that something may have changed.
    pub fn changed(&self) {
        let rv = self.lock().store.rv();
        self.rv_tx.send_if_modified(|cur| {
            let moved = *cur != rv;
            *cur = rv;
            moved
        });
        self.dirty.notify_one();
    }

    /// Ends every open watch (clients see their stream close and re-watch).
    pub fn drop_watches(&self) {
        self.drop_tx.send_modify(|e| *e += 1);
    }
}
