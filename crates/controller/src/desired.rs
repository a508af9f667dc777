//! The desired Lattice state, kept per route and per Gateway across passes.
//!
//! Each pass re-plans only what changed, but the apply engine takes the whole
//! desired state (it deletes our resources no plan owns), so this keeps the
//! latest slice of every route and Gateway and assembles the full plan.

use std::collections::BTreeMap;

use lattice_core::index::{Dirty, RouteKey};
use lattice_core::plan::{KeptRoute, Plan, ServiceNetworkPlan, ServicePlan, TargetGroupPlan};
use lattice_core::snapshot::Key;

/// One route's part of the plan.
#[derive(Clone, Debug)]
struct RouteSlice {
    service: ServicePlan,
    target_groups: Vec<TargetGroupPlan>,
}

/// Desired state, by the object it came from.
#[derive(Debug, Default)]
pub struct Desired {
    routes: BTreeMap<RouteKey, RouteSlice>,
    networks: BTreeMap<Key, ServiceNetworkPlan>,
    /// Routes a plugin failed on, held as Lattice has them.
    kept: BTreeMap<RouteKey, KeptRoute>,
}

impl Desired {
    /// Replaces what the dirty routes and Gateways want with `plan`'s answer
    /// for them; what the plan lacks is no longer wanted. Returns what the
    /// change may touch in Lattice: the dirty routes' services and target
    /// groups before and after (so what a route stopped using is in scope),
    /// and whether a service network's desired state changed.
    pub fn update(&mut self, dirty: &Dirty, plan: &Plan) -> (lattice_apply::Scope, bool) {
        let mut networks_changed = false;
        let mut scope = self.scope(dirty);
        for key in &dirty.routes {
            let route = format!("{}/{}", key.namespace, key.name);
            let kind = key.kind.kind_name();
            match plan
                .kept
                .iter()
                .find(|k| k.route == route && k.route_kind == kind)
            {
                Some(k) => self.kept.insert(key.clone(), self.held(key, k)),
                None => self.kept.remove(key),
            };
            match plan
                .services
                .iter()
                .find(|s| s.route == route && s.route_kind == kind)
            {
                Some(service) => {
                    let target_groups = plan
                        .target_groups
                        .iter()
                        .filter(|tg| tg.routes.contains(&route))
                        .map(|tg| TargetGroupPlan {
                            routes: vec![route.clone()],
                            ..tg.clone()
                        })
                        .collect();
                    self.routes.insert(
                        key.clone(),
                        RouteSlice {
                            service: service.clone(),
                            target_groups,
                        },
                    );
                }
                None => {
                    self.routes.remove(key);
                }
            }
        }
        for key in &dirty.gateways {
            let gateway = format!("{}/{}", key.0, key.1);
            networks_changed |= match plan.service_networks.iter().find(|n| n.gateway == gateway) {
                Some(n) => self.networks.insert(key.clone(), n.clone()).as_ref() != Some(n),
                None => self.networks.remove(key).is_some(),
            };
        }
        let now = self.scope(dirty);
        scope.services.extend(now.services);
        scope.target_groups.extend(now.target_groups);
        (scope, networks_changed)
    }

    /// The whole desired state as one plan.
    pub fn plan(&self) -> Plan {
        let mut tgs: BTreeMap<String, TargetGroupPlan> = BTreeMap::new();
        for slice in self.routes.values() {
            for tg in &slice.target_groups {
                tgs.entry(tg.name.clone())
                    .and_modify(|e| e.routes.extend(tg.routes.iter().cloned()))
                    .or_insert_with(|| tg.clone());
            }
        }
        for tg in tgs.values_mut() {
            tg.routes.sort();
            tg.routes.dedup();
        }
        Plan {
            services: self.routes.values().map(|s| s.service.clone()).collect(),
            target_groups: tgs.into_values().collect(),
            service_networks: self.networks.values().cloned().collect(),
            diagnostics: vec![],
            kept: self.kept.values().cloned().collect(),
        }
    }

    /// The Lattice services and target groups the dirty routes want now.
    fn scope(&self, dirty: &Dirty) -> lattice_apply::Scope {
        let mut scope = lattice_apply::Scope::default();
        for slice in dirty.routes.iter().filter_map(|k| self.routes.get(k)) {
            scope.services.insert(slice.service.name.clone());
            scope
                .target_groups
                .extend(slice.target_groups.iter().map(|t| t.name.clone()));
        }
        scope
    }

    /// What a newly failing route holds: what the plan says, plus the
    /// service and target groups of its last good slice, so an edit that
    /// also changed its backends or name prunes nothing it still serves.
    fn held(&self, key: &RouteKey, kept: &KeptRoute) -> KeptRoute {
        let mut held = kept.clone();
        let previous = self.routes.get(key);
        if let Some(slice) = previous {
            held.service = slice.service.name.clone();
            held.target_groups
                .extend(slice.target_groups.iter().map(|t| t.name.clone()));
        } else if let Some(before) = self.kept.get(key) {
            held.service = before.service.clone();
            held.target_groups
                .extend(before.target_groups.iter().cloned());
        }
        held.target_groups.sort();
        held.target_groups.dedup();
        held
    }

    /// What a plugin's failure holds of a route, if it failed.
    pub fn kept(&self, key: &RouteKey) -> Option<&KeptRoute> {
        self.kept.get(key)
    }

    /// The Lattice service name planned for a route, if any.
    pub fn service_name(&self, key: &RouteKey) -> Option<&str> {
        self.routes.get(key).map(|s| s.service.name.as_str())
    }
}
