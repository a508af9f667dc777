//! An example weighting plugin: every resolved backend of a rule gets the
//! same weight, whatever the route asked for, optionally capped to the first
//! `maxBackends`. It shows the whole shape of a plugin in one file:
//! settings, the stage trait, the export macro, and native unit tests.
//!
//! Build and use it:
//!
//! ```sh
//! cargo build -p equal-split --release --target wasm32-wasip2
//! cargo run -p lattice-host -- plan -f examples/bookstore \
//!   --plugin weighting=target/wasm32-wasip2/release/equal_split.wasm \
//!   --plugin-settings 'weighting={"maxBackends":2}'
//! ```
#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

use alloc::vec::Vec;

use lattice_plugin_sdk::types::*;
use lattice_plugin_sdk::{Plugin, Weigher, diagnostic};
use serde::Deserialize;

/// Settings: `{"maxBackends": N}`, default 10 (Lattice's limit).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Settings {
    /// Forward to at most this many backends.
    pub max_backends: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { max_backends: 10 }
    }
}

/// The plugin.
pub struct EqualSplit;

impl Plugin for EqualSplit {
    type Settings = Settings;
    const NAME: &'static str = "equal-split";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn check_settings(s: &Settings) -> Result<(), alloc::string::String> {
        if (1..=10).contains(&s.max_backends) {
            Ok(())
        } else {
            Err("maxBackends must be 1 to 10, VPC Lattice's limit per forward action".into())
        }
    }
}

impl Weigher for EqualSplit {
    fn weigh_rule(settings: &Settings, rule: &RuleBackends) -> WeightingResult {
        let mut diagnostics = Vec::new();
        let mut targets: Vec<WeightedTarget> = Vec::new();
        for b in &rule.backends {
            if b.resolution != Resolution::Resolved {
                diagnostics.push(diagnostic(
                    "ResolvedRefs",
                    "BackendNotFound",
                    b.field.clone(),
                    "backend not resolved",
                ));
                continue;
            }
            if targets.iter().all(|t| t.target_group != b.target_group)
                && targets.len() < settings.max_backends
            {
                targets.push(WeightedTarget {
                    target_group: b.target_group.clone(),
                    weight: 1,
                });
            }
        }
        let action = if targets.is_empty() {
            WeightedAction::FixedResponse(500)
        } else {
            WeightedAction::Forward(targets)
        };
        WeightingResult {
            action,
            diagnostics,
        }
    }
}

lattice_plugin_sdk::export_weigher!(EqualSplit);

#[cfg(test)]
mod tests {
    use super::*;
    use lattice_plugin_sdk::testing::*;

    #[test]
    fn requested_weights_are_replaced_by_an_even_split() {
        let rule = rule_backends(vec![backend("a", Some(90)), backend("b", Some(10))]);
        let res = lattice_plugin_sdk::weigh_rules::<EqualSplit>("", &[rule]).remove(0);
        let WeightedAction::Forward(ts) = res.action else {
            panic!("expected forward")
        };
        assert!(ts.iter().all(|t| t.weight == 1));
        assert_eq!(ts.len(), 2);
    }

    #[test]
    fn max_backends_caps_the_forward_and_is_validated() {
        let rule = rule_backends(vec![
            backend("a", None),
            backend("b", None),
            backend("c", None),
        ]);
        let res = lattice_plugin_sdk::weigh_rules::<EqualSplit>(r#"{"maxBackends":1}"#, &[rule])
            .remove(0);
        assert_eq!(
            res.action,
            WeightedAction::Forward(vec![WeightedTarget {
                target_group: "a".into(),
                weight: 1
            }])
        );
        assert!(lattice_plugin_sdk::parse_settings::<EqualSplit>(r#"{"maxBackends":11}"#).is_err());
    }
}
