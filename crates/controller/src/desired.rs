//! The desired Lattice state, kept per route and per Gateway across passes.
//!
//! Each pass re-plans only what changed, but the apply engine takes the whole
//! desired state (it deletes our resources no plan owns), so this keeps the
//! latest slice of every route and Gateway and assembles the full plan.

use std::collections::{BTreeMap, HashMap};

use lattice_core::index::{Dirty, RouteKey};
use lattice_core::plan::{
    DeclaredServiceNetwork, KeptRoute, Plan, ServiceNetworkPlan, ServicePlan, Tags, TargetGroupPlan,
};
use lattice_core::snapshot::Key;

/// One route's part of the plan.
#[derive(Clone, Debug)]
struct RouteSlice {
    service: ServicePlan,
    target_groups: Vec<TargetGroupPlan>,
}

/// A plan's items by the route that wants them (kind and `namespace/name`),
/// so that taking in a plan of 10,000 routes is not 10,000 walks of it.
struct PlanByRoute<'p> {
    kept: HashMap<(&'p str, &'p str), &'p KeptRoute>,
    target_groups: HashMap<&'p str, Vec<&'p TargetGroupPlan>>,
}

impl<'p> PlanByRoute<'p> {
    fn new(plan: &'p Plan) -> Self {
        let mut target_groups: HashMap<&str, Vec<&TargetGroupPlan>> = HashMap::new();
        for tg in &plan.target_groups {
            for r in &tg.routes {
                target_groups.entry(r.as_str()).or_default().push(tg);
            }
        }
        PlanByRoute {
            kept: plan
                .kept
                .iter()
                .map(|k| ((k.route_kind.as_str(), k.route.as_str()), k))
                .collect(),
            target_groups,
        }
    }
}

/// Desired state, by the object it came from.
#[derive(Clone, Debug, Default)]
pub struct Desired {
    /// Boxed: a B-tree leaf holds eleven values inline and is about half
    /// full, and a slice is 336 bytes.
    routes: BTreeMap<RouteKey, Box<RouteSlice>>,
    networks: BTreeMap<Key, ServiceNetworkPlan>,
    /// What ServiceNetwork objects declare, by name.
    declared: BTreeMap<String, DeclaredServiceNetwork>,
    /// Routes a plugin failed on, held as Lattice has them.
    kept: BTreeMap<RouteKey, KeptRoute>,
    /// ServiceExports' target groups, by export.
    exports: BTreeMap<Key, Vec<TargetGroupPlan>>,
}

impl Desired {
    /// Replaces what the dirty routes and Gateways want with `plan`'s answer
    /// for them; what the plan lacks is no longer wanted. Returns what the
    /// change may touch in Lattice: the dirty routes' services and target
    /// groups before and after (so what a route stopped using is in scope),
    /// and whether a service network's desired state changed.
    ///
    /// The plan's services are moved here and its routes' target groups
    /// dropped once copied (the pass reads only its diagnostics, networks
    /// and exports after this): a first pass held three copies of every
    /// route's plan at once.
    pub fn update(&mut self, dirty: &Dirty, plan: &mut Plan) -> (lattice_apply::Scope, bool) {
        let mut networks_changed = false;
        let mut scope = self.scope(dirty);
        let mut services: HashMap<(String, String), ServicePlan> =
            std::mem::take(&mut plan.services)
                .into_iter()
                .map(|s| ((s.route_kind.clone(), s.route.clone()), s))
                .collect();
        let by_route = PlanByRoute::new(plan);
        for key in &dirty.routes {
            let name = format!("{}/{}", key.namespace, key.name);
            let route = (key.kind.kind_name(), name.as_str());
            match by_route.kept.get(&route) {
                Some(k) => self.kept.insert(key.clone(), self.held(key, k)),
                None => self.kept.remove(key),
            };
            match services.remove(&(route.0.to_string(), name.clone())) {
                Some(service) => {
                    let target_groups = by_route
                        .target_groups
                        .get(route.1)
                        .into_iter()
                        .flatten()
                        .map(|tg| TargetGroupPlan {
                            routes: vec![name.clone()],
                            ..(*tg).clone()
                        })
                        .collect();
                    self.routes.insert(
                        key.clone(),
                        Box::new(RouteSlice {
                            service,
                            target_groups,
                        }),
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
        // Any dirty ServiceNetwork object makes a whole pass: only those
        // read every network, and its status and finalizer wait on one.
        networks_changed |= !dirty.service_networks.is_empty();
        for name in &dirty.service_networks {
            match plan
                .declared_service_networks
                .iter()
                .find(|d| &d.name == name)
            {
                Some(d) => self.declared.insert(name.clone(), d.clone()),
                None => self.declared.remove(name),
            };
        }
        drop(by_route);
        plan.target_groups.retain(|t| t.export.is_some());
        self.update_exports(dirty, plan, &mut scope);
        let now = self.scope(dirty);
        scope.services.extend(now.services);
        scope.target_groups.extend(now.target_groups);
        (scope, networks_changed)
    }

    /// Takes the dirty exports' groups from `plan`; their names before and
    /// after go in `scope`, so a scoped pass creates, updates and deletes
    /// them.
    fn update_exports(&mut self, dirty: &Dirty, plan: &Plan, scope: &mut lattice_apply::Scope) {
        if dirty.service_exports.is_empty() {
            return;
        }
        let mut now: BTreeMap<Key, Vec<TargetGroupPlan>> = BTreeMap::new();
        for tg in &plan.target_groups {
            if let Some(e) = &tg.export {
                let key = (e.namespace.clone(), e.name.clone());
                now.entry(key).or_default().push(tg.clone());
            }
        }
        for key in &dirty.service_exports {
            let before = self.exports.remove(key).unwrap_or_default();
            scope
                .target_groups
                .extend(before.into_iter().map(|t| t.name));
            if let Some(groups) = now.remove(key) {
                scope
                    .target_groups
                    .extend(groups.iter().map(|t| t.name.clone()));
                self.exports.insert(key.clone(), groups);
            }
        }
    }

    /// The whole desired state as one plan.
    pub fn plan(&self) -> Plan {
        Plan {
            services: self.routes.values().map(|s| s.service.clone()).collect(),
            target_groups: self.with_exports(self.target_groups(|_| true), |_| true),
            service_networks: self.networks.values().cloned().collect(),
            diagnostics: vec![],
            kept: self.kept.values().cloned().collect(),
            declared_service_networks: self.declared.values().cloned().collect(),
        }
    }

    /// What a scoped pass over `scope` reads of the desired state: its
    /// services, the target groups it names or they forward to (each with
    /// every route that wants it, as in the whole plan), and the kept
    /// routes. A walk of the routes that clones only what is in scope: at
    /// 10,000 routes, cloning the whole plan for one change cost more than
    /// the change.
    pub fn plan_within(&self, scope: &lattice_apply::Scope) -> Plan {
        let services = self
            .routes
            .values()
            .filter(|s| scope.services.contains(&s.service.name))
            .map(|s| s.service.clone())
            .collect();
        let mut plan = Plan {
            services,
            kept: self.kept.values().cloned().collect(),
            ..Plan::default()
        };
        let wanted = scope.with_references(&plan).target_groups;
        let routed = self.target_groups(|name| wanted.contains(name));
        plan.target_groups = self.with_exports(routed, |name| scope.target_groups.contains(name));
        plan
    }

    /// `routed` and the exports' groups that `keep` accepts, by name.
    fn with_exports(
        &self,
        mut routed: Vec<TargetGroupPlan>,
        keep: impl Fn(&str) -> bool,
    ) -> Vec<TargetGroupPlan> {
        let exports = self.exports.values().flatten();
        let before = routed.len();
        routed.extend(exports.filter(|t| keep(&t.name)).cloned());
        if routed.len() > before {
            routed.sort_by(|a, b| a.name.cmp(&b.name));
        }
        routed
    }

    /// The target groups `keep` accepts, each once with every route that
    /// wants it.
    fn target_groups(&self, keep: impl Fn(&str) -> bool) -> Vec<TargetGroupPlan> {
        let mut tgs: BTreeMap<String, TargetGroupPlan> = BTreeMap::new();
        // Each group's routes' tags: a slice's group has the tags of the
        // plan it came from, which may not have held every route using it.
        let mut tags: HashMap<&str, Vec<(&str, &Tags)>> = HashMap::new();
        for slice in self.routes.values() {
            for tg in slice.target_groups.iter().filter(|t| keep(&t.name)) {
                tgs.entry(tg.name.clone())
                    .and_modify(|e| e.routes.extend(tg.routes.iter().cloned()))
                    .or_insert_with(|| tg.clone());
                let s = &slice.service;
                if !s.tags.is_empty() {
                    let of = tags.entry(tg.name.as_str()).or_default();
                    of.push((s.route.as_str(), &s.tags));
                }
            }
        }
        for tg in tgs.values_mut() {
            tg.routes.sort();
            tg.routes.dedup();
            let of = tags.remove(tg.name.as_str()).unwrap_or_default();
            tg.tags = lattice_core::model::tags::of_routes(of);
        }
        tgs.into_values().collect()
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

    /// Whether a ServiceNetwork object of this name is declared.
    pub fn declares(&self, name: &str) -> bool {
        self.declared.contains_key(name)
    }

    /// What a plugin's failure holds of a route, if it failed.
    pub fn kept(&self, key: &RouteKey) -> Option<&KeptRoute> {
        self.kept.get(key)
    }

    /// Whether a route forwards to a ServiceImport's group: what it finds
    /// changes outside this cluster.
    pub fn uses_imports(&self, key: &RouteKey) -> bool {
        let slice = self.routes.get(key);
        slice.is_some_and(|s| s.target_groups.iter().any(|t| t.import.is_some()))
    }

    /// The Lattice service name planned for a route, if any.
    pub fn service_name(&self, key: &RouteKey) -> Option<&str> {
        self.routes.get(key).map(|s| s.service.name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lattice_apply::Scope;
    use lattice_apply::fixtures::synthetic_plan;
    use lattice_plugin_sdk::types::RouteKind;

    fn key(i: usize) -> RouteKey {
        RouteKey::new(RouteKind::Http, &("bench".into(), format!("route-{i}")))
    }

    /// Five routes; route 1 also forwards to one of route 0's groups.
    fn desired() -> (Desired, Plan) {
        let mut plan = synthetic_plan(5);
        let shared = plan.target_groups[0].name.clone();
        if let Some(lattice_core::plan::Action::Forward(ws)) = plan.services[1].listeners[0]
            .rules
            .first_mut()
            .map(|r| &mut r.action)
        {
            ws[0].target_group = shared.clone();
        }
        plan.target_groups[0].routes.push("bench/route-1".into());
        let mut d = Desired::default();
        let dirty = Dirty {
            routes: (0..5).map(key).collect(),
            ..Dirty::default()
        };
        d.update(&dirty, &mut plan.clone());
        (d, plan)
    }

    #[test]
    fn taking_in_a_plan_keeps_each_routes_part_and_shared_groups_once() {
        let (d, plan) = desired();
        let whole = d.plan();
        assert_eq!(whole.services, plan.services);
        assert_eq!(whole.target_groups, plan.target_groups);
        assert_eq!(
            whole.target_groups[0].routes,
            ["bench/route-0", "bench/route-1"]
        );
    }

    #[test]
    fn a_scoped_plan_is_the_whole_plan_restricted_to_the_scope_and_its_references() {
        let (d, _) = desired();
        let whole = d.plan();
        for i in 0..5 {
            let dirty = Dirty {
                routes: [key(i)].into(),
                ..Dirty::default()
            };
            let scope: Scope = d.scope(&dirty);
            let expected = scope.with_references(&whole).restrict(&whole);
            assert_eq!(d.plan_within(&scope), expected, "route {i}");
        }
    }

    #[test]
    fn a_shared_groups_tags_stay_its_routes_together_when_one_route_is_replanned() {
        let tags = |k: &str, v: &str| Tags::from([(k.to_string(), v.to_string())]);
        let (mut d, mut plan) = desired();
        plan.services[0].tags = tags("Team", "a");
        plan.services[1].tags = tags("Team", "b");
        plan.target_groups[0].tags = tags("Team", "a");
        d.update(
            &Dirty {
                routes: (0..5).map(key).collect(),
                ..Dirty::default()
            },
            &mut plan.clone(),
        );
        // Route 0 alone is re-planned, its annotation gone: its plan gives
        // the group no tags, though route 1 still wants its own.
        let mut one = plan.clone();
        one.services.retain(|s| s.route == "bench/route-0");
        one.services[0].tags.clear();
        one.target_groups
            .retain(|t| t.routes.contains(&"bench/route-0".into()));
        for t in &mut one.target_groups {
            t.routes = vec!["bench/route-0".into()];
            t.tags.clear();
        }
        d.update(
            &Dirty {
                routes: [key(0)].into(),
                ..Dirty::default()
            },
            &mut one,
        );
        let whole = d.plan();
        let shared = &whole.target_groups[0];
        assert_eq!(shared.routes, ["bench/route-0", "bench/route-1"]);
        assert_eq!(shared.tags, tags("Team", "b"));
        assert!(whole.target_groups[1].tags.is_empty());
    }
}
