//! A plugin that answers what its settings say, for the host's fuzzed
//! tests: arbitrary answers cross the component boundary exactly as a
//! plugin would give them, and meet the host's validation there.
//!
//! One component exports all three stages; the host loads it once per
//! stage. Settings (the SDK's types, as serde writes them):
//!
//! ```json
//! {"mapping": {"<namespace>/<name>": MappingResult},
//!  "weighting": {"<namespace>/<name>#<rule index>": WeightingResult},
//!  "auth": {"<object kind> <namespace>/<name>": AuthResult},
//!  "trap": ["<key>", ...]}
//! ```
//!
//! An input with no answer gets an empty one (no rules, a 500, no auth); a
//! key in `trap` makes the plugin trap on that input.
#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use lattice_plugin_sdk::types::*;
use lattice_plugin_sdk::{Authorizer, Mapper, Plugin, Weigher};
use serde::Deserialize;

/// The answers, by input.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Mapping answers by route `namespace/name`.
    pub mapping: BTreeMap<String, MappingResult>,
    /// Weighting answers by `namespace/name#rule index`.
    pub weighting: BTreeMap<String, WeightingResult>,
    /// Auth answers by target `object kind namespace/name`, e.g.
    /// `Gateway app/mesh`.
    pub auth: BTreeMap<String, AuthResult>,
    /// Inputs, by the same keys, that make the plugin trap.
    pub trap: BTreeSet<String>,
}

impl Settings {
    fn answer<T: Clone>(&self, answers: &BTreeMap<String, T>, key: String) -> Option<T> {
        if self.trap.contains(&key) {
            panic!("deliberate trap");
        }
        answers.get(&key).cloned()
    }
}

/// The plugin.
pub struct Echo;

impl Plugin for Echo {
    type Settings = Settings;
    const NAME: &'static str = "echo";
    const VERSION: &'static str = "0.0.0";
}

impl Mapper for Echo {
    fn map_route(s: &Settings, route: &Route) -> MappingResult {
        s.answer(&s.mapping, format!("{}", route.id))
            .unwrap_or_default()
    }
}

impl Weigher for Echo {
    fn weigh_rule(s: &Settings, rule: &RuleBackends) -> WeightingResult {
        let key = format!("{}#{}", rule.route, rule.rule_index);
        s.answer(&s.weighting, key).unwrap_or(WeightingResult {
            action: WeightedAction::FixedResponse(500),
            diagnostics: Vec::new(),
        })
    }
}

impl Authorizer for Echo {
    fn decide_auth(s: &Settings, target: &AuthTarget) -> AuthResult {
        s.answer(&s.auth, format!("{} {}", target.object_kind, target.id))
            .unwrap_or(AuthResult {
                auth_type: String::from("NONE"),
                policy: None,
                diagnostics: Vec::new(),
            })
    }
}

lattice_plugin_sdk::export_mapper!(Echo);
lattice_plugin_sdk::export_weigher!(Echo);
lattice_plugin_sdk::export_authorizer!(Echo);
