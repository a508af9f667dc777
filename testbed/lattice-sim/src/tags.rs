//! TagResource, UntagResource and ListTagsForResource, for every resource with an ARN.

use crate::errors::ApiError;
use crate::ids;
use crate::router::Request;
use crate::state::{Ctx, State};
use crate::validate::{self, Obj};
use serde_json::{Value, json};

fn existing_arn(st: &State, req: &Request) -> Result<String, ApiError> {
    let arn = req.label("resourceArn");
    validate::len("resourceArn", arn, 0, 1224)?;
    if ids::parse_arn(arn).is_none() {
        return Err(ApiError::field("resourceArn", "must be a VPC Lattice ARN"));
    }
    if !st.arn_exists(arn) {
        return Err(ApiError::not_found(arn, "RESOURCE"));
    }
    Ok(arn.to_string())
}

/// `TagResource`: adds or overwrites tags; more than the per-resource quota is a
/// `ValidationException` (the model lists no quota error for this operation).
pub fn tag(st: &mut State, cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let arn = existing_arn(st, req)?;
    let b = Obj::new(&req.body, "")?;
    if !b.has("tags") {
        return Err(ApiError::field("tags", "is required"));
    }
    let new = cx.tags(&b)?;
    let cur = st.tags.entry(arn).or_default();
    let mut merged = cur.clone();
    merged.extend(new);
    let q = cx.cfg.quotas.tags_per_resource;
    if merged.len() as u64 > q {
        return Err(ApiError::field(
            "tags",
            format!("a resource can have at most {q} tags"),
        ));
    }
    *cur = merged;
    Ok(json!({}))
}

/// `UntagResource`: removes the keys named by the repeated `tagKeys` query parameter.
pub fn untag(st: &mut State, _cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let arn = existing_arn(st, req)?;
    let keys = req.query_all("tagKeys");
    if keys.len() > 200 {
        return Err(ApiError::field("tagKeys", "must have at most 200 items"));
    }
    if let Some(cur) = st.tags.get_mut(&arn) {
        for k in keys {
            cur.remove(k);
        }
    }
    Ok(json!({}))
}

/// `ListTagsForResource`.
pub fn list(st: &mut State, _cx: &Ctx, req: &Request) -> Result<Value, ApiError> {
    let arn = existing_arn(st, req)?;
    Ok(json!({ "tags": st.tags.get(&arn).cloned().unwrap_or_default() }))
}
