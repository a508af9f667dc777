//! A mapping plugin that misbehaves on request, for the host's fault tests.
//! Its settings pick the fault: `{"fault": "trap" | "loop" | "memory" |
//! "invalid" | "none"}`; `"onRoute"` limits it to routes of that name.
#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use lattice_plugin_sdk::types::*;
use lattice_plugin_sdk::{Mapper, Plugin};
use serde::Deserialize;

/// Settings.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    /// Which fault.
    pub fault: String,
    /// Only misbehave for the route with this name.
    pub on_route: Option<String>,
}

/// The plugin.
pub struct Faulty;

impl Plugin for Faulty {
    type Settings = Settings;
    const NAME: &'static str = "faulty";
    const VERSION: &'static str = "0.0.0";
}

impl Mapper for Faulty {
    fn map_route(s: &Settings, route: &Route) -> MappingResult {
        let fault = match &s.on_route {
            Some(name) if name != &route.id.name => "none",
            _ => s.fault.as_str(),
        };
        match fault {
            "trap" => panic!("deliberate trap"),
            "loop" => {
                let mut n: u64 = 0;
                loop {
                    n = core::hint::black_box(n.wrapping_add(1));
                }
            }
            "memory" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    core::hint::black_box(&hoard);
                }
            }
            "invalid" => MappingResult {
                rules: vec![rule(0), rule(0)],
                ..Default::default()
            },
            _ => MappingResult {
                rules: vec![rule(1)],
                ..Default::default()
            },
        }
    }
}

fn rule(priority: u32) -> MappedRule {
    MappedRule {
        rule_index: 0,
        match_index: None,
        priority,
        r#match: LatticeMatch::default(),
        action: RuleAction::FixedResponse(404),
    }
}

lattice_plugin_sdk::export_mapper!(Faulty);
