//! EndpointSlice: the endpoints of a Service, which the slice names in a
//! label. The snapshot groups slices by Service; the index keys them by
//! their own name. A change re-plans the routes of the Service the slice
//! belonged to before and after it, so a relabelled slice updates both.

use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::ResourceExt;
use serde_json::Value;

use super::{DISCOVERY_GROUP, Identity, Kind, Scope, decode};
use crate::index::{Dirty, Graph};
use crate::snapshot::{Key, ManifestError, Snapshot};

/// The label that ties an EndpointSlice to its Service.
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

const ID: Identity = Identity {
    group: DISCOVERY_GROUP,
    version: "v1",
    kind: "EndpointSlice",
    plural: "endpointslices",
    scope: Scope::Namespaced,
};

/// `discovery.k8s.io/v1` EndpointSlice.
pub struct EndpointSliceKind;

/// What the plan reads of an EndpointSlice: its ports and its endpoints'
/// addresses and readiness. The index keeps no more: a whole slice with
/// its labels was about 2.7 KB, and a cluster of 10,000 routes has 20,000.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Endpoints {
    /// `ports`.
    pub ports: Vec<SlicePort>,
    /// `endpoints`.
    pub endpoints: Vec<SliceEndpoint>,
}

/// One of a slice's ports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlicePort {
    /// `name`, if any.
    pub name: Option<String>,
    /// `port`, if any.
    pub port: Option<i32>,
}

/// One of a slice's endpoints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SliceEndpoint {
    /// `addresses`.
    pub addresses: Vec<String>,
    /// `conditions.ready`; unknown counts as ready, as kube-proxy treats it.
    pub ready: bool,
}

impl From<EndpointSlice> for Endpoints {
    fn from(slice: EndpointSlice) -> Self {
        let ports = slice.ports.unwrap_or_default().into_iter();
        let ports = ports.map(|p| SlicePort {
            name: p.name,
            port: p.port,
        });
        let endpoints = slice.endpoints.unwrap_or_default().into_iter();
        let endpoints = endpoints.map(|e| SliceEndpoint {
            ready: e.conditions.and_then(|c| c.ready).unwrap_or(true),
            addresses: e.addresses,
        });
        Endpoints {
            ports: crate::snug::collect(ports),
            endpoints: crate::snug::collect(endpoints),
        }
    }
}

/// Files a slice under its Service, replacing any slice of the same name in
/// its namespace: that one may have been labelled for another Service.
pub(crate) fn file(snapshot: &mut Snapshot, slice: EndpointSlice) {
    let key = ID.key(slice.metadata.namespace.as_deref(), &slice.name_any());
    EndpointSliceKind.remove(snapshot, &key);
    let service = slice
        .labels()
        .get(SERVICE_NAME_LABEL)
        .cloned()
        .unwrap_or_default();
    snapshot
        .endpoint_slice_services
        .insert(key.clone(), service.clone());
    let slices = snapshot
        .endpoint_slices
        .entry((key.0, service))
        .or_default();
    // Kept sorted by name, as a map would; most Services have one slice.
    let at = slices.partition_point(|(name, _)| *name < key.1);
    crate::snug::insert(slices, at, (key.1, slice.into()));
}

impl Kind for EndpointSliceKind {
    fn identity(&self) -> &'static Identity {
        &ID
    }

    fn insert(&self, snapshot: &mut Snapshot, object: Value) -> Result<(), ManifestError> {
        file(snapshot, decode(&ID, object)?);
        Ok(())
    }

    fn remove(&self, snapshot: &mut Snapshot, key: &Key) {
        let Some(service) = snapshot.endpoint_slice_services.remove(key) else {
            return;
        };
        let filed = (key.0.clone(), service);
        if let Some(slices) = snapshot.endpoint_slices.get_mut(&filed) {
            slices.retain(|(name, _)| *name != key.1);
            if slices.is_empty() {
                snapshot.endpoint_slices.remove(&filed);
            }
        }
    }

    fn keys(&self, snapshot: &Snapshot) -> Vec<Key> {
        let slices = snapshot.endpoint_slices.iter();
        slices
            .flat_map(|((ns, _), s)| s.iter().map(move |(n, _)| (ns.clone(), n.clone())))
            .collect()
    }

    /// The routes of the Service the slice is filed under.
    fn dirties(&self, snapshot: &Snapshot, graph: &Graph, key: &Key) -> Dirty {
        let mut d = Dirty::default();
        if let Some(service) = snapshot.endpoint_slice_services.get(key) {
            let service = (key.0.clone(), service.clone());
            d.routes.extend(graph.routes_of_service(&service));
            let exports = super::service_export::exports_of_service(snapshot, &service);
            d.service_exports.extend(exports);
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{mk_route, route_names};
    use super::*;
    use crate::index::Index;

    fn mk_slice(ns: &str, name: &str, service: &str) -> Value {
        json!({"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice",
            "metadata":{"name":name,"namespace":ns,"labels":{"kubernetes.io/service-name":service}},
            "addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"]}]})
    }

    fn index() -> Index {
        let mut ix = Index::default();
        for (route, service) in [("to-web", "web"), ("to-api", "api")] {
            let backends = json!([{"name":service,"port":80}]);
            ix.apply(mk_route("HTTPRoute", route, "mesh", backends))
                .unwrap();
        }
        ix
    }

    #[test]
    fn a_slice_relabelled_to_another_service_dirties_the_routes_of_both() {
        let mut ix = index();
        let d = ix.apply(mk_slice("app", "s1", "web")).unwrap();
        assert_eq!(route_names(&d), vec!["to-web"]);
        let d = ix.apply(mk_slice("app", "s1", "api")).unwrap();
        assert_eq!(route_names(&d), vec!["to-api", "to-web"]);
        let services: Vec<&Key> = ix.snapshot().endpoint_slices.keys().collect();
        assert_eq!(services, vec![&("app".to_string(), "api".to_string())]);
    }

    #[test]
    fn a_slice_is_keyed_by_its_own_name_not_its_service() {
        let mut ix = index();
        ix.apply(mk_slice("app", "s1", "web")).unwrap();
        let keys = ix.keys(DISCOVERY_GROUP, "EndpointSlice");
        assert_eq!(keys, vec![("app".to_string(), "s1".to_string())]);
    }

    #[test]
    fn deleting_a_slice_leaves_slices_of_the_same_name_in_other_namespaces() {
        let mut ix = index();
        ix.apply(mk_slice("app", "s1", "web")).unwrap();
        ix.apply(mk_slice("other", "s1", "web")).unwrap();
        let d = ix.delete("discovery.k8s.io/v1", "EndpointSlice", "app", "s1");
        assert_eq!(route_names(&d), vec!["to-web"]);
        let left: Vec<&Key> = ix.snapshot().endpoint_slices.keys().collect();
        assert_eq!(left, vec![&("other".to_string(), "web".to_string())]);
    }
}
