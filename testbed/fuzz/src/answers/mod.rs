//! Arbitrary plugin answers for the routes, rules and targets of a plan.
//! Each answer is sound (within every limit the host checks, often at the
//! edge: weights 0 and 999, priorities 1 and 2000, policies just under the
//! quota), or, in one stage per case, has one fault: a priority out of range
//! or used twice, a rule or match that does not exist, an unknown or
//! repeated target group, a weight above 999, eleven target groups, an
//! invalid path, method or header, a status code Lattice has no fixed
//! response for, a bad auth type or policy, too many or malformed
//! diagnostics. Any input may also make the plugin fail outright.

mod auth;
mod faults;
mod mapping;
mod weighting;

pub use auth::auth;
pub use mapping::mapping;
pub use weighting::weighting;

use std::collections::{BTreeMap, BTreeSet};

use lattice_core::model::{RouteIntent, ServiceNetworkIntent};
use lattice_plugin_sdk::types::*;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

/// What a scripted plugin answers, by input; also the settings of the echo
/// plugin (`testbed/plugins/echo`), which answers the same across the
/// component boundary.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Script {
    /// Mapping answers by [`route_key`].
    pub mapping: BTreeMap<String, MappingResult>,
    /// Weighting answers by [`rule_key`].
    pub weighting: BTreeMap<String, WeightingResult>,
    /// Auth answers by [`target_key`].
    pub auth: BTreeMap<String, AuthResult>,
    /// Inputs, by the same keys, on which the plugin traps.
    pub trap: BTreeSet<String>,
    /// Inputs on which the plugin answers one result too many (native
    /// stages only: a component's answers come through the SDK, one each).
    #[serde(skip)]
    pub miscount: BTreeSet<String>,
}

/// The key of a route's mapping answer: `namespace/name`.
pub fn route_key(r: &Route) -> String {
    r.id.to_string()
}

/// The key of a rule's weighting answer: `namespace/name#rule index`.
pub fn rule_key(r: &RuleBackends) -> String {
    format!("{}#{}", r.route, r.rule_index)
}

/// The key of a target's auth answer: `Kind namespace/name`, as plan
/// diagnostics name the object.
pub fn target_key(t: &AuthTarget) -> String {
    format!("{} {}", t.object_kind, t.id)
}

/// The answer to each input; with none scripted, what the echo plugin
/// gives (no rules, a 500, no auth), all of them valid.
impl Script {
    /// The mapping answer for `r`.
    pub fn map(&self, r: &Route) -> MappingResult {
        self.mapping.get(&route_key(r)).cloned().unwrap_or_default()
    }
    /// The weighting answer for `r`.
    pub fn weigh(&self, r: &RuleBackends) -> WeightingResult {
        self.weighting
            .get(&rule_key(r))
            .cloned()
            .unwrap_or(WeightingResult {
                action: WeightedAction::FixedResponse(500),
                diagnostics: vec![],
            })
    }
    /// The auth answer for `t`.
    pub fn decide(&self, t: &AuthTarget) -> AuthResult {
        self.auth
            .get(&target_key(t))
            .cloned()
            .unwrap_or(AuthResult {
                auth_type: "NONE".into(),
                policy: None,
                diagnostics: vec![],
            })
    }
}

/// A script for every input these routes and service networks can give.
/// One stage's answers may be faulty (the others are sound, so that a
/// faulty answer's route gets as far as the plan), and any input may make
/// the plugin fail.
pub fn script(
    routes: &[RouteIntent],
    sns: &[ServiceNetworkIntent],
) -> impl Strategy<Value = Script> + use<> {
    let mapped: Vec<Route> = routes.iter().map(|r| r.route.clone()).collect();
    let weighed: Vec<RuleBackends> = routes
        .iter()
        .flat_map(|r| r.rules.iter().cloned())
        .collect();
    let targets: Vec<String> = sns
        .iter()
        .map(|sn| &sn.auth)
        .chain(routes.iter().filter_map(|r| r.auth.as_ref()))
        .map(target_key)
        .collect();
    // Weighting has the fewest inputs that reach a plan: it is faulty more often.
    let stage = prop_oneof![
        2 => Just(Stage::Mapping),
        3 => Just(Stage::Weighting),
        2 => Just(Stage::Auth),
    ];
    stage.prop_flat_map(move |faulty| {
        let maps: Vec<_> = mapped
            .iter()
            .map(|r| (Just(route_key(r)), mapping(r, faulty == Stage::Mapping)))
            .collect();
        let weighs: Vec<_> = weighed
            .iter()
            .map(|rule| {
                (
                    Just(rule_key(rule)),
                    weighting(rule, faulty == Stage::Weighting),
                )
            })
            .collect();
        let auths: Vec<_> = targets
            .iter()
            .map(|t| (Just(t.clone()), auth(faulty == Stage::Auth)))
            .collect();
        let mut keys: Vec<String> = mapped.iter().map(route_key).collect();
        keys.extend(weighed.iter().map(rule_key));
        keys.extend(targets.iter().cloned());
        // One input in thirty fails outright; one in forty answers too much.
        let faults =
            |n: u32| prop::collection::vec(prop::bool::weighted(1.0 / f64::from(n)), keys.len());
        (maps, weighs, auths, faults(30), faults(40)).prop_map(
            move |(maps, weighs, auths, trap, miscount)| {
                let pick = |flags: Vec<bool>| {
                    keys.iter()
                        .zip(flags)
                        .filter(|(_, f)| *f)
                        .map(|(k, _)| k.clone())
                        .collect()
                };
                Script {
                    mapping: maps.into_iter().collect(),
                    weighting: weighs.into_iter().collect(),
                    auth: auths.into_iter().collect(),
                    trap: pick(trap),
                    miscount: pick(miscount),
                }
            },
        )
    })
}
