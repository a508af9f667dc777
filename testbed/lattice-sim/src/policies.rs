//! Auth policies (Put/Get/Delete) and resource policies (Put/Get/Delete), both attached
//! to a service or a service network.

use crate::errors::ApiError;
use crate::ids::{self, Kind};
use crate::router::Request;
use crate::state::{AuthPolicy, Ctx, State, ts};
use crate::validate::{self, Obj};
use serde_json::{Value, json};

/// Resolve a service or service network identifier (id or ARN) to `(arn, authType)`.
pub fn resolve_sn_or_svc(
    st: &State,
    field: &str,
    ident: &str,
) -> Result<(String, String, String), ApiError> {
    validate::len(field, ident, 17, 200)?;
    let tail = ident.rsplit('/').next().unwrap_or_default();
    let found = if ids::is_id(Kind::ServiceNetwork, tail) {
        let id = ids::resolve(Kind::ServiceNetwork, field, ident)?;
        st.service_networks
            .get(&id)
            .map(|s| (s.id.clone(), s.arn.clone(), s.auth_type.clone()))
    } else if ids::is_id(Kind::Service, tail) {
        let id = ids::resolve(Kind::Service, field, ident)?;
        st.services
            .get(&id)
            .map(|s| (s.id.clone(), s.arn.clone(), s.auth_type.clone()))
    } else {
        return Err(ApiError::field(
            field,
            "must be the id or ARN of a service or service network",
        ));
    };
    match found {
        Some(f) if !ident.starts_with("arn:") || f.1 == ident => Ok(f),
        _ => {
            let kind = if tail.starts_with("sn-") {
                Kind::ServiceNetwork
            } else {
                Kind::Service
            };
            Err(ApiError::not_found(ident, kind.type_name()))
        }
    }
}

fn check_json(field: &str, policy: &str) -> Result<(), ApiError> {
    match serde_json::from_str::<Value>(policy) {
        Ok(Value::Object(_)) => Ok(()),
        _ => Err(ApiError::field(field, "must be a JSON policy document")),
    }
}

fn state_of(auth_type: &str) -> &'static str {
    if auth_type == "AWS_IAM" {
        "Active"
    } else {
        "Inactive"
    }
}

/// `PutAuthPolicy`.
pub fn put_auth(st: &mut State, cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let (_, arn, auth_type) =
        resolve_sn_or_svc(st, "resourceIdentifier", req.label("resourceIdentifier"))?;
    let b = Obj::new(&req.body, "")?;
    let policy = b.str_req("policy")?;
    validate::len("policy", policy, 0, 36864)?;
    check_json("policy", policy)?;
    let created = st
        .auth_policies
        .get(&arn)
        .map(|p| p.created_at)
        .unwrap_or(cx.now);
    st.auth_policies.insert(
        arn,
        AuthPolicy {
            policy: policy.to_string(),
            created_at: created,
            last_updated_at: cx.now,
        },
    );
    Ok(json!({"policy": policy, "state": state_of(&auth_type)}))
}

/// `GetAuthPolicy`: `ResourceNotFoundException` when the resource has no auth policy.
pub fn get_auth(st: &mut State, _cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let ident = req.label("resourceIdentifier");
    let (_, arn, auth_type) = resolve_sn_or_svc(st, "resourceIdentifier", ident)?;
    let p = st
        .auth_policies
        .get(&arn)
        .ok_or_else(|| ApiError::not_found(ident, "AUTH_POLICY"))?;
    Ok(json!({
        "policy": p.policy, "state": state_of(&auth_type),
        "createdAt": ts(&p.created_at), "lastUpdatedAt": ts(&p.last_updated_at),
    }))
}

/// `DeleteAuthPolicy`: succeeds whether or not a policy was attached.
pub fn delete_auth(st: &mut State, _cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let (_, arn, _) = resolve_sn_or_svc(st, "resourceIdentifier", req.label("resourceIdentifier"))?;
    st.auth_policies.remove(&arn);
    Ok(json!({}))
}

fn resource_arn(st: &State, req: &Request) -> Result<String, ApiError> {
    let arn = req.label("resourceArn");
    validate::len("resourceArn", arn, 20, 200)?;
    if ids::parse_arn(arn).is_none() {
        return Err(ApiError::field("resourceArn", "must be a VPC Lattice ARN"));
    }
    let (_, found, _) = resolve_sn_or_svc(st, "resourceArn", arn)?;
    Ok(found)
}

/// `PutResourcePolicy`.
pub fn put_resource(st: &mut State, _cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let arn = resource_arn(st, req)?;
    let b = Obj::new(&req.body, "")?;
    let policy = b.str_req("policy")?;
    validate::len("policy", policy, 1, 10000)?;
    check_json("policy", policy)?;
    st.resource_policies.insert(arn, policy.to_string());
    Ok(json!({}))
}

/// `GetResourcePolicy`: `ResourceNotFoundException` when none is attached.
pub fn get_resource(st: &mut State, _cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let arn = resource_arn(st, req)?;
    let p = st
        .resource_policies
        .get(&arn)
        .ok_or_else(|| ApiError::not_found(&arn, "RESOURCE_POLICY"))?;
    Ok(json!({ "policy": p }))
}

/// `DeleteResourcePolicy`: succeeds whether or not a policy was attached.
pub fn delete_resource(st: &mut State, _cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let arn = resource_arn(st, req)?;
    st.resource_policies.remove(&arn);
    Ok(json!({}))
}
