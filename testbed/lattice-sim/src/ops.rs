//! Dispatch from an operation name to its handler, with the `clientToken` idempotency
//! that every create call shares.

use crate::errors::ApiError;
use crate::router::Request;
use crate::state::{Ctx, Idempotent, State};
use crate::{access_logs, listeners, policies, rules, service_associations, service_networks};
use crate::{services, tags, target_groups, targets, vpc_associations};
use serde_json::Value;

type Handler = fn(&mut State, &Ctx, &Request) -> Result<Value, ApiError>;

fn handler(op: &str) -> Option<Handler> {
    Some(match op {
        "CreateServiceNetwork" => service_networks::create,
        "GetServiceNetwork" => service_networks::get,
        "UpdateServiceNetwork" => service_networks::update,
        "DeleteServiceNetwork" => service_networks::delete,
        "ListServiceNetworks" => service_networks::list,
        "CreateService" => services::create,
        "GetService" => services::get,
        "UpdateService" => services::update,
        "DeleteService" => services::delete,
        "ListServices" => services::list,
        "CreateListener" => listeners::create,
        "GetListener" => listeners::get,
        "UpdateListener" => listeners::update,
        "DeleteListener" => listeners::delete,
        "ListListeners" => listeners::list,
        "CreateRule" => rules::create,
        "GetRule" => rules::get,
        "UpdateRule" => rules::update,
        "DeleteRule" => rules::delete,
        "ListRules" => rules::list,
        "BatchUpdateRule" => rules::batch_update,
        "CreateTargetGroup" => target_groups::create,
        "GetTargetGroup" => target_groups::get,
        "UpdateTargetGroup" => target_groups::update,
        "DeleteTargetGroup" => target_groups::delete,
        "ListTargetGroups" => target_groups::list,
        "RegisterTargets" => targets::register,
        "DeregisterTargets" => targets::deregister,
        "ListTargets" => targets::list,
        "CreateServiceNetworkServiceAssociation" => service_associations::create,
        "GetServiceNetworkServiceAssociation" => service_associations::get,
        "DeleteServiceNetworkServiceAssociation" => service_associations::delete,
        "ListServiceNetworkServiceAssociations" => service_associations::list,
        "CreateServiceNetworkVpcAssociation" => vpc_associations::create,
        "GetServiceNetworkVpcAssociation" => vpc_associations::get,
        "UpdateServiceNetworkVpcAssociation" => vpc_associations::update,
        "DeleteServiceNetworkVpcAssociation" => vpc_associations::delete,
        "ListServiceNetworkVpcAssociations" => vpc_associations::list,
        "PutAuthPolicy" => policies::put_auth,
        "GetAuthPolicy" => policies::get_auth,
        "DeleteAuthPolicy" => policies::delete_auth,
        "PutResourcePolicy" => policies::put_resource,
        "GetResourcePolicy" => policies::get_resource,
        "DeleteResourcePolicy" => policies::delete_resource,
        "CreateAccessLogSubscription" => access_logs::create,
        "GetAccessLogSubscription" => access_logs::get,
        "UpdateAccessLogSubscription" => access_logs::update,
        "DeleteAccessLogSubscription" => access_logs::delete,
        "ListAccessLogSubscriptions" => access_logs::list,
        "TagResource" => tags::tag,
        "UntagResource" => tags::untag,
        "ListTagsForResource" => tags::list,
        _ => return None,
    })
}

/// Run operation `op`. A create call that repeats an earlier `clientToken` with the same
/// request gets the earlier answer; with a different request, `ConflictException`.
pub fn run(st: &mut State, cx: &Ctx, op: &str, req: &Request) -> Result<Value, ApiError> {
    let Some(h) = handler(op) else {
        return Err(ApiError::Validation {
            message: format!("Operation {op} is not implemented by lattice-sim"),
            reason: "unknownOperation",
            fields: vec![],
        });
    };
    let token = match req.body.get("clientToken") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) => {
            crate::validate::len("clientToken", t, 1, 64)?;
            Some(t.clone())
        }
        Some(_) => return Err(ApiError::field("clientToken", "must be a string")),
    };
    let Some(token) = token else {
        return h(st, cx, req);
    };
    let key = format!(
        "{op}/{}/{token}",
        serde_json::to_string(&req.labels).unwrap_or_default()
    );
    let mut fingerprint = req.body.clone();
    if let Some(o) = fingerprint.as_object_mut() {
        o.remove("clientToken");
    }
    if let Some(prev) = st.client_tokens.get(&key) {
        if prev.request == fingerprint {
            return Ok(prev.response.clone());
        }
        return Err(ApiError::conflict(
            format!("clientToken '{token}' was already used with different parameters"),
            token,
            "CLIENT_TOKEN",
        ));
    }
    let out = h(st, cx, req)?;
    st.remember_token(
        key,
        Idempotent {
            request: fingerprint,
            response: out.clone(),
        },
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_token_cache_is_bounded() {
        let mut st = State::default();
        let n = crate::state::CLIENT_TOKEN_CACHE + 5;
        for i in 0..n {
            let entry = Idempotent {
                request: Value::Null,
                response: Value::Null,
            };
            st.remember_token(format!("k{i}"), entry);
        }
        assert_eq!(st.client_tokens.len(), crate::state::CLIENT_TOKEN_CACHE);
        assert!(!st.client_tokens.contains_key("k0"));
        assert!(st.client_tokens.contains_key(&format!("k{}", n - 1)));
    }

    #[test]
    fn every_route_has_a_handler() {
        for r in crate::router::ROUTES {
            assert!(
                handler(r.operation).is_some(),
                "{} has no handler",
                r.operation
            );
        }
    }
}
