//! The write verbs (create, update, patch, apply) with the metadata semantics of
//! kube-apiserver: uids, timestamps, resourceVersion preconditions, generation,
//! the status subresource, no-op detection and managedFields.

use serde_json::{Value, json};

use crate::apply::{ApplyRequest, apply, record_update};
use crate::hooks;
use crate::meta::{self, comparable, meta_str, spec_part};
use crate::registry::Registry;
use crate::resources::ResourceType;
use crate::status::{ApiError, Cause};
use crate::store::{EventType, Store};

/// The registry and the store, guarded together by one lock.
#[derive(Debug)]
pub struct Inner {
    /// Served resources.
    pub registry: Registry,
    /// Objects and history.
    pub store: Store,
}

/// How a write was asked for.
#[derive(Debug, Clone, Default)]
pub struct WriteOpts {
    /// The field manager (from `fieldManager`, or derived from the User-Agent).
    pub manager: String,
    /// `dryRun=All`: validate and answer, store nothing.
    pub dry_run: bool,
    /// `force=true` on an apply.
    pub force: bool,
}

/// Which part of an object a write addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The object itself.
    Main,
    /// The `/status` subresource.
    Status,
}

/// How a patch body is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    /// `application/merge-patch+json`.
    Merge,
    /// `application/json-patch+json`.
    Json,
    /// `application/strategic-merge-patch+json`.
    Strategic,
    /// `application/apply-patch+yaml`.
    Apply,
}

fn check_identity(rt: &ResourceType, ns: &str, body: &Value) -> Result<(), ApiError> {
    if !body.is_object() {
        return Err(ApiError::bad_request(
            "the object provided is not a JSON object",
        ));
    }
    if let Some(k) = body.get("kind").and_then(Value::as_str)
        && !k.is_empty()
        && k != rt.kind
    {
        return Err(ApiError::bad_request(format!(
            "the kind in the data ({k}) does not match the expected kind ({})",
            rt.kind
        )));
    }
    if let Some(av) = body.get("apiVersion").and_then(Value::as_str)
        && !av.is_empty()
        && av.split('/').next() != Some(rt.group.as_str())
        && (!rt.group.is_empty() || av.contains('/'))
    {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({av}) does not match the expected API version ({})",
            rt.api_version()
        )));
    }
    let body_ns = meta_str(body, "namespace");
    if rt.namespaced && !body_ns.is_empty() && body_ns != ns {
        return Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    Ok(())
}

fn invalid(rt: &ResourceType, name: &str, causes: Vec<Cause>) -> ApiError {
    ApiError::invalid(&rt.group, &rt.kind, name, causes)
}

/// Creates an object. Returns the stored object.
pub fn create(
    inner: &mut Inner,
    rt: &ResourceType,
    ns: &str,
    obj: Value,
    w: &WriteOpts,
) -> Result<Value, ApiError> {
    create_with(inner, rt, ns, obj, w, false)
}

fn create_with(
    inner: &mut Inner,
    rt: &ResourceType,
    ns: &str,
    mut obj: Value,
    w: &WriteOpts,
    applied: bool,
) -> Result<Value, ApiError> {
    check_identity(rt, ns, &obj)?;
    obj["apiVersion"] = json!(rt.api_version());
    obj["kind"] = json!(rt.kind);
    if !obj["metadata"].is_object() {
        obj["metadata"] = json!({});
    }
    let mut name = meta_str(&obj, "name").to_string();
    let generate = meta_str(&obj, "generateName").to_string();
    if name.is_empty() && !generate.is_empty() {
        name = meta::generate_name(&generate);
    }
    if name.is_empty() {
        return Err(invalid(rt, "", vec![meta::name_required()]));
    }
    if let Some(c) = meta::validate_name(&name, rt.name_is_label) {
        return Err(invalid(rt, &name, vec![c]));
    }
    let m = &mut obj["metadata"];
    m["name"] = json!(name);
    if rt.namespaced {
        m["namespace"] = json!(ns);
    } else if let Some(mm) = m.as_object_mut() {
        mm.remove("namespace");
    }
    if rt.namespaced {
        match inner.store.get("namespaces", "", ns) {
            None => return Err(ApiError::not_found("", "namespaces", ns)),
            Some(n) if !meta_str(&n, "deletionTimestamp").is_empty() => {
                return Err(ApiError::forbidden(format!(
                    "{} \"{name}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated",
                    crate::status::qualified(&rt.group, &rt.plural)
                )));
            }
            Some(_) => {}
        }
    }
    let key = rt.storage_key();
    if inner.store.get(&key, ns_of(rt, ns), &name).is_some() {
        return Err(ApiError::already_exists(&rt.group, &rt.plural, &name));
    }
    if let Some(mm) = obj["metadata"].as_object_mut() {
        for f in [
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "resourceVersion",
            "selfLink",
        ] {
            mm.remove(f);
        }
        if !applied {
            mm.remove("managedFields");
        }
    }
    let now = meta::now();
    obj["metadata"]["uid"] = json!(meta::new_uid());
    obj["metadata"]["creationTimestamp"] = json!(now);
    if rt.has_generation {
        obj["metadata"]["generation"] = json!(1);
    }
    if rt.status_subresource
        && let Some(o) = obj.as_object_mut()
    {
        o.remove("status");
    }
    hooks::on_create(inner, rt, &mut obj)?;
    if obj["metadata"]["managedFields"].is_null() {
        let api_version = rt.api_version();
        let req = ApplyRequest {
            manager: &w.manager,
            force: false,
            subresource: "",
            api_version: &api_version,
            now: &now,
            schema: rt.schema.as_ref(),
        };
        record_update(None, &mut obj, &req);
    }
    if w.dry_run {
        return Ok(obj);
    }
    let change = inner.store.commit(&key, EventType::Added, obj);
    hooks::after_commit(inner, rt, &change.object);
    Ok((*change.object).clone())
}

fn ns_of<'a>(rt: &ResourceType, ns: &'a str) -> &'a str {
    if rt.namespaced { ns } else { "" }
}

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
            obj["metadata"]["name"] = json!(name);
            return create(inner, rt, ns, obj, w).map(|o| (o, true));
        }
        return Err(ApiError::not_found(&rt.group, &rt.plural, name));
    };
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
    match kind {
        PatchKind::Merge => crate::patch::merge_patch(&mut new, body),
        PatchKind::Strategic => crate::patch::strategic_merge(&mut new, body),
        PatchKind::Json => {
            crate::patch::json_patch(&mut new, body).map_err(ApiError::unprocessable)?
        }
        PatchKind::Apply => {
            new = apply_patch(rt, ns, name, &new, body, part, w)?;
        }
    }
    let is_apply = kind == PatchKind::Apply;
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
    let mut applied = body.clone();
    if let Some(o) = applied.as_object_mut() {
        match part {
            Part::Status => o.retain(|k, _| k == "status" || k == "apiVersion" || k == "kind"),
            Part::Main if rt.status_subresource => {
                o.remove("status");
            }
            Part::Main => {}
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
    };
    apply(base, &applied, &req)
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
    let name = meta_str(old, "name").to_string();
    let want_rv = meta_str(&new, "resourceVersion");
    if !want_rv.is_empty() && want_rv != meta_str(old, "resourceVersion") {
        return Err(ApiError::conflict(&rt.group, &rt.plural, &name));
    }
    if !new["metadata"].is_object() {
        new["metadata"] = json!({});
    }
    new["apiVersion"] = json!(rt.api_version());
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
    hooks::on_update(inner, rt, old, &mut next)?;
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
