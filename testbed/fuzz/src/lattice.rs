//! The oracle of a whole plan: every element is one VPC Lattice would
//! accept (the botocore `vpc-lattice` model and the service quotas), and
//! every diagnostic is one a status can carry.

use std::collections::{BTreeMap, BTreeSet};

use lattice_core::plan::{
    Action, ListenerPlan, MatchPlan, Plan, PlanDiagnostic, RulePlan, ServicePlan, TargetGroupPlan,
};

/// Lattice `RulePriority`.
pub const PRIORITIES: std::ops::RangeInclusive<u32> = 1..=2000;
/// Lattice `TargetGroupWeight`.
pub const MAX_WEIGHT: u32 = 999;
/// Lattice `WeightedTargetGroupList`.
pub const MAX_TARGET_GROUPS: usize = 10;
/// Lattice `HeaderMatchList`.
pub const MAX_HEADER_MATCHES: usize = 5;
/// The auth policy quota the host enforces.
pub const MAX_AUTH_POLICY_BYTES: usize = 10 * 1024;
/// Lattice `Port`.
pub const PORTS: std::ops::RangeInclusive<i32> = 1..=65535;

/// Reasons of diagnostics that are about a plugin, not about a field of
/// the object: the only ones that may name no field.
pub const PLUGIN_REASONS: [&str; 2] = ["PluginFailed", "PluginOutputInvalid"];

/// Why `plan` holds something VPC Lattice would refuse, if it does. `plan`
/// is of a whole snapshot, with no default service network configured:
/// every service network a service joins is in it.
pub fn accepts(plan: &Plan) -> Result<(), String> {
    let groups: BTreeMap<&str, &TargetGroupPlan> = plan
        .target_groups
        .iter()
        .map(|tg| (tg.name.as_str(), tg))
        .collect();
    if groups.len() != plan.target_groups.len() {
        return Err("two target groups share a name".into());
    }
    for tg in &plan.target_groups {
        target_group(tg).map_err(|e| format!("target group {:?}: {e}", tg.name))?;
    }
    let networks: BTreeSet<&str> = plan
        .service_networks
        .iter()
        .map(|sn| sn.name.as_str())
        .collect();
    for s in &plan.services {
        service(s, &groups).map_err(|e| format!("service {:?} of {}: {e}", s.name, s.route))?;
        if let Some(sn) = s
            .service_networks
            .iter()
            .find(|sn| !networks.contains(sn.as_str()))
        {
            return Err(format!(
                "service {:?} joins {sn:?}, which is not planned",
                s.name
            ));
        }
    }
    for sn in &plan.service_networks {
        name(&sn.name, 3, 63, None).map_err(|e| format!("service network: {e}"))?;
        auth(&sn.auth_type, sn.auth_policy.as_deref())
            .map_err(|e| format!("service network {:?}: {e}", sn.name))?;
    }
    for d in &plan.diagnostics {
        diagnostic(d).map_err(|e| format!("diagnostic {d:?}: {e}"))?;
    }
    Ok(())
}

/// A Lattice resource name: `min..=max` of `[a-z0-9-]`, no leading,
/// trailing or double hyphen, not starting with `reserved`.
pub fn name(n: &str, min: usize, max: usize, reserved: Option<&str>) -> Result<(), String> {
    let ok = (min..=max).contains(&n.len())
        && n.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !n.starts_with('-')
        && !n.ends_with('-')
        && !n.contains("--")
        && reserved.is_none_or(|r| !n.starts_with(r));
    ok.then_some(())
        .ok_or_else(|| format!("{n:?} is not a valid VPC Lattice name"))
}

fn port(p: i32) -> Result<(), String> {
    PORTS
        .contains(&p)
        .then_some(())
        .ok_or_else(|| format!("port {p} outside 1-65535"))
}

fn target_group(tg: &TargetGroupPlan) -> Result<(), String> {
    if tg.routes.is_empty() && tg.export.is_none() {
        return Err("no route uses it".into());
    }
    // A ServiceImport's is found in Lattice, never made: its name is the
    // key forwards use, and it has nothing of its own.
    if let Some(i) = &tg.import {
        let key = format!("serviceimport/{}", i.service_import);
        if tg.name != key || !tg.targets.is_empty() || tg.lambda.is_some() {
            return Err(format!("an import's group is {key:?}, with no targets"));
        }
        return Ok(());
    }
    name(&tg.name, 3, 128, Some("tg-"))?;
    // A LAMBDA group: no port, protocol or targets; the function is its one.
    if let Some(l) = &tg.lambda {
        if !l.function_arn.starts_with("arn:") || !tg.targets.is_empty() {
            return Err(format!(
                "a LAMBDA group of {:?} with targets",
                l.function_arn
            ));
        }
        return Ok(());
    }
    port(tg.port)?;
    let version = tg.protocol_version.as_deref();
    match (tg.protocol.as_str(), version) {
        ("HTTP" | "HTTPS", Some("HTTP1" | "HTTP2" | "GRPC")) | ("TCP", None) => {}
        (p, v) => return Err(format!("protocol {p} with version {v:?}")),
    }
    for t in &tg.targets {
        t.ip.parse::<std::net::IpAddr>()
            .map_err(|_| format!("target {:?} is not an IP address", t.ip))?;
        port(t.port)?;
    }
    Ok(())
}

fn service(s: &ServicePlan, groups: &BTreeMap<&str, &TargetGroupPlan>) -> Result<(), String> {
    name(&s.name, 3, 40, Some("svc-"))?;
    if let Some(d) = &s.custom_domain_name
        && !(3..=255).contains(&d.len())
    {
        return Err(format!("custom domain name {d:?} is not 3-255 characters"));
    }
    auth(&s.auth_type, s.auth_policy.as_deref())?;
    if s.listeners.is_empty() {
        return Err("a service without listeners".into());
    }
    let mut ports = BTreeSet::new();
    for l in &s.listeners {
        if !ports.insert(l.port) {
            return Err(format!("two listeners on port {}", l.port));
        }
        listener(l, groups).map_err(|e| format!("listener {} {}: {e}", l.protocol, l.port))?;
    }
    Ok(())
}

fn listener(l: &ListenerPlan, groups: &BTreeMap<&str, &TargetGroupPlan>) -> Result<(), String> {
    port(l.port)?;
    match l.protocol.as_str() {
        "HTTP" | "HTTPS" => {}
        "TLS_PASSTHROUGH" => {
            if !l.rules.is_empty() || !matches!(l.default_action, Action::Forward(_)) {
                return Err("a TLS passthrough listener only forwards, and has no rules".into());
            }
        }
        p => return Err(format!("protocol {p:?}")),
    }
    action(&l.default_action, groups).map_err(|e| format!("default action: {e}"))?;
    let mut priorities = BTreeSet::new();
    for r in &l.rules {
        if !priorities.insert(r.priority) {
            return Err(format!("priority {} used twice", r.priority));
        }
        rule(r, groups).map_err(|e| format!("rule {}: {e}", r.priority))?;
    }
    Ok(())
}

fn rule(r: &RulePlan, groups: &BTreeMap<&str, &TargetGroupPlan>) -> Result<(), String> {
    if !PRIORITIES.contains(&r.priority) {
        return Err("priority outside 1-2000".into());
    }
    http_match(&r.r#match)?;
    action(&r.action, groups)
}

/// Lattice `HttpMatch`, as the host promises to check it.
pub fn http_match(m: &MatchPlan) -> Result<(), String> {
    if let Some(method) = &m.method
        && !(1..=16).contains(&method.len())
    {
        return Err(format!("method {method:?}"));
    }
    if let Some(p) = &m.path {
        if !matches!(p.r#type.as_str(), "exact" | "prefix") {
            return Err(format!("path match type {:?}", p.r#type));
        }
        path(&p.value)?;
    }
    if m.headers.len() > MAX_HEADER_MATCHES {
        return Err(format!("{} header matches", m.headers.len()));
    }
    for h in &m.headers {
        header(&h.name, &h.value)?;
        if !matches!(h.r#type.as_str(), "exact" | "prefix" | "contains") {
            return Err(format!("header match type {:?}", h.r#type));
        }
    }
    Ok(())
}

/// Lattice `PathMatchExact` / `PathMatchPrefix`: 1-200 characters of
/// `/[a-zA-Z0-9@:%_+.~#?&/=-]*`.
pub fn path(v: &str) -> Result<(), String> {
    let ok = (1..=200).contains(&v.chars().count())
        && v.starts_with('/')
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "@:%_+.~#?&/=-".contains(c));
    ok.then_some(())
        .ok_or_else(|| format!("path {v:?} is not a VPC Lattice path"))
}

/// Lattice `HeaderMatchName` (1-100) and `HeaderMatchExact` and friends (1-200).
pub fn header(name: &str, value: &str) -> Result<(), String> {
    let ok =
        (1..=100).contains(&name.chars().count()) && (1..=200).contains(&value.chars().count());
    ok.then_some(())
        .ok_or_else(|| format!("header match {name:?}: {value:?} is out of Lattice's lengths"))
}

fn action(a: &Action, groups: &BTreeMap<&str, &TargetGroupPlan>) -> Result<(), String> {
    match a {
        Action::FixedResponse(404 | 500) => Ok(()),
        Action::FixedResponse(c) => Err(format!("fixed response {c}")),
        Action::Forward(ts) => {
            if !(1..=MAX_TARGET_GROUPS).contains(&ts.len()) {
                return Err(format!("forwards to {} target groups", ts.len()));
            }
            let mut seen = BTreeSet::new();
            for t in ts {
                if t.weight > MAX_WEIGHT {
                    return Err(format!("weight {}", t.weight));
                }
                if !seen.insert(&t.target_group) {
                    return Err(format!("{:?} listed twice", t.target_group));
                }
                if !groups.contains_key(t.target_group.as_str()) {
                    return Err(format!(
                        "{:?} is not a planned target group",
                        t.target_group
                    ));
                }
            }
            Ok(())
        }
    }
}

/// An auth type and policy Lattice accepts together.
pub fn auth(auth_type: &str, policy: Option<&str>) -> Result<(), String> {
    match (auth_type, policy) {
        ("NONE", None) | ("AWS_IAM", None) => Ok(()),
        ("AWS_IAM", Some(p)) => {
            if p.len() > MAX_AUTH_POLICY_BYTES {
                return Err(format!("auth policy of {} bytes", p.len()));
            }
            match serde_json::from_str::<serde_json::Value>(p) {
                Ok(v) if v.is_object() => Ok(()),
                _ => Err(format!("auth policy {p:?} is not a JSON object")),
            }
        }
        (t, p) => Err(format!("auth type {t:?} with policy {p:?}")),
    }
}

/// A Kubernetes condition reason: `^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$`,
/// at most 1024 characters (metav1.Condition); status carries it as is.
pub fn condition_reason(r: &str) -> bool {
    let b = r.as_bytes();
    !b.is_empty()
        && b.len() <= 1024
        && b[0].is_ascii_alphabetic()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"_,:".contains(c))
        && (b[b.len() - 1].is_ascii_alphanumeric() || b[b.len() - 1] == b'_')
}

/// A diagnostic a status can carry: an object, a condition and a reason
/// Kubernetes accepts.
pub fn diagnostic(d: &PlanDiagnostic) -> Result<(), String> {
    if d.object.is_empty() || d.condition.is_empty() {
        return Err("no object or condition".into());
    }
    if !condition_reason(&d.reason) {
        return Err(format!(
            "reason {:?} is not a Kubernetes condition reason",
            d.reason
        ));
    }
    Ok(())
}

/// Why a diagnostic of `plan` names no field, if one does: every problem
/// with an object is reported at its field, unless it is about a plugin.
pub fn every_diagnostic_names_a_field(plan: &Plan) -> Result<(), String> {
    match plan
        .diagnostics
        .iter()
        .find(|d| d.field.is_empty() && !PLUGIN_REASONS.contains(&d.reason.as_str()))
    {
        Some(d) => Err(format!("diagnostic names no field: {d:?}")),
        None => Ok(()),
    }
}
