//! The oracle of one plugin answer: would the host accept it? Written from
//! VPC Lattice's limits and the host's documented promises
//! (`ARCHITECTURE.md`: priorities unique and in Lattice's range, at most 10
//! target groups per forward action, weights within Lattice's range, header
//! matches within Lattice's limits, auth policy JSON valid and at most
//! 10 KB), not from its validation code. Lengths are in bytes, as the host
//! counts them: stricter than Lattice's characters, never looser.

use std::collections::BTreeSet;

use lattice_plugin_sdk::types::*;

use crate::lattice::{self, MAX_AUTH_POLICY_BYTES, MAX_HEADER_MATCHES, MAX_TARGET_GROUPS};

/// Diagnostics one answer may carry.
pub const MAX_DIAGNOSTICS: usize = 64;
/// Longest diagnostic message, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 1024;
/// Longest diagnostic field path, in bytes.
pub const MAX_FIELD_BYTES: usize = 256;

/// Why the host must refuse this mapping answer for `route`, if it must.
pub fn mapping(route: &Route, m: &MappingResult) -> Result<(), String> {
    let mut priorities = BTreeSet::new();
    for r in &m.rules {
        let Some(rule) = route.rules.get(r.rule_index as usize) else {
            return Err(format!("rule {} does not exist", r.rule_index));
        };
        if r.match_index
            .is_some_and(|mi| mi as usize >= rule.matches.len())
        {
            return Err(format!("match {:?} does not exist", r.match_index));
        }
        if !lattice::PRIORITIES.contains(&r.priority) || !priorities.insert(r.priority) {
            return Err(format!(
                "priority {} out of range or used twice",
                r.priority
            ));
        }
        lattice_match(&r.r#match)?;
        if let RuleAction::FixedResponse(c) = r.action {
            fixed(c)?;
        }
    }
    match m.default_rule {
        Some(d) if route.kind != RouteKind::Tls || d as usize >= route.rules.len() => {
            return Err(format!("default rule {d}"));
        }
        _ => {}
    }
    diagnostics(&m.diagnostics)
}

fn lattice_match(m: &LatticeMatch) -> Result<(), String> {
    if let Some(method) = &m.method
        && (!(1..=16).contains(&method.len()) || !method.bytes().all(|b| b.is_ascii_uppercase()))
    {
        return Err(format!("method {method:?}"));
    }
    if let Some(p) = &m.path {
        lattice::path(&p.value)?;
    }
    if m.headers.len() > MAX_HEADER_MATCHES {
        return Err(format!("{} header matches", m.headers.len()));
    }
    for h in &m.headers {
        if !(1..=100).contains(&h.name.len()) || !(1..=200).contains(&h.value.len()) {
            return Err(format!("header {:?}: {:?}", h.name, h.value));
        }
    }
    Ok(())
}

fn fixed(code: u16) -> Result<(), String> {
    match code {
        404 | 500 => Ok(()),
        c => Err(format!("fixed response {c}")),
    }
}

/// Why the host must refuse this weighting answer for `rule`, if it must:
/// it may forward only to the rule's resolved target groups.
pub fn weighting(rule: &RuleBackends, w: &WeightingResult) -> Result<(), String> {
    let known: BTreeSet<&str> = rule
        .backends
        .iter()
        .filter(|b| b.resolution == Resolution::Resolved)
        .map(|b| b.target_group.as_str())
        .collect();
    match &w.action {
        WeightedAction::FixedResponse(c) => fixed(*c)?,
        WeightedAction::Forward(ts) => {
            if ts.is_empty() || ts.len() > MAX_TARGET_GROUPS {
                return Err(format!("{} target groups", ts.len()));
            }
            let mut seen = BTreeSet::new();
            for t in ts {
                if t.weight > lattice::MAX_WEIGHT
                    || !known.contains(t.target_group.as_str())
                    || !seen.insert(&t.target_group)
                {
                    return Err(format!("target {t:?}"));
                }
            }
        }
    }
    diagnostics(&w.diagnostics)
}

/// Why the host must refuse this auth answer, if it must.
pub fn auth(a: &AuthResult) -> Result<(), String> {
    match (a.auth_type.as_str(), &a.policy) {
        ("NONE" | "AWS_IAM", None) => {}
        ("AWS_IAM", Some(p)) => {
            if p.len() > MAX_AUTH_POLICY_BYTES {
                return Err("policy too big".into());
            }
            match serde_json::from_str::<serde_json::Value>(p) {
                Ok(v) if v.is_object() => {}
                _ => return Err("policy is not a JSON object".into()),
            }
        }
        (t, p) => return Err(format!("auth type {t:?} with policy {p:?}")),
    }
    diagnostics(&a.diagnostics)
}

/// A plugin's diagnostics: few enough, each with a condition, a reason a
/// Kubernetes condition can carry, and a bounded message and field.
fn diagnostics(ds: &[Diagnostic]) -> Result<(), String> {
    if ds.len() > MAX_DIAGNOSTICS {
        return Err(format!("{} diagnostics", ds.len()));
    }
    for d in ds {
        if d.condition.is_empty()
            || !lattice::condition_reason(&d.reason)
            || d.message.len() > MAX_MESSAGE_BYTES
            || d.field.len() > MAX_FIELD_BYTES
        {
            return Err(format!("diagnostic {d:?}"));
        }
    }
    Ok(())
}

/// Why VPC Lattice cannot express a Gateway API match, if it cannot: no
/// regular expressions, no query parameters, at most five headers matched
/// exactly, paths and header names and values within Lattice's alphabet
/// and lengths, and a gRPC method only under a service.
pub fn route_match(m: &RouteMatch) -> Result<(), String> {
    let headers = |hs: &[HeaderMatch]| {
        if hs.len() > MAX_HEADER_MATCHES {
            return Err(format!("{} headers", hs.len()));
        }
        for h in hs {
            if h.match_type != MatchType::Exact {
                return Err(format!("header {:?} is not matched exactly", h.name));
            }
            if !(1..=100).contains(&h.name.len()) || !(1..=200).contains(&h.value.len()) {
                return Err(format!("header {:?}: {:?}", h.name, h.value));
            }
        }
        Ok(())
    };
    match m {
        RouteMatch::Http(h) => {
            if let Some(p) = &h.path {
                if p.match_type == MatchType::RegularExpression {
                    return Err("regular expression path".into());
                }
                lattice::path(&p.value)?;
            }
            if !h.query_params.is_empty() {
                return Err("query parameters".into());
            }
            headers(&h.headers)
        }
        RouteMatch::Grpc(g) => {
            if g.match_type == MatchType::RegularExpression {
                return Err("regular expression method".into());
            }
            match (&g.service, &g.method) {
                (Some(s), Some(m)) => lattice::path(&format!("/{s}/{m}"))?,
                (Some(s), None) => lattice::path(&format!("/{s}/"))?,
                (None, Some(_)) => return Err("a method without a service".into()),
                (None, None) => {}
            }
            headers(&g.headers)
        }
    }
}
