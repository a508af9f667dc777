//! Shared write types, and create with the metadata semantics of kube-apiserver:
//! generated names, name validation, namespace existence, uids, timestamps,
//! generation and managedFields. Updates, patches and apply are in `update`.

use serde_json::{Value, json};

use crate::apply::{ApplyRequest, record_update};
use crate::hooks;
use crate::meta::{self, meta_str};
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
    /// What an unknown field brings (`fieldValidation`).
    pub validation: FieldValidation,
}

/// `fieldValidation`: what a field the schema does not declare brings to a write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FieldValidation {
    /// Dropped silently (what in-process seeding uses).
    #[default]
    Ignore,
    /// Dropped, with a `Warning` header: kube-apiserver's default.
    Warn,
    /// Refused with a 400 `strict decoding error` (what kubectl sends).
    Strict,
}

impl FieldValidation {
    /// The mode a request's `fieldValidation` parameter asks for.
    pub fn from_query(v: Option<&str>) -> Self {
        match v {
            Some("Strict") => Self::Strict,
            Some("Ignore") => Self::Ignore,
            _ => Self::Warn,
        }
    }

    /// Refuses or reports the unknown fields found in a `kind` object of `version`.
    pub fn unknown_fields(
        self,
        kind: &str,
        version: &str,
        unknown: &[String],
    ) -> Result<(), ApiError> {
        match self {
            _ if unknown.is_empty() => Ok(()),
            Self::Strict => {
                let list: Vec<String> = unknown
                    .iter()
                    .map(|u| format!("unknown field \"{u}\""))
                    .collect();
                Err(ApiError::bad_request(format!(
                    "{kind} in version \"{version}\" cannot be handled as a {kind}: strict decoding error: {}",
                    list.join(", ")
                )))
            }
            Self::Warn => {
                for u in unknown {
                    crate::warnings::warn(format!("unknown field \"{u}\""));
                }
                Ok(())
            }
            Self::Ignore => Ok(()),
        }
    }
}

/// Which part of an object a write addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The object itself.
    Main,
    /// The `/status` subresource.
    Status,
    /// A Namespace's `/finalize` subresource: `spec.finalizers` only.
    Finalize,
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

pub(crate) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Rejects bodies whose well-known fields have the wrong JSON shape, with the decode
/// error kube-apiserver gives (it could not turn them into its Go types either).
pub(crate) fn check_shape(rt: &ResourceType, body: &Value) -> Result<(), ApiError> {
    let wrong = |path: &str, v: &Value, want: &str| {
        ApiError::bad_request(format!(
            "{} in version \"{}\" cannot be handled as a {}: json: cannot unmarshal {} into Go struct field {path} of type {want}",
            rt.kind,
            rt.version,
            rt.kind,
            json_type(v)
        ))
    };
    let meta = &body["metadata"];
    if !meta.is_null() && !meta.is_object() {
        return Err(wrong("metadata", meta, "v1.ObjectMeta"));
    }
    for f in [
        "name",
        "generateName",
        "namespace",
        "resourceVersion",
        "uid",
    ] {
        let v = &meta[f];
        if !v.is_null() && !v.is_string() {
            return Err(wrong(&format!("ObjectMeta.metadata.{f}"), v, "string"));
        }
    }
    for f in ["labels", "annotations"] {
        let v = &meta[f];
        let ok = v.is_null()
            || v.as_object()
                .is_some_and(|m| m.values().all(|x| x.is_string() || x.is_null()));
        if !ok {
            return Err(wrong(
                &format!("ObjectMeta.metadata.{f}"),
                v,
                "map[string]string",
            ));
        }
    }
    let fin = &meta["finalizers"];
    if !fin.is_null()
        && !fin
            .as_array()
            .is_some_and(|a| a.iter().all(Value::is_string))
    {
        return Err(wrong("ObjectMeta.metadata.finalizers", fin, "[]string"));
    }
    for f in ["spec", "status"] {
        let v = &body[f];
        if !v.is_null() && !v.is_object() {
            return Err(wrong(&format!("{}.{f}", rt.kind), v, "object"));
        }
    }
    Ok(())
}

pub(crate) fn check_identity(rt: &ResourceType, ns: &str, body: &Value) -> Result<(), ApiError> {
    if !body.is_object() {
        return Err(ApiError::bad_request(
            "the object provided is not a JSON object",
        ));
    }
    check_shape(rt, body)?;
    let av = body
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if rt.custom {
        // A custom resource's body names exactly the version it is sent to; a wrong
        // kind is a validation error there (`ValidateTypeMeta`), not a decoding one.
        if !av.is_empty() && av != rt.api_version() {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({av}) does not match the expected API version ({})",
                rt.api_version()
            )));
        }
        if let Some(k) = body.get("kind").and_then(Value::as_str)
            && !k.is_empty()
            && k != rt.kind
        {
            let cause = Cause::invalid("kind", &format!("{k:?}"), format!("must be {}", rt.kind));
            return Err(invalid(rt, meta_str(body, "name"), vec![cause]));
        }
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

pub(crate) fn create_with(
    inner: &mut Inner,
    rt: &ResourceType,
    ns: &str,
    obj: Value,
    w: &WriteOpts,
    applied: bool,
) -> Result<Value, ApiError> {
    check_identity(rt, ns, &obj)?;
    let mut obj = if applied {
        obj
    } else {
        crate::convert::from_view(rt, obj)
    };
    obj["apiVersion"] = json!(crate::convert::stored_api_version(rt));
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
    let bad_name = meta::validate_name(&name, rt.name_rule);
    if !bad_name.is_empty() {
        return Err(invalid(rt, &name, bad_name));
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
    crate::defaults::prune_custom(rt, &mut obj, w.validation)?;
    crate::builtin_schema::decode(rt, &mut obj, w.validation)?;
    hooks::on_create(inner, rt, &mut obj)?;
    crate::validate::validate_object(rt, &obj, None, false)?;
    if obj["metadata"]["managedFields"].is_null() {
        let api_version = rt.api_version();
        let req = ApplyRequest {
            manager: &w.manager,
            force: false,
            subresource: "",
            api_version: &api_version,
            now: &now,
            schema: rt.schema.as_ref(),
            reset_status: rt.status_subresource,
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

pub(crate) fn ns_of<'a>(rt: &ResourceType, ns: &'a str) -> &'a str {
    if rt.namespaced { ns } else { "" }
}
