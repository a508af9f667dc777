//! ServiceNetwork objects: a service network whose lifecycle a Kubernetes
//! object owns, as the Go controller's `ServiceNetwork` kind. The object's
//! name is the network's name; the network lives while the object does.

use crate::model::naming::{NameKind, check_name};
use crate::plan::DeclaredServiceNetwork;
use crate::snapshot::Snapshot;

/// What the object `name` declares now: nothing once it is being deleted
/// (its network is then no longer wanted) or when Lattice would refuse its
/// name (see [`invalid`]).
pub fn declared(snapshot: &Snapshot, name: &str) -> Option<DeclaredServiceNetwork> {
    let object = snapshot.service_networks.get(name)?;
    if object.metadata.deletion_timestamp.is_some() || invalid(name).is_some() {
        return None;
    }
    Some(DeclaredServiceNetwork {
        name: name.to_string(),
        tags: super::tags::of_object(&object.metadata),
    })
}

/// Every network the snapshot's ServiceNetwork objects declare.
pub fn all_declared(snapshot: &Snapshot) -> Vec<DeclaredServiceNetwork> {
    let names = snapshot.service_networks.keys();
    names.filter_map(|n| declared(snapshot, n)).collect()
}

/// Why Lattice would refuse `name` as a service network name, if it would.
pub fn invalid(name: &str) -> Option<String> {
    check_name(NameKind::ServiceNetwork, name).err()
}

/// The Lattice-class Gateways named `name`: a network they use is not
/// deleted with its ServiceNetwork object (the Go controller refuses too).
pub fn gateways_named(snapshot: &Snapshot, name: &str) -> Vec<String> {
    snapshot
        .gateways
        .iter()
        .filter(|((_, n), gw)| n == name && super::parents::is_ours(snapshot, gw))
        .map(|((ns, n), _)| format!("{ns}/{n}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn snapshot(objects: &[serde_json::Value]) -> Snapshot {
        let mut s = Snapshot::default();
        for o in objects {
            s.add_manifest(o.clone()).unwrap();
        }
        s
    }

    fn network(name: &str, deleting: bool) -> serde_json::Value {
        let mut meta = json!({"name": name});
        if deleting {
            meta["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
            meta["finalizers"] = json!(["application-networking.k8s.aws/resources"]);
        }
        json!({"apiVersion":"application-networking.k8s.aws/v1alpha1","kind":"ServiceNetwork",
            "metadata": meta, "spec": {}})
    }

    #[test]
    fn an_object_declares_its_network_until_it_is_deleted() {
        let s = snapshot(&[network("shared", false), network("old", true)]);
        assert_eq!(
            all_declared(&s),
            [DeclaredServiceNetwork {
                name: "shared".into(),
                tags: Default::default(),
            }]
        );
        assert!(declared(&s, "old").is_none());
        assert!(declared(&s, "missing").is_none());
    }

    #[test]
    fn an_object_without_a_spec_declares_its_network() {
        let bare = json!({"apiVersion":"application-networking.k8s.aws/v1alpha1",
            "kind":"ServiceNetwork","metadata":{"name":"bare"}});
        let s = snapshot(&[bare]);
        assert!(declared(&s, "bare").is_some());
    }

    #[test]
    fn a_name_lattice_refuses_declares_nothing_and_says_why() {
        let s = snapshot(&[network("UPPER", false)]);
        assert!(declared(&s, "UPPER").is_none());
        assert!(invalid("UPPER").is_some());
        assert!(invalid("shared").is_none());
    }
}
