//! Service networks: Create, Get, Update, Delete, List.

use crate::errors::ApiError;
use crate::ids::{self, Kind};
use crate::pagination;
use crate::router::Request;
use crate::state::{Ctx, ServiceNetwork, State, ts};
use crate::validate::{self, Obj};
use serde_json::{Value, json};

const AUTH_TYPES: &[&str] = &["NONE", "AWS_IAM"];

/// Resolve a `serviceNetworkIdentifier` (id or ARN) to a stored service network's id.
pub fn resolve(st: &State, field: &str, ident: &str) -> Result<String, ApiError> {
    let id = ids::resolve(Kind::ServiceNetwork, field, ident)?;
    let sn = State::need(&st.service_networks, Kind::ServiceNetwork, &id)?;
    if ident.starts_with("arn:") && sn.arn != ident {
        return Err(ApiError::not_found(ident, Kind::ServiceNetwork.type_name()));
    }
    Ok(id)
}

fn counts(st: &State, id: &str) -> (usize, usize) {
    let vpcs = st
        .vpc_associations
        .values()
        .filter(|a| a.service_network_id == id)
        .count();
    let svcs = st
        .service_associations
        .values()
        .filter(|a| a.service_network_id == id)
        .count();
    (vpcs, svcs)
}

/// `CreateServiceNetwork`.
pub fn create(st: &mut State, cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let b = Obj::new(&req.body, "")?;
    let name = b.str_req("name")?;
    validate::name("name", name, 3, 63, None)?;
    let auth_type = b.str_opt("authType")?.unwrap_or("NONE");
    validate::one_of("authType", auth_type, AUTH_TYPES)?;
    let sharing = b.obj_opt("sharingConfig")?;
    if let Some(s) = &sharing {
        s.bool_opt("enabled")?;
    }
    let tags = cx.tags(&b)?;
    if let Some(dup) = st
        .named(Kind::ServiceNetwork, name)
        .and_then(|id| st.service_networks.get(id))
    {
        return Err(ApiError::conflict(
            format!("Service network with name '{name}' already exists"),
            &dup.id,
            Kind::ServiceNetwork.type_name(),
        ));
    }
    let q = cx.cfg.quotas.service_networks;
    if st.service_networks.len() as u64 >= q {
        return Err(ApiError::quota(
            Kind::ServiceNetwork.type_name(),
            "L-service-networks",
            q,
        ));
    }
    let id = ids::new_id(Kind::ServiceNetwork);
    let sn = ServiceNetwork {
        seq: st.next_seq(),
        arn: cx.arn(Kind::ServiceNetwork, &id),
        id: id.clone(),
        name: name.to_string(),
        auth_type: auth_type.to_string(),
        sharing_config: b.raw("sharingConfig").cloned(),
        created_at: cx.now,
        last_updated_at: cx.now,
    };
    st.tags.insert(sn.arn.clone(), tags);
    let mut out = json!({"id": sn.id, "name": sn.name, "arn": sn.arn, "authType": sn.auth_type});
    if let Some(s) = &sn.sharing_config {
        out["sharingConfig"] = s.clone();
    }
    st.claim_name(Kind::ServiceNetwork, &sn.name, &id);
    st.service_networks.insert(id, sn);
    Ok(out)
}

/// `GetServiceNetwork`.
pub fn get(st: &mut State, _cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let id = resolve(
        st,
        "serviceNetworkIdentifier",
        req.label("serviceNetworkIdentifier"),
    )?;
    let sn = State::need(&st.service_networks, Kind::ServiceNetwork, &id)?;
    let (vpcs, svcs) = counts(st, &id);
    let mut out = json!({
        "id": sn.id, "name": sn.name, "arn": sn.arn, "authType": sn.auth_type,
        "createdAt": ts(&sn.created_at), "lastUpdatedAt": ts(&sn.last_updated_at),
        "numberOfAssociatedVPCs": vpcs, "numberOfAssociatedServices": svcs,
    });
    if let Some(s) = &sn.sharing_config {
        out["sharingConfig"] = s.clone();
    }
    Ok(out)
}

/// `UpdateServiceNetwork`.
pub fn update(st: &mut State, cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let id = resolve(
        st,
        "serviceNetworkIdentifier",
        req.label("serviceNetworkIdentifier"),
    )?;
    let b = Obj::new(&req.body, "")?;
    let auth_type = b.str_req("authType")?;
    validate::one_of("authType", auth_type, AUTH_TYPES)?;
    let sn = st
        .service_networks
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found(&id, Kind::ServiceNetwork.type_name()))?;
    sn.auth_type = auth_type.to_string();
    sn.last_updated_at = cx.now;
    Ok(json!({"id": sn.id, "name": sn.name, "arn": sn.arn, "authType": sn.auth_type}))
}

/// `DeleteServiceNetwork`: refused while services or VPCs are associated.
pub fn delete(st: &mut State, _cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let id = resolve(
        st,
        "serviceNetworkIdentifier",
        req.label("serviceNetworkIdentifier"),
    )?;
    let (vpcs, svcs) = counts(st, &id);
    if vpcs + svcs > 0 {
        return Err(ApiError::conflict(
            format!("Service network {id} still has {svcs} service and {vpcs} VPC associations"),
            &id,
            Kind::ServiceNetwork.type_name(),
        ));
    }
    if let Some(sn) = st.service_networks.remove(&id) {
        st.forget_arn(&sn.arn);
        st.release_name(Kind::ServiceNetwork, &sn.name);
        st.access_log_subscriptions
            .retain(|_, a| a.resource_id != id);
    }
    Ok(json!({}))
}

/// `ListServiceNetworks`.
pub fn list(st: &mut State, _cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let items: Vec<(u64, _)> = st
        .service_networks
        .values()
        .map(|sn| (sn.seq, sn))
        .collect();
    let (page, next) = pagination::page(req, items)?;
    let page: Vec<Value> = page
        .into_iter()
        .map(|sn| {
            let (vpcs, svcs) = counts(st, &sn.id);
            json!({
                "id": sn.id, "name": sn.name, "arn": sn.arn,
                "createdAt": ts(&sn.created_at), "lastUpdatedAt": ts(&sn.last_updated_at),
                "numberOfAssociatedVPCs": vpcs, "numberOfAssociatedServices": svcs,
                "numberOfAssociatedResourceConfigurations": 0,
            })
        })
        .collect();
    Ok(with_next(json!({ "items": page }), next))
}

/// Add `nextToken` to a list response when there is one.
pub fn with_next(mut out: Value, next: Option<String>) -> Value {
    if let Some(t) = next {
        out["nextToken"] = Value::String(t);
    }
    out
}
