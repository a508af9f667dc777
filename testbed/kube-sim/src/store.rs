//! The object store: every object by resource, namespace and name, one global
//! monotonically increasing `resourceVersion`, and a bounded history of changes
//! that watches are served from.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use serde_json::{Value, json};

/// What happened to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// Created.
    Added,
    /// Changed.
    Modified,
    /// Removed.
    Deleted,
}

impl EventType {
    /// The wire name (`ADDED`, `MODIFIED`, `DELETED`).
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One change, as kept in the history.
#[derive(Debug, Clone)]
pub struct Change {
    /// The resourceVersion of this change.
    pub rv: u64,
    /// The storage key of the resource (`plural.group`).
    pub key: String,
    /// The namespace of the object ("" for cluster-scoped).
    pub namespace: String,
    /// What happened.
    pub kind: EventType,
    /// The object after the change (for a delete: the last state, with the new rv).
    pub object: Arc<Value>,
    /// The object before the change, if any.
    pub old: Option<Arc<Value>>,
}

/// Objects of one resource, ordered by (namespace, name) as etcd orders its keys.
pub type Bucket = BTreeMap<(String, String), Arc<Value>>;

/// The store.
#[derive(Debug)]
pub struct Store {
    rv: u64,
    objects: BTreeMap<String, Bucket>,
    history: VecDeque<Arc<Change>>,
    history_cap: usize,
    /// Watches may start from any resourceVersion >= this one.
    compacted: u64,
    /// Where each commit is appended as one JSON line when state is kept in a file,
    /// so that a write acknowledged just before a crash is not lost.
    journal: Option<std::fs::File>,
}

impl Store {
    /// An empty store whose next resourceVersion is `rv + 1`.
    pub fn new(rv: u64, history_cap: usize) -> Self {
        Self {
            rv,
            objects: BTreeMap::new(),
            history: VecDeque::new(),
            history_cap: history_cap.max(1),
            compacted: rv,
            journal: None,
        }
    }

    /// Appends every later commit to `journal` (see [`crate::persist`]).
    pub fn set_journal(&mut self, journal: std::fs::File) {
        self.journal = Some(journal);
    }

    /// Empties the journal, once a snapshot holds everything it recorded.
    pub fn clear_journal(&self) -> std::io::Result<()> {
        match &self.journal {
            Some(j) => j.set_len(0),
            None => Ok(()),
        }
    }

    /// Puts back a change read from the journal at start.
    pub fn replay(&mut self, rv: u64, key: &str, kind: EventType, obj: Value) {
        let ns = crate::meta::meta_str(&obj, "namespace").to_string();
        let name = crate::meta::meta_str(&obj, "name").to_string();
        let bucket = self.objects.entry(key.to_string()).or_default();
        if kind == EventType::Deleted {
            bucket.remove(&(ns, name));
        } else {
            bucket.insert((ns, name), Arc::new(obj));
        }
        self.rv = self.rv.max(rv);
        self.compacted = self.rv;
    }

    /// The latest resourceVersion.
    pub fn rv(&self) -> u64 {
        self.rv
    }

    /// The oldest resourceVersion a watch may start from.
    pub fn compacted(&self) -> u64 {
        self.compacted
    }

    /// One object.
    pub fn get(&self, key: &str, ns: &str, name: &str) -> Option<Arc<Value>> {
        self.objects
            .get(key)?
            .get(&(ns.to_string(), name.to_string()))
            .cloned()
    }

    /// All objects of a resource, optionally in one namespace, in key order.
    pub fn list(&self, key: &str, ns: Option<&str>) -> Vec<Arc<Value>> {
        let Some(b) = self.objects.get(key) else {
            return vec![];
        };
        match ns {
            Some(ns) => b
                .range((ns.to_string(), String::new())..)
                .take_while(|((n, _), _)| n == ns)
                .map(|(_, v)| v.clone())
                .collect(),
            None => b.values().cloned().collect(),
        }
    }

    /// Whether any object of any resource lives in namespace `ns`.
    pub fn namespace_has_objects(&self, ns: &str) -> bool {
        self.objects
            .values()
            .any(|b| b.keys().any(|(n, _)| n == ns))
    }

    /// Every (storage key, object) pair in namespace `ns`.
    pub fn objects_in_namespace(&self, ns: &str) -> Vec<(String, Arc<Value>)> {
        let mut out = Vec::new();
        for (k, b) in &self.objects {
            for ((n, _), v) in b {
                if n == ns {
                    out.push((k.clone(), v.clone()));
                }
            }
        }
        out
    }

    /// Stamps `obj` with the next resourceVersion, stores it (or removes it for a
    /// delete), records the change and returns it.
    pub fn commit(&mut self, key: &str, kind: EventType, mut obj: Value) -> Arc<Change> {
        self.rv += 1;
        obj["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        let ns = crate::meta::meta_str(&obj, "namespace").to_string();
        let name = crate::meta::meta_str(&obj, "name").to_string();
        let obj = Arc::new(obj);
        let bucket = self.objects.entry(key.to_string()).or_default();
        let old = if kind == EventType::Deleted {
            bucket.remove(&(ns.clone(), name))
        } else {
            bucket.insert((ns.clone(), name), obj.clone())
        };
        if let Some(j) = &self.journal {
            let mut line = serde_json::to_vec(
                &json!({"rv": self.rv, "key": key, "type": kind.as_str(), "object": &*obj}),
            )
            .unwrap_or_default();
            line.push(b'\n');
            if let Err(e) = std::io::Write::write_all(&mut &*j, &line) {
                tracing::warn!(error = %e, "appending to the kube-sim journal");
            }
        }
        let change = Arc::new(Change {
            rv: self.rv,
            key: key.to_string(),
            namespace: ns,
            kind,
            object: obj,
            old,
        });
        self.history.push_back(change.clone());
        while self.history.len() > self.history_cap {
            if let Some(c) = self.history.pop_front() {
                self.compacted = c.rv;
            }
        }
        change
    }

    /// The recorded changes after `rv`, or `Err(oldest)` when history no longer
    /// reaches back that far.
    pub fn changes_since(&self, rv: u64) -> Result<Vec<Arc<Change>>, u64> {
        if rv < self.compacted {
            return Err(self.compacted);
        }
        let start = self.history.partition_point(|c| c.rv <= rv);
        Ok(self.history.range(start..).cloned().collect())
    }

    /// Forgets all history, as an etcd compaction would: watches from any older
    /// resourceVersion then get `410 Gone`.
    pub fn compact(&mut self) {
        self.history.clear();
        self.compacted = self.rv;
    }

    /// Every object, for saving.
    pub fn all_objects(&self) -> Vec<(String, Arc<Value>)> {
        self.objects
            .iter()
            .flat_map(|(k, b)| b.values().map(move |v| (k.clone(), v.clone())))
            .collect()
    }

    /// Puts an object back as loaded from a state file (no history, no rv bump).
    pub fn restore(&mut self, key: &str, obj: Value) {
        let ns = crate::meta::meta_str(&obj, "namespace").to_string();
        let name = crate::meta::meta_str(&obj, "name").to_string();
        self.objects
            .entry(key.to_string())
            .or_default()
            .insert((ns, name), Arc::new(obj));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(name: &str) -> Value {
        json!({"metadata": {"name": name, "namespace": "default"}})
    }

    #[test]
    fn commits_bump_the_resource_version_and_are_kept_in_history() {
        let mut s = Store::new(10, 100);
        s.commit("cm", EventType::Added, obj("a"));
        s.commit("cm", EventType::Modified, obj("a"));
        assert_eq!(s.rv(), 12);
        assert_eq!(
            s.get("cm", "default", "a").expect("stored")["metadata"]["resourceVersion"],
            "12"
        );
        let ch = s.changes_since(11).expect("in history");
        assert_eq!(ch.len(), 1);
        assert_eq!(ch[0].kind, EventType::Modified);
        assert!(ch[0].old.is_some());
    }

    #[test]
    fn history_beyond_its_capacity_is_gone() {
        let mut s = Store::new(0, 2);
        for n in ["a", "b", "c"] {
            s.commit("cm", EventType::Added, obj(n));
        }
        assert_eq!(s.changes_since(0).expect_err("compacted"), 1);
        assert_eq!(s.changes_since(1).expect("ok").len(), 2);
        s.compact();
        assert!(s.changes_since(2).is_err());
        assert_eq!(s.list("cm", Some("default")).len(), 3);
    }
}
