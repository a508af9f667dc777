//! Target groups: Create, Get, Update, Delete, List.

use crate::actions;
use crate::errors::ApiError;
use crate::ids::{self, Kind};
use crate::pagination;
use crate::router::Request;
use crate::service_networks::with_next;
use crate::state::{Ctx, State, TargetGroup, ts};
use crate::validate::{self, Obj};
use serde_json::{Map, Value, json};

const TYPES: &[&str] = &["IP", "LAMBDA", "INSTANCE", "ALB"];

/// Resolve a `targetGroupIdentifier` (id or ARN) to a stored target group's id.
pub fn resolve(st: &State, field: &str, ident: &str) -> Result<String, ApiError> {
    let id = ids::resolve(Kind::TargetGroup, field, ident)?;
    let tg = State::need(&st.target_groups, Kind::TargetGroup, &id)?;
    if ident.starts_with("arn:") && tg.arn != ident {
        return Err(ApiError::not_found(ident, Kind::TargetGroup.type_name()));
    }
    Ok(id)
}

/// True if `v` is a VPC id (`vpc-` and 8 or 17 characters of `[0-9a-z]`).
pub fn is_vpc_id(v: &str) -> bool {
    v.strip_prefix("vpc-").is_some_and(|r| {
        (r.len() == 8 || r.len() == 17)
            && r.bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    })
}

/// Check a `HealthCheckConfig` and return it with Lattice's defaults filled in.
fn health_check(h: &Obj<'_>, base: Option<&Value>) -> Result<Value, ApiError> {
    let mut out: Map<String, Value> = match base {
        Some(Value::Object(m)) => m.clone(),
        _ => serde_json::from_value(json!({
            "enabled": true, "protocol": "HTTP", "protocolVersion": "HTTP1", "path": "/",
            "healthCheckIntervalSeconds": 30, "healthCheckTimeoutSeconds": 5,
            "healthyThresholdCount": 5, "unhealthyThresholdCount": 2, "matcher": {"httpCode": "200"},
        }))
        .unwrap_or_default(),
    };
    if let Some(e) = h.bool_opt("enabled")? {
        out.insert("enabled".into(), json!(e));
    }
    if let Some(p) = h.str_opt("protocol")? {
        validate::one_of(&h.path_of("protocol"), p, &["HTTP", "HTTPS", "TCP"])?;
        out.insert("protocol".into(), json!(p));
    }
    if let Some(p) = h.str_opt("protocolVersion")? {
        validate::one_of(&h.path_of("protocolVersion"), p, &["HTTP1", "HTTP2"])?;
        out.insert("protocolVersion".into(), json!(p));
    }
    if let Some(p) = h.str_opt("path")? {
        validate::len(&h.path_of("path"), p, 0, 2048)?;
        out.insert("path".into(), json!(p));
    }
    let ranges = [
        ("port", 0, 65535),
        ("healthCheckIntervalSeconds", 0, 300),
        ("healthCheckTimeoutSeconds", 0, 120),
        ("healthyThresholdCount", 0, 10),
        ("unhealthyThresholdCount", 0, 10),
    ];
    for (k, lo, hi) in ranges {
        if let Some(v) = h.int_opt(k)? {
            validate::range(&h.path_of(k), v, lo, hi)?;
            out.insert(k.into(), json!(v));
        }
    }
    if let Some(m) = h.obj_opt("matcher")? {
        let code = m.str_opt("httpCode")?.unwrap_or("200");
        validate::len(&m.path_of("httpCode"), code, 0, 2000)?;
        out.insert("matcher".into(), json!({"httpCode": code}));
    }
    Ok(Value::Object(out))
}

fn config(b: &Obj<'_>, ty: &str) -> Result<Option<Value>, ApiError> {
    let cfg = b.obj_opt("config")?;
    let Some(c) = cfg else {
        if ty == "LAMBDA" {
            return Ok(None);
        }
        return Err(ApiError::field(
            "config",
            format!("is required for target groups of type {ty}"),
        ));
    };
    if ty == "LAMBDA" {
        if let Some(v) = c.str_opt("lambdaEventStructureVersion")? {
            validate::one_of("config.lambdaEventStructureVersion", v, &["V1", "V2"])?;
        }
        let v = c.str_opt("lambdaEventStructureVersion")?.unwrap_or("V1");
        return Ok(Some(json!({"lambdaEventStructureVersion": v})));
    }
    let port = c.int_req("port")?;
    validate::range("config.port", port, 1, 65535)?;
    let protocol = c.str_req("protocol")?;
    validate::one_of("config.protocol", protocol, &["HTTP", "HTTPS", "TCP"])?;
    let vpc = c.str_req("vpcIdentifier")?;
    if !is_vpc_id(vpc) {
        return Err(ApiError::field("config.vpcIdentifier", "must be a VPC id"));
    }
    let version = c.str_opt("protocolVersion")?.unwrap_or("HTTP1");
    validate::one_of(
        "config.protocolVersion",
        version,
        &["HTTP1", "HTTP2", "GRPC"],
    )?;
    let mut out = json!({"port": port, "protocol": protocol, "protocolVersion": version, "vpcIdentifier": vpc});
    if ty == "IP" {
        let ip = c.str_opt("ipAddressType")?.unwrap_or("IPV4");
        validate::one_of("config.ipAddressType", ip, &["IPV4", "IPV6"])?;
        out["ipAddressType"] = json!(ip);
    }
    if ty != "ALB"
        && let Some(hc) = tg_health_check(&c, protocol)?
    {
        out["healthCheck"] = hc;
    }
    Ok(Some(out))
}

/// The health check a new group gets: HTTP(S) groups the defaults with the
/// request's fields over them; a TCP group only one it is given, which
/// must check over HTTP or HTTPS.
fn tg_health_check(c: &Obj<'_>, protocol: &str) -> Result<Option<Value>, ApiError> {
    let given = c.obj_opt("healthCheck")?;
    if protocol != "TCP" {
        let h = match given {
            Some(h) => h,
            None => Obj::new(&Value::Null, "config.healthCheck")?,
        };
        return health_check(&h, None).map(Some);
    }
    let Some(h) = given else {
        return Ok(None);
    };
    tcp_checked_over_http(&h)?;
    health_check(&h, None).map(Some)
}

/// A TCP target group's targets are checked over HTTP or HTTPS.
fn tcp_checked_over_http(h: &Obj<'_>) -> Result<(), ApiError> {
    if let Some(p) = h.str_opt("protocol")? {
        validate::one_of(&h.path_of("protocol"), p, &["HTTP", "HTTPS"])?;
    }
    Ok(())
}

fn short(tg: &TargetGroup, cx: &Ctx) -> Value {
    let mut out = json!({
        "id": tg.id, "arn": tg.arn, "name": tg.name, "type": tg.type_, "status": cx.status(tg.ready_at),
    });
    if let Some(c) = &tg.config {
        out["config"] = c.clone();
    }
    out
}

/// `CreateTargetGroup`.
pub fn create(st: &mut State, cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let b = Obj::new(&req.body, "")?;
    let name = b.str_req("name")?;
    validate::name("name", name, 3, 128, Some("tg-"))?;
    let ty = b.str_req("type")?;
    validate::one_of("type", ty, TYPES)?;
    let config = config(&b, ty)?;
    let tags = cx.tags(&b)?;
    if let Some(dup) = st
        .named(Kind::TargetGroup, name)
        .and_then(|id| st.target_groups.get(id))
    {
        return Err(ApiError::conflict(
            format!("Target group with name '{name}' already exists"),
            &dup.id,
            Kind::TargetGroup.type_name(),
        ));
    }
    let q = cx.cfg.quotas.target_groups;
    if st.target_groups.len() as u64 >= q {
        return Err(ApiError::quota(
            Kind::TargetGroup.type_name(),
            "L-target-groups",
            q,
        ));
    }
    let id = ids::new_id(Kind::TargetGroup);
    let tg = TargetGroup {
        seq: st.next_seq(),
        arn: cx.arn(Kind::TargetGroup, &id),
        id: id.clone(),
        name: name.to_string(),
        type_: ty.to_string(),
        config,
        targets: Default::default(),
        created_at: cx.now,
        last_updated_at: cx.now,
        ready_at: cx.ready_at(),
    };
    st.tags.insert(tg.arn.clone(), tags);
    let out = short(&tg, cx);
    st.claim_name(Kind::TargetGroup, &tg.name, &id);
    st.target_groups.insert(id, tg);
    Ok(out)
}

/// `GetTargetGroup`.
pub fn get(st: &mut State, cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let id = resolve(
        st,
        "targetGroupIdentifier",
        req.label("targetGroupIdentifier"),
    )?;
    let tg = State::need(&st.target_groups, Kind::TargetGroup, &id)?;
    let mut out = short(tg, cx);
    out["createdAt"] = json!(ts(&tg.created_at));
    out["lastUpdatedAt"] = json!(ts(&tg.last_updated_at));
    out["serviceArns"] = json!(actions::services_using(st, &id));
    Ok(out)
}

/// `UpdateTargetGroup`: changes the health check.
pub fn update(st: &mut State, cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let id = resolve(
        st,
        "targetGroupIdentifier",
        req.label("targetGroupIdentifier"),
    )?;
    let b = Obj::new(&req.body, "")?;
    let h = b.obj_req("healthCheck")?;
    let tg = st
        .target_groups
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found(&id, Kind::TargetGroup.type_name()))?;
    let Some(cfg) = tg.config.as_mut().filter(|_| tg.type_ != "LAMBDA") else {
        return Err(ApiError::field(
            "healthCheck",
            "health checks are not supported for LAMBDA target groups",
        ));
    };
    if cfg["protocol"] == "TCP" {
        tcp_checked_over_http(&h)?;
    }
    cfg["healthCheck"] = health_check(&h, cfg.get("healthCheck"))?;
    tg.last_updated_at = cx.now;
    let tg = State::need(&st.target_groups, Kind::TargetGroup, &id)?;
    Ok(short(tg, cx))
}

/// `DeleteTargetGroup`: refused while a listener or rule forwards to it, or while it is
/// still being created.
pub fn delete(st: &mut State, cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let id = resolve(
        st,
        "targetGroupIdentifier",
        req.label("targetGroupIdentifier"),
    )?;
    if actions::target_group_in_use(st, &id) {
        return Err(ApiError::conflict(
            format!("Target group {id} is in use by a listener or rule"),
            &id,
            Kind::TargetGroup.type_name(),
        ));
    }
    let tg = State::need(&st.target_groups, Kind::TargetGroup, &id)?;
    if cx.status(tg.ready_at) != "ACTIVE" {
        return Err(ApiError::conflict(
            format!("Target group {id} is still being created"),
            &id,
            Kind::TargetGroup.type_name(),
        ));
    }
    let Some(tg) = st.target_groups.remove(&id) else {
        return Err(ApiError::not_found(&id, Kind::TargetGroup.type_name()));
    };
    st.forget_arn(&tg.arn);
    st.release_name(Kind::TargetGroup, &tg.name);
    Ok(json!({"id": tg.id, "arn": tg.arn, "status": "DELETE_IN_PROGRESS"}))
}

/// `ListTargetGroups`, optionally filtered by `vpcIdentifier` and `targetGroupType`.
pub fn list(st: &mut State, cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let vpc = req.query_one("vpcIdentifier");
    if let Some(v) = vpc.filter(|v| !is_vpc_id(v)) {
        return Err(ApiError::field(
            "vpcIdentifier",
            format!("'{v}' is not a VPC id"),
        ));
    }
    let ty = req.query_one("targetGroupType");
    if let Some(t) = ty {
        validate::one_of("targetGroupType", t, TYPES)?;
    }
    let items: Vec<(u64, &TargetGroup)> = st
        .target_groups
        .values()
        .filter(|t| ty.is_none_or(|ty| t.type_ == ty))
        .filter(|t| vpc.is_none_or(|v| t.config.as_ref().is_some_and(|c| c["vpcIdentifier"] == v)))
        .map(|t| (t.seq, t))
        .collect();
    let (page, next) = pagination::page(req, items)?;
    let page: Vec<Value> = page
        .into_iter()
        .map(|t| {
            let mut v = json!({
                "id": t.id, "arn": t.arn, "name": t.name, "type": t.type_, "status": cx.status(t.ready_at),
                "createdAt": ts(&t.created_at), "lastUpdatedAt": ts(&t.last_updated_at),
                "serviceArns": actions::services_using(st, &t.id),
            });
            if let Some(c) = &t.config {
                for k in ["port", "protocol", "ipAddressType", "vpcIdentifier", "lambdaEventStructureVersion"] {
                    if let Some(x) = c.get(k) {
                        v[k] = x.clone();
                    }
                }
            }
            v
        })
        .collect();
    Ok(with_next(json!({ "items": page }), next))
}
