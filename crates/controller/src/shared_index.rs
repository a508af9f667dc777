//! The index as the run loop and a running pass share it.
//!
//! The run loop keeps taking watch events while a pass applies and writes
//! (a pass at 10,000 routes takes tens of seconds): a watch that is not read
//! for that long falls out of the API server's history, answers `410 Gone`,
//! and the next change waits for a backoff and a whole re-list. Both run in
//! one task, so the lock is never contended; it is what lets the loop write
//! between the pass's awaits. A pass reads in short synchronous steps and
//! never holds a guard across an await (clippy's `await_holding_lock`, and
//! the guard not being `Send`, refuse that).

use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use lattice_core::index::Index;

/// The index behind a lock: written by the run loop, read by passes.
#[derive(Debug, Default)]
pub(crate) struct SharedIndex(RwLock<Index>);

impl SharedIndex {
    /// The index now, for one synchronous step.
    pub fn read(&self) -> RwLockReadGuard<'_, Index> {
        self.0.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The index, to feed a watch change into.
    pub fn write(&self) -> RwLockWriteGuard<'_, Index> {
        self.0.write().unwrap_or_else(|p| p.into_inner())
    }
}
