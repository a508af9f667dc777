//! Lattice rule priorities from Gateway API precedence.
//!
//! Matches are ordered as the spec orders them: exact path, then longest
//! prefix, then method, then most headers, then most query parameters, then
//! list order. Each match then gets an *ideal* priority from its specificity
//! band alone, bumped just past its predecessor when bands collide. A new rule
//! therefore moves only rules in its own band, and Lattice sees few updates.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::vec::Vec;

use crate::PRIORITY_ANNOTATION_PREFIX;
use lattice_plugin_sdk::diagnostic;
use lattice_plugin_sdk::types::*;

/// Lattice's priority range.
pub const MIN_PRIORITY: u32 = 1;
/// Lattice's priority range.
pub const MAX_PRIORITY: u32 = 2000;

/// Prefix lengths at or above this share the most specific prefix band.
const LONG_PREFIX: usize = 40;
/// Slots per band before rules spill into the next band.
const BAND_WIDTH: u32 = 3;
/// Priorities below this are kept for annotated rules.
const FIRST_SPEC_PRIORITY: u32 = 2000 - 492 * BAND_WIDTH;

/// A mapped rule before its priority is known.
pub struct Draft {
    rule: MappedRule,
    /// The rule-priority annotation's number: lower goes first, as a
    /// Lattice priority does.
    precedence: Option<u32>,
}

impl Draft {
    /// A draft of rule `ri`, match `mi`.
    pub fn new(
        ri: usize,
        mi: Option<usize>,
        m: LatticeMatch,
        action: RuleAction,
        precedence: Option<&u32>,
    ) -> Self {
        Draft {
            rule: MappedRule {
                rule_index: ri as u32,
                match_index: mi.map(|i| i as u32),
                priority: 0,
                r#match: m,
                action,
            },
            precedence: precedence.copied(),
        }
    }

    fn path(&self) -> (bool, usize) {
        match &self.rule.r#match.path {
            Some(p) => (p.path_type == LatticePathType::Exact, p.value.len()),
            None => (false, 0),
        }
    }

    /// Sort key: smaller is evaluated first. Annotated rules come first,
    /// by their number as a Lattice priority (lower first), which is what
    /// the Go controller does with it: it writes the number as the rule's
    /// Lattice priority.
    fn key(&self) -> impl Ord + use<> {
        let (exact, len) = self.path();
        (
            (self.precedence.is_none(), self.precedence.unwrap_or(0)),
            !exact,
            core::cmp::Reverse(len),
            self.rule.r#match.method.is_none(),
            core::cmp::Reverse(self.rule.r#match.headers.len()),
            self.rule.rule_index,
            self.rule.match_index,
        )
    }

    /// The priority this draft would get with no neighbours in its band.
    fn ideal(&self) -> u32 {
        if self.precedence.is_some() {
            return MIN_PRIORITY;
        }
        let (exact, len) = self.path();
        let path_band = if exact {
            0
        } else {
            1 + (LONG_PREFIX - len.clamp(1, LONG_PREFIX)) as u32
        };
        let m = &self.rule.r#match;
        let method_band = u32::from(m.method.is_none());
        let header_band = 5u32.saturating_sub(m.headers.len() as u32);
        let band = path_band * 12 + method_band * 6 + header_band;
        FIRST_SPEC_PRIORITY + band * BAND_WIDTH
    }
}

/// Reads `application-networking.k8s.aws/rule-{i}-priority` annotations.
pub fn overrides(route: &Route, diags: &mut Vec<Diagnostic>) -> BTreeMap<usize, u32> {
    let mut out = BTreeMap::new();
    for kv in &route.annotations {
        let Some(index) = kv
            .key
            .strip_prefix(PRIORITY_ANNOTATION_PREFIX)
            .and_then(|rest| rest.strip_suffix("-priority"))
        else {
            continue;
        };
        let field = format!("metadata.annotations[{:?}]", kv.key);
        match (index.parse::<usize>(), kv.value.trim().parse::<u32>()) {
            (Ok(i), Ok(p)) if i < route.rules.len() => {
                out.insert(i, p);
            }
            (Ok(i), Ok(_)) => diags.push(diagnostic(
                "PartiallyInvalid",
                "UnsupportedValue",
                field,
                format!(
                    "rule {i} does not exist; the route has {} rules",
                    route.rules.len()
                ),
            )),
            _ => diags.push(diagnostic(
                "PartiallyInvalid",
                "UnsupportedValue",
                field,
                format!(
                    "{:?} is not a non-negative integer priority; ignored",
                    kv.value
                ),
            )),
        }
    }
    out
}

/// Orders drafts by precedence and gives each a unique priority.
pub fn assign(mut drafts: Vec<Draft>, diags: &mut Vec<Diagnostic>) -> Vec<MappedRule> {
    drafts.sort_by_cached_key(|d| d.key());
    let mut prev = 0u32;
    let mut priorities: Vec<u32> = drafts
        .iter()
        .map(|d| {
            prev = d.ideal().max(prev + 1);
            prev
        })
        .collect();
    if prev > MAX_PRIORITY {
        // Too crowded for bands: fall back to dense ranks, order unchanged.
        priorities = (MIN_PRIORITY..).take(drafts.len()).collect();
    }
    let mut out = Vec::with_capacity(drafts.len());
    for (d, p) in drafts.into_iter().zip(priorities) {
        if p > MAX_PRIORITY {
            diags.push(diagnostic(
                "PartiallyInvalid",
                "UnsupportedValue",
                format!("spec.rules[{}]", d.rule.rule_index),
                format!("VPC Lattice allows at most {MAX_PRIORITY} rules per listener; this match is not programmed"),
            ));
            continue;
        }
        out.push(MappedRule {
            priority: p,
            ..d.rule
        });
    }
    out
}
