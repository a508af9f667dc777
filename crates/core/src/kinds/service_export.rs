//! ServiceExport: a standalone target group of a Service for other
//! clusters. A change re-plans its own groups; its Service and
//! EndpointSlices re-plan it too ([`exports_of_service`]).

use serde_json::Value;

use super::{Identity, Kind, POLICY_GROUP, Scope, insert_keyed, with_spec};
use crate::index::{Dirty, Graph};
use crate::model::service_export::exported_service;
use crate::snapshot::{Key, ManifestError, Snapshot};

/// The ServiceExport kind's identity.
pub const ID: Identity = Identity {
    group: POLICY_GROUP,
    version: "v1alpha1",
    kind: "ServiceExport",
    plural: "serviceexports",
    scope: Scope::Namespaced,
};

/// `application-networking.k8s.aws/v1alpha1` ServiceExport, decoded as
/// [`crate::crds::ServiceExport`].
pub struct ServiceExportKind;

impl Kind for ServiceExportKind {
    fn identity(&self) -> &'static Identity {
        &ID
    }

    fn insert(&self, snapshot: &mut Snapshot, object: Value) -> Result<(), ManifestError> {
        insert_keyed(&ID, &mut snapshot.service_exports, with_spec(object))
    }

    fn remove(&self, snapshot: &mut Snapshot, key: &Key) {
        snapshot.service_exports.remove(key);
    }

    fn keys(&self, snapshot: &Snapshot) -> Vec<Key> {
        snapshot.service_exports.keys().cloned().collect()
    }

    fn dirties(&self, _: &Snapshot, _: &Graph, key: &Key) -> Dirty {
        let mut d = Dirty::default();
        d.service_exports.insert(key.clone());
        d.policies.insert((ID.kind.to_string(), key.clone()));
        d
    }
}

/// The exports of the Service `service`: a walk of its namespace's exports
/// (few), cheaper than an index kept in step. Every Service and
/// EndpointSlice event asks, so the walk starts at the namespace.
pub fn exports_of_service(snapshot: &Snapshot, service: &Key) -> Vec<Key> {
    let namespace = &service.0;
    snapshot
        .service_exports
        .range((namespace.clone(), String::new())..)
        .take_while(|(k, _)| &k.0 == namespace)
        .filter(|(_, e)| exported_service(e) == service.1)
        .map(|(k, _)| k.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::mk_service;
    use crate::index::Index;

    fn key(name: &str) -> (String, String) {
        ("app".into(), name.into())
    }

    /// An export's groups come from its Service and the Service's slices:
    /// a change to either re-plans the export.
    #[test]
    fn its_service_and_slices_dirty_the_export() {
        let mut ix = Index::default();
        ix.apply(
            json!({"apiVersion":"application-networking.k8s.aws/v1alpha1","kind":"ServiceExport",
            "metadata":{"name":"web","namespace":"app"}}),
        )
        .unwrap();
        let d = ix.apply(mk_service("app", "web")).unwrap();
        assert_eq!(d.service_exports, [key("web")].into());
        let slice = json!({"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice",
            "metadata":{"name":"web-1","namespace":"app","labels":{"kubernetes.io/service-name":"web"}},
            "addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"]}]});
        assert_eq!(
            ix.apply(slice).unwrap().service_exports,
            [key("web")].into()
        );
        let other = ix.apply(mk_service("app", "api")).unwrap();
        assert!(other.service_exports.is_empty());
    }

    /// Only the Service's own namespace is walked, and in it only the
    /// exports of that Service count, whatever sorts around it.
    #[test]
    fn a_service_finds_its_exports_in_its_own_namespace_only() {
        let mut ix = Index::default();
        for (ns, name) in [
            ("ap", "web"),
            ("app", "api"),
            ("app", "web"),
            ("app-2", "web"),
        ] {
            let export = json!({"apiVersion":"application-networking.k8s.aws/v1alpha1",
                "kind":"ServiceExport","metadata":{"name":name,"namespace":ns}});
            ix.apply(export).unwrap();
        }
        let find = |ns: &str, name: &str| {
            super::exports_of_service(ix.snapshot(), &(ns.into(), name.into()))
        };
        assert_eq!(find("app", "web"), [key("web")]);
        assert_eq!(find("app-2", "web"), [("app-2".into(), "web".into())]);
        assert!(find("a", "web").is_empty() && find("app", "db").is_empty());
    }
}
