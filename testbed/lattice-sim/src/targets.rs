//! Targets: RegisterTargets, DeregisterTargets and ListTargets with statuses.
//!
//! Status of a registered target: `UNUSED` while no listener or rule forwards to its
//! target group, `UNAVAILABLE` when health checks are disabled, `INITIAL` for the
//! configured status delay after registration, then `HEALTHY`. A deregistered target is
//! `DRAINING` for the status delay, then gone.

use crate::actions;
use crate::errors::ApiError;
use crate::ids::Kind;
use crate::pagination;
use crate::router::Request;
use crate::service_networks::with_next;
use crate::state::{Ctx, State, Target, TargetGroup};
use crate::target_groups;
use crate::validate::{self, Obj};
use serde_json::{Value, json};
use std::net::IpAddr;

/// `{id, port}`, without a port for Lambda targets (port 0 internally).
fn target_json(id: &str, port: i64) -> Value {
    if port > 0 {
        json!({"id": id, "port": port})
    } else {
        json!({ "id": id })
    }
}

fn key(id: &str, port: i64) -> String {
    format!("{id}:{port}")
}

/// Read `{id, port}` entries; the port defaults to the target group's port.
fn read_targets(tg: &TargetGroup, list: &[Value]) -> Result<Vec<(String, i64)>, ApiError> {
    let default_port = tg
        .config
        .as_ref()
        .and_then(|c| c["port"].as_i64())
        .unwrap_or(0);
    let mut out = Vec::with_capacity(list.len());
    for (i, t) in list.iter().enumerate() {
        let o = Obj::new(t, &format!("targets.{i}"))?;
        let id = o.str_req("id")?;
        validate::len(&o.path_of("id"), id, 1, 200)?;
        let port = match o.int_opt("port")? {
            Some(p) => {
                validate::range(&o.path_of("port"), p, 1, 65535)?;
                p
            }
            None => default_port,
        };
        out.push((id.to_string(), port));
    }
    Ok(out)
}

/// Why a target id does not fit its target group's type, if it does not.
fn unfit(tg: &TargetGroup, id: &str) -> Option<String> {
    let ok = match tg.type_.as_str() {
        "IP" => {
            let v6 = tg
                .config
                .as_ref()
                .is_some_and(|c| c["ipAddressType"] == "IPV6");
            id.parse::<IpAddr>().is_ok_and(|ip| ip.is_ipv6() == v6)
        }
        "INSTANCE" => id.starts_with("i-"),
        _ => id.starts_with("arn:"),
    };
    (!ok).then(|| format!("Target '{id}' is not a valid {} target", tg.type_))
}

fn purge_drained(tg: &mut TargetGroup, cx: &Ctx) {
    let delay = chrono::Duration::from_std(cx.cfg.status_delay).unwrap_or(chrono::Duration::zero());
    tg.targets
        .retain(|_, t| t.deregistered_at.is_none_or(|d| cx.now < d + delay));
}

/// `RegisterTargets`.
pub fn register(st: &mut State, cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let id = target_groups::resolve(
        st,
        "targetGroupIdentifier",
        req.label("targetGroupIdentifier"),
    )?;
    let b = Obj::new(&req.body, "")?;
    let list = b.arr_req("targets", 1, 100)?;
    let q = cx.cfg.quotas.targets_per_target_group;
    let tg = st
        .target_groups
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found(&id, Kind::TargetGroup.type_name()))?;
    purge_drained(tg, cx);
    let wanted = read_targets(tg, list)?;
    let new = wanted
        .iter()
        .filter(|(i, p)| !tg.targets.contains_key(&key(i, *p)))
        .count();
    if (tg.targets.len() + new) as u64 > q {
        return Err(ApiError::quota("TARGET", "L-targets-per-target-group", q));
    }
    let (mut ok, mut failed) = (Vec::new(), Vec::new());
    for (tid, port) in wanted {
        if let Some(why) = unfit(tg, &tid) {
            failed.push(json!({"id": tid, "port": port, "failureCode": "InvalidTarget", "failureMessage": why}));
            continue;
        }
        let entry = tg.targets.entry(key(&tid, port)).or_insert_with(|| Target {
            id: tid.clone(),
            port,
            registered_at: cx.now,
            deregistered_at: None,
        });
        if entry.deregistered_at.take().is_some() {
            entry.registered_at = cx.now;
        }
        ok.push(target_json(&tid, port));
    }
    Ok(json!({"successful": ok, "unsuccessful": failed}))
}

/// `DeregisterTargets`: deregistering a target that is not registered succeeds.
pub fn deregister(st: &mut State, cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let id = target_groups::resolve(
        st,
        "targetGroupIdentifier",
        req.label("targetGroupIdentifier"),
    )?;
    let b = Obj::new(&req.body, "")?;
    let list = b.arr_req("targets", 1, 100)?;
    let tg = st
        .target_groups
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found(&id, Kind::TargetGroup.type_name()))?;
    let wanted = read_targets(tg, list)?;
    let mut ok = Vec::new();
    for (tid, port) in wanted {
        if let Some(t) = tg.targets.get_mut(&key(&tid, port)) {
            t.deregistered_at.get_or_insert(cx.now);
        }
        ok.push(target_json(&tid, port));
    }
    purge_drained(tg, cx);
    Ok(json!({"successful": ok, "unsuccessful": []}))
}

/// `ListTargets`, optionally restricted to the given targets.
pub fn list(st: &mut State, cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let id = target_groups::resolve(
        st,
        "targetGroupIdentifier",
        req.label("targetGroupIdentifier"),
    )?;
    let b = Obj::new(&req.body, "")?;
    let in_use = actions::target_group_in_use(st, &id);
    let tg = st
        .target_groups
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found(&id, Kind::TargetGroup.type_name()))?;
    purge_drained(tg, cx);
    let filter = match b.arr_opt("targets")? {
        Some(f) if f.len() > 20 => {
            return Err(ApiError::field("targets", "must have at most 20 items"));
        }
        Some(f) => Some(read_targets(tg, f)?),
        None => None,
    };
    let hc_off = tg
        .config
        .as_ref()
        .is_some_and(|c| c["healthCheck"]["enabled"] == false);
    let delay = chrono::Duration::from_std(cx.cfg.status_delay).unwrap_or(chrono::Duration::zero());
    let items: Vec<(u64, Value)> = tg
        .targets
        .values()
        .filter(|t| {
            filter
                .as_ref()
                .is_none_or(|f| f.iter().any(|(i, p)| *i == t.id && *p == t.port))
        })
        .enumerate()
        .map(|(n, t)| {
            let (status, reason) = if t.deregistered_at.is_some() {
                ("DRAINING", Some("TargetDeregistrationInProgress"))
            } else if !in_use {
                ("UNUSED", Some("TargetGroupNotInUse"))
            } else if hc_off {
                ("UNAVAILABLE", Some("HealthCheckDisabled"))
            } else if cx.now < t.registered_at + delay {
                ("INITIAL", Some("RegistrationInProgress"))
            } else {
                ("HEALTHY", None)
            };
            let mut v = json!({"id": t.id, "status": status});
            if t.port > 0 {
                v["port"] = json!(t.port);
            }
            if let Some(r) = reason {
                v["reasonCode"] = json!(r);
            }
            (n as u64 + 1, v)
        })
        .collect();
    let (page, next) = pagination::page(req, items)?;
    Ok(with_next(json!({ "items": page }), next))
}
