//! Run operations: bounded concurrency in dependency order, every call through
//! the [`Caller`] (rate limit, retries), idempotency tokens on creates.
//!
//! An operation starts once all its `deps` succeeded; if one failed, it is
//! skipped and reported as such. Nothing is rolled back: whatever happened is
//! what the next pass observes and converges from.
//!
//! `clientToken` = SHA-256 of (a nonce per pass, the operation) in hex: a retry
//! of the same call, e.g. after a connection dropped once Lattice had acted,
//! carries the same token and gets the first answer instead of a duplicate.
//! The nonce keeps a later pass that recreates a deleted resource from
//! replaying an old answer.

mod calls;

use crate::cache::Cache;
use crate::caller::{CallError, Caller};
use crate::ops::{Key, Op, OpKind};
use futures::stream::{FuturesUnordered, StreamExt};
use lattice_core::plan::{Action, WeightedTargetGroup};
use sha2::{Digest, Sha256};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Mutex;

/// How one operation ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Done.
    Done,
    /// Lattice (or the transport) said no.
    Failed(CallError),
    /// Not attempted: an operation it depends on failed.
    Skipped(String),
}

/// Runs operations against one Lattice.
pub struct Executor<'a> {
    /// Calls go through here.
    pub caller: &'a Caller,
    /// Updated with what is written.
    pub cache: &'a Mutex<Cache>,
    /// Ids of everything by key, from the observation and from creates.
    pub ids: Mutex<HashMap<Key, String>>,
    /// `ManagedBy` tag key and value.
    pub tag: (String, String),
    /// Per-pass nonce for client tokens.
    pub nonce: String,
}

fn missing(k: &Key) -> CallError {
    CallError {
        operation: "resolve".into(),
        code: "DependencyMissing".into(),
        message: format!("{k:?} has no id"),
    }
}

fn build(e: crate::convert::BuildError) -> CallError {
    CallError {
        operation: "build".into(),
        code: "InvalidRequest".into(),
        message: e.to_string(),
    }
}

impl Executor<'_> {
    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn id(&self, k: &Key) -> Result<String, CallError> {
        self.ids
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(k)
            .cloned()
            .ok_or_else(|| missing(k))
    }

    fn set_id(&self, k: Key, id: Option<&str>) {
        if let Some(id) = id {
            self.ids
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(k, id.to_string());
        }
    }

    fn token(&self, op: &OpKind) -> String {
        let d = Sha256::digest(format!("{}\n{op:?}", self.nonce).as_bytes());
        d.iter().take(16).map(|b| format!("{b:02x}")).collect()
    }

    /// The action with target group names replaced by ids.
    fn action_ids(&self, a: &Action) -> Result<Action, CallError> {
        Ok(match a {
            Action::FixedResponse(c) => Action::FixedResponse(*c),
            Action::Forward(w) => Action::Forward(
                w.iter()
                    .map(|w| {
                        Ok(WeightedTargetGroup {
                            target_group: self.id(&Key::TargetGroup(w.target_group.clone()))?,
                            weight: w.weight,
                        })
                    })
                    .collect::<Result<_, CallError>>()?,
            ),
        })
    }

    fn listener_ids(&self, k: &Key) -> Result<(String, String), CallError> {
        let Key::Listener(s, _) = k else {
            return Err(missing(k));
        };
        Ok((self.id(&Key::Service(s.clone()))?, self.id(k)?))
    }

    /// Run `ops` with at most `concurrency` in flight; outcomes by index.
    pub async fn run(&self, ops: &[Op], concurrency: usize) -> Vec<Outcome> {
        let n = ops.len();
        let mut outcome: Vec<Option<Outcome>> = vec![None; n];
        let mut waiting: Vec<usize> = ops.iter().map(|o| o.deps.len()).collect();
        let mut dependents: Vec<Vec<usize>> = vec![vec![]; n];
        for (i, o) in ops.iter().enumerate() {
            for &d in &o.deps {
                if d < n {
                    dependents[d].push(i);
                }
            }
        }
        // Highest level first: an operation with a long chain of dependents
        // behind it (service → listener → rules) starts before a leaf
        // (targets), which keeps the tail of the run full.
        let mut height = vec![0u32; n];
        for i in (0..n).rev() {
            height[i] = dependents[i]
                .iter()
                .map(|&d| height[d] + 1)
                .max()
                .unwrap_or(0);
        }
        let mut ready: BinaryHeap<(u32, Reverse<usize>)> = (0..n)
            .filter(|&i| waiting[i] == 0)
            .map(|i| (height[i], Reverse(i)))
            .collect();
        let mut running = FuturesUnordered::new();
        let mut finished = 0;
        while finished < n {
            while running.len() < concurrency.max(1) {
                let Some((_, Reverse(i))) = ready.pop() else {
                    break;
                };
                running.push(async move { (i, self.one(&ops[i].kind).await) });
            }
            let Some((i, r)) = running.next().await else {
                break;
            };
            let mut stack = vec![(
                i,
                match r {
                    Ok(()) => Outcome::Done,
                    Err(e) => Outcome::Failed(e),
                },
            )];
            while let Some((i, o)) = stack.pop() {
                finished += 1;
                let ok = o == Outcome::Done;
                if !ok {
                    tracing::warn!(object = %ops[i].object, outcome = ?o, "operation did not complete");
                }
                outcome[i] = Some(o);
                for &d in &dependents[i] {
                    if outcome[d].is_some() {
                        continue;
                    }
                    if ok {
                        waiting[d] -= 1;
                        if waiting[d] == 0 {
                            ready.push((height[d], Reverse(d)));
                        }
                    } else {
                        stack.push((
                            d,
                            Outcome::Skipped(format!("{} did not complete", ops[i].object)),
                        ));
                        outcome[d] = Some(Outcome::Skipped(String::new()));
                    }
                }
            }
        }
        // Entries marked while unwinding are replaced by their real reason above;
        // anything left unset (a dependency cycle) is reported as skipped.
        outcome
            .into_iter()
            .map(|o| o.unwrap_or(Outcome::Skipped("dependency cycle".into())))
            .collect()
    }
}
