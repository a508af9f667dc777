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
    let mut at: BTreeMap<u32, String> = current.iter().map(|(id, p)| (*p, id.clone())).collect();
    let mut prio: BTreeMap<String, u32> = current.iter().cloned().collect();
    let targets: BTreeSet<u32> = changes.iter().filter_map(|c| c.priority).collect();
    let mut pending: Vec<RuleChange> = changes;
    let mut out = Vec::new();
    while !pending.is_empty() {
        let mut batch: Vec<RuleChange> = Vec::new();
        let mut in_batch: BTreeSet<String> = BTreeSet::new();
        loop {
            if batch.len() == MAX_BATCH {
                break;
            }
            let ready = pending.iter().position(|c| {
                !in_batch.contains(&c.rule_id)
                    && match c.priority {
                        None => true,
                        Some(t) => at.get(&t).is_none_or(|who| who == &c.rule_id),
                    }
            });
            if let Some(i) = ready {
                let c = pending.remove(i);
                if let Some(t) = c.priority {
                    if let Some(old) = prio.insert(c.rule_id.clone(), t) {
                        at.remove(&old);
                    }
                    at.insert(t, c.rule_id.clone());
                }
                in_batch.insert(c.rule_id.clone());
                batch.push(c);
                continue;
            }
            // A whole cycle fits in one batch: its final state is a permutation.
            if let Some(cycle) = find_cycle(&pending, &at, &in_batch, MAX_BATCH - batch.len()) {
                let mut moved: Vec<RuleChange> = Vec::new();
                for i in cycle.into_iter().rev() {
                    moved.push(pending.remove(i));
                }
                for c in &moved {
                    if let Some(old) = prio.get(&c.rule_id) {
                        at.remove(old);
                    }
                }
                for c in moved {
                    if let Some(t) = c.priority {
                        prio.insert(c.rule_id.clone(), t);
                        at.insert(t, c.rule_id.clone());
                    }
                    in_batch.insert(c.rule_id.clone());
                    batch.push(c);
                }
                continue;
            }
            if !batch.is_empty() {
                break;
            }
            // Every pending move waits on another: park the first on a free priority.
            let Some(c) = pending.first() else { break };
            let Some(tmp) = (1..=MAX_PRIORITY)
                .rev()
                .find(|p| !at.contains_key(p) && !targets.contains(p))
            else {
                // No free priority at all: send the rest as one batch and let
                // Lattice say what is wrong.
                batch.append(&mut pending);
                break;
            };
            let id = c.rule_id.clone();
            if let Some(old) = prio.insert(id.clone(), tmp) {
                at.remove(&old);
            }
            at.insert(tmp, id.clone());
            in_batch.insert(id.clone());
            batch.push(RuleChange {
                rule_id: id,
                priority: Some(tmp),
                r#match: None,
                action: None,
            });
        }
        out.push(batch);
    }
    out
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
