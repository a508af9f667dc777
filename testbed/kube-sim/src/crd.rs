//! CustomResourceDefinition handling: turning a CRD into served resource types and
//! giving it the status a real API server would (Established, NamesAccepted).

use serde_json::{Value, json};

use crate::resources::{PrinterColumn, ResourceType};
use crate::status::Cause;

fn s(v: &Value, path: &[&str]) -> String {
    let mut cur = v;
    for p in path {
        cur = &cur[*p];
    }
    cur.as_str().unwrap_or_default().to_string()
}

use crate::meta::strings;

fn required(field: &str) -> Cause {
    Cause {
        reason: "FieldValueRequired".into(),
        message: "Required value".into(),
        field: field.into(),
    }
}

/// Checks a CRD and returns the resource types it serves (one per served version).
pub fn resource_types(crd: &Value) -> Result<Vec<ResourceType>, Vec<Cause>> {
    let spec = &crd["spec"];
    let group = s(spec, &["group"]);
    let plural = s(spec, &["names", "plural"]);
    let kind = s(spec, &["names", "kind"]);
    let name = s(crd, &["metadata", "name"]);
    let mut causes = Vec::new();
    if group.is_empty() {
        causes.push(required("spec.group"));
    }
    if plural.is_empty() {
        causes.push(required("spec.names.plural"));
    }
    if kind.is_empty() {
        causes.push(required("spec.names.kind"));
    }
    if !group.is_empty() && !plural.is_empty() && name != format!("{plural}.{group}") {
        causes.push(Cause {
            reason: "FieldValueInvalid".into(),
            message: format!(
                "Invalid value: \"{name}\": must be spec.names.plural+\".\"+spec.group"
            ),
            field: "metadata.name".into(),
        });
    }
    let scope = s(spec, &["scope"]);
    if scope != "Namespaced" && scope != "Cluster" {
        causes.push(Cause {
            reason: "FieldValueNotSupported".into(),
            message: format!(
                "Unsupported value: \"{scope}\": supported values: \"Cluster\", \"Namespaced\""
            ),
            field: "spec.scope".into(),
        });
    }
    let versions = spec["versions"].as_array().cloned().unwrap_or_default();
    if versions.is_empty() {
        causes.push(required("spec.versions"));
    }
    let storage = versions
        .iter()
        .filter(|v| v["storage"].as_bool() == Some(true))
        .count();
    if !versions.is_empty() && storage != 1 {
        causes.push(Cause {
            reason: "FieldValueInvalid".into(),
            message: format!(
                "Invalid value: {storage}: must have exactly one version marked as storage version"
            ),
            field: "spec.versions".into(),
        });
    }
    if !causes.is_empty() {
        return Err(causes);
    }
    let singular = match s(spec, &["names", "singular"]) {
        x if x.is_empty() => kind.to_ascii_lowercase(),
        x => x,
    };
    let mut out = Vec::new();
    for v in versions
        .iter()
        .filter(|v| v["served"].as_bool().unwrap_or(false))
    {
        let printer_columns = v["additionalPrinterColumns"]
            .as_array()
            .map(|cols| {
                cols.iter()
                    .map(|c| PrinterColumn {
                        name: s(c, &["name"]),
                        type_: s(c, &["type"]),
                        json_path: s(c, &["jsonPath"]),
                        priority: c["priority"].as_i64().unwrap_or(0),
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.push(ResourceType {
            group: group.clone(),
            version: s(v, &["name"]),
            kind: kind.clone(),
            plural: plural.clone(),
            singular: singular.clone(),
            namespaced: scope == "Namespaced",
            short_names: strings(&spec["names"]["shortNames"]),
            categories: strings(&spec["names"]["categories"]),
            status_subresource: v["subresources"]["status"].is_object(),
            has_generation: true,
            custom: true,
            create_on_update: false,
            name_rule: crate::resources::NameRule::Subdomain,
            printer_columns,
            schema: v["schema"].get("openAPIV3Schema").cloned(),
        });
    }
    Ok(out)
}

/// The status a freshly accepted CRD has: names accepted, established, and its stored versions.
pub fn accepted_status(crd: &Value, now: &str, previous: Option<&Value>) -> Value {
    let spec = &crd["spec"];
    let mut stored: Vec<String> = previous
        .map(|p| strings(&p["status"]["storedVersions"]))
        .unwrap_or_default();
    if let Some(vs) = spec["versions"].as_array() {
        for v in vs.iter().filter(|v| v["storage"].as_bool() == Some(true)) {
            let name = s(v, &["name"]);
            if !stored.contains(&name) {
                stored.push(name);
            }
        }
    }
    let mut names = spec["names"].clone();
    if names["singular"].as_str().unwrap_or_default().is_empty() {
        names["singular"] = json!(s(spec, &["names", "kind"]).to_ascii_lowercase());
    }
    if names["listKind"].as_str().unwrap_or_default().is_empty() {
        names["listKind"] = json!(format!("{}List", s(spec, &["names", "kind"])));
    }
    let cond = |t: &str, reason: &str, message: &str| json!({"type": t, "status": "True", "lastTransitionTime": now, "reason": reason, "message": message});
    json!({
        "acceptedNames": names,
        "conditions": [
            cond("NamesAccepted", "NoConflicts", "no conflicts found"),
            cond("Established", "InitialNamesAccepted", "the initial names have been accepted"),
        ],
        "storedVersions": stored,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mk_crd() -> Value {
        json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {
                "group": "example.com",
                "scope": "Namespaced",
                "names": {"plural": "widgets", "kind": "Widget", "shortNames": ["wd"]},
                "versions": [
                    {"name": "v1", "served": true, "storage": true, "subresources": {"status": {}}},
                    {"name": "v1alpha1", "served": false, "storage": false}
                ]
            }
        })
    }

    #[test]
    fn a_crd_serves_its_served_versions_with_status_subresource() {
        let types = resource_types(&mk_crd()).expect("valid");
        assert_eq!(types.len(), 1);
        assert_eq!(types[0].kind, "Widget");
        assert_eq!(types[0].singular, "widget");
        assert!(types[0].status_subresource);
        assert_eq!(types[0].short_names, vec!["wd"]);
    }

    #[test]
    fn a_crd_whose_name_does_not_match_its_names_is_invalid() {
        let mut crd = mk_crd();
        crd["metadata"]["name"] = json!("gadgets.example.com");
        let causes = resource_types(&crd).expect_err("invalid");
        assert_eq!(causes[0].field, "metadata.name");
    }

    #[test]
    fn an_accepted_crd_is_established_and_records_its_storage_version() {
        let st = accepted_status(&mk_crd(), "2024-01-01T00:00:00Z", None);
        assert_eq!(st["storedVersions"], json!(["v1"]));
        assert_eq!(st["acceptedNames"]["listKind"], "WidgetList");
        assert_eq!(st["conditions"][1]["type"], "Established");
    }
}
