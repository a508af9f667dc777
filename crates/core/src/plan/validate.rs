//! Checks every plugin answer against VPC Lattice's limits (the botocore
//! `vpc-lattice` model and the service quotas) before it reaches a plan.
//! A plugin cannot produce a plan that Lattice would reject.

use std::collections::{BTreeSet, HashSet};

use lattice_plugin_sdk::types::*;

/// Lattice `RulePriority`: 1 to 2000.
pub const PRIORITY_RANGE: std::ops::RangeInclusive<u32> = 1..=2000;
/// Lattice `TargetGroupWeight`: 0 to 999.
pub const MAX_WEIGHT: u32 = 999;
/// Lattice `WeightedTargetGroupList`: 1 to 10.
pub const MAX_TARGET_GROUPS: usize = 10;
/// Lattice `HeaderMatchList`: at most 5.
pub const MAX_HEADER_MATCHES: usize = 5;
/// Lattice auth policy quota, in bytes.
pub const MAX_AUTH_POLICY_BYTES: usize = 10 * 1024;
/// Diagnostics kept from one plugin answer; more is noise, or an attack.
pub const MAX_DIAGNOSTICS: usize = 64;
/// Longest diagnostic message kept, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 1024;

fn fixed(code: u16) -> Result<(), String> {
    match code {
        404 | 500 => Ok(()),
        c => Err(format!(
            "fixed response {c}: VPC Lattice supports only 404 and 500"
        )),
    }
}

fn path_ok(v: &str) -> Result<(), String> {
    let ok = (1..=200).contains(&v.len())
        && v.starts_with('/')
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"@:%_+.~#?&/=-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "path {v:?} is not a VPC Lattice path match (1-200 characters of /[a-zA-Z0-9@:%_+.~#?&/=-]*)"
        ))
    }
}

fn match_ok(m: &LatticeMatch) -> Result<(), String> {
    if let Some(p) = &m.path {
        path_ok(&p.value)?;
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
        if !(1..=100).contains(&h.name.len()) || !(1..=200).contains(&h.value.len()) {
            return Err(format!(
                "header match {:?}: names are 1-100 and values 1-200 characters",
                h.name
            ));
        }
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
        if d.reason.is_empty()
            || d.condition.is_empty()
            || d.message.len() > MAX_MESSAGE_BYTES
            || d.field.len() > 256
        {
            return Err(
                "a diagnostic without a reason or condition, or with an oversized message or field"
                    .into(),
            );
        }
    }
    Ok(())
}
