//! The dependency graph, run with bounded concurrency: an operation starts
//! once everything it waits for is done, and is skipped once any of it failed.

use super::{Executor, Outcome};
use crate::ops::Op;
use futures::stream::{FuturesUnordered, StreamExt};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Who waits for whom, and how long a chain hangs behind each operation.
struct Graph {
    dependents: Vec<Vec<usize>>,
    height: Vec<u32>,
}

impl Graph {
    fn new(ops: &[Op]) -> Self {
        let n = ops.len();
        let mut dependents: Vec<Vec<usize>> = vec![vec![]; n];
        for (i, o) in ops.iter().enumerate() {
            for &d in &o.deps {
                if d < n {
                    dependents[d].push(i);
                }
            }
        }
        let mut height = vec![0u32; n];
        for i in (0..n).rev() {
            height[i] = dependents[i]
                .iter()
                .map(|&d| height[d] + 1)
                .max()
                .unwrap_or(0);
        }
        Graph { dependents, height }
    }
}

/// How far a run is.
struct Progress {
    outcome: Vec<Option<Outcome>>,
    /// Per operation: dependencies not yet done.
    waiting: Vec<usize>,
    /// Highest first: an operation with a long chain of dependents behind it
    /// (service → listener → rules) starts before a leaf (targets), which
    /// keeps the tail of the run full.
    ready: BinaryHeap<(u32, Reverse<usize>)>,
    finished: usize,
}

impl Progress {
    fn new(ops: &[Op], g: &Graph) -> Self {
        let waiting: Vec<usize> = ops.iter().map(|o| o.deps.len()).collect();
        let ready = (0..ops.len())
            .filter(|&i| waiting[i] == 0)
            .map(|i| (g.height[i], Reverse(i)))
            .collect();
        Progress {
            outcome: vec![None; ops.len()],
            waiting,
            ready,
            finished: 0,
        }
    }

    /// Record that `i` ended with `o`: release its dependents, or skip them
    /// (and theirs) if it did not complete.
    fn settle(&mut self, ops: &[Op], g: &Graph, i: usize, o: Outcome) {
        let mut stack = vec![(i, o)];
        while let Some((i, o)) = stack.pop() {
            self.finished += 1;
            let ok = o == Outcome::Done;
            if !ok {
                tracing::warn!(object = %ops[i].object, outcome = ?o, "operation did not complete");
            }
            self.outcome[i] = Some(o);
            for &d in &g.dependents[i] {
                if self.outcome[d].is_some() {
                    continue;
                }
                if ok {
                    self.waiting[d] -= 1;
                    if self.waiting[d] == 0 {
                        self.ready.push((g.height[d], Reverse(d)));
                    }
                } else {
                    let why = format!("{} did not complete", ops[i].object);
                    stack.push((d, Outcome::Skipped(why)));
                    // A placeholder, replaced by the real reason when popped.
                    self.outcome[d] = Some(Outcome::Skipped(String::new()));
                }
            }
        }
    }

    /// Outcomes by index; anything left unset (a dependency cycle) is skipped.
    fn outcomes(self) -> Vec<Outcome> {
        self.outcome
            .into_iter()
            .map(|o| o.unwrap_or(Outcome::Skipped("dependency cycle".into())))
            .collect()
    }
}

impl Executor<'_> {
    /// Run `ops` with at most `concurrency` in flight; outcomes by index.
    pub async fn run(&self, ops: &[Op], concurrency: usize) -> Vec<Outcome> {
        let g = Graph::new(ops);
        let mut p = Progress::new(ops, &g);
        let mut running = FuturesUnordered::new();
        while p.finished < ops.len() {
            while running.len() < concurrency.max(1) {
                let Some((_, Reverse(i))) = p.ready.pop() else {
                    break;
                };
                running.push(async move { (i, self.one(&ops[i].kind).await) });
            }
            let Some((i, r)) = running.next().await else {
                break;
            };
            let o = match r {
                Ok(()) => Outcome::Done,
                Err(e) => Outcome::Failed(e),
            };
            p.settle(ops, &g, i, o);
        }
        p.outcomes()
    }
}
