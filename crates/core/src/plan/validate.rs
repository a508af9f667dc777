//! Checks every plugin answer against VPC Lattice's limits (the botocore
//! `vpc-lattice` model and the service quotas) before it reaches a plan.
//! A plugin cannot produce a plan that Lattice would reject.

use std::collections::{BTreeSet, HashSet};

use lattice_plugin_sdk::types::*;

use lattice_plugin_sdk::limits::{self, condition_reason};
pub use lattice_plugin_sdk::limits::{
    MAX_AUTH_POLICY_BYTES, MAX_DIAGNOSTICS, MAX_FIELD_BYTES, MAX_HEADER_MATCHES, MAX_MESSAGE_BYTES,
    MAX_TARGET_GROUPS, MAX_WEIGHT, PRIORITIES as PRIORITY_RANGE,
};

fn fixed(code: u16) -> Result<(), String> {
    match code {
        404 | 500 => Ok(()),
        c => Err(format!(
            "fixed response {c}: VPC Lattice supports only 404 and 500"
        )),
    }
}

fn match_ok(m: &LatticeMatch) -> Result<(), String> {
    if let Some(p) = &m.path {
        limits::path(&p.value)?;
    }
    if let Some(method) = &m.method
        && (method.is_empty()
            || method.len() > 16
            || !method.bytes().all(|b| b.is_ascii_uppercase()))
    {
        return Err(format!("method {method:?} is not an HTTP method"));
    }
    if m.headers.len() > MAX_HEADER_MATCHES {
        return Err(format!(
            "{} header matches; VPC Lattice allows {MAX_HEADER_MATCHES}",
            m.headers.len()
        ));
    }
    for h in &m.headers {
        limits::header(&h.name, &h.value)?;
    }
    Ok(())
}

/// Checks a mapping answer for `route`.
pub fn mapping(route: &Route, res: &MappingResult) -> Result<(), String> {
    let mut seen = HashSet::new();
    for r in &res.rules {
        let Some(rule) = route.rules.get(r.rule_index as usize) else {
            return Err(format!("rule index {} out of range", r.rule_index));
        };
        if let Some(mi) = r.match_index
            && mi as usize >= rule.matches.len()
        {
            return Err(format!(
                "match index {mi} out of range for rule {}",
                r.rule_index
            ));
        }
        if !PRIORITY_RANGE.contains(&r.priority) {
            return Err(format!("priority {} outside 1-2000", r.priority));
        }
        if !seen.insert(r.priority) {
            return Err(format!("priority {} used twice", r.priority));
        }
        match_ok(&r.r#match)?;
        if let RuleAction::FixedResponse(c) = r.action {
            fixed(c)?;
        }
    }
    if let Some(d) = res.default_rule {
        if route.kind != RouteKind::Tls {
            return Err("default-rule is only for TLS passthrough listeners".into());
        }
        if d as usize >= route.rules.len() {
            return Err(format!("default rule {d} out of range"));
        }
    }
    diagnostics(&res.diagnostics)
}

/// Checks a weighting answer; `known` are the rule's resolved target groups.
pub fn weighting(known: &BTreeSet<&str>, res: &WeightingResult) -> Result<(), String> {
    match &res.action {
        WeightedAction::FixedResponse(c) => fixed(*c)?,
        WeightedAction::Forward(ts) => {
            if ts.is_empty() || ts.len() > MAX_TARGET_GROUPS {
                return Err(format!(
                    "{} target groups; VPC Lattice forwards to 1-{MAX_TARGET_GROUPS}",
                    ts.len()
                ));
            }
            let mut seen = HashSet::new();
            for t in ts {
                if t.weight > MAX_WEIGHT {
                    return Err(format!("weight {} above {MAX_WEIGHT}", t.weight));
                }
                if !known.contains(t.target_group.as_str()) {
                    return Err(format!(
                        "target group {:?} is not one of the rule's backends",
                        t.target_group
                    ));
                }
                if !seen.insert(&t.target_group) {
                    return Err(format!("target group {:?} listed twice", t.target_group));
                }
            }
        }
    }
    diagnostics(&res.diagnostics)
}

/// Checks an auth answer.
pub fn auth(res: &AuthResult) -> Result<(), String> {
    match (res.auth_type.as_str(), &res.policy) {
        ("NONE", None) | ("AWS_IAM", None) => {}
        ("NONE", Some(_)) => return Err("a policy with auth type NONE".into()),
        ("AWS_IAM", Some(p)) => {
            if p.len() > MAX_AUTH_POLICY_BYTES {
                return Err(format!(
                    "auth policy is {} bytes; the quota is {MAX_AUTH_POLICY_BYTES}",
                    p.len()
                ));
            }
            let v: serde_json::Value = serde_json::from_str(p)
                .map_err(|e| format!("auth policy is not valid JSON: {e}"))?;
            if !v.is_object() {
                return Err("auth policy is not a JSON object".into());
            }
        }
        (t, _) => return Err(format!("auth type {t:?} is not NONE or AWS_IAM")),
    }
    diagnostics(&res.diagnostics)
}

fn diagnostics(ds: &[Diagnostic]) -> Result<(), String> {
    if ds.len() > MAX_DIAGNOSTICS {
        return Err(format!(
            "{} diagnostics; at most {MAX_DIAGNOSTICS} are accepted",
            ds.len()
        ));
    }
    for d in ds {
        // The reason goes into route status as it is: one Kubernetes
        // refuses would fail every status write of the route (issue 15).
        if !condition_reason(&d.reason)
            || d.condition.is_empty()
            || d.message.len() > MAX_MESSAGE_BYTES
            || d.field.len() > MAX_FIELD_BYTES
        {
            return Err(
                "a diagnostic without a condition, with a reason a Kubernetes condition cannot carry, or with an oversized message or field"
                    .into(),
            );
        }
    }
    Ok(())
}
