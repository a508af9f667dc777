//! Listener rules: Create, Get, Update, Delete, List and BatchUpdateRule.

use crate::actions;
use crate::errors::ApiError;
use crate::ids::{self, Kind};
use crate::listeners;
use crate::pagination;
use crate::router::Request;
use crate::service_networks::with_next;
use crate::state::{Ctx, Rule, State, ts};
use crate::validate::{self, Obj};
use serde_json::{Value, json};
use std::collections::BTreeMap;

fn resolve_rule(st: &State, listener: &str, field: &str, ident: &str) -> Result<String, ApiError> {
    let id = ids::resolve(Kind::Rule, field, ident)?;
    match st.rules.get(&id) {
        Some(r) if r.listener_id == listener && (!ident.starts_with("arn:") || r.arn == ident) => {
            Ok(id)
        }
        _ => Err(ApiError::not_found(ident, Kind::Rule.type_name())),
    }
}

/// The rules of listener `lid`, default rule included, through the listener's index.
fn rules_of<'a>(st: &'a State, lid: &str) -> impl Iterator<Item = &'a Rule> + 'a {
    st.listeners
        .get(lid)
        .into_iter()
        .flat_map(|l| &l.rule_ids)
        .filter_map(|r| st.rules.get(r))
}

fn full(r: &Rule) -> Value {
    let mut out = json!({"arn": r.arn, "id": r.id, "name": r.name, "isDefault": r.is_default, "action": r.action});
    if let Some(m) = &r.match_ {
        out["match"] = m.clone();
    }
    if let Some(p) = r.priority {
        out["priority"] = json!(p);
    }
    out
}

fn priority_conflict(listener: &str, p: i64, holder: &str) -> ApiError {
    ApiError::conflict(
        format!("Priority {p} is already used by rule {holder} on listener {listener}"),
        holder,
        Kind::Rule.type_name(),
    )
}

/// A checked set of changes to one rule.
struct Change {
    priority: Option<i64>,
    match_: Option<Value>,
    action: Option<Value>,
}

fn read_change(
    st: &State,
    svc: &str,
    o: &Obj<'_>,
    raw: &Value,
    prefix: &str,
) -> Result<Change, ApiError> {
    let at = |k: &str| {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}.{k}")
        }
    };
    let priority = o.int_opt("priority")?;
    if let Some(p) = priority {
        validate::range(&at("priority"), p, 1, 2000)?;
    }
    let match_ = match o.obj_opt("match")? {
        Some(m) => Some(actions::rule_match(&m, &at("match"), &raw["match"])?),
        None => None,
    };
    let action = match o.obj_opt("action")? {
        Some(a) => Some(actions::action(st, &a, &at("action"), svc)?),
        None => None,
    };
    Ok(Change {
        priority,
        match_,
        action,
    })
}

fn apply(r: &mut Rule, c: Change, cx: &Ctx) -> Result<(), ApiError> {
    if r.is_default && (c.priority.is_some() || c.match_.is_some()) {
        return Err(ApiError::validation(
            "The priority and match of a default rule cannot be changed",
        ));
    }
    if let Some(p) = c.priority {
        r.priority = Some(p);
    }
    if let Some(m) = c.match_ {
        r.match_ = Some(m);
    }
    if let Some(a) = c.action {
        r.set_action(a);
    }
    r.last_updated_at = cx.now;
    Ok(())
}

/// `CreateRule`.
pub fn create(st: &mut State, cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let (svc, lid) = listeners::resolve(st, req)?;
    let b = Obj::new(&req.body, "")?;
    let name = b.str_req("name")?;
    validate::name("name", name, 3, 63, Some("rule-"))?;
    let priority = b.int_req("priority")?;
    validate::range("priority", priority, 1, 2000)?;
    let match_ = actions::rule_match(&b.obj_req("match")?, "match", &req.body["match"])?;
    let action = actions::action(st, &b.obj_req("action")?, "action", &svc)?;
    let tags = cx.tags(&b)?;
    if st
        .listeners
        .get(&lid)
        .is_some_and(|l| l.protocol == "TLS_PASSTHROUGH")
    {
        return Err(ApiError::validation(
            "Listeners with protocol TLS_PASSTHROUGH only have a default action; rules are not supported",
        ));
    }
    let siblings: Vec<&Rule> = rules_of(st, &lid).filter(|r| !r.is_default).collect();
    if let Some(dup) = siblings.iter().find(|r| r.name == name) {
        return Err(ApiError::conflict(
            format!("Rule with name '{name}' already exists on listener {lid}"),
            &dup.id,
            Kind::Rule.type_name(),
        ));
    }
    if let Some(dup) = siblings.iter().find(|r| r.priority == Some(priority)) {
        return Err(priority_conflict(&lid, priority, &dup.id));
    }
    let q = cx.cfg.quotas.rules_per_listener;
    if siblings.len() as u64 >= q {
        return Err(ApiError::quota(
            Kind::Rule.type_name(),
            "L-rules-per-listener",
            q,
        ));
    }
    let larn = st
        .listeners
        .get(&lid)
        .map(|l| l.arn.clone())
        .unwrap_or_default();
    let id = ids::new_id(Kind::Rule);
    let mut rule = Rule {
        seq: st.next_seq(),
        arn: ids::rule_arn(&larn, &id),
        id: id.clone(),
        name: name.to_string(),
        listener_id: lid,
        is_default: false,
        priority: Some(priority),
        match_: Some(match_),
        action: Value::Null,
        created_at: cx.now,
        last_updated_at: cx.now,
        target_groups: vec![],
    };
    rule.set_action(action);
    st.tags.insert(rule.arn.clone(), tags);
    let mut out = full(&rule);
    if let Some(o) = out.as_object_mut() {
        o.remove("isDefault");
    }
    if let Some(l) = st.listeners.get_mut(&rule.listener_id) {
        l.rule_ids.insert(id.clone());
    }
    st.insert_rule(rule);
    Ok(out)
}

/// `GetRule`.
pub fn get(st: &mut State, _cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let (_, lid) = listeners::resolve(st, req)?;
    let id = resolve_rule(st, &lid, "ruleIdentifier", req.label("ruleIdentifier"))?;
    let r = State::need(&st.rules, Kind::Rule, &id)?;
    let mut out = full(r);
    out["createdAt"] = json!(ts(&r.created_at));
    out["lastUpdatedAt"] = json!(ts(&r.last_updated_at));
    Ok(out)
}

/// `UpdateRule`.
pub fn update(st: &mut State, cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let (svc, lid) = listeners::resolve(st, req)?;
    let id = resolve_rule(st, &lid, "ruleIdentifier", req.label("ruleIdentifier"))?;
    let b = Obj::new(&req.body, "")?;
    let change = read_change(st, &svc, &b, &req.body, "")?;
    if let Some(p) = change.priority
        && let Some(holder) = rules_of(st, &lid).find(|r| r.id != id && r.priority == Some(p))
    {
        return Err(priority_conflict(&lid, p, &holder.id));
    }
    st.change_rule(&id, |r| apply(r, change, cx).map(|()| full(r)))
        .ok_or_else(|| ApiError::not_found(&id, Kind::Rule.type_name()))?
}

/// `DeleteRule`: the default rule cannot be deleted.
pub fn delete(st: &mut State, _cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let (_, lid) = listeners::resolve(st, req)?;
    let id = resolve_rule(st, &lid, "ruleIdentifier", req.label("ruleIdentifier"))?;
    if st.rules.get(&id).is_some_and(|r| r.is_default) {
        return Err(ApiError::validation(
            "The default rule of a listener cannot be deleted",
        ));
    }
    if let Some(r) = st.remove_rule(&id) {
        st.forget_arn(&r.arn);
    }
    if let Some(l) = st.listeners.get_mut(&lid) {
        l.rule_ids.remove(&id);
    }
    Ok(json!({}))
}

/// `ListRules`: includes the listener's default rule.
pub fn list(st: &mut State, _cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let (_, lid) = listeners::resolve(st, req)?;
    let items: Vec<(u64, Value)> = rules_of(st, &lid)
        .map(|r| {
            let mut v = json!({
                "arn": r.arn, "id": r.id, "name": r.name, "isDefault": r.is_default,
                "createdAt": ts(&r.created_at), "lastUpdatedAt": ts(&r.last_updated_at),
            });
            if let Some(p) = r.priority {
                v["priority"] = json!(p);
            }
            (r.seq, v)
        })
        .collect();
    let (page, next) = pagination::page(req, items)?;
    Ok(with_next(json!({ "items": page }), next))
}

/// `BatchUpdateRule`: checks every update, then applies all at once, so priorities can be
/// swapped within one call. Unknown rules are reported in `unsuccessful`; a batch that
/// would leave two rules with the same priority is refused as a whole with
/// `ConflictException`.
pub fn batch_update(st: &mut State, cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let (svc, lid) = listeners::resolve(st, req)?;
    let b = Obj::new(&req.body, "")?;
    let list = b.arr_req("rules", 1, 10)?;
    let mut changes: Vec<(String, Change)> = Vec::new();
    let mut unsuccessful = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let prefix = format!("rules.{i}");
        let o = Obj::new(item, &prefix)?;
        let ident = o.str_req("ruleIdentifier")?;
        let change = read_change(st, &svc, &o, item, &prefix)?;
        match resolve_rule(st, &lid, &o.path_of("ruleIdentifier"), ident) {
            Ok(id) if changes.iter().any(|(c, _)| *c == id) => {
                return Err(ApiError::field(o.path_of("ruleIdentifier"), "rule appears twice in the batch"));
            }
            Ok(id) => changes.push((id, change)),
            Err(e) => unsuccessful.push(json!({
                "ruleIdentifier": ident, "failureCode": e.code(), "failureMessage": e.body()["message"],
            })),
        }
    }
    let mut priorities: BTreeMap<String, Option<i64>> = rules_of(st, &lid)
        .map(|r| (r.id.clone(), r.priority))
        .collect();
    for (id, c) in &changes {
        if c.priority.is_some() {
            priorities.insert(id.clone(), c.priority);
        }
    }
    let mut seen: BTreeMap<i64, &str> = BTreeMap::new();
    for (id, p) in &priorities {
        if let Some(p) = p
            && let Some(other) = seen.insert(*p, id)
        {
            return Err(priority_conflict(&lid, *p, other));
        }
    }
    let mut successful = Vec::new();
    for (id, change) in changes {
        let applied = st
            .change_rule(&id, |r| -> Result<Value, ApiError> {
                let mut copy = r.clone();
                apply(&mut copy, change, cx)?;
                *r = copy;
                Ok(full(r))
            })
            .ok_or_else(|| ApiError::not_found(&id, Kind::Rule.type_name()))?;
        match applied {
            Ok(rule) => successful.push(rule),
            Err(e) => unsuccessful.push(json!({
                "ruleIdentifier": id, "failureCode": e.code(), "failureMessage": e.body()["message"],
            })),
        }
    }
    Ok(json!({"successful": successful, "unsuccessful": unsuccessful}))
}
