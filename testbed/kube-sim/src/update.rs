//! Updates (PUT), patches and server-side apply: resourceVersion preconditions, the
//! status subresource, generation, no-op detection and managedFields.

use serde_json::{Value, json};

use crate::apply::{ApplyRequest, apply, record_update};
use crate::hooks;
use crate::meta::{self, comparable, meta_str, spec_part};
use crate::ops::{Inner, Part, PatchKind, WriteOpts, check_identity, create, create_with, ns_of};
use crate::resources::ResourceType;
use crate::status::ApiError;
use crate::store::EventType;

/// Replaces an object (PUT). Returns the stored object and whether it was created.
pub fn update(
    inner: &mut Inner,
    rt: &ResourceType,
    ns: &str,
    name: &str,
    obj: Value,
    part: Part,
    w: &WriteOpts,
) -> Result<(Value, bool), ApiError> {
    check_identity(rt, ns, &obj)?;
    let body_name = meta_str(&obj, "name");
    if !body_name.is_empty() && body_name != name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({body_name}) does not match the name on the URL ({name})"
        )));
    }
    let Some(old) = inner.store.get(&rt.storage_key(), ns_of(rt, ns), name) else {
        if rt.create_on_update && part == Part::Main {
            let mut obj = obj;
            if !obj["metadata"].is_object() {
                obj["metadata"] = json!({});
            }
            obj["metadata"]["name"] = json!(name);
            return create(inner, rt, ns, obj, w).map(|o| (o, true));
        }
        return Err(ApiError::not_found(&rt.group, &rt.plural, name));
    };
    // Custom resources do not allow unconditional updates, as on a real server.
    if rt.custom && meta_str(&obj, "resourceVersion").is_empty() {
        return Err(ApiError::invalid(
            &rt.group,
            &rt.kind,
            name,
            vec![crate::status::Cause {
                reason: "FieldValueInvalid".into(),
                message: "Invalid value: 0x0: must be specified for an update".into(),
                field: "metadata.resourceVersion".into(),
            }],
        ));
    }
    let obj = crate::convert::from_view(rt, obj);
    finish_update(inner, rt, &old, obj, part, w, false).map(|o| (o, false))
}

/// Patches an object. An apply patch of a missing object creates it.
#[allow(clippy::too_many_arguments)]
pub fn patch(
    inner: &mut Inner,
    rt: &ResourceType,
    ns: &str,
    name: &str,
    kind: PatchKind,
    body: &Value,
    part: Part,
    w: &WriteOpts,
) -> Result<(Value, bool), ApiError> {
    let old = inner.store.get(&rt.storage_key(), ns_of(rt, ns), name);
    let mut new = match &old {
        Some(o) => (**o).clone(),
        None if kind == PatchKind::Apply && part == Part::Main => {
            json!({"apiVersion": rt.api_version(), "kind": rt.kind, "metadata": {"name": name}})
        }
        None => return Err(ApiError::not_found(&rt.group, &rt.plural, name)),
    };
    if kind != PatchKind::Apply {
        new = crate::convert::to_view(rt, &new);
    }
    match kind {
        PatchKind::Merge | PatchKind::Strategic if !body.is_object() => {
            // RFC 7386 replaces the whole document with a non-object patch, and what
            // comes out is no object at all.
            let cause = crate::status::Cause::invalid(
                "patch",
                &format!("{:?}", body.to_string()),
                format!(
                    "couldn't get version/kind; json parse error: json: cannot unmarshal {} into Go value of type struct {{ APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }}",
                    crate::ops::json_type(body)
                ),
            );
            return Err(ApiError::invalid("", "", "", vec![cause]));
        }
        PatchKind::Merge => crate::patch::merge_patch(&mut new, body),
        PatchKind::Strategic => crate::patch::strategic_merge(&mut new, body),
        PatchKind::Json => {
            if !body.is_array() {
                return Err(ApiError::bad_request(format!(
                    "error decoding patch: json: cannot unmarshal {} into Go value of type []handlers.jsonPatchOp",
                    crate::ops::json_type(body)
                )));
            }
            crate::patch::json_patch(&mut new, body).map_err(ApiError::patch_failed)?
        }
        PatchKind::Apply => {
            new = apply_patch(rt, ns, name, &new, body, part, w)?;
        }
    }
    let is_apply = kind == PatchKind::Apply;
    if !is_apply {
        new = crate::convert::from_view(rt, new);
    }
    match old {
        Some(old) => finish_update(inner, rt, &old, new, part, w, is_apply).map(|o| (o, false)),
        None => {
            if rt.namespaced {
                new["metadata"]["namespace"] = json!(ns);
            }
            create_with(inner, rt, ns, new, w, true).map(|o| (o, true))
        }
    }
}

fn apply_patch(
    rt: &ResourceType,
    ns: &str,
    name: &str,
    base: &Value,
    body: &Value,
    part: Part,
    w: &WriteOpts,
) -> Result<Value, ApiError> {
    if w.manager.is_empty() {
        return Err(ApiError::unprocessable(
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
        ));
    }
    check_identity(rt, ns, body)?;
    let body_name = meta_str(body, "name");
    if body_name != name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({body_name}) does not match the name on the URL ({name})"
        )));
    }
    let mut applied = crate::convert::from_view(rt, body.clone());
    if let Some(o) = applied.as_object_mut() {
        match part {
            Part::Status => o.retain(|k, _| k == "status" || k == "apiVersion" || k == "kind"),
            Part::Main if rt.status_subresource => {
                o.remove("status");
            }
            Part::Main | Part::Finalize => {}
        }
    }
    let now = meta::now();
    let api_version = rt.api_version();
    let sub = if part == Part::Status { "status" } else { "" };
    let req = ApplyRequest {
        manager: &w.manager,
        force: w.force,
        subresource: sub,
        api_version: &api_version,
        now: &now,
        schema: rt.schema.as_ref(),
        reset_status: rt.status_subresource && sub.is_empty(),
    };
    apply(base, &applied, &req)
}

/// kube-apiserver's `ValidateNoNewFinalizers`: an object being deleted only sheds them.
fn no_new_finalizers_while_deleting(
    rt: &ResourceType,
    old: &Value,
    next: &Value,
) -> Result<(), ApiError> {
    if meta_str(old, "deletionTimestamp").is_empty() {
        return Ok(());
    }
    let had = meta::finalizers(old);
    let mut extra: Vec<String> = meta::finalizers(next)
        .into_iter()
        .filter(|f| !had.contains(f))
        .collect();
    if extra.is_empty() {
        return Ok(());
    }
    extra.sort();
    extra.dedup();
    let list: Vec<String> = extra.iter().map(|f| format!("{f:?}")).collect();
    let cause = crate::status::Cause::new(
        "FieldValueForbidden",
        "metadata.finalizers",
        format!(
            "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{{{}}}",
            list.join(", ")
        ),
    );
    Err(ApiError::invalid(
        &rt.group,
        &rt.kind,
        meta_str(old, "name"),
        vec![cause],
    ))
}

/// Turns `new` into the next version of `old`, and stores it unless nothing changed.
fn finish_update(
    inner: &mut Inner,
    rt: &ResourceType,
    old: &Value,
    mut new: Value,
    part: Part,
    w: &WriteOpts,
    applied: bool,
) -> Result<Value, ApiError> {
    if !new.is_object() {
        return Err(ApiError::bad_request(
            "the object provided is not a JSON object",
        ));
    }
    crate::ops::check_shape(rt, &new)?;
    let name = meta_str(old, "name").to_string();
    let want_rv = meta_str(&new, "resourceVersion");
    if !want_rv.is_empty() && want_rv != meta_str(old, "resourceVersion") {
        return Err(ApiError::conflict(&rt.group, &rt.plural, &name));
    }
    if !new["metadata"].is_object() {
        new["metadata"] = json!({});
    }
    let sent_uid = meta_str(&new, "uid");
    if !sent_uid.is_empty() && sent_uid != meta_str(old, "uid") {
        let cause = crate::status::Cause::invalid(
            "metadata.uid",
            &format!("{sent_uid:?}"),
            "field is immutable",
        );
        return Err(ApiError::invalid(&rt.group, &rt.kind, &name, vec![cause]));
    }
    new["apiVersion"] = json!(crate::convert::stored_api_version(rt));
    new["kind"] = json!(rt.kind);
    for f in [
        "name",
        "namespace",
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "generation",
    ] {
        match old["metadata"].get(f) {
            Some(v) => new["metadata"][f] = v.clone(),
            None => {
                if let Some(m) = new["metadata"].as_object_mut() {
                    m.remove(f);
                }
            }
        }
    }
    if !applied
        && new["metadata"]
            .get("managedFields")
            .is_none_or(Value::is_null)
    {
        new["metadata"]["managedFields"] = old["metadata"]["managedFields"].clone();
    }
    let mut next = match part {
        Part::Finalize => {
            let mut n = old.clone();
            n["spec"]["finalizers"] = new["spec"]["finalizers"].clone();
            n["metadata"]["managedFields"] = new["metadata"]["managedFields"].clone();
            n
        }
        Part::Status => {
            let mut n = old.clone();
            n["status"] = new.get("status").cloned().unwrap_or(Value::Null);
            if n["status"].is_null()
                && let Some(o) = n.as_object_mut()
            {
                o.remove("status");
            }
            n["metadata"]["managedFields"] = new["metadata"]["managedFields"].clone();
            n
        }
        Part::Main => {
            if rt.status_subresource {
                match old.get("status") {
                    Some(s) => new["status"] = s.clone(),
                    None => {
                        if let Some(o) = new.as_object_mut() {
                            o.remove("status");
                        }
                    }
                }
            }
            new
        }
    };
    if next["metadata"]["managedFields"].is_null()
        && let Some(m) = next["metadata"].as_object_mut()
    {
        m.remove("managedFields");
    }
    crate::defaults::prune_custom(rt, &mut next, w.validation)?;
    crate::builtin_schema::decode(rt, &mut next, w.validation)?;
    no_new_finalizers_while_deleting(rt, old, &next)?;
    hooks::on_update(inner, rt, old, &mut next)?;
    crate::validate::validate_object(rt, &next, Some(old), part == Part::Status)?;
    if !applied {
        let now = meta::now();
        let api_version = rt.api_version();
        let sub = if part == Part::Status { "status" } else { "" };
        let req = ApplyRequest {
            manager: &w.manager,
            force: false,
            subresource: sub,
            api_version: &api_version,
            now: &now,
            schema: rt.schema.as_ref(),
            reset_status: rt.status_subresource && sub.is_empty(),
        };
        record_update(Some(old), &mut next, &req);
    }
    if comparable(&next) == comparable(old) {
        return Ok(old.clone());
    }
    if rt.has_generation
        && spec_part(&next, rt.status_subresource) != spec_part(old, rt.status_subresource)
    {
        let g = old["metadata"]["generation"].as_i64().unwrap_or(0);
        next["metadata"]["generation"] = json!(g + 1);
    }
    if w.dry_run {
        return Ok(next);
    }
    let key = rt.storage_key();
    let deleting = !meta_str(&next, "deletionTimestamp").is_empty();
    let kind = if deleting && meta::finalizers(&next).is_empty() {
        EventType::Deleted
    } else {
        EventType::Modified
    };
    let change = inner.store.commit(&key, kind, next);
    if kind == EventType::Deleted {
        crate::delete::after_removal(inner, rt, &change.object);
    } else {
        hooks::after_commit(inner, rt, &change.object);
    }
    Ok((*change.object).clone())
}
