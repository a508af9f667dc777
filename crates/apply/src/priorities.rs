//! Priority reshuffles: split rule changes into `BatchUpdateRule` calls.
//!
//! Lattice rejects two rules of a listener with one priority, and checks the
//! state after a whole `BatchUpdateRule` (at most 10 rules per call). So:
//!
//! - at most 10 changes: one batch (its final state is the plan's, which has
//!   unique priorities once obsolete rules are gone);
//! - more: batches whose every intermediate state is valid. A move is ready
//!   when its target priority is free; chains resolve from their free end, and
//!   a cycle (A→B→…→A) is broken by parking one rule on a free temporary
//!   priority, from which it moves on in a later batch.

use crate::ops::RuleChange;
use std::collections::{BTreeMap, BTreeSet};

/// Lattice's limit on rules per `BatchUpdateRule`.
pub const MAX_BATCH: usize = 10;

/// Lattice's highest rule priority.
pub const MAX_PRIORITY: u32 = 2000;

/// Split `changes` into valid batches. `current` holds every rule that stays in
/// the listener, with its current priority.
pub fn batches(current: &[(String, u32)], changes: Vec<RuleChange>) -> Vec<Vec<RuleChange>> {
    if changes.len() <= MAX_BATCH {
        return if changes.is_empty() {
            vec![]
        } else {
            vec![changes]
        };
    }
    let mut board = Board {
        at: current.iter().map(|(id, p)| (*p, id.clone())).collect(),
        prio: current.iter().cloned().collect(),
        targets: changes.iter().filter_map(|c| c.priority).collect(),
    };
    let mut pending: Vec<RuleChange> = changes;
    let mut out = Vec::new();
    while !pending.is_empty() {
        out.push(board.next_batch(&mut pending));
    }
    out
}

/// Where every rule is once the batches so far have run.
struct Board {
    /// Rule id by priority.
    at: BTreeMap<u32, String>,
    /// Priority by rule id.
    prio: BTreeMap<String, u32>,
    /// Every priority some change moves a rule to.
    targets: BTreeSet<u32>,
}

impl Board {
    /// The next batch, taking its changes out of `pending`: ready moves,
    /// then whole cycles; if nothing is ready, one rule parked on a free
    /// priority.
    fn next_batch(&mut self, pending: &mut Vec<RuleChange>) -> Vec<RuleChange> {
        let mut batch: Vec<RuleChange> = Vec::new();
        let mut in_batch: BTreeSet<String> = BTreeSet::new();
        while batch.len() < MAX_BATCH {
            let moved = if let Some(i) = self.ready(pending, &in_batch) {
                vec![pending.remove(i)]
            } else if let Some(cycle) =
                find_cycle(pending, &self.at, &in_batch, MAX_BATCH - batch.len())
            {
                // A whole cycle fits in one batch: its final state is a permutation.
                cycle.into_iter().rev().map(|i| pending.remove(i)).collect()
            } else if !batch.is_empty() {
                break;
            } else if let Some(parked) = self.park(pending) {
                vec![parked]
            } else {
                // No free priority at all: send the rest as one batch and let
                // Lattice say what is wrong.
                batch.append(pending);
                break;
            };
            self.place(&moved);
            in_batch.extend(moved.iter().map(|c| c.rule_id.clone()));
            batch.extend(moved);
        }
        batch
    }

    /// A pending change not yet in the batch whose target priority is free
    /// (or its own), or that does not move.
    fn ready(&self, pending: &[RuleChange], in_batch: &BTreeSet<String>) -> Option<usize> {
        pending.iter().position(|c| {
            !in_batch.contains(&c.rule_id)
                && match c.priority {
                    None => true,
                    Some(t) => self.at.get(&t).is_none_or(|who| who == &c.rule_id),
                }
        })
    }

    /// Every pending move waits on another: a move of the first to a free
    /// priority no change targets (it moves on in a later batch).
    fn park(&self, pending: &[RuleChange]) -> Option<RuleChange> {
        let c = pending.first()?;
        let tmp = (1..=MAX_PRIORITY)
            .rev()
            .find(|p| !self.at.contains_key(p) && !self.targets.contains(p))?;
        Some(RuleChange {
            rule_id: c.rule_id.clone(),
            priority: Some(tmp),
            r#match: None,
            action: None,
        })
    }

    /// Apply moves made in one batch: all leave before any arrives, so a
    /// cycle's members do not evict each other.
    fn place(&mut self, moved: &[RuleChange]) {
        let moves = || moved.iter().filter_map(|c| Some((&c.rule_id, c.priority?)));
        for (id, _) in moves() {
            if let Some(old) = self.prio.get(id) {
                self.at.remove(old);
            }
        }
        for (id, t) in moves() {
            self.prio.insert(id.clone(), t);
            self.at.insert(t, id.clone());
        }
    }
}

/// Indices (ascending) of a cycle of pending moves of at most `room` rules.
fn find_cycle(
    pending: &[RuleChange],
    at: &BTreeMap<u32, String>,
    in_batch: &BTreeSet<String>,
    room: usize,
) -> Option<Vec<usize>> {
    let index: BTreeMap<&str, usize> = pending
        .iter()
        .enumerate()
        .filter(|(_, c)| !in_batch.contains(&c.rule_id))
        .map(|(i, c)| (c.rule_id.as_str(), i))
        .collect();
    for &start in index.values() {
        let mut path = vec![start];
        let mut cur = start;
        while path.len() <= room {
            let next = pending[cur]
                .priority
                .and_then(|t| at.get(&t))
                .and_then(|who| index.get(who.as_str()).copied());
            match next {
                Some(n) if n == start => {
                    path.sort_unstable();
                    return Some(path);
                }
                Some(n) if !path.contains(&n) => {
                    path.push(n);
                    cur = n;
                }
                _ => break,
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mv(id: &str, to: u32) -> RuleChange {
        RuleChange {
            rule_id: id.into(),
            priority: Some(to),
            r#match: None,
            action: None,
        }
    }

    /// Replays batches and checks every intermediate state has unique priorities.
    fn replay(current: &[(String, u32)], bs: &[Vec<RuleChange>]) -> BTreeMap<String, u32> {
        let mut p: BTreeMap<String, u32> = current.iter().cloned().collect();
        for b in bs {
            assert!(b.len() <= MAX_BATCH);
            for c in b {
                if let Some(t) = c.priority {
                    p.insert(c.rule_id.clone(), t);
                }
            }
            let uniq: BTreeSet<u32> = p.values().copied().collect();
            assert_eq!(uniq.len(), p.len(), "duplicate priority after {b:?}");
        }
        p
    }

    #[test]
    fn a_swap_of_two_rules_is_one_batch() {
        let cur = vec![("a".to_string(), 1), ("b".to_string(), 2)];
        let bs = batches(&cur, vec![mv("a", 2), mv("b", 1)]);
        assert_eq!(bs.len(), 1);
    }

    #[test]
    fn a_rotation_of_thirty_rules_needs_a_temporary_priority_and_ends_right() {
        let n = 30u32;
        let cur: Vec<(String, u32)> = (1..=n).map(|i| (format!("r{i}"), i)).collect();
        let changes: Vec<RuleChange> = (1..=n).map(|i| mv(&format!("r{i}"), i % n + 1)).collect();
        let bs = batches(&cur, changes);
        let end = replay(&cur, &bs);
        for i in 1..=n {
            assert_eq!(end[&format!("r{i}")], i % n + 1);
        }
        assert!(bs.len() <= 5, "{} batches", bs.len());
    }

    #[test]
    fn reversing_fourteen_rules_takes_two_batches_of_whole_swaps() {
        let cur: Vec<(String, u32)> = (1..=14).map(|i| (format!("r{i}"), i)).collect();
        let changes: Vec<RuleChange> = (1..=14).map(|i| mv(&format!("r{i}"), 15 - i)).collect();
        let bs = batches(&cur, changes);
        let end = replay(&cur, &bs);
        assert!((1..=14).all(|i| end[&format!("r{i}")] == 15 - i));
        assert_eq!(bs.len(), 2);
    }

    #[test]
    fn a_chain_of_twenty_shifts_resolves_from_its_free_end() {
        let cur: Vec<(String, u32)> = (1..=20).map(|i| (format!("r{i}"), i)).collect();
        let changes: Vec<RuleChange> = (1..=20).map(|i| mv(&format!("r{i}"), i + 1)).collect();
        let bs = batches(&cur, changes);
        let end = replay(&cur, &bs);
        assert!((1..=20).all(|i| end[&format!("r{i}")] == i + 1));
        assert_eq!(bs.len(), 2);
    }

    #[test]
    fn content_only_changes_are_always_ready() {
        let cur: Vec<(String, u32)> = (1..=12).map(|i| (format!("r{i}"), i)).collect();
        let changes: Vec<RuleChange> = (1..=12)
            .map(|i| RuleChange {
                rule_id: format!("r{i}"),
                priority: None,
                r#match: None,
                action: None,
            })
            .collect();
        let bs = batches(&cur, changes);
        assert_eq!(bs.iter().map(Vec::len).collect::<Vec<_>>(), vec![10, 2]);
    }
}
