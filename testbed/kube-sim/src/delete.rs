//! Deletion: finalizers and `deletionTimestamp`, namespaces that empty themselves
//! before they go, and CRDs that take their instances with them.

use serde_json::{Value, json};

use crate::meta::{self, meta_str};
use crate::ops::Inner;
use crate::resources::ResourceType;
use crate::status::ApiError;
use crate::store::EventType;

/// Preconditions and flags of a delete (from `DeleteOptions` and the query).
#[derive(Debug, Clone, Default)]
pub struct DeleteOpts {
    /// `preconditions.uid`.
    pub uid: Option<String>,
    /// `preconditions.resourceVersion`.
    pub resource_version: Option<String>,
    /// `dryRun=All`.
    pub dry_run: bool,
}

impl DeleteOpts {
    /// Reads a `DeleteOptions` body (which may be empty).
    pub fn from_body(body: &Value, dry_run: bool) -> Self {
        let pre = &body["preconditions"];
        let s = |v: &Value| v.as_str().filter(|s| !s.is_empty()).map(String::from);
        Self {
            uid: s(&pre["uid"]),
            resource_version: s(&pre["resourceVersion"]),
            dry_run: dry_run || body["dryRun"].as_array().is_some_and(|a| !a.is_empty()),
        }
    }
}

/// A 409 for a delete whose preconditions do not hold, worded as kube-apiserver words it.
fn precondition_failed(rt: &ResourceType, name: &str, why: String) -> ApiError {
    let qualified = crate::status::qualified(&rt.group, &rt.plural);
    let mut err = ApiError::conflict_msg(format!(
        "Operation cannot be fulfilled on {qualified} \"{name}\": {why}"
    ));
    err.details = Some(json!({"name": name, "group": rt.group, "kind": rt.plural}));
    err
}

/// What a delete did.
pub struct Deleted {
    /// The object as it is afterwards (as it was, when it is gone).
    pub object: Value,
    /// Whether it is gone (or, in a dry run, would be) rather than waiting on finalizers.
    pub gone: bool,
}

impl Deleted {
    /// The response body: kube-apiserver answers an immediate delete with a `Success`
    /// Status naming the object (its `details.kind` is the resource, as there), except for
    /// the kinds whose storage returns the deleted object (Pods); a pending delete
    /// answers with the object.
    pub fn response(self, rt: &ResourceType) -> Value {
        if !self.gone || (!rt.custom && rt.group.is_empty() && rt.plural == "pods") {
            return self.object;
        }
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
            "details": {"name": meta_str(&self.object, "name"), "group": rt.group,
                "kind": rt.plural, "uid": meta_str(&self.object, "uid")}})
    }
}

/// Deletes an object: at once if it has no finalizers, otherwise by setting
/// `deletionTimestamp`.
pub fn delete(
    inner: &mut Inner,
    rt: &ResourceType,
    ns: &str,
    name: &str,
    opts: &DeleteOpts,
) -> Result<Deleted, ApiError> {
    let ns = if rt.namespaced { ns } else { "" };
    let key = rt.storage_key();
    let Some(old) = inner.store.get(&key, ns, name) else {
        return Err(ApiError::not_found(&rt.group, &rt.plural, name));
    };
    if let Some(uid) = &opts.uid
        && uid != meta_str(&old, "uid")
    {
        return Err(precondition_failed(
            rt,
            name,
            format!(
                "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                meta_str(&old, "uid")
            ),
        ));
    }
    if let Some(rv) = &opts.resource_version
        && rv != meta_str(&old, "resourceVersion")
    {
        return Err(precondition_failed(
            rt,
            name,
            format!(
                "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {}",
                meta_str(&old, "resourceVersion")
            ),
        ));
    }
    let is_ns = !rt.custom && rt.group.is_empty() && rt.plural == "namespaces";
    let pending = |object: &Value| Deleted {
        object: object.clone(),
        gone: false,
    };
    if opts.dry_run {
        let gone = !is_ns && meta::finalizers(&old).is_empty();
        return Ok(Deleted {
            object: (*old).clone(),
            gone,
        });
    }
    if !meta_str(&old, "deletionTimestamp").is_empty() {
        return Ok(pending(&old));
    }
    if is_ns && ["default", "kube-system", "kube-public"].contains(&name) {
        return Err(ApiError::forbidden(format!(
            "namespaces \"{name}\" is forbidden: this namespace may not be deleted"
        )));
    }
    if is_ns {
        return Ok(pending(&delete_namespace(inner, rt, &old)));
    }
    if meta::finalizers(&old).is_empty() {
        let change = inner.store.commit(&key, EventType::Deleted, (*old).clone());
        after_removal(inner, rt, &change.object);
        return Ok(Deleted {
            object: (*change.object).clone(),
            gone: true,
        });
    }
    let mut next = (*old).clone();
    next["metadata"]["deletionTimestamp"] = json!(meta::now());
    next["metadata"]["deletionGracePeriodSeconds"] = json!(0);
    if rt.has_generation {
        let g = next["metadata"]["generation"].as_i64().unwrap_or(0);
        next["metadata"]["generation"] = json!(g + 1);
    }
    let change = inner.store.commit(&key, EventType::Modified, next);
    Ok(pending(&change.object))
}

fn delete_namespace(inner: &mut Inner, rt: &ResourceType, old: &Value) -> Value {
    let name = meta_str(old, "name").to_string();
    let mut next = old.clone();
    next["metadata"]["deletionTimestamp"] = json!(meta::now());
    next["metadata"]["deletionGracePeriodSeconds"] = json!(0);
    next["status"]["phase"] = json!("Terminating");
    let change = inner
        .store
        .commit(&rt.storage_key(), EventType::Modified, next);
    let result = (*change.object).clone();
    for (key, obj) in inner.store.objects_in_namespace(&name) {
        let Some(crt) = inner.registry.find_by_key(&key).cloned() else {
            continue;
        };
        let _ = delete(
            inner,
            &crt,
            &name,
            meta_str(&obj, "name"),
            &DeleteOpts::default(),
        );
    }
    finish_namespace(inner, &name);
    inner
        .store
        .get("namespaces", "", &name)
        .map(|v| (*v).clone())
        .unwrap_or(result)
}

/// Moves a terminating namespace on, as the namespace controller does: while content
/// remains, its conditions say what and which finalizers hold it; once empty, the
/// `kubernetes` finalizer goes, and with no finalizer left, the namespace.
pub fn finish_namespace(inner: &mut Inner, ns: &str) {
    let Some(n) = inner.store.get("namespaces", "", ns) else {
        return;
    };
    if meta_str(&n, "deletionTimestamp").is_empty() {
        return;
    }
    let mut next = (*n).clone();
    let content = inner.store.objects_in_namespace(ns);
    next["status"]["conditions"] = namespace_conditions(&content, &n["status"]["conditions"]);
    if content.is_empty()
        && let Some(f) = next["spec"]["finalizers"].as_array_mut()
    {
        f.retain(|x| x != "kubernetes");
    }
    let finalized =
        meta::strings(&next["spec"]["finalizers"]).is_empty() && meta::finalizers(&next).is_empty();
    if next != *n {
        inner
            .store
            .commit("namespaces", EventType::Modified, next.clone());
    }
    if finalized {
        inner.store.commit("namespaces", EventType::Deleted, next);
    }
}

/// The namespace controller's deletion conditions for what is left in a namespace;
/// a condition keeps its transition time while its status holds.
fn namespace_conditions(content: &[(String, std::sync::Arc<Value>)], before: &Value) -> Value {
    use std::collections::BTreeMap;
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    let mut holds: BTreeMap<&str, usize> = BTreeMap::new();
    let finalizers: Vec<(String, Vec<String>)> = content
        .iter()
        .map(|(k, o)| (k.clone(), meta::finalizers(o)))
        .collect();
    for (key, fins) in &finalizers {
        *kinds.entry(key).or_default() += 1;
        for f in fins {
            *holds.entry(f).or_default() += 1;
        }
    }
    let list = |m: &BTreeMap<_, usize>, sep: &str| -> String {
        m.iter()
            .map(|(k, n)| format!("{k} {sep} {n} resource instances"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let remaining = if kinds.is_empty() {
        (
            "False",
            "ContentRemoved",
            "All content successfully removed".to_string(),
        )
    } else {
        (
            "True",
            "SomeResourcesRemain",
            format!("Some resources are remaining: {}", list(&kinds, "has")),
        )
    };
    let finalizers = if holds.is_empty() {
        (
            "False",
            "ContentHasNoFinalizers",
            "All content-preserving finalizers finished".to_string(),
        )
    } else {
        (
            "True",
            "SomeFinalizersRemain",
            format!(
                "Some content in the namespace has finalizers remaining: {}",
                list(&holds, "in")
            ),
        )
    };
    let now = meta::now();
    let rows = [
        (
            "NamespaceDeletionDiscoveryFailure",
            (
                "False",
                "ResourcesDiscovered",
                "All resources successfully discovered".to_string(),
            ),
        ),
        (
            "NamespaceDeletionGroupVersionParsingFailure",
            (
                "False",
                "ParsedGroupVersions",
                "All legacy kube types successfully parsed".to_string(),
            ),
        ),
        (
            "NamespaceDeletionContentFailure",
            (
                "False",
                "ContentDeleted",
                "All content successfully deleted, may be waiting on finalization".to_string(),
            ),
        ),
        ("NamespaceContentRemaining", remaining),
        ("NamespaceFinalizersRemaining", finalizers),
    ];
    let conditions: Vec<Value> = rows
        .into_iter()
        .map(|(type_, (status, reason, message))| {
            let since = before
                .as_array()
                .into_iter()
                .flatten()
                .find(|c| c["type"] == type_ && c["status"] == status)
                .map_or(json!(now), |c| c["lastTransitionTime"].clone());
            json!({"type": type_, "status": status, "reason": reason, "message": message,
                "lastTransitionTime": since})
        })
        .collect();
    Value::Array(conditions)
}

/// Called after an object left the store: a terminating namespace may now be empty,
/// and a removed CRD takes its kinds and their objects with it.
pub fn after_removal(inner: &mut Inner, rt: &ResourceType, obj: &Value) {
    let ns = meta_str(obj, "namespace");
    if rt.namespaced && !inner.store.namespace_has_objects(ns) {
        finish_namespace(inner, ns);
    }
    if !rt.custom && rt.group == "apiextensions.k8s.io" && rt.plural == "customresourcedefinitions"
    {
        let key = meta_str(obj, "name").to_string();
        for o in inner.store.list(&key, None) {
            inner.store.commit(&key, EventType::Deleted, (*o).clone());
        }
        inner.registry.remove_custom(&key);
    }
}
