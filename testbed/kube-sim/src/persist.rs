//! Saving state to a file and loading it at start, so that a restart keeps the
//! objects and resourceVersions carry on where they stopped.
//!
//! The file is a snapshot, rewritten atomically now and then. Between snapshots every
//! commit is appended to a journal beside it (`<file>.journal`, one JSON line each),
//! so that a write acknowledged just before the process is killed survives and its
//! resourceVersion is never handed out twice. Loading replays the journal over the
//! snapshot; a torn last line is ignored.

use std::path::Path;

use serde_json::{Value, json};

use crate::error::SimError;
use crate::ops::Inner;
use crate::registry::Registry;
use crate::store::{EventType, Store};

const CRDS: &str = "customresourcedefinitions.apiextensions.k8s.io";

/// A file kept beside a state file: `<state_file><suffix>`.
fn beside(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

/// The journal kept beside a state file.
pub fn journal_path(path: &Path) -> std::path::PathBuf {
    beside(path, ".journal")
}

/// Where the TLS CA's key is kept beside a state file (see
/// [`crate::SelfSigned::with_ca_key_file`]).
pub fn ca_key_path(path: &Path) -> std::path::PathBuf {
    beside(path, ".ca-key.pem")
}

/// Opens the journal for appending (creating it), for [`Store::set_journal`].
pub fn open_journal(path: &Path) -> Result<std::fs::File, SimError> {
    let j = journal_path(path);
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&j)
        .map_err(|e| SimError::Io(j.display().to_string(), e))
}

/// Writes the state atomically (to a temporary file, then renamed over `path`), and
/// empties the journal it now holds.
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
    inner
        .store
        .clear_journal()
        .map_err(|e| SimError::Io(journal_path(path).display().to_string(), e))
}

/// Whether there is saved state to load: a snapshot, a journal, or both.
pub fn exists(path: &Path) -> bool {
    path.exists() || journal_path(path).exists()
}

/// Loads state saved by [`save`] and the journal written since; CRDs are served again
/// at once.
pub fn load(path: &Path, history_limit: usize) -> Result<Inner, SimError> {
    let doc: Value = if path.exists() {
        let bytes = std::fs::read(path).map_err(|e| SimError::Io(path.display().to_string(), e))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| SimError::State(format!("{}: {e}", path.display())))?
    } else {
        json!({"resourceVersion": 0, "objects": []})
    };
    let rv = doc["resourceVersion"]
        .as_u64()
        .ok_or_else(|| SimError::State(format!("{}: missing resourceVersion", path.display())))?;
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
    replay_journal(path, &mut store, &mut registry)?;
    Ok(Inner { registry, store })
}

fn replay_journal(path: &Path, store: &mut Store, registry: &mut Registry) -> Result<(), SimError> {
    let j = journal_path(path);
    let text = match std::fs::read_to_string(&j) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(SimError::Io(j.display().to_string(), e)),
    };
    for line in text.lines() {
        // The last line may be torn by a kill mid-write; it was never acknowledged.
        let Ok(entry) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let (Some(rv), Some(key)) = (entry["rv"].as_u64(), entry["key"].as_str()) else {
            continue;
        };
        if rv <= store.rv() {
            continue;
        }
        let kind = match entry["type"].as_str() {
            Some("DELETED") => EventType::Deleted,
            Some("ADDED") => EventType::Added,
            _ => EventType::Modified,
        };
        let obj = entry["object"].clone();
        if key == CRDS {
            let name = crate::meta::meta_str(&obj, "name").to_string();
            match (kind, crate::crd::resource_types(&obj)) {
                (EventType::Deleted, _) => registry.remove_custom(&name),
                (_, Ok(types)) => registry.set_custom(&name, types),
                _ => {}
            }
        }
        store.replay(rv, key, kind, obj);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
        std::fs::write(dir.path().join("bad.json"), b"{").expect("write");
        assert!(load(&dir.path().join("bad.json"), 10).is_err());
        assert!(!exists(&dir.path().join("missing.json")));
    }

    #[test]
    fn writes_after_the_last_snapshot_come_back_from_the_journal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        let mut inner = Inner {
            registry: Registry::default(),
            store: Store::new(0, 10),
        };
        inner
            .store
            .set_journal(open_journal(&path).expect("journal"));
        let cm = |name: &str| json!({"metadata": {"name": name, "namespace": "default"}});
        inner.store.commit("configmaps", EventType::Added, cm("a"));
        save(&inner, &path).expect("snapshot");
        inner.store.commit("configmaps", EventType::Added, cm("b"));
        inner
            .store
            .commit("configmaps", EventType::Deleted, cm("a"));
        // A kill mid-write leaves a torn line, which was never acknowledged.
        std::fs::OpenOptions::new()
            .append(true)
            .open(journal_path(&path))
            .and_then(|mut f| std::io::Write::write_all(&mut f, b"{\"rv\": 4, \"ke"))
            .expect("torn");
        drop(inner);
        let back = load(&path, 10).expect("loaded");
        assert_eq!(back.store.rv(), 3, "no resourceVersion is handed out twice");
        assert!(back.store.get("configmaps", "default", "a").is_none());
        assert!(back.store.get("configmaps", "default", "b").is_some());
    }
}
