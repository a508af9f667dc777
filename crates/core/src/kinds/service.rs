//! Service: a route backend. A change re-plans the routes that use it.

use k8s_openapi::api::core::v1::Service;
use serde_json::Value;

use super::target_group_policy::{self, targeted_service};
use super::{CORE_GROUP, Identity, Kind, Scope, decode};
use crate::index::{Dirty, Graph};
use crate::snapshot::{Key, ManifestError, Snapshot};

const ID: Identity = Identity {
    group: CORE_GROUP,
    version: "v1",
    kind: "Service",
    plural: "services",
    scope: Scope::Namespaced,
};

/// `v1` Service.
pub struct ServiceKind;

/// What the plan reads of a Service: its ports. The index keeps no more:
/// a whole `Service` is about 1 KB before its strings, and a cluster of
/// 10,000 routes has 20,000 of them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServicePorts {
    /// `spec.ports`, in order.
    pub ports: Vec<ServicePort>,
}

/// One of a Service's ports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServicePort {
    /// `port`.
    pub port: i32,
    /// `name`, if any.
    pub name: Option<String>,
}

impl From<Service> for ServicePorts {
    fn from(svc: Service) -> Self {
        let ports = svc.spec.and_then(|s| s.ports).unwrap_or_default();
        let ports = ports.into_iter().map(|p| ServicePort {
            port: p.port,
            name: p.name,
        });
        ServicePorts {
            ports: crate::snug::collect(ports),
        }
    }
}

impl Kind for ServiceKind {
    fn identity(&self) -> &'static Identity {
        &ID
    }

    fn insert(&self, snapshot: &mut Snapshot, object: Value) -> Result<(), ManifestError> {
        let key = ID.key_of(&object);
        let svc: Service = decode(&ID, object)?;
        snapshot.services.insert(key, svc.into());
        Ok(())
    }

    fn remove(&self, snapshot: &mut Snapshot, key: &Key) {
        snapshot.services.remove(key);
    }

    fn keys(&self, snapshot: &Snapshot) -> Vec<Key> {
        snapshot.services.keys().cloned().collect()
    }

    /// The routes with the Service as a backend.
    /// The routes that use the Service, and the TargetGroupPolicies that
    /// target it (whether it exists is in their status).
    fn dirties(&self, snapshot: &Snapshot, graph: &Graph, key: &Key) -> Dirty {
        let policies = snapshot
            .target_group_policies
            .iter()
            .filter(|(k, p)| targeted_service(&p.spec.target_ref, k).as_ref() == Some(key))
            .map(|(k, _)| (target_group_policy::ID.kind.to_string(), k.clone()))
            .collect();
        Dirty {
            routes: graph.routes_of_service(key),
            policies,
            service_exports: super::service_export::exports_of_service(snapshot, key)
                .into_iter()
                .collect(),
            ..Dirty::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{mk_route, mk_service, route_names};
    use crate::index::Index;

    #[test]
    fn a_deleted_service_dirties_the_routes_that_use_it() {
        let mut ix = Index::default();
        ix.apply(mk_service("app", "web")).unwrap();
        ix.apply(mk_route(
            "HTTPRoute",
            "a",
            "mesh",
            json!([{"name":"web","port":80}]),
        ))
        .unwrap();
        assert_eq!(
            route_names(&ix.delete("v1", "Service", "app", "web")),
            vec!["a"]
        );
        assert!(ix.snapshot().services.is_empty());
    }
}
