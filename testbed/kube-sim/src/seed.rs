//! Loading manifests in-process (no HTTP round trip), e.g. to pre-install CRDs for
//! an embedded demo: each YAML document is created, or replaced if it exists.

use serde::Deserialize;
use serde_json::Value;

use crate::error::SimError;
use crate::meta::meta_str;
use crate::ops::{self, Inner, Part, WriteOpts};

/// Creates or replaces every object of a multi-document YAML string, in order, and
/// returns how many were written. Documents that are empty or `null` are skipped.
pub fn apply_yaml(inner: &mut Inner, yaml: &str, manager: &str) -> Result<usize, SimError> {
    let w = WriteOpts {
        manager: manager.to_string(),
        ..Default::default()
    };
    let mut written = 0;
    for doc in serde_yaml::Deserializer::from_str(yaml) {
        let obj = Value::deserialize(doc).map_err(|e| SimError::Manifest(e.to_string()))?;
        if obj.is_null() {
            continue;
        }
        let api_version = obj["apiVersion"].as_str().unwrap_or_default().to_string();
        let kind = obj["kind"].as_str().unwrap_or_default().to_string();
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", &api_version));
        let rt = inner
            .registry
            .all()
            .iter()
            .find(|t| t.group == group && t.version == version && t.kind == kind)
            .cloned()
            .ok_or_else(|| {
                SimError::Manifest(format!("no kind {kind:?} is served at {api_version:?}"))
            })?;
        let ns = match meta_str(&obj, "namespace") {
            "" if rt.namespaced => "default".to_string(),
            ns => ns.to_string(),
        };
        let name = meta_str(&obj, "name").to_string();
        let existing = inner.store.get(
            &rt.storage_key(),
            if rt.namespaced { &ns } else { "" },
            &name,
        );
        let result = match existing {
            None => ops::create(inner, &rt, &ns, obj, &w).map(|_| ()),
            Some(old) if obj["metadata"].is_object() => {
                let mut obj = obj;
                obj["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"].clone();
                crate::update::update(inner, &rt, &ns, &name, obj, Part::Main, &w).map(|_| ())
            }
            Some(_) => {
                return Err(SimError::Manifest(format!(
                    "{kind} {name:?}: metadata is not an object"
                )));
            }
        };
        result.map_err(|e| SimError::Manifest(format!("{kind} {name:?}: {}", e.message)))?;
        written += 1;
    }
    Ok(written)
}
