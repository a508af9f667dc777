//! `route-mapper`: the default mapping plugin.
//!
//! Turns HTTPRoute, GRPCRoute and TLSRoute rules into VPC Lattice listener
//! rules. A rule with N matches becomes N Lattice rules (OR semantics), and
//! priorities follow Gateway API precedence rather than list order. What
//! Lattice cannot express (regex, query parameters, more than five headers,
//! filters) becomes a diagnostic, and never traffic forwarded as if it could.
#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

mod matches;
mod priority;

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;
use lattice_plugin_sdk::types::*;
use lattice_plugin_sdk::{Mapper, Plugin, diagnostic};
use serde::Deserialize;

/// The anchor controller's annotation that overrides a rule's precedence;
/// `{i}` is the rule index and a higher value is evaluated first.
pub const PRIORITY_ANNOTATION_PREFIX: &str = "application-networking.k8s.aws/rule-";

/// Settings of `route-mapper`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Settings {
    /// Whether path matches are case sensitive (Lattice `caseSensitive`).
    pub case_sensitive: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            case_sensitive: true,
        }
    }
}

/// The plugin.
pub struct RouteMapper;

impl Plugin for RouteMapper {
    type Settings = Settings;
    const NAME: &'static str = "route-mapper";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
}

impl Mapper for RouteMapper {
    fn map_route(settings: &Settings, route: &Route) -> MappingResult {
        match route.kind {
            RouteKind::Tls => map_tls(route),
            RouteKind::Http | RouteKind::Grpc => map_http(settings, route),
        }
    }
}

lattice_plugin_sdk::export_mapper!(RouteMapper);

/// HTTPRoute and GRPCRoute: one Lattice rule per match.
fn map_http(settings: &Settings, route: &Route) -> MappingResult {
    let mut diagnostics = Vec::new();
    let overrides = priority::overrides(route, &mut diagnostics);
    let mut drafts = Vec::new();
    for (ri, rule) in route.rules.iter().enumerate() {
        // Lattice has no filters: the rule's traffic gets a 500 rather than
        // reaching the backend unfiltered, as the spec asks for filters that
        // cannot be applied.
        let action = match rule.filters.first() {
            None => RuleAction::Forward,
            Some(_) => {
                for f in &rule.filters {
                    diagnostics.push(diagnostic(
                        "PartiallyInvalid",
                        "IncompatibleFilters",
                        f.field.clone(),
                        format!(
                            "filter {} is not supported by VPC Lattice; the rule answers 500",
                            f.kind
                        ),
                    ));
                }
                RuleAction::FixedResponse(500)
            }
        };
        if rule.matches.is_empty() {
            let m = matches::match_all(settings);
            drafts.push(priority::Draft::new(
                ri,
                None,
                m,
                action,
                overrides.get(&ri),
            ));
            continue;
        }
        for (mi, m) in rule.matches.iter().enumerate() {
            let at = matches::At {
                rule: ri,
                r#match: mi,
            };
            if let Some(lm) = matches::translate(settings, m, at, &mut diagnostics) {
                drafts.push(priority::Draft::new(
                    ri,
                    Some(mi),
                    lm,
                    action,
                    overrides.get(&ri),
                ));
            }
        }
    }
    let rules = priority::assign(drafts, &mut diagnostics);
    MappingResult {
        rules,
        default_rule: None,
        diagnostics,
    }
}

/// TLSRoute: a TLS_PASSTHROUGH listener takes no rules, so the single rule's
/// backends become its default action. Lattice routes passthrough by SNI, so
/// the route needs a hostname.
fn map_tls(route: &Route) -> MappingResult {
    let mut diagnostics = Vec::new();
    if route.hostnames.is_empty() {
        diagnostics.push(diagnostic(
            "Accepted",
            "UnsupportedValue",
            "spec.hostnames",
            "a TLSRoute needs a hostname: VPC Lattice TLS passthrough routes by SNI on the service's custom domain name",
        ));
    }
    for ri in 1..route.rules.len() {
        diagnostics.push(diagnostic(
            "PartiallyInvalid",
            "UnsupportedValue",
            format!("spec.rules[{ri}]"),
            "a VPC Lattice TLS_PASSTHROUGH listener has a single default action; only spec.rules[0] is used",
        ));
    }
    let default_rule = (!route.hostnames.is_empty() && !route.rules.is_empty()).then_some(0);
    if route.rules.is_empty() {
        diagnostics.push(diagnostic(
            "Accepted",
            "UnsupportedValue",
            "spec.rules",
            "a TLSRoute needs one rule with backendRefs",
        ));
    }
    MappingResult {
        rules: vec![],
        default_rule,
        diagnostics,
    }
}

#[cfg(test)]
mod tests;
