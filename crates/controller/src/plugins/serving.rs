//! What decides each stage now: the controller's default plugins, overridden
//! route by route by the plugin objects whose component serves. A pass plans
//! each group of routes that share plugins through one [`Composed`] set, so
//! one pass never plans a stage and scope with two digests.

use std::collections::BTreeMap;
use std::sync::Arc;

use lattice_core::Stages;
use lattice_core::crds::plugins::PluginStage;
use lattice_core::index::RouteKey;
use lattice_core::plan::{FailurePolicy, Group, Plan, PlanInput, StageError, plan_groups};
use lattice_core::plugins::{Choice, choose_for_network, choose_live};
use lattice_core::snapshot::Snapshot;
use lattice_plugin_sdk::types::*;
use lattice_wasm::StagePlugin;

/// A plugin object's serving component, with its failure policy.
#[derive(Clone)]
pub(crate) struct Serving {
    /// The stage it serves.
    pub stage: PluginStage,
    /// The component; `Refused` when it served before a restart and cannot
    /// be loaded now, so its routes keep what Lattice holds.
    pub plugin: StagePlugin,
    /// What its failure on a route does.
    pub policy: FailurePolicy,
    /// `sha256:…` of the component.
    pub digest: String,
}

/// Every serving plugin object, and the built-in plugins `UseDefault`
/// falls back on.
#[derive(Clone, Default)]
pub(crate) struct Table {
    /// By plugin object.
    pub serving: BTreeMap<Choice, Serving>,
    /// The built-in plugins, loaded once a serving plugin's policy is
    /// `UseDefault`.
    pub builtins: Option<Arc<dyn Stages + Send + Sync>>,
}

/// The three stages' choices of one route, in stage order.
type Choices = [Choice; 3];

impl Table {
    /// Whether `choice` serves `stage`.
    fn live(&self, choice: &Choice, stage: PluginStage) -> bool {
        self.serving.get(choice).is_some_and(|s| s.stage == stage)
    }

    /// Which plugin decides each stage of `route` now.
    pub fn route_choices(&self, snapshot: &Snapshot, route: &RouteKey) -> Choices {
        PluginStage::ALL.map(|stage| choose_live(snapshot, route, stage, |c| self.live(c, stage)))
    }

    /// Which plugin decides a service network's auth now.
    fn network_choices(&self, snapshot: &Snapshot, namespace: &str) -> Choices {
        let auth = PluginStage::Auth;
        let choice = choose_for_network(snapshot, namespace, auth, |c| self.live(c, auth));
        [Choice::Default, Choice::Default, choice]
    }

    /// The plugins of a group of routes: `base` where the choice is the
    /// default, else the serving plugin object.
    fn composed<'a>(&'a self, base: &'a dyn Stages, choices: &Choices) -> Composed<'a> {
        Composed {
            base,
            over: [0, 1, 2].map(|i| match &choices[i] {
                Choice::Default => None,
                c => self.serving.get(c),
            }),
            builtins: self.builtins.as_deref().map(|b| b as &dyn Stages),
        }
    }

    /// Plans `input`, each route through the plugins that decide it now.
    pub fn plan(&self, base: &dyn Stages, snapshot: &Snapshot, input: &PlanInput) -> Plan {
        if self.serving.is_empty() {
            return lattice_core::plan::plan_intents(&input.routes, &input.service_networks, base);
        }
        let routes: Vec<Choices> = input
            .routes
            .iter()
            .map(|r| {
                let key = RouteKey {
                    kind: r.kind,
                    namespace: r.id.namespace.clone(),
                    name: r.id.name.clone(),
                };
                self.route_choices(snapshot, &key)
            })
            .collect();
        let networks: Vec<Choices> = input
            .service_networks
            .iter()
            .map(|sn| self.network_choices(snapshot, &sn.gateway.namespace))
            .collect();
        // The usual case, one set of plugins for every route (a service
        // network reads only the auth stage): plan it whole, copying nothing.
        if let Some(one) = single_set(&routes, &networks) {
            let stages = self.composed(base, one);
            return lattice_core::plan::plan_intents(
                &input.routes,
                &input.service_networks,
                &stages,
            );
        }
        let mut groups: BTreeMap<&Choices, (Vec<_>, Vec<_>)> = BTreeMap::new();
        for (r, choices) in input.routes.iter().zip(&routes) {
            groups.entry(choices).or_default().0.push(r.clone());
        }
        for (sn, choices) in input.service_networks.iter().zip(&networks) {
            groups.entry(choices).or_default().1.push(sn.clone());
        }
        let sets: Vec<(Composed<'_>, &(Vec<_>, Vec<_>))> = groups
            .iter()
            .map(|(choices, members)| (self.composed(base, choices), members))
            .collect();
        let groups: Vec<Group<'_>> = sets
            .iter()
            .map(|(stages, (routes, sns))| Group {
                stages,
                routes,
                service_networks: sns,
            })
            .collect();
        plan_groups(&groups)
    }
}

/// The one set of plugins every route and service network can be planned
/// with, if there is one: all routes choose alike, and every service
/// network's auth choice is theirs.
fn single_set<'c>(routes: &'c [Choices], networks: &'c [Choices]) -> Option<&'c Choices> {
    let first = routes.first().or(networks.first())?;
    let routes_agree = routes.iter().all(|c| c == first);
    let auth = PluginStage::Auth.index();
    let networks_agree = networks.iter().all(|c| c[auth] == first[auth]);
    (routes_agree && networks_agree).then_some(first)
}

/// One group's plugins: the defaults, overridden stage by stage.
pub(crate) struct Composed<'a> {
    base: &'a dyn Stages,
    over: [Option<&'a Serving>; 3],
    builtins: Option<&'a dyn Stages>,
}

fn index(stage: Stage) -> usize {
    match stage {
        Stage::Mapping => 0,
        Stage::Weighting => 1,
        Stage::Auth => 2,
    }
}

impl Stages for Composed<'_> {
    fn provenance(&self, stage: Stage) -> String {
        match self.over[index(stage)] {
            Some(s) => s.plugin.provenance(),
            None => self.base.provenance(stage),
        }
    }
    fn map(&self, routes: &[Route]) -> Result<Vec<MappingResult>, StageError> {
        match self.over[0] {
            Some(s) => s.plugin.loaded()?.map(routes),
            None => self.base.map(routes),
        }
    }
    fn weigh(&self, rules: &[RuleBackends]) -> Result<Vec<WeightingResult>, StageError> {
        match self.over[1] {
            Some(s) => s.plugin.loaded()?.weigh(rules),
            None => self.base.weigh(rules),
        }
    }
    fn auth(&self, targets: &[AuthTarget]) -> Result<Vec<AuthResult>, StageError> {
        match self.over[2] {
            Some(s) => s.plugin.loaded()?.auth(targets),
            None => self.base.auth(targets),
        }
    }
    fn failure_policy(&self, stage: Stage) -> FailurePolicy {
        match self.over[index(stage)] {
            Some(s) => s.policy,
            None => self.base.failure_policy(stage),
        }
    }
    fn fallback(&self) -> Option<&dyn Stages> {
        self.builtins.or_else(|| self.base.fallback())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(n: &str) -> Choice {
        Choice::Cluster(n.into())
    }

    #[test]
    fn routes_that_agree_are_one_set_when_the_networks_auth_agrees_too() {
        let weighed = [Choice::Default, cluster("w"), Choice::Default];
        let network = [Choice::Default, Choice::Default, Choice::Default];
        let routes = [weighed.clone(), weighed.clone()];
        assert_eq!(
            single_set(&routes, std::slice::from_ref(&network)),
            Some(&weighed)
        );
        let other_auth = [Choice::Default, Choice::Default, cluster("a")];
        assert_eq!(single_set(&routes, &[other_auth]), None);
        let mixed = [weighed.clone(), network.clone()];
        assert_eq!(single_set(&mixed, &[]), None);
        assert_eq!(single_set(&[], &[]), None);
    }
}
