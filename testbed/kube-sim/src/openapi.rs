//! OpenAPI v3 documents, enough for kubectl: the index at `/openapi/v3` and one
//! document per group/version whose PATCH operations declare `fieldValidation`,
//! so kubectl leaves validation to the server instead of validating client-side.

use serde_json::{Map, Value, json};

use crate::registry::Registry;
use crate::resources::ResourceType;

/// A short, stable hex hash (FNV-1a) of a string.
pub fn short_hash(s: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016X}")
}

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// `/openapi/v3`: one entry per served group/version.
pub fn index(reg: &Registry) -> Value {
    let mut paths = Map::new();
    let mut gvs: Vec<(String, String)> = vec![(String::new(), "v1".into())];
    for (g, vs) in reg.groups() {
        gvs.extend(vs.into_iter().map(|v| (g.clone(), v)));
    }
    for (g, v) in gvs {
        let doc = group_version(reg, &g, &v).unwrap_or_default();
        let hash = short_hash(&doc.to_string());
        let p = gv_path(&g, &v);
        paths.insert(
            p.clone(),
            json!({"serverRelativeURL": format!("/openapi/v3/{p}?hash={hash}")}),
        );
    }
    json!({"paths": paths})
}

fn schema_name(t: &ResourceType) -> String {
    let g = if t.group.is_empty() {
        "core".to_string()
    } else {
        t.group.split('.').rev().collect::<Vec<_>>().join(".")
    };
    format!("{g}.{}.{}", t.version, t.kind)
}

fn gvk(t: &ResourceType) -> Value {
    json!({"group": t.group, "version": t.version, "kind": t.kind})
}

fn op(t: &ResourceType, action: &str, params: &[&str], body_types: &[&str]) -> Value {
    let reference = json!({"$ref": format!("#/components/schemas/{}", schema_name(t))});
    let mut o = json!({
        "operationId": format!("{action}{}", t.kind),
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": gvk(t),
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": reference}}}},
    });
    if !params.is_empty() {
        let ps: Vec<Value> =
            params.iter().map(|p| json!({"name": p, "in": "query", "schema": {"type": "string", "uniqueItems": true}})).collect();
        o["parameters"] = json!(ps);
    }
    if !body_types.is_empty() {
        let mut content = Map::new();
        for ct in body_types {
            content.insert((*ct).to_string(), json!({"schema": reference}));
        }
        o["requestBody"] = json!({"content": content, "required": true});
    }
    o
}

fn paths_for(t: &ResourceType, paths: &mut Map<String, Value>) {
    let base = format!("/{}", gv_path(&t.group, &t.version));
    let coll = if t.namespaced {
        format!("{base}/namespaces/{{namespace}}/{}", t.plural)
    } else {
        format!("{base}/{}", t.plural)
    };
    let write = ["dryRun", "fieldManager", "fieldValidation", "pretty"];
    let patch_types = [
        "application/json-patch+json",
        "application/merge-patch+json",
        "application/apply-patch+yaml",
    ];
    paths.insert(
        coll.clone(),
        json!({
            "get": op(t, "list", &["labelSelector", "fieldSelector", "limit", "continue", "watch"], &[]),
            "post": op(t, "post", &write, &["application/json", "application/yaml"]),
        }),
    );
    let item = format!("{coll}/{{name}}");
    let mut patch_params = write.to_vec();
    patch_params.push("force");
    paths.insert(
        item.clone(),
        json!({
            "get": op(t, "get", &[], &[]),
            "put": op(t, "put", &write, &["application/json", "application/yaml"]),
            "patch": op(t, "patch", &patch_params, &patch_types),
            "delete": op(t, "delete", &["dryRun", "gracePeriodSeconds", "propagationPolicy"], &[]),
        }),
    );
    if t.status_subresource {
        paths.insert(
            format!("{item}/status"),
            json!({
                "get": op(t, "get", &[], &[]),
                "put": op(t, "put", &write, &["application/json"]),
                "patch": op(t, "patch", &patch_params, &patch_types),
            }),
        );
    }
}

/// The OpenAPI v3 document of one group/version, if served.
pub fn group_version(reg: &Registry, group: &str, version: &str) -> Option<Value> {
    if !reg.has_group_version(group, version) {
        return None;
    }
    let mut paths = Map::new();
    let mut schemas = Map::new();
    for t in reg.resources_in(group, version) {
        paths_for(t, &mut paths);
        let mut schema = t
            .schema
            .clone()
            .unwrap_or_else(|| json!({"type": "object"}));
        if schema.is_object() {
            schema["x-kubernetes-group-version-kind"] = json!([gvk(t)]);
        }
        schemas.insert(schema_name(t), schema);
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": format!("v{}.{}.0", crate::discovery::KUBE_VERSION.0, crate::discovery::KUBE_VERSION.1)},
        "paths": paths,
        "components": {"schemas": schemas},
    }))
}

/// A minimal OpenAPI v2 document (no definitions) as JSON. With it kubectl finds no
/// client-side schema for a kind and leaves validation to the server.
pub fn v2_json() -> Value {
    json!({"swagger": "2.0", "info": {"title": "Kubernetes", "version": version()}, "paths": {}, "definitions": {}})
}

fn version() -> String {
    format!(
        "v{}.{}.0",
        crate::discovery::KUBE_VERSION.0,
        crate::discovery::KUBE_VERSION.1
    )
}

fn pb_string(field: u8, s: &str, out: &mut Vec<u8>) {
    out.push((field << 3) | 2);
    out.push(s.len() as u8);
    out.extend_from_slice(s.as_bytes());
}

/// The same document in the protobuf encoding (gnostic `openapi.v2.Document`) that
/// kubectl asks for: `swagger` (1), `info` (2: title 1, version 2), empty `paths` (8)
/// and `definitions` (9).
pub fn v2_protobuf() -> Vec<u8> {
    let mut info = Vec::new();
    pb_string(1, "Kubernetes", &mut info);
    pb_string(2, &version(), &mut info);
    let mut doc = Vec::new();
    pb_string(1, "2.0", &mut doc);
    doc.push((2 << 3) | 2);
    doc.push(info.len() as u8);
    doc.extend(info);
    doc.extend([(8 << 3) | 2, 0, (9 << 3) | 2, 0]);
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_patch_operation_declares_field_validation() {
        let reg = Registry::default();
        let doc = group_version(&reg, "", "v1").expect("served");
        let patch = &doc["paths"]["/api/v1/namespaces/{namespace}/configmaps/{name}"]["patch"];
        assert_eq!(
            patch["x-kubernetes-group-version-kind"]["kind"],
            "ConfigMap"
        );
        let names: Vec<&str> = patch["parameters"]
            .as_array()
            .expect("params")
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert!(names.contains(&"fieldValidation"));
        assert!(
            index(&reg)["paths"]["apis/coordination.k8s.io/v1"]["serverRelativeURL"]
                .as_str()
                .is_some()
        );
    }
}
