//! Watch loops: kube-rs watchers turned into index changes.
//!
//! Each kind of [`lattice_core::kinds::ALL`] gets its own watcher with
//! kube-rs' default backoff. A re-list (after a dropped watch or a 410 Gone)
//! arrives as `Relisted` with every key seen, so the index can drop what was
//! deleted while the watch was down. Keys follow the kind's scope: a
//! cluster-scoped object's namespace is empty.

use std::collections::BTreeSet;

use futures::StreamExt;
use kube::ResourceExt;
use kube::api::{Api, ApiResource, DynamicObject};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use lattice_core::index::{Dirty, Index};
use lattice_core::kinds::Kind;
use lattice_core::snapshot::Key;
use tokio::sync::mpsc;

/// One change for the index.
#[derive(Debug)]
pub enum Change {
    /// An object was added or modified.
    Apply(serde_json::Value),
    /// An object was deleted.
    Delete {
        /// Its API group.
        group: String,
        /// Its apiVersion.
        api_version: String,
        /// Its kind.
        kind: String,
        /// Its key.
        key: Key,
    },
    /// A re-list finished; these are all the objects of the kind.
    Relisted {
        /// API group.
        group: String,
        /// apiVersion.
        api_version: String,
        /// Kind.
        kind: String,
        /// Every key listed.
        keys: BTreeSet<Key>,
    },
}

fn key(kind: &dyn Kind, o: &DynamicObject) -> Key {
    let namespace = o.metadata.namespace.as_deref();
    kind.identity().key(namespace, &o.name_any())
}

/// The annotation `kubectl apply` leaves: a copy of the whole object.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

fn value(ar: &ApiResource, mut o: DynamicObject) -> Option<serde_json::Value> {
    // Nothing reads who owns which field, nor kubectl's copy of the object,
    // and together they are most of an object's size: the index would hold
    // them for every watched object (as controller-runtime's
    // TransformStripManagedFields drops them).
    o.metadata.managed_fields = None;
    if let Some(a) = o.metadata.annotations.as_mut() {
        a.remove(LAST_APPLIED);
    }
    let mut v = serde_json::to_value(o).ok()?;
    // Watch events may omit apiVersion/kind on dynamic objects.
    v["apiVersion"] = ar.api_version.clone().into();
    v["kind"] = ar.kind.clone().into();
    Some(v)
}

/// Watches one kind until the receiver goes away. A watch error (retried
/// with backoff) and every list after the first count as restarts.
pub async fn run(
    client: kube::Client,
    kind: &'static dyn Kind,
    tx: mpsc::Sender<Change>,
    metrics: crate::Metrics,
) {
    let ar = kind.identity().api_resource();
    let api: Api<DynamicObject> = Api::all_with(client, &ar);
    let mut stream = watcher::watcher(api, watcher::Config::default())
        .default_backoff()
        .boxed();
    let mut listing: BTreeSet<Key> = BTreeSet::new();
    let mut lists = 0u64;
    while let Some(ev) = stream.next().await {
        let change = match ev {
            Ok(Event::Apply(o)) | Ok(Event::InitApply(o)) => {
                listing.insert(key(kind, &o));
                value(&ar, o).map(Change::Apply)
            }
            Ok(Event::Delete(o)) => Some(Change::Delete {
                group: ar.group.clone(),
                api_version: ar.api_version.clone(),
                kind: ar.kind.clone(),
                key: key(kind, &o),
            }),
            Ok(Event::Init) => {
                lists += 1;
                if lists > 1 {
                    metrics.watch_restart(&ar.kind, "relist");
                }
                listing.clear();
                None
            }
            Ok(Event::InitDone) => Some(Change::Relisted {
                group: ar.group.clone(),
                api_version: ar.api_version.clone(),
                kind: ar.kind.clone(),
                keys: std::mem::take(&mut listing),
            }),
            // A kind whose CRD is not installed lists as 404 until it is:
            // that counts as synced and empty, so it does not hold up applies.
            // Its retries are expected, so they are not counted as restarts.
            Err(watcher::Error::InitialListFailed(kube::Error::Api(e)))
            | Err(watcher::Error::WatchStartFailed(kube::Error::Api(e)))
                if e.code == 404 =>
            {
                tracing::debug!(kind = %ar.kind, "not served (CRD missing?); retrying with backoff");
                Some(Change::Relisted {
                    group: ar.group.clone(),
                    api_version: ar.api_version.clone(),
                    kind: ar.kind.clone(),
                    keys: BTreeSet::new(),
                })
            }
            Err(e) => {
                metrics.watch_restart(&ar.kind, "error");
                tracing::debug!(kind = %ar.kind, error = %e, "watch error; retrying with backoff");
                None
            }
        };
        if let Some(c) = change
            && tx.send(c).await.is_err()
        {
            return;
        }
    }
}

/// Feeds one change into the index and returns what it made dirty.
pub fn apply(index: &mut Index, change: Change) -> Dirty {
    match change {
        Change::Apply(v) => index.apply(v).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "ignoring an object that does not fit its schema");
            Dirty::default()
        }),
        Change::Delete {
            api_version,
            kind,
            key,
            ..
        } => index.delete(&api_version, &kind, &key.0, &key.1),
        Change::Relisted {
            api_version,
            kind,
            keys,
            ..
        } => index.relist(&api_version, &kind, &keys),
    }
}

#[cfg(test)]
mod tests {
    use kube::ResourceExt;
    use lattice_core::kinds::{GatewayClassKind, ServiceKind};

    use super::*;

    fn object(kind: &dyn Kind, namespace: Option<&str>, name: &str) -> DynamicObject {
        let o = DynamicObject::new(name, &kind.identity().api_resource());
        match namespace {
            Some(ns) => o.within(ns),
            None => o,
        }
    }

    #[test]
    fn a_gateway_class_is_keyed_without_a_namespace() {
        let o = object(&GatewayClassKind, None, "lattice");
        assert_eq!(
            key(&GatewayClassKind, &o),
            (String::new(), "lattice".into())
        );
    }

    #[test]
    fn a_namespaced_object_is_keyed_by_its_namespace() {
        let o = object(&ServiceKind, Some("app"), "web");
        assert_eq!(o.name_any(), "web");
        assert_eq!(key(&ServiceKind, &o), ("app".into(), "web".into()));
    }

    #[test]
    fn a_relist_without_a_gateway_class_deletes_it() {
        let mut index = Index::default();
        let class = serde_json::json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"GatewayClass",
            "metadata":{"name":"lattice"},"spec":{"controllerName":"x"}});
        index.apply(class).unwrap();
        let ar = GatewayClassKind.identity().api_resource();
        let relisted = |keys| Change::Relisted {
            group: ar.group.clone(),
            api_version: ar.api_version.clone(),
            kind: ar.kind.clone(),
            keys,
        };
        let seen = [key(
            &GatewayClassKind,
            &object(&GatewayClassKind, None, "lattice"),
        )];
        apply(&mut index, relisted(seen.into()));
        assert_eq!(index.snapshot().gateway_classes.len(), 1);
        apply(&mut index, relisted(BTreeSet::new()));
        assert!(index.snapshot().gateway_classes.is_empty());
    }
}
