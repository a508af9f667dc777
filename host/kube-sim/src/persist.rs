//! Saving state to a file and loading it at start, so that a restart keeps the
//! objects and resourceVersions carry on where they stopped.

use std::path::Path;

use serde_json::{Value, json};

use crate::error::SimError;
use crate::ops::Inner;
use crate::registry::Registry;
use crate::store::Store;

const CRDS: &str = "customresourcedefinitions.apiextensions.k8s.io";

/// Writes the state atomically (to a temporary file, then renamed over `path`).
pub fn save(inner: &Inner, path: &Path) -> Result<(), SimError> {
    let objects: Vec<Value> = inner
        .store
        .all_objects()
        .into_iter()
        .map(|(key, obj)| json!({"key": key, "object": *obj}))
        .collect();
    let doc = json!({"resourceVersion": inner.store.rv(), "objects": objects});
    let bytes = serde_json::to_vec(&doc).map_err(|e| SimError::State(e.to_string()))?;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| SimError::Io(tmp.display().to_string(), e))?;
    std::fs::rename(&tmp, path).map_err(|e| SimError::Io(path.display().to_string(), e))?;
    Ok(())
}

/// Loads state saved by [`save`]; CRDs are served again at once.
pub fn load(path: &Path, history_limit: usize) -> Result<Inner, SimError> {
    let bytes = std::fs::read(path).map_err(|e| SimError::Io(path.display().to_string(), e))?;
    let doc: Value = serde_json::from_slice(&bytes)
        .map_err(|e| SimError::State(format!("{}: {e}", path.display())))?;
    let rv = doc["resourceVersion"]
        .as_u64()
        .ok_or_else(|| SimError::State("missing resourceVersion".into()))?;
    let mut store = Store::new(rv, history_limit);
    let mut registry = Registry::default();
    for entry in doc["objects"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let Some(key) = entry["key"].as_str() else {
            continue;
        };
        let obj = entry["object"].clone();
        if key == CRDS
            && let Ok(types) = crate::crd::resource_types(&obj)
        {
            registry.set_custom(crate::meta::meta_str(&obj, "name"), types);
        }
        store.restore(key, obj);
    }
    Ok(Inner { registry, store })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::EventType;

    #[test]
    fn saved_state_loads_with_the_same_objects_and_resource_version() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        let mut inner = Inner {
            registry: Registry::default(),
            store: Store::new(0, 10),
        };
        inner.store.commit(
            "configmaps",
            EventType::Added,
            json!({"metadata": {"name": "a", "namespace": "default"}}),
        );
        save(&inner, &path).expect("saved");
        let back = load(&path, 10).expect("loaded");
        assert_eq!(back.store.rv(), 1);
        assert!(back.store.get("configmaps", "default", "a").is_some());
        assert!(load(&dir.path().join("missing.json"), 10).is_err());
    }
}
