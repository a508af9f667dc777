//! Service-network ↔ VPC associations: Create, Get, Update, Delete, List.

use crate::errors::ApiError;
use crate::ids::{self, Kind};
use crate::pagination;
use crate::router::Request;
use crate::service_networks::{self, with_next};
use crate::state::{Ctx, State, VpcAssociation, ts};
use crate::target_groups::is_vpc_id;
use crate::validate::Obj;
use serde_json::{Value, json};

fn resolve(st: &State, ident: &str) -> Result<String, ApiError> {
    let field = "serviceNetworkVpcAssociationIdentifier";
    let id = ids::resolve(Kind::VpcAssociation, field, ident)?;
    let a = State::need(&st.vpc_associations, Kind::VpcAssociation, &id)?;
    if ident.starts_with("arn:") && a.arn != ident {
        return Err(ApiError::not_found(ident, Kind::VpcAssociation.type_name()));
    }
    Ok(id)
}

fn security_groups(b: &Obj<'_>, min: usize) -> Result<Option<Vec<String>>, ApiError> {
    let Some(list) = b.arr_opt("securityGroupIds")? else {
        return if min > 0 {
            Err(ApiError::field("securityGroupIds", "is required"))
        } else {
            Ok(None)
        };
    };
    if list.len() < min || list.len() > 5 {
        return Err(ApiError::field(
            "securityGroupIds",
            format!("must have between {min} and 5 items"),
        ));
    }
    let mut out = Vec::new();
    for v in list {
        let s = v.as_str().unwrap_or_default();
        let ok = s.strip_prefix("sg-").is_some_and(|r| {
            (r.len() == 8 || r.len() == 17)
                && r.bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
        });
        if !ok {
            return Err(ApiError::field(
                "securityGroupIds",
                format!("'{s}' is not a security group id"),
            ));
        }
        out.push(s.to_string());
    }
    Ok(Some(out))
}

fn describe(st: &State, cx: &Ctx, a: &VpcAssociation) -> Value {
    let mut out = json!({
        "id": a.id, "arn": a.arn, "status": cx.status(a.ready_at), "createdBy": cx.cfg.account_id,
        "createdAt": ts(&a.created_at), "lastUpdatedAt": ts(&a.last_updated_at),
        "serviceNetworkId": a.service_network_id, "vpcId": a.vpc_id,
    });
    if let Some(n) = st.service_networks.get(&a.service_network_id) {
        out["serviceNetworkName"] = json!(n.name);
        out["serviceNetworkArn"] = json!(n.arn);
    }
    if let Some(p) = a.private_dns_enabled {
        out["privateDnsEnabled"] = json!(p);
    }
    if let Some(d) = &a.dns_options {
        out["dnsOptions"] = d.clone();
    }
    out
}

/// `CreateServiceNetworkVpcAssociation`.
pub fn create(st: &mut State, cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let b = Obj::new(&req.body, "")?;
    let sn_ident = b.str_req("serviceNetworkIdentifier")?;
    let vpc = b.str_req("vpcIdentifier")?;
    if !is_vpc_id(vpc) {
        return Err(ApiError::field(
            "vpcIdentifier",
            format!("'{vpc}' is not a VPC id"),
        ));
    }
    let sgs = security_groups(&b, 0)?.unwrap_or_default();
    let private_dns = b.bool_opt("privateDnsEnabled")?;
    let tags = cx.tags(&b)?;
    let sn = service_networks::resolve(st, "serviceNetworkIdentifier", sn_ident)?;
    if let Some(dup) = st.vpc_associations.values().find(|a| a.vpc_id == vpc) {
        return Err(ApiError::conflict(
            format!(
                "VPC {vpc} is already associated with service network {}",
                dup.service_network_id
            ),
            &dup.id,
            Kind::VpcAssociation.type_name(),
        ));
    }
    let q = cx.cfg.quotas.vpc_associations_per_service_network;
    if st
        .vpc_associations
        .values()
        .filter(|a| a.service_network_id == sn)
        .count() as u64
        >= q
    {
        return Err(ApiError::quota(
            Kind::VpcAssociation.type_name(),
            "L-vpc-associations",
            q,
        ));
    }
    let id = ids::new_id(Kind::VpcAssociation);
    let a = VpcAssociation {
        seq: st.next_seq(),
        arn: cx.arn(Kind::VpcAssociation, &id),
        id: id.clone(),
        service_network_id: sn,
        vpc_id: vpc.to_string(),
        security_group_ids: sgs,
        private_dns_enabled: private_dns,
        dns_options: b.raw("dnsOptions").cloned(),
        created_at: cx.now,
        last_updated_at: cx.now,
        ready_at: cx.ready_at(),
    };
    st.tags.insert(a.arn.clone(), tags);
    let mut out = json!({
        "id": a.id, "arn": a.arn, "status": cx.status(a.ready_at), "createdBy": cx.cfg.account_id,
        "securityGroupIds": a.security_group_ids,
    });
    if let Some(p) = a.private_dns_enabled {
        out["privateDnsEnabled"] = json!(p);
    }
    st.vpc_associations.insert(id, a);
    Ok(out)
}

/// `GetServiceNetworkVpcAssociation`.
pub fn get(st: &mut State, cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let id = resolve(st, req.label("serviceNetworkVpcAssociationIdentifier"))?;
    let a = State::need(&st.vpc_associations, Kind::VpcAssociation, &id)?;
    let mut out = describe(st, cx, a);
    out["securityGroupIds"] = json!(a.security_group_ids);
    Ok(out)
}

/// `UpdateServiceNetworkVpcAssociation`: replaces the security groups.
pub fn update(st: &mut State, cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let id = resolve(st, req.label("serviceNetworkVpcAssociationIdentifier"))?;
    let b = Obj::new(&req.body, "")?;
    let sgs = security_groups(&b, 1)?.unwrap_or_default();
    let a = st
        .vpc_associations
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found(&id, Kind::VpcAssociation.type_name()))?;
    a.security_group_ids = sgs;
    a.last_updated_at = cx.now;
    Ok(json!({
        "id": a.id, "arn": a.arn, "status": cx.status(a.ready_at), "createdBy": cx.cfg.account_id,
        "securityGroupIds": a.security_group_ids,
    }))
}

/// `DeleteServiceNetworkVpcAssociation`.
pub fn delete(st: &mut State, _cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let id = resolve(st, req.label("serviceNetworkVpcAssociationIdentifier"))?;
    let Some(a) = st.vpc_associations.remove(&id) else {
        return Err(ApiError::not_found(&id, Kind::VpcAssociation.type_name()));
    };
    st.forget_arn(&a.arn);
    Ok(json!({"id": a.id, "arn": a.arn, "status": "DELETE_IN_PROGRESS"}))
}

/// `ListServiceNetworkVpcAssociations`, filtered by service network and/or VPC.
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
    let vpc = req.query_one("vpcIdentifier");
    let items: Vec<(u64, _)> = st
        .vpc_associations
        .values()
        .filter(|a| sn.as_ref().is_none_or(|s| *s == a.service_network_id))
        .filter(|a| vpc.is_none_or(|v| v == a.vpc_id))
        .map(|a| (a.seq, a))
        .collect();
    let (page, next) = pagination::page(req, items)?;
    let page: Vec<Value> = page.into_iter().map(|a| describe(st, cx, a)).collect();
    Ok(with_next(json!({ "items": page }), next))
}
