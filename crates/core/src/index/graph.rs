//! The dependency graph: for each Service, LambdaTarget, Gateway and
//! namespace, the routes that read it. The kinds ask it what a change dirties.
//!
//! Kept compact: at 10,000 routes over 20,000 Services, a `BTreeSet` per
//! Service (one leaf with room for eleven routes, for the one or two it
//! holds) and three per route were about 30 MB. A Service's routes are a
//! sorted `Vec`, and a route's dependencies boxed slices.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::RouteKey;
use crate::kinds::Deps;
use crate::snapshot::Key;

/// Routes by what they depend on.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    deps: HashMap<RouteKey, Tracked>,
    by_service: BTreeMap<Key, Vec<RouteKey>>,
    by_lambda_target: BTreeMap<Key, Vec<RouteKey>>,
    by_gateway: BTreeMap<Key, BTreeSet<RouteKey>>,
    by_grant_namespace: BTreeMap<String, BTreeSet<RouteKey>>,
}

/// What one route depends on, as the graph keeps it.
#[derive(Clone, Debug)]
struct Tracked {
    services: Box<[Key]>,
    lambda_targets: Box<[Key]>,
    gateways: Box<[Key]>,
    grant_namespaces: Box<[String]>,
}

impl Graph {
    /// The parent Gateways of a route, as last recorded.
    pub fn gateways_of(&self, route: &RouteKey) -> &[Key] {
        self.deps.get(route).map_or(&[], |d| &d.gateways)
    }

    /// Routes with a Service as a backend.
    pub fn routes_of_service(&self, service: &Key) -> BTreeSet<RouteKey> {
        let routes = self.by_service.get(service).into_iter().flatten();
        routes.cloned().collect()
    }

    /// Routes with a LambdaTarget as a backend.
    pub fn routes_of_lambda_target(&self, target: &Key) -> BTreeSet<RouteKey> {
        let routes = self.by_lambda_target.get(target).into_iter().flatten();
        routes.cloned().collect()
    }

    /// Routes with a Gateway as a parent.
    pub fn routes_of_gateway(&self, gateway: &Key) -> BTreeSet<RouteKey> {
        self.by_gateway.get(gateway).cloned().unwrap_or_default()
    }

    /// Routes in other namespaces with a backend in `namespace`: those a
    /// ReferenceGrant there may allow.
    pub fn routes_crossing_into(&self, namespace: &str) -> BTreeSet<RouteKey> {
        let routes = self.by_grant_namespace.get(namespace);
        routes.cloned().unwrap_or_default()
    }

    /// Records what a route depends on, replacing what it did before.
    pub(crate) fn track(&mut self, route: &RouteKey, deps: Deps) {
        self.forget(route);
        for k in &deps.services {
            add_sorted(&mut self.by_service, k, route);
        }
        for k in &deps.lambda_targets {
            add_sorted(&mut self.by_lambda_target, k, route);
        }
        for k in &deps.gateways {
            let routes = self.by_gateway.entry(k.clone()).or_default();
            routes.insert(route.clone());
        }
        for ns in &deps.grant_namespaces {
            let routes = self.by_grant_namespace.entry(ns.clone()).or_default();
            routes.insert(route.clone());
        }
        let tracked = Tracked {
            services: deps.services.into_iter().collect(),
            lambda_targets: deps.lambda_targets.into_iter().collect(),
            gateways: deps.gateways.into_iter().collect(),
            grant_namespaces: deps.grant_namespaces.into_iter().collect(),
        };
        self.deps.insert(route.clone(), tracked);
    }

    /// Drops a route from the graph.
    pub(crate) fn forget(&mut self, route: &RouteKey) {
        let Some(old) = self.deps.remove(route) else {
            return;
        };
        for k in &old.services {
            drop_sorted(&mut self.by_service, k, route);
        }
        for k in &old.lambda_targets {
            drop_sorted(&mut self.by_lambda_target, k, route);
        }
        for k in &old.gateways {
            drop_from(&mut self.by_gateway, k, route);
        }
        for ns in &old.grant_namespaces {
            drop_from(&mut self.by_grant_namespace, ns, route);
        }
    }
}

/// Adds a route to one entry of a sorted-`Vec` reverse map.
fn add_sorted(map: &mut BTreeMap<Key, Vec<RouteKey>>, key: &Key, route: &RouteKey) {
    let routes = map.entry(key.clone()).or_default();
    if let Err(at) = routes.binary_search(route) {
        crate::snug::insert(routes, at, route.clone());
    }
}

/// Removes a route from one entry of a sorted-`Vec` reverse map, and the
/// entry once empty.
fn drop_sorted(map: &mut BTreeMap<Key, Vec<RouteKey>>, key: &Key, route: &RouteKey) {
    if let Some(routes) = map.get_mut(key) {
        routes.retain(|r| r != route);
        if routes.is_empty() {
            map.remove(key);
        }
    }
}

/// Removes a route from one entry of a reverse map, and the entry once empty.
fn drop_from<K: Ord>(map: &mut BTreeMap<K, BTreeSet<RouteKey>>, key: &K, route: &RouteKey) {
    if let Some(set) = map.get_mut(key) {
        set.remove(route);
        if set.is_empty() {
            map.remove(key);
        }
    }
}
