//! Access log subscriptions: Create, Get, Update, Delete, List. A service or service
//! network has at most one subscription per destination type (S3, CloudWatch Logs,
//! Firehose).

use crate::errors::ApiError;
use crate::ids::{self, Kind};
use crate::pagination;
use crate::policies::resolve_sn_or_svc;
use crate::router::Request;
use crate::service_networks::with_next;
use crate::state::{AccessLogSubscription, Ctx, State, ts};
use crate::validate::{self, Obj};
use serde_json::{Value, json};

fn resolve(st: &State, ident: &str) -> Result<String, ApiError> {
    let id = ids::resolve(
        Kind::AccessLogSubscription,
        "accessLogSubscriptionIdentifier",
        ident,
    )?;
    let a = State::need(
        &st.access_log_subscriptions,
        Kind::AccessLogSubscription,
        &id,
    )?;
    if ident.starts_with("arn:") && a.arn != ident {
        return Err(ApiError::not_found(
            ident,
            Kind::AccessLogSubscription.type_name(),
        ));
    }
    Ok(id)
}

/// The destination type of an ARN: its service field (`s3`, `logs`, `firehose`).
fn destination(field: &str, arn: &str) -> Result<String, ApiError> {
    validate::len(field, arn, 20, 2048)?;
    let mut parts = arn.split(':');
    let service = match (parts.next(), parts.next(), parts.next()) {
        (Some("arn"), Some(p), Some(s)) if !p.is_empty() => s,
        _ => return Err(ApiError::field(field, "must be an ARN")),
    };
    validate::one_of(field, service, &["s3", "logs", "firehose"])?;
    Ok(service.to_string())
}

fn describe(a: &AccessLogSubscription) -> Value {
    let mut out = json!({
        "id": a.id, "arn": a.arn, "resourceId": a.resource_id, "resourceArn": a.resource_arn,
        "destinationArn": a.destination_arn,
        "createdAt": ts(&a.created_at), "lastUpdatedAt": ts(&a.last_updated_at),
    });
    if let Some(t) = &a.service_network_log_type {
        out["serviceNetworkLogType"] = json!(t);
    }
    out
}

fn short(a: &AccessLogSubscription) -> Value {
    let mut out = describe(a);
    if let Some(o) = out.as_object_mut() {
        o.remove("createdAt");
        o.remove("lastUpdatedAt");
    }
    out
}

/// `CreateAccessLogSubscription`.
pub fn create(st: &mut State, cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let b = Obj::new(&req.body, "")?;
    let ident = b.str_req("resourceIdentifier")?;
    let dest = b.str_req("destinationArn")?;
    let kind = destination("destinationArn", dest)?;
    let log_type = b.str_opt("serviceNetworkLogType")?;
    if let Some(t) = log_type {
        validate::one_of("serviceNetworkLogType", t, &["SERVICE", "RESOURCE"])?;
    }
    let tags = cx.tags(&b)?;
    let (rid, rarn, _) = resolve_sn_or_svc(st, "resourceIdentifier", ident)?;
    let clash = st.access_log_subscriptions.values().find(|a| {
        a.resource_id == rid
            && destination("", &a.destination_arn).ok().as_deref() == Some(kind.as_str())
            && a.service_network_log_type.as_deref() == log_type
    });
    if let Some(dup) = clash {
        return Err(ApiError::conflict(
            format!(
                "Resource {rid} already has an access log subscription to a {kind} destination"
            ),
            &dup.id,
            Kind::AccessLogSubscription.type_name(),
        ));
    }
    let id = ids::new_id(Kind::AccessLogSubscription);
    let a = AccessLogSubscription {
        seq: st.next_seq(),
        arn: cx.arn(Kind::AccessLogSubscription, &id),
        id: id.clone(),
        resource_id: rid,
        resource_arn: rarn,
        destination_arn: dest.to_string(),
        service_network_log_type: log_type.map(str::to_string),
        created_at: cx.now,
        last_updated_at: cx.now,
    };
    st.tags.insert(a.arn.clone(), tags);
    let out = short(&a);
    st.access_log_subscriptions.insert(id, a);
    Ok(out)
}

/// `GetAccessLogSubscription`.
pub fn get(st: &mut State, _cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let id = resolve(st, req.label("accessLogSubscriptionIdentifier"))?;
    Ok(describe(State::need(
        &st.access_log_subscriptions,
        Kind::AccessLogSubscription,
        &id,
    )?))
}

/// `UpdateAccessLogSubscription`: the new destination must be of the same type.
pub fn update(st: &mut State, cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let id = resolve(st, req.label("accessLogSubscriptionIdentifier"))?;
    let b = Obj::new(&req.body, "")?;
    let dest = b.str_req("destinationArn")?;
    let kind = destination("destinationArn", dest)?;
    let a = st
        .access_log_subscriptions
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found(&id, Kind::AccessLogSubscription.type_name()))?;
    if destination("", &a.destination_arn).ok().as_deref() != Some(kind.as_str()) {
        return Err(ApiError::field(
            "destinationArn",
            "the destination type cannot be changed",
        ));
    }
    a.destination_arn = dest.to_string();
    a.last_updated_at = cx.now;
    Ok(short(a))
}

/// `DeleteAccessLogSubscription`.
pub fn delete(st: &mut State, _cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let id = resolve(st, req.label("accessLogSubscriptionIdentifier"))?;
    if let Some(a) = st.access_log_subscriptions.remove(&id) {
        st.forget_arn(&a.arn);
    }
    Ok(json!({}))
}

/// `ListAccessLogSubscriptions` of one service or service network.
pub fn list(st: &mut State, _cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let ident = req
        .query_one("resourceIdentifier")
        .ok_or_else(|| ApiError::field("resourceIdentifier", "is required"))?;
    // The model lists no ResourceNotFoundException here: an unknown resource has no
    // subscriptions.
    let rid = match resolve_sn_or_svc(st, "resourceIdentifier", ident) {
        Ok((rid, _, _)) => rid,
        Err(ApiError::NotFound { .. }) => return Ok(json!({ "items": [] })),
        Err(e) => return Err(e),
    };
    let items: Vec<(u64, Value)> = st
        .access_log_subscriptions
        .values()
        .filter(|a| a.resource_id == rid)
        .map(|a| (a.seq, describe(a)))
        .collect();
    let (page, next) = pagination::page(req, items)?;
    Ok(with_next(json!({ "items": page }), next))
}
