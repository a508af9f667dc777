//! Discovery documents: `/version`, `/api`, `/api/v1`, `/apis`, `/apis/{g}`,
//! `/apis/{g}/{v}` (the legacy, unaggregated format, which every client accepts).

use serde_json::{Value, json};

use crate::registry::Registry;
use crate::resources::ResourceType;

/// The version the emulator claims to be.
pub const KUBE_VERSION: (&str, &str) = ("1", "32");

/// `/version`.
pub fn version() -> Value {
    json!({
        "major": KUBE_VERSION.0,
        "minor": KUBE_VERSION.1,
        "gitVersion": format!("v{}.{}.0", KUBE_VERSION.0, KUBE_VERSION.1),
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2025-01-01T00:00:00Z",
        "goVersion": "go1.23.0",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

/// `/api`.
pub fn api_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    })
}

fn gv(group: &str, version: &str) -> Value {
    json!({"groupVersion": format!("{group}/{version}"), "version": version})
}

fn group(name: &str, versions: &[String]) -> Value {
    let vs: Vec<Value> = versions.iter().map(|v| gv(name, v)).collect();
    json!({"name": name, "versions": vs, "preferredVersion": gv(name, &versions[0])})
}

/// `/apis`.
pub fn api_group_list(reg: &Registry) -> Value {
    let groups: Vec<Value> = reg.groups().iter().map(|(g, vs)| group(g, vs)).collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `/apis/{group}`, if served.
pub fn api_group(reg: &Registry, name: &str) -> Option<Value> {
    let groups = reg.groups();
    let (g, vs) = groups.iter().find(|(g, _)| g == name)?;
    let mut doc = group(g, vs);
    doc["kind"] = json!("APIGroup");
    doc["apiVersion"] = json!("v1");
    Some(doc)
}

const VERBS: [&str; 8] = [
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

fn is_namespaces(t: &ResourceType) -> bool {
    !t.custom && t.group.is_empty() && t.plural == "namespaces"
}

fn resource(t: &ResourceType) -> Value {
    let mut r = json!({
        "name": t.plural,
        "singularName": t.singular,
        "namespaced": t.namespaced,
        "kind": t.kind,
        "verbs": VERBS,
        "storageVersionHash": crate::openapi::short_hash(&t.storage_key()),
    });
    if is_namespaces(t) {
        // Namespaces go one by one, through their own finalization.
        r["verbs"] = json!(
            VERBS
                .iter()
                .filter(|v| **v != "deletecollection")
                .collect::<Vec<_>>()
        );
    }
    if !t.short_names.is_empty() {
        r["shortNames"] = json!(t.short_names);
    }
    if !t.categories.is_empty() {
        r["categories"] = json!(t.categories);
    }
    r
}

/// `/api/v1` or `/apis/{group}/{version}`, if served.
pub fn resource_list(reg: &Registry, group: &str, version: &str) -> Option<Value> {
    if !reg.has_group_version(group, version) {
        return None;
    }
    let mut resources = Vec::new();
    for t in reg.resources_in(group, version) {
        resources.push(resource(t));
        if t.status_subresource {
            resources.push(json!({
                "name": format!("{}/status", t.plural),
                "singularName": "",
                "namespaced": t.namespaced,
                "kind": t.kind,
                "verbs": ["get", "patch", "update"],
            }));
        }
        if is_namespaces(t) {
            resources.push(json!({
                "name": "namespaces/finalize",
                "singularName": "",
                "namespaced": false,
                "kind": "Namespace",
                "verbs": ["update"],
            }));
        }
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}),
    )
}

/// `/`: the list of served paths.
pub fn root_paths(reg: &Registry) -> Value {
    let mut paths = vec![
        "/api".to_string(),
        "/api/v1".into(),
        "/apis".into(),
        "/openapi/v3".into(),
        "/version".into(),
    ];
    for (g, vs) in reg.groups() {
        paths.push(format!("/apis/{g}"));
        paths.extend(vs.iter().map(|v| format!("/apis/{g}/{v}")));
    }
    json!({"paths": paths})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_core_group_lists_its_resources_and_status_subresources() {
        let reg = Registry::default();
        let doc = resource_list(&reg, "", "v1").expect("served");
        let names: Vec<&str> = doc["resources"]
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|r| r["name"].as_str())
            .collect();
        assert!(
            names.contains(&"services")
                && names.contains(&"services/status")
                && names.contains(&"configmaps")
        );
        assert!(resource_list(&reg, "nope.io", "v1").is_none());
    }

    #[test]
    fn the_group_list_names_each_preferred_version() {
        let doc = api_group_list(&Registry::default());
        let lease = doc["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .find(|g| g["name"] == "coordination.k8s.io")
            .cloned();
        assert_eq!(
            lease.expect("served")["preferredVersion"]["groupVersion"],
            "coordination.k8s.io/v1"
        );
    }
}
