//! What HTTPRoute, GRPCRoute and TLSRoute share: how they are filed and
//! found, what a route depends on, and what a change to one dirties. Each
//! route file only implements [`RouteType`].

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use lattice_plugin_sdk::types::RouteKind;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{Identity, Kind, Packed, Route, pack};
use crate::index::{Dirty, Graph, RouteKey};
use crate::model::{RouteView, naming};
use crate::snapshot::{Key, ManifestError, Snapshot};

/// One route kind: its identity, where the snapshot keeps it, and its view.
/// Every `RouteType` is a [`Kind`] and a [`Route`].
pub trait RouteType: Sync + 'static {
    /// The typed object.
    type Object: kube::Resource<DynamicType = ()> + DeserializeOwned;
    /// Group, version, kind, plural and scope.
    const IDENTITY: Identity;
    /// The kind in the plugin contract.
    const KIND: RouteKind;
    /// Where the snapshot keeps routes of this kind.
    fn map(snapshot: &Snapshot) -> &BTreeMap<Key, Packed<Self::Object>>;
    /// The same, to change.
    fn map_mut(snapshot: &mut Snapshot) -> &mut BTreeMap<Key, Packed<Self::Object>>;
    /// The normalised view planning reads.
    fn view(object: &Self::Object) -> RouteView;
}

/// What one route reads besides itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Deps {
    /// Backend Services, and ServiceImports (by namespace and name: a
    /// change to either re-plans the route).
    pub services: BTreeSet<Key>,
    /// Backend LambdaTargets.
    pub lambda_targets: BTreeSet<Key>,
    /// Parent Gateways.
    pub gateways: BTreeSet<Key>,
    /// Namespaces of backends in another namespace, where a ReferenceGrant
    /// must allow the reference.
    pub grant_namespaces: BTreeSet<String>,
}

/// What a route in `namespace` with this view depends on: its parents, its
/// backends, and the namespaces its backends cross into.
fn depends_on(view: &RouteView, namespace: &str) -> Deps {
    let mut deps = Deps::default();
    for p in &view.parent_refs {
        deps.gateways.insert((p.namespace.clone(), p.name.clone()));
    }
    for b in view.rules.iter().flat_map(|r| &r.backend_refs) {
        let key = (b.namespace.clone(), b.name.clone());
        if super::lambda_target::is_lambda_target(&b.group, &b.kind) {
            deps.lambda_targets.insert(key);
        } else {
            deps.services.insert(key);
        }
        if b.namespace != namespace {
            deps.grant_namespaces.insert(b.namespace.clone());
        }
    }
    deps
}

impl<R: RouteType> Kind for R {
    fn identity(&self) -> &'static Identity {
        &R::IDENTITY
    }

    fn insert(&self, snapshot: &mut Snapshot, object: Value) -> Result<(), ManifestError> {
        let key = R::IDENTITY.key_of(&object);
        let route: Packed<R::Object> = pack(&R::IDENTITY, object)?;
        let rk = RouteKey::new(R::KIND, &key);
        unclaim::<R>(snapshot, &rk);
        let name = service_name(&route.meta(), &key);
        crate::snug::push(snapshot.service_names.entry(name).or_default(), rk);
        R::map_mut(snapshot).insert(key, route);
        Ok(())
    }

    fn remove(&self, snapshot: &mut Snapshot, key: &Key) {
        unclaim::<R>(snapshot, &RouteKey::new(R::KIND, key));
        R::map_mut(snapshot).remove(key);
    }

    fn keys(&self, snapshot: &Snapshot) -> Vec<Key> {
        R::map(snapshot).keys().cloned().collect()
    }

    /// The route itself, the Gateways whose status counts it, and the
    /// routes whose Lattice service has its name (one of them holds it).
    fn dirties(&self, snapshot: &Snapshot, graph: &Graph, key: &Key) -> Dirty {
        let rk = RouteKey::new(R::KIND, key);
        let mut d = Dirty::default();
        d.gateways.extend(graph.gateways_of(&rk).iter().cloned());
        if let Some(route) = R::map(snapshot).get(key) {
            let name = service_name(&route.meta(), key);
            d.routes.extend(
                snapshot
                    .service_names
                    .get(&name)
                    .into_iter()
                    .flatten()
                    .cloned(),
            );
        }
        d.routes.insert(rk);
        d
    }

    fn as_route(&self) -> Option<&dyn Route> {
        Some(self)
    }
}

/// The Lattice service name of a route with this metadata.
pub(crate) fn service_name(meta: &ObjectMeta, key: &Key) -> String {
    let annotations: Vec<(String, String)> = meta
        .annotations
        .iter()
        .flatten()
        .filter(|(k, _)| k.as_str() == naming::SERVICE_NAME_OVERRIDE)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    naming::service_name(&key.1, &key.0, &annotations)
}

/// Drops the route's claim on the service name its stored version has.
fn unclaim<R: RouteType>(snapshot: &mut Snapshot, rk: &RouteKey) {
    let Some(old) = R::map(snapshot).get(&rk.key()) else {
        return;
    };
    let name = service_name(&old.meta(), &rk.key());
    if let Some(claims) = snapshot.service_names.get_mut(&name) {
        claims.retain(|c| c != rk);
        if claims.is_empty() {
            snapshot.service_names.remove(&name);
        }
    }
}

impl<R: RouteType> Route for R {
    fn route_kind(&self) -> RouteKind {
        R::KIND
    }

    fn view(&self, snapshot: &Snapshot, key: &Key) -> Option<RouteView> {
        R::map(snapshot).get(key).map(|r| R::view(&r.object()))
    }

    fn meta(&self, snapshot: &Snapshot, key: &Key) -> Option<ObjectMeta> {
        R::map(snapshot).get(key).map(|r| r.meta())
    }

    fn json(&self, snapshot: &Snapshot, key: &Key) -> Option<Value> {
        R::map(snapshot).get(key).map(Packed::json)
    }

    fn depends_on(&self, snapshot: &Snapshot, key: &Key) -> Option<Deps> {
        self.view(snapshot, key).map(|v| depends_on(&v, &key.0))
    }

    fn keys_in(&self, snapshot: &Snapshot, namespace: &str) -> Vec<Key> {
        let from = (namespace.to_string(), String::new());
        R::map(snapshot)
            .range(from..)
            .map(|(k, _)| k)
            .take_while(|k| k.0 == namespace)
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{mk_route, mk_service, rk, route_names};
    use crate::index::Index;
    use crate::kinds::route;
    use lattice_plugin_sdk::types::RouteKind;

    #[test]
    fn a_route_depends_on_its_parents_backends_and_the_namespaces_it_crosses_into() {
        let mut ix = Index::default();
        ix.apply(mk_route(
            "HTTPRoute",
            "r",
            "mesh",
            json!([{"name":"web","port":80},{"name":"db","namespace":"data","port":5432}]),
        ))
        .unwrap();
        let deps = route(RouteKind::Http)
            .depends_on(ix.snapshot(), &("app".into(), "r".into()))
            .unwrap();
        assert_eq!(deps.gateways, [("app".into(), "mesh".into())].into());
        assert_eq!(
            deps.services,
            [("app".into(), "web".into()), ("data".into(), "db".into())].into()
        );
        assert_eq!(deps.grant_namespaces, ["data".to_string()].into());
    }

    #[test]
    fn each_route_kind_is_filed_and_found_under_its_own_kind() {
        let mut ix = Index::default();
        for kind in ["HTTPRoute", "GRPCRoute", "TLSRoute"] {
            ix.apply(mk_route(
                kind,
                "r",
                "mesh",
                json!([{"name":"web","port":80}]),
            ))
            .unwrap();
        }
        let d = ix.apply(mk_service("app", "web")).unwrap();
        let kinds: Vec<RouteKind> = d.routes.iter().map(|r| r.kind).collect();
        assert_eq!(
            kinds,
            vec![RouteKind::Http, RouteKind::Grpc, RouteKind::Tls]
        );
        for kind in kinds {
            let key = rk(kind, "r");
            let json = ix.snapshot().route_json(&key).unwrap();
            assert_eq!(json["kind"], kind.kind_name());
            let meta = ix.snapshot().route_meta(&key).unwrap();
            assert_eq!(meta.name.as_deref(), Some("r"));
        }
        assert_eq!(route_names(&ix.all_routes()), vec!["r", "r", "r"]);
    }

    #[test]
    fn a_route_change_dirties_its_old_and_new_parent_gateways() {
        let mut ix = Index::default();
        let web = json!([{"name":"web","port":80}]);
        ix.apply(mk_route("GRPCRoute", "r", "old", web.clone()))
            .unwrap();
        let d = ix.apply(mk_route("GRPCRoute", "r", "new", web)).unwrap();
        assert_eq!(route_names(&d), vec!["r"]);
        let gateways: Vec<&str> = d.gateways.iter().map(|g| g.1.as_str()).collect();
        assert_eq!(gateways, vec!["new", "old"]);
    }
}
