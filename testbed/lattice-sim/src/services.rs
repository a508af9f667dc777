//! Services: Create, Get, Update, Delete, List.

use crate::errors::ApiError;
use crate::ids::{self, Kind};
use crate::pagination;
use crate::router::Request;
use crate::service_networks::with_next;
use crate::state::{Ctx, Service, State, ts};
use crate::validate::{self, Obj};
use serde_json::{Value, json};

const AUTH_TYPES: &[&str] = &["NONE", "AWS_IAM"];
const HOSTED_ZONE: &str = "Z0ZLATTICESIM000001";

/// Resolve a `serviceIdentifier` (id or ARN) to a stored service's id.
pub fn resolve(st: &State, field: &str, ident: &str) -> Result<String, ApiError> {
    let id = ids::resolve(Kind::Service, field, ident)?;
    let svc = State::need(&st.services, Kind::Service, &id)?;
    if ident.starts_with("arn:") && svc.arn != ident {
        return Err(ApiError::not_found(ident, Kind::Service.type_name()));
    }
    Ok(id)
}

fn certificate(b: &Obj<'_>) -> Result<Option<String>, ApiError> {
    let Some(c) = b.str_opt("certificateArn")? else {
        return Ok(None);
    };
    validate::len("certificateArn", c, 0, 2048)?;
    let looks_right = c.starts_with("arn:") && c.contains(":certificate/");
    if !c.is_empty() && !looks_right {
        return Err(ApiError::field(
            "certificateArn",
            "must be an ACM certificate ARN",
        ));
    }
    Ok(Some(c.to_string()))
}

fn dns(svc: &Service) -> Value {
    json!({"domainName": svc.dns_domain, "hostedZoneId": HOSTED_ZONE})
}

fn put_opt(out: &mut Value, key: &str, v: &Option<String>) {
    if let Some(v) = v {
        out[key] = Value::String(v.clone());
    }
}

/// `CreateService`.
pub fn create(st: &mut State, cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let b = Obj::new(&req.body, "")?;
    let name = b.str_req("name")?;
    validate::name("name", name, 3, 40, Some("svc-"))?;
    let auth_type = b.str_opt("authType")?.unwrap_or("NONE");
    validate::one_of("authType", auth_type, AUTH_TYPES)?;
    let custom = b.str_opt("customDomainName")?;
    if let Some(c) = custom {
        validate::len("customDomainName", c, 3, 255)?;
    }
    let cert = certificate(&b)?;
    let tags = cx.tags(&b)?;
    if let Some(dup) = st
        .named(Kind::Service, name)
        .and_then(|id| st.services.get(id))
    {
        return Err(ApiError::conflict(
            format!("Service with name '{name}' already exists"),
            &dup.id,
            Kind::Service.type_name(),
        ));
    }
    let q = cx.cfg.quotas.services;
    if st.services.len() as u64 >= q {
        return Err(ApiError::quota(Kind::Service.type_name(), "L-services", q));
    }
    let id = ids::new_id(Kind::Service);
    let suffix = id.trim_start_matches("svc-");
    let svc = Service {
        seq: st.next_seq(),
        arn: cx.arn(Kind::Service, &id),
        dns_domain: format!(
            "{name}-{suffix}.7d67968.vpc-lattice-svcs.{}.on.aws",
            cx.cfg.region
        ),
        id: id.clone(),
        name: name.to_string(),
        auth_type: auth_type.to_string(),
        custom_domain_name: custom.map(str::to_string),
        certificate_arn: cert,
        created_at: cx.now,
        last_updated_at: cx.now,
        ready_at: cx.ready_at(),
        listener_ids: Default::default(),
    };
    st.tags.insert(svc.arn.clone(), tags);
    let mut out = json!({
        "id": svc.id, "arn": svc.arn, "name": svc.name, "status": cx.status(svc.ready_at),
        "authType": svc.auth_type, "dnsEntry": dns(&svc),
    });
    put_opt(&mut out, "customDomainName", &svc.custom_domain_name);
    put_opt(&mut out, "certificateArn", &svc.certificate_arn);
    st.claim_name(Kind::Service, &svc.name, &id);
    st.services.insert(id, svc);
    Ok(out)
}

/// `GetService`.
pub fn get(st: &mut State, cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let id = resolve(st, "serviceIdentifier", req.label("serviceIdentifier"))?;
    let svc = State::need(&st.services, Kind::Service, &id)?;
    let mut out = json!({
        "id": svc.id, "name": svc.name, "arn": svc.arn, "status": cx.status(svc.ready_at),
        "authType": svc.auth_type, "dnsEntry": dns(svc),
        "createdAt": ts(&svc.created_at), "lastUpdatedAt": ts(&svc.last_updated_at),
    });
    put_opt(&mut out, "customDomainName", &svc.custom_domain_name);
    put_opt(&mut out, "certificateArn", &svc.certificate_arn);
    Ok(out)
}

/// `UpdateService`.
pub fn update(st: &mut State, cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let id = resolve(st, "serviceIdentifier", req.label("serviceIdentifier"))?;
    let b = Obj::new(&req.body, "")?;
    let auth_type = b.str_opt("authType")?;
    if let Some(a) = auth_type {
        validate::one_of("authType", a, AUTH_TYPES)?;
    }
    let cert = certificate(&b)?;
    let svc = st
        .services
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found(&id, Kind::Service.type_name()))?;
    if let Some(a) = auth_type {
        svc.auth_type = a.to_string();
    }
    if cert.is_some() {
        svc.certificate_arn = cert;
    }
    svc.last_updated_at = cx.now;
    let mut out =
        json!({"id": svc.id, "arn": svc.arn, "name": svc.name, "authType": svc.auth_type});
    put_opt(&mut out, "customDomainName", &svc.custom_domain_name);
    put_opt(&mut out, "certificateArn", &svc.certificate_arn);
    Ok(out)
}

/// `DeleteService`: refused while associated with a service network; takes its
/// listeners, rules and access log subscriptions with it.
pub fn delete(st: &mut State, _cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let id = resolve(st, "serviceIdentifier", req.label("serviceIdentifier"))?;
    if let Some(a) = st.associations_of_service(&id).next() {
        return Err(ApiError::conflict(
            format!(
                "Service {id} is still associated with service network {}",
                a.service_network_id
            ),
            &id,
            Kind::Service.type_name(),
        ));
    }
    let Some(svc) = st.services.remove(&id) else {
        return Err(ApiError::not_found(&id, Kind::Service.type_name()));
    };
    st.release_name(Kind::Service, &svc.name);
    for l in &svc.listener_ids {
        crate::listeners::remove(st, l);
    }
    st.access_log_subscriptions
        .retain(|_, a| a.resource_id != id);
    st.forget_arn(&svc.arn);
    Ok(json!({"id": svc.id, "arn": svc.arn, "name": svc.name, "status": "DELETE_IN_PROGRESS"}))
}

/// `ListServices`.
pub fn list(st: &mut State, cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let items: Vec<(u64, _)> = st.services.values().map(|s| (s.seq, s)).collect();
    let (page, next) = pagination::page(req, items)?;
    let page: Vec<Value> = page
        .into_iter()
        .map(|s| {
            let mut v = json!({
                "id": s.id, "name": s.name, "arn": s.arn, "status": cx.status(s.ready_at),
                "dnsEntry": dns(s), "createdAt": ts(&s.created_at), "lastUpdatedAt": ts(&s.last_updated_at),
            });
            put_opt(&mut v, "customDomainName", &s.custom_domain_name);
            v
        })
        .collect();
    Ok(with_next(json!({ "items": page }), next))
}
