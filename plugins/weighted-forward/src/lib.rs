//! `weighted-forward`: the default weighting plugin.
//!
//! Turns one rule's backendRefs into a Lattice forward action. Weights keep
//! their ratios when scaled into Lattice's 0–999 range (largest-remainder
//! rounding); unresolved backends are left out with a `ResolvedRefs` reason;
//! a rule with nothing to forward to answers 500, as the Gateway API asks.
#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use lattice_plugin_sdk::types::*;
use lattice_plugin_sdk::{Plugin, Weigher, diagnostic};
use serde::Deserialize;

/// Lattice's largest target group weight.
pub const MAX_WEIGHT: u32 = 999;
/// Lattice's limit of target groups in one forward action.
pub const MAX_TARGET_GROUPS: usize = 10;

/// Settings of `weighted-forward` (none yet; unknown keys are rejected).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {}

/// The plugin.
pub struct WeightedForward;

impl Plugin for WeightedForward {
    type Settings = Settings;
    const NAME: &'static str = "weighted-forward";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
}

impl Weigher for WeightedForward {
    fn weigh_rule(_: &Settings, rule: &RuleBackends) -> WeightingResult {
        let mut diagnostics = Vec::new();
        // Two refs to the same Service port are one target group to Lattice.
        let mut weights: BTreeMap<&str, (usize, u64)> = BTreeMap::new();
        for (i, b) in rule.backends.iter().enumerate() {
            let reason = match b.resolution {
                Resolution::Resolved => {
                    let e = weights.entry(b.target_group.as_str()).or_insert((i, 0));
                    e.1 += u64::from(b.weight.unwrap_or(1));
                    continue;
                }
                Resolution::NotFound => "BackendNotFound",
                Resolution::InvalidKind => "InvalidKind",
                Resolution::NotPermitted => "RefNotPermitted",
            };
            diagnostics.push(diagnostic(
                "ResolvedRefs",
                reason,
                b.field.clone(),
                unresolved_message(b),
            ));
        }
        let mut groups: Vec<(usize, &str, u64)> =
            weights.into_iter().map(|(tg, (i, w))| (i, tg, w)).collect();
        groups.sort();
        let field = format!("spec.rules[{}].backendRefs", rule.rule_index);
        if groups.len() > MAX_TARGET_GROUPS {
            diagnostics.push(diagnostic(
                "PartiallyInvalid",
                "UnsupportedValue",
                field,
                format!(
                    "{} target groups in one rule; VPC Lattice forwards to at most {MAX_TARGET_GROUPS}, so the rule answers 500",
                    groups.len()
                ),
            ));
            return fixed_500(diagnostics);
        }
        if groups.iter().all(|g| g.2 == 0) {
            return fixed_500(diagnostics);
        }
        let raw: Vec<u64> = groups.iter().map(|g| g.2).collect();
        let scaled = scale(&raw, MAX_WEIGHT);
        let targets = groups
            .iter()
            .zip(scaled)
            .map(|(g, weight)| WeightedTarget {
                target_group: g.1.to_string(),
                weight,
            })
            .collect();
        WeightingResult {
            action: WeightedAction::Forward(targets),
            diagnostics,
        }
    }
}

lattice_plugin_sdk::export_weigher!(WeightedForward);

fn fixed_500(diagnostics: Vec<Diagnostic>) -> WeightingResult {
    WeightingResult {
        action: WeightedAction::FixedResponse(500),
        diagnostics,
    }
}

fn unresolved_message(b: &Backend) -> String {
    match b.resolution {
        Resolution::NotFound => format!("backend {} not found", b.display),
        Resolution::InvalidKind => format!(
            "backend {} is not a core Service or an application-networking.k8s.aws ServiceImport",
            b.display
        ),
        // The host names the missing grant in the display.
        _ => format!("backend {}", b.display),
    }
}

/// Scales weights so the largest is at most `max`, keeping their ratios
/// (largest-remainder rounding); non-zero weights stay at least 1.
pub fn scale(weights: &[u64], max: u32) -> Vec<u32> {
    let top = weights.iter().copied().max().unwrap_or(0);
    if top <= u64::from(max) {
        return weights.iter().map(|&w| w as u32).collect();
    }
    let total: u64 = weights.iter().sum();
    // Quotas in units of 1/top: w * max / top, exactly, as (floor, remainder).
    let parts: Vec<(u64, u64)> = weights
        .iter()
        .map(|&w| {
            let n = u128::from(w) * u128::from(max);
            ((n / u128::from(top)) as u64, (n % u128::from(top)) as u64)
        })
        .collect();
    let target =
        ((u128::from(total) * u128::from(max) + u128::from(top) / 2) / u128::from(top)) as u64;
    let mut out: Vec<u64> = parts.iter().map(|p| p.0).collect();
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|&a, &b| parts[b].1.cmp(&parts[a].1).then(a.cmp(&b)));
    let mut left = target.saturating_sub(out.iter().sum());
    for &i in &order {
        if left == 0 {
            break;
        }
        if out[i] < u64::from(max) {
            out[i] += 1;
            left -= 1;
        }
    }
    out.iter()
        .zip(weights)
        .map(|(&s, &w)| if w > 0 { s.max(1) as u32 } else { 0 })
        .collect()
}

#[cfg(test)]
mod tests;
