//! The status writer: the one place that writes route status.
//!
//! Conditions are computed by `lattice_core::status` (pure); this module
//! reads the current status from the index's copy, keeps other controllers'
//! parent entries, and patches only when our entries changed.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use lattice_core::config::CONTROLLER_NAME;
use lattice_core::index::RouteKey;
use lattice_core::model::{RouteIntent, RouteView};
use lattice_core::plan::PlanDiagnostic;
use lattice_core::status::{ApplyOutcome, route_parent_conditions, same_conditions};
use serde_json::{Value, json};

use super::kinds;

/// The field manager for status patches.
pub const FIELD_MANAGER: &str = "lattice-host";

/// A route's `status.parents` entry for one parentRef.
fn parent_ref_json(view: &RouteView, i: usize) -> Value {
    let p = &view.parent_refs[i];
    let mut v = json!({"group": p.group, "kind": p.kind, "namespace": p.namespace, "name": p.name});
    if let Some(s) = &p.section_name {
        v["sectionName"] = s.clone().into();
    }
    if let Some(port) = p.port {
        v["port"] = port.into();
    }
    v
}

/// Two parentRefs name the same parent, with defaults applied.
fn same_parent(a: &Value, b: &Value) -> bool {
    let norm =
        |v: &Value, k: &str, d: &str| v.get(k).and_then(Value::as_str).unwrap_or(d).to_string();
    ["group", "kind", "name", "sectionName"].iter().all(|k| {
        let d = match *k {
            "group" => "gateway.networking.k8s.io",
            "kind" => "Gateway",
            _ => "",
        };
        norm(a, k, d) == norm(b, k, d)
    }) && a.get("port") == b.get("port")
        && (a.get("namespace").is_none()
            || b.get("namespace").is_none()
            || a.get("namespace") == b.get("namespace"))
}

/// The new `status.parents` list, or `None` when nothing of ours changed.
pub fn desired_parents(
    current: &Value,
    view: &RouteView,
    intent: Option<&RouteIntent>,
    diagnostics: &[&PlanDiagnostic],
    apply: &ApplyOutcome,
    now: &Time,
) -> Option<Vec<Value>> {
    let existing: Vec<Value> = current
        .pointer("/status/parents")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let (ours, mut others): (Vec<Value>, Vec<Value>) = existing
        .into_iter()
        .partition(|p| p.get("controllerName").and_then(Value::as_str) == Some(CONTROLLER_NAME));
    let mut changed = false;
    let mut fresh = Vec::new();
    for &i in intent.map(|r| r.parents.as_slice()).unwrap_or_default() {
        let parent_ref = parent_ref_json(view, i);
        let old = ours.iter().find(|p| {
            p.get("parentRef")
                .is_some_and(|r| same_parent(r, &parent_ref))
        });
        let old_conditions: Vec<Condition> = old
            .and_then(|p| p.get("conditions"))
            .and_then(|c| serde_json::from_value(c.clone()).ok())
            .unwrap_or_default();
        let conditions =
            route_parent_conditions(diagnostics, i, view.generation, apply, &old_conditions, now);
        changed |= old.is_none() || !same_conditions(&old_conditions, &conditions);
        fresh.push(json!({"parentRef": parent_ref, "controllerName": CONTROLLER_NAME, "conditions": conditions}));
    }
    changed |= fresh.len() != ours.len();
    if !changed {
        return None;
    }
    others.extend(fresh);
    Some(others)
}

/// Patches a route's status.
pub async fn write(client: &kube::Client, key: &RouteKey, parents: Vec<Value>) -> kube::Result<()> {
    let ar = kinds::route(key.kind);
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), &key.namespace, &ar);
    let patch = json!({"status": {"parents": parents}});
    let params = PatchParams {
        field_manager: Some(FIELD_MANAGER.into()),
        ..Default::default()
    };
    api.patch_status(&key.name, &params, &Patch::Merge(&patch))
        .await
        .map(|_| ())
}

/// Patches the status of any object.
pub async fn write_object_status(
    client: &kube::Client,
    ar: &kube::api::ApiResource,
    namespace: Option<&str>,
    name: &str,
    status: Value,
) -> kube::Result<()> {
    let api: Api<DynamicObject> = match namespace {
        Some(ns) => Api::namespaced_with(client.clone(), ns, ar),
        None => Api::all_with(client.clone(), ar),
    };
    let params = PatchParams {
        field_manager: Some(FIELD_MANAGER.into()),
        ..Default::default()
    };
    api.patch_status(name, &params, &Patch::Merge(&json!({ "status": status })))
        .await
        .map(|_| ())
}
