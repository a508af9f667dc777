//! Listeners: Create, Get, Update, Delete, List. Each listener owns a default rule that
//! carries its default action and appears in `ListRules` with `isDefault: true`.

use crate::actions;
use crate::errors::ApiError;
use crate::ids::{self, Kind};
use crate::pagination;
use crate::router::Request;
use crate::service_networks::with_next;
use crate::services;
use crate::state::{Ctx, Listener, Rule, State, ts};
use crate::validate::{self, Obj};
use serde_json::{Value, json};

/// Resolve the service and listener labels of a request to stored ids.
pub fn resolve(st: &State, req: &Request) -> Result<(String, String), ApiError> {
    let svc = services::resolve(st, "serviceIdentifier", req.label("serviceIdentifier"))?;
    let ident = req.label("listenerIdentifier");
    let id = ids::resolve(Kind::Listener, "listenerIdentifier", ident)?;
    match st.listeners.get(&id) {
        Some(l) if l.service_id == svc && (!ident.starts_with("arn:") || l.arn == ident) => {
            Ok((svc, id))
        }
        _ => Err(ApiError::not_found(ident, Kind::Listener.type_name())),
    }
}

/// The default action of a listener (its default rule's action).
pub fn default_action(st: &State, l: &Listener) -> Value {
    st.rules
        .get(&l.default_rule_id)
        .map(|r| r.action.clone())
        .unwrap_or(Value::Null)
}

fn summary(st: &State, l: &Listener) -> Value {
    let svc_arn = st
        .services
        .get(&l.service_id)
        .map(|s| s.arn.clone())
        .unwrap_or_default();
    json!({
        "arn": l.arn, "id": l.id, "name": l.name, "protocol": l.protocol, "port": l.port,
        "serviceArn": svc_arn, "serviceId": l.service_id, "defaultAction": default_action(st, l),
    })
}

/// Remove a listener and its rules.
pub fn remove(st: &mut State, id: &str) {
    if let Some(l) = st.listeners.remove(id) {
        for rid in &l.rule_ids {
            if let Some(r) = st.remove_rule(rid) {
                st.forget_arn(&r.arn);
            }
        }
        if let Some(svc) = st.services.get_mut(&l.service_id) {
            svc.listener_ids.remove(id);
        }
        st.forget_arn(&l.arn);
    }
}

/// `CreateListener`.
pub fn create(st: &mut State, cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let svc_id = services::resolve(st, "serviceIdentifier", req.label("serviceIdentifier"))?;
    let b = Obj::new(&req.body, "")?;
    let name = b.str_req("name")?;
    validate::name("name", name, 3, 63, Some("listener-"))?;
    let protocol = b.str_req("protocol")?;
    validate::one_of("protocol", protocol, &["HTTP", "HTTPS", "TLS_PASSTHROUGH"])?;
    let port = match b.int_opt("port")? {
        Some(p) => {
            validate::range("port", p, 1, 65535)?;
            p
        }
        None if protocol == "HTTP" => 80,
        None => 443,
    };
    let action = actions::action(st, &b.obj_req("defaultAction")?, "defaultAction", &svc_id)?;
    let tags = cx.tags(&b)?;
    let siblings: Vec<&Listener> = st
        .services
        .get(&svc_id)
        .into_iter()
        .flat_map(|s| &s.listener_ids)
        .filter_map(|l| st.listeners.get(l))
        .collect();
    if let Some(dup) = siblings.iter().find(|l| l.name == name || l.port == port) {
        let what = if dup.name == name {
            format!("name '{name}'")
        } else {
            format!("port {port}")
        };
        return Err(ApiError::conflict(
            format!("Listener with {what} already exists on service {svc_id}"),
            &dup.id,
            Kind::Listener.type_name(),
        ));
    }
    let q = cx.cfg.quotas.listeners_per_service;
    if siblings.len() as u64 >= q {
        return Err(ApiError::quota(
            Kind::Listener.type_name(),
            "L-listeners-per-service",
            q,
        ));
    }
    let svc_arn = st
        .services
        .get(&svc_id)
        .map(|s| s.arn.clone())
        .unwrap_or_default();
    let id = ids::new_id(Kind::Listener);
    let arn = ids::listener_arn(&svc_arn, &id);
    let rule_id = ids::new_id(Kind::Rule);
    let mut rule = Rule {
        seq: st.next_seq(),
        arn: ids::rule_arn(&arn, &rule_id),
        id: rule_id.clone(),
        name: "default".to_string(),
        listener_id: id.clone(),
        is_default: true,
        priority: None,
        match_: None,
        action: Value::Null,
        created_at: cx.now,
        last_updated_at: cx.now,
        target_groups: vec![],
    };
    rule.set_action(action);
    st.insert_rule(rule);
    let l = Listener {
        seq: st.next_seq(),
        id: id.clone(),
        arn: arn.clone(),
        name: name.to_string(),
        service_id: svc_id,
        protocol: protocol.to_string(),
        port,
        default_rule_id: rule_id.clone(),
        created_at: cx.now,
        last_updated_at: cx.now,
        rule_ids: [rule_id].into(),
    };
    if let Some(svc) = st.services.get_mut(&l.service_id) {
        svc.listener_ids.insert(id.clone());
    }
    st.tags.insert(arn, tags);
    let out = summary(st, &l);
    st.listeners.insert(id, l);
    Ok(out)
}

/// `GetListener`.
pub fn get(st: &mut State, _cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let (_, id) = resolve(st, req)?;
    let l = State::need(&st.listeners, Kind::Listener, &id)?;
    let mut out = summary(st, l);
    out["createdAt"] = json!(ts(&l.created_at));
    out["lastUpdatedAt"] = json!(ts(&l.last_updated_at));
    Ok(out)
}

/// `UpdateListener`: replaces the default action.
pub fn update(st: &mut State, cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let (svc_id, id) = resolve(st, req)?;
    let b = Obj::new(&req.body, "")?;
    let action = actions::action(st, &b.obj_req("defaultAction")?, "defaultAction", &svc_id)?;
    let l = st
        .listeners
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found(&id, Kind::Listener.type_name()))?;
    l.last_updated_at = cx.now;
    let rule_id = l.default_rule_id.clone();
    st.change_rule(&rule_id, |r| {
        r.set_action(action);
        r.last_updated_at = cx.now;
    });
    let l = State::need(&st.listeners, Kind::Listener, &id)?;
    Ok(summary(st, l))
}

/// `DeleteListener`: takes its rules with it.
pub fn delete(st: &mut State, _cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let (_, id) = resolve(st, req)?;
    remove(st, &id);
    Ok(json!({}))
}

/// `ListListeners`.
pub fn list(st: &mut State, _cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let svc_id = services::resolve(st, "serviceIdentifier", req.label("serviceIdentifier"))?;
    let ids = st.services.get(&svc_id).map(|s| &s.listener_ids);
    let items: Vec<(u64, Value)> = ids
        .into_iter()
        .flatten()
        .filter_map(|l| st.listeners.get(l))
        .map(|l| {
            (l.seq, json!({
                "arn": l.arn, "id": l.id, "name": l.name, "protocol": l.protocol, "port": l.port,
                "createdAt": ts(&l.created_at), "lastUpdatedAt": ts(&l.last_updated_at),
            }))
        })
        .collect();
    let (page, next) = pagination::page(req, items)?;
    Ok(with_next(json!({ "items": page }), next))
}
