//! Service-network ↔ service associations: Create, Get, Delete, List.

use crate::errors::ApiError;
use crate::ids::{self, Kind};
use crate::pagination;
use crate::router::Request;
use crate::service_networks::{self, with_next};
use crate::services;
use crate::state::{Ctx, ServiceAssociation, State, ts};
use crate::validate::Obj;
use serde_json::{Value, json};

fn resolve(st: &State, ident: &str) -> Result<String, ApiError> {
    let field = "serviceNetworkServiceAssociationIdentifier";
    let id = ids::resolve(Kind::ServiceAssociation, field, ident)?;
    let a = State::need(&st.service_associations, Kind::ServiceAssociation, &id)?;
    if ident.starts_with("arn:") && a.arn != ident {
        return Err(ApiError::not_found(
            ident,
            Kind::ServiceAssociation.type_name(),
        ));
    }
    Ok(id)
}

fn describe(st: &State, cx: &Ctx, a: &ServiceAssociation) -> Value {
    let mut out = json!({
        "id": a.id, "arn": a.arn, "status": cx.status(a.ready_at), "createdBy": cx.cfg.account_id,
        "createdAt": ts(&a.created_at), "serviceId": a.service_id, "serviceNetworkId": a.service_network_id,
    });
    if let Some(s) = st.services.get(&a.service_id) {
        out["serviceName"] = json!(s.name);
        out["serviceArn"] = json!(s.arn);
        out["dnsEntry"] =
            json!({"domainName": s.dns_domain, "hostedZoneId": "Z0ZLATTICESIM000001"});
        if let Some(c) = &s.custom_domain_name {
            out["customDomainName"] = json!(c);
        }
    }
    if let Some(n) = st.service_networks.get(&a.service_network_id) {
        out["serviceNetworkName"] = json!(n.name);
        out["serviceNetworkArn"] = json!(n.arn);
    }
    out
}

/// `CreateServiceNetworkServiceAssociation`.
pub fn create(st: &mut State, cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let b = Obj::new(&req.body, "")?;
    let sn_ident = b.str_req("serviceNetworkIdentifier")?;
    let svc_ident = b.str_req("serviceIdentifier")?;
    let tags = cx.tags(&b)?;
    let sn = service_networks::resolve(st, "serviceNetworkIdentifier", sn_ident)?;
    let svc = services::resolve(st, "serviceIdentifier", svc_ident)?;
    if let Some(dup) = st
        .associations_of_service(&svc)
        .find(|a| a.service_network_id == sn)
    {
        return Err(ApiError::conflict(
            format!("Service {svc} is already associated with service network {sn}"),
            &dup.id,
            Kind::ServiceAssociation.type_name(),
        ));
    }
    let q = cx.cfg.quotas.service_associations_per_service_network;
    if st
        .service_associations
        .values()
        .filter(|a| a.service_network_id == sn)
        .count() as u64
        >= q
    {
        return Err(ApiError::quota(
            Kind::ServiceAssociation.type_name(),
            "L-service-associations",
            q,
        ));
    }
    let id = ids::new_id(Kind::ServiceAssociation);
    let a = ServiceAssociation {
        seq: st.next_seq(),
        arn: cx.arn(Kind::ServiceAssociation, &id),
        id: id.clone(),
        service_network_id: sn,
        service_id: svc,
        created_at: cx.now,
        ready_at: cx.ready_at(),
    };
    st.tags.insert(a.arn.clone(), tags);
    let full = describe(st, cx, &a);
    let mut out =
        json!({"id": a.id, "arn": a.arn, "status": full["status"], "createdBy": cx.cfg.account_id});
    for k in ["dnsEntry", "customDomainName"] {
        if let Some(v) = full.get(k) {
            out[k] = v.clone();
        }
    }
    st.insert_service_association(a);
    Ok(out)
}

/// `GetServiceNetworkServiceAssociation`.
pub fn get(st: &mut State, cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let id = resolve(st, req.label("serviceNetworkServiceAssociationIdentifier"))?;
    let a = State::need(&st.service_associations, Kind::ServiceAssociation, &id)?;
    Ok(describe(st, cx, a))
}

/// `DeleteServiceNetworkServiceAssociation`.
pub fn delete(st: &mut State, _cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let id = resolve(st, req.label("serviceNetworkServiceAssociationIdentifier"))?;
    let Some(a) = st.remove_service_association(&id) else {
        return Err(ApiError::not_found(
            &id,
            Kind::ServiceAssociation.type_name(),
        ));
    };
    st.forget_arn(&a.arn);
    Ok(json!({"id": a.id, "arn": a.arn, "status": "DELETE_IN_PROGRESS"}))
}

/// `ListServiceNetworkServiceAssociations`, filtered by service network and/or service.
/// The model lists no `ResourceNotFoundException` here: an unknown filter matches nothing.
pub fn list(st: &mut State, cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let sn = match req.query_one("serviceNetworkIdentifier") {
        Some(s) => Some(ids::resolve(
            Kind::ServiceNetwork,
            "serviceNetworkIdentifier",
            s,
        )?),
        None => None,
    };
    let svc = match req.query_one("serviceIdentifier") {
        Some(s) => Some(ids::resolve(Kind::Service, "serviceIdentifier", s)?),
        None => None,
    };
    // By service through the index: a scoped reader asks for one service's.
    let candidates: Box<dyn Iterator<Item = &ServiceAssociation>> = match &svc {
        Some(s) => Box::new(st.associations_of_service(s)),
        None => Box::new(st.service_associations.values()),
    };
    let items: Vec<(u64, _)> = candidates
        .filter(|a| sn.as_ref().is_none_or(|s| *s == a.service_network_id))
        .filter(|a| svc.as_ref().is_none_or(|s| *s == a.service_id))
        .map(|a| (a.seq, a))
        .collect();
    let (page, next) = pagination::page(req, items)?;
    let page: Vec<Value> = page.into_iter().map(|a| describe(st, cx, a)).collect();
    Ok(with_next(json!({ "items": page }), next))
}
