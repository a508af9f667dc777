//! Checking and normalising the `RuleAction` and `RuleMatch` unions shared by listeners
//! and rules. Target group identifiers are normalised to ids, and must exist.

use crate::errors::ApiError;
use crate::ids::{self, Kind};
use crate::state::State;
use crate::validate::{self, Obj};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

/// Exactly one member of a union object, or a `ValidationException`.
fn union_member<'a>(o: &Obj<'a>, path: &str, allowed: &[&str]) -> Result<&'a str, ApiError> {
    let keys = o.keys();
    if keys.len() != 1 || !allowed.contains(&keys[0]) {
        return Err(ApiError::field(
            path,
            format!("must set exactly one of {}", allowed.join(", ")),
        ));
    }
    Ok(keys[0])
}

/// `ConflictException` if target group `tg` is already used by a service other than
/// `svc` (Lattice: "a target group can only be used by a single service").
fn check_single_service(st: &State, tg: &str, svc: &str) -> Result<(), ApiError> {
    let other = st
        .rules_using(tg)
        .filter_map(|r| st.listeners.get(&r.listener_id))
        .find(|l| l.service_id != svc);
    match other {
        Some(l) => Err(ApiError::conflict(
            format!(
                "Target group {tg} is already used by service {}",
                l.service_id
            ),
            tg,
            Kind::TargetGroup.type_name(),
        )),
        None => Ok(()),
    }
}

/// Check a `RuleAction` at `path` for a listener or rule of service `svc`, and return it
/// normalised.
pub fn action(st: &State, o: &Obj<'_>, path: &str, svc: &str) -> Result<Value, ApiError> {
    match union_member(o, path, &["forward", "fixedResponse"])? {
        "forward" => {
            let fwd = o.obj_req("forward")?;
            let tgs = fwd.arr_req("targetGroups", 1, 10)?;
            let mut out = Vec::with_capacity(tgs.len());
            for (i, tg) in tgs.iter().enumerate() {
                let p = format!("{path}.forward.targetGroups.{i}");
                let w = Obj::new(tg, &p)?;
                let ident = w.str_req("targetGroupIdentifier")?;
                let id = ids::resolve(
                    Kind::TargetGroup,
                    &w.path_of("targetGroupIdentifier"),
                    ident,
                )?;
                State::need(&st.target_groups, Kind::TargetGroup, &id)?;
                check_single_service(st, &id, svc)?;
                let mut entry = Map::new();
                entry.insert("targetGroupIdentifier".into(), Value::String(id));
                if let Some(weight) = w.int_opt("weight")? {
                    validate::range(&w.path_of("weight"), weight, 0, 999)?;
                    entry.insert("weight".into(), json!(weight));
                }
                out.push(Value::Object(entry));
            }
            Ok(json!({"forward": {"targetGroups": out}}))
        }
        _ => {
            let fr = o.obj_req("fixedResponse")?;
            let code = fr.int_req("statusCode")?;
            validate::range(&fr.path_of("statusCode"), code, 100, 599)?;
            Ok(json!({"fixedResponse": {"statusCode": code}}))
        }
    }
}

fn path_value(field: &str, v: &str) -> Result<(), ApiError> {
    validate::len(field, v, 1, 200)?;
    let ok = v.starts_with('/')
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"@:%_+.~#?&/=-".contains(&b));
    if !ok {
        return Err(ApiError::field(field, "must be a path starting with '/'"));
    }
    Ok(())
}

/// Check a `RuleMatch` at `path` (at most 5 header matches) and return it as given.
pub fn rule_match(o: &Obj<'_>, path: &str, raw: &Value) -> Result<Value, ApiError> {
    union_member(o, path, &["httpMatch"])?;
    let http = o.obj_req("httpMatch")?;
    if let Some(m) = http.str_opt("method")? {
        validate::len(&http.path_of("method"), m, 0, 16)?;
    }
    if let Some(pm) = http.obj_opt("pathMatch")? {
        pm.bool_opt("caseSensitive")?;
        let m = pm.obj_req("match")?;
        let kind = union_member(&m, &pm.path_of("match"), &["exact", "prefix"])?;
        path_value(&m.path_of(kind), m.str_req(kind)?)?;
    }
    if let Some(hms) = http.arr_opt("headerMatches")? {
        if hms.is_empty() || hms.len() > 5 {
            return Err(ApiError::field(
                http.path_of("headerMatches"),
                "must have between 1 and 5 items",
            ));
        }
        for (i, hm) in hms.iter().enumerate() {
            let h = Obj::new(hm, &format!("{}.{i}", http.path_of("headerMatches")))?;
            validate::len(&h.path_of("name"), h.str_req("name")?, 1, 100)?;
            h.bool_opt("caseSensitive")?;
            let m = h.obj_req("match")?;
            let kind = union_member(&m, &h.path_of("match"), &["exact", "prefix", "contains"])?;
            validate::len(&m.path_of(kind), m.str_req(kind)?, 1, 200)?;
        }
    }
    Ok(raw.clone())
}

/// The target group ids an action forwards to.
pub fn target_groups(action: &Value) -> impl Iterator<Item = &str> {
    action["forward"]["targetGroups"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["targetGroupIdentifier"].as_str())
}

/// True if any listener default action or rule forwards to target group `tg`.
pub fn target_group_in_use(st: &State, tg: &str) -> bool {
    st.rules_using(tg).next().is_some()
}

/// The ARNs of services whose listeners or rules forward to target group `tg`.
pub fn services_using<'s>(st: &'s State, tg: &str) -> BTreeSet<&'s str> {
    st.rules_using(tg)
        .filter_map(|r| st.listeners.get(&r.listener_id))
        .filter_map(|l| st.services.get(&l.service_id))
        .map(|s| s.arn.as_str())
        .collect()
}
