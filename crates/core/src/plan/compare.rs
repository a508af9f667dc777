//! What changes in VPC Lattice between two plans of the same routes: the
//! rules added, removed and changed per route, and the services and target
//! groups that would be deleted. `plugin diff` prints it to gate a plugin
//! release.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::types::*;

/// The Lattice change between an old and a new plan.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanChange {
    /// Routes whose Lattice rules change, by `namespace/name`.
    pub routes: Vec<RouteChange>,
    /// Services the old plan has and the new one drops.
    pub deleted_services: Vec<String>,
    /// Target groups the old plan has and the new one drops.
    pub deleted_target_groups: Vec<String>,
    /// Routes the new plan keeps as Lattice holds them (a plugin failed on
    /// them), with the failure: unchanged in Lattice, but a failure.
    pub kept: Vec<(String, String)>,
}

impl PlanChange {
    /// Whether anything would be deleted from Lattice.
    pub fn deletes(&self) -> bool {
        !self.deleted_services.is_empty() || !self.deleted_target_groups.is_empty()
    }

    /// Whether the plans are the same, as Lattice sees them.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty() && !self.deletes()
    }
}

/// One route's rule changes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteChange {
    /// `namespace/name`.
    pub route: String,
    /// Its service.
    pub service: String,
    /// Rules only the new plan has, as `LISTENER priority match → action`.
    pub added: Vec<String>,
    /// Rules only the old plan has.
    pub removed: Vec<String>,
    /// Rules both have, differently: (old, new).
    pub changed: Vec<(String, String)>,
}

/// A rule's identity across plans: its listener and the route rule and
/// match it came from; priority, match and action may change.
type RuleKey = (String, u32, Option<u32>);

/// Compares two plans of the same routes.
pub fn compare(old: &Plan, new: &Plan) -> PlanChange {
    let old_services = by_route(old);
    let new_services = by_route(new);
    let routes: BTreeSet<&String> = old_services.keys().chain(new_services.keys()).collect();
    let mut change = PlanChange::default();
    let kept_routes: BTreeSet<&String> = new.kept.iter().map(|k| &k.route).collect();
    change.kept = new
        .kept
        .iter()
        .map(|k| (k.route.clone(), format!("{}: {}", k.plugin, k.message)))
        .collect();
    for route in routes.into_iter().filter(|r| !kept_routes.contains(r)) {
        let (o, n) = (old_services.get(route), new_services.get(route));
        let r = route_change(route, o.copied(), n.copied());
        if !(r.added.is_empty() && r.removed.is_empty() && r.changed.is_empty()) {
            change.routes.push(r);
        }
    }
    let names =
        |p: &Plan| -> BTreeSet<String> { p.services.iter().map(|s| s.name.clone()).collect() };
    let kept =
        |p: &Plan| -> BTreeSet<String> { p.kept.iter().map(|k| k.service.clone()).collect() };
    let (new_names, new_kept) = (names(new), kept(new));
    change.deleted_services = names(old)
        .into_iter()
        .filter(|s| !new_names.contains(s) && !new_kept.contains(s))
        .collect();
    let groups =
        |p: &Plan| -> BTreeSet<String> { p.target_groups.iter().map(|t| t.name.clone()).collect() };
    let kept_groups: BTreeSet<String> = new
        .kept
        .iter()
        .flat_map(|k| k.target_groups.clone())
        .collect();
    let new_groups = groups(new);
    change.deleted_target_groups = groups(old)
        .into_iter()
        .filter(|t| !new_groups.contains(t) && !kept_groups.contains(t))
        .collect();
    change
}

fn by_route(plan: &Plan) -> BTreeMap<String, &ServicePlan> {
    plan.services.iter().map(|s| (s.route.clone(), s)).collect()
}

fn route_change(route: &str, old: Option<&ServicePlan>, new: Option<&ServicePlan>) -> RouteChange {
    let old_rules = old.map(rules).unwrap_or_default();
    let new_rules = new.map(rules).unwrap_or_default();
    let mut r = RouteChange {
        route: route.to_string(),
        service: new.or(old).map(|s| s.name.clone()).unwrap_or_default(),
        ..RouteChange::default()
    };
    for (key, text) in &new_rules {
        match old_rules.get(key) {
            None => r.added.push(text.clone()),
            Some(was) if was != text => r.changed.push((was.clone(), text.clone())),
            Some(_) => {}
        }
    }
    r.removed = old_rules
        .iter()
        .filter(|(k, _)| !new_rules.contains_key(*k))
        .map(|(_, t)| t.clone())
        .collect();
    r
}

/// Every rule of a service, default actions included, by identity.
fn rules(s: &ServicePlan) -> BTreeMap<RuleKey, String> {
    let mut out = BTreeMap::new();
    for l in &s.listeners {
        let listener = format!("{}:{}", l.protocol, l.port);
        out.insert(
            (listener.clone(), u32::MAX, None),
            format!("{listener} default {}", l.default_action),
        );
        for rule in &l.rules {
            let key = (
                listener.clone(),
                rule.origin.rule_index,
                rule.origin.match_index,
            );
            let text = format!(
                "{listener} {} {} {}",
                rule.priority, rule.r#match, rule.action
            );
            out.insert(key, text);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(rule_index: u32, priority: u32, weights: &[(&str, u32)]) -> RulePlan {
        RulePlan {
            priority,
            r#match: MatchPlan::default(),
            action: Action::Forward(
                weights
                    .iter()
                    .map(|(t, w)| WeightedTargetGroup {
                        target_group: t.to_string(),
                        weight: *w,
                    })
                    .collect(),
            ),
            origin: Origin {
                rule_index,
                match_index: None,
                plugin: "".into(),
                weighting: None,
            },
        }
    }

    fn service(name: &str, route: &str, rules: Vec<RulePlan>) -> ServicePlan {
        ServicePlan {
            certificate_arn: None,
            name: name.into(),
            route: route.into(),
            route_kind: "HTTPRoute".into(),
            custom_domain_name: None,
            auth_type: "NONE".into(),
            auth_policy: None,
            service_networks: vec![],
            listeners: vec![ListenerPlan {
                port: 80,
                protocol: "HTTP".into(),
                default_action: Action::FixedResponse(404),
                rules,
            }],
            auth_origin: None,
            allow_takeover_from: None,
            access_logs: vec![],
            tags: Default::default(),
        }
    }

    fn group(name: &str) -> TargetGroupPlan {
        TargetGroupPlan {
            name: name.into(),
            backend: String::new(),
            port: 80,
            protocol: "HTTP".into(),
            protocol_version: None,
            targets: vec![],
            routes: vec![],
            health_check: None,
            tags: Default::default(),
            export: None,
            import: None,
            lambda: None,
        }
    }

    #[test]
    fn a_weight_change_is_a_changed_rule_and_deletes_nothing() {
        let old = Plan {
            services: vec![service(
                "b",
                "app/b",
                vec![rule(0, 1, &[("v1", 90), ("v2", 10)])],
            )],
            target_groups: vec![group("v1"), group("v2")],
            ..Plan::default()
        };
        let mut new = old.clone();
        new.services[0].listeners[0].rules[0] = rule(0, 1, &[("v1", 1), ("v2", 1)]);
        let change = compare(&old, &new);
        assert!(!change.deletes());
        assert_eq!(change.routes.len(), 1);
        assert_eq!(
            change.routes[0].changed,
            vec![(
                "HTTP:80 1 any → v1 (90), v2 (10)".to_string(),
                "HTTP:80 1 any → v1 (1), v2 (1)".to_string()
            )]
        );
        assert!(compare(&old, &old).is_empty());
    }

    #[test]
    fn a_dropped_route_deletes_its_service_and_the_groups_nobody_else_uses() {
        let old = Plan {
            services: vec![
                service("a", "app/a", vec![rule(0, 1, &[("shared", 1)])]),
                service("b", "app/b", vec![rule(0, 1, &[("shared", 1), ("own", 1)])]),
            ],
            target_groups: vec![group("own"), group("shared")],
            ..Plan::default()
        };
        let new = Plan {
            services: vec![old.services[0].clone()],
            target_groups: vec![group("shared")],
            ..Plan::default()
        };
        let change = compare(&old, &new);
        assert_eq!(change.deleted_services, vec!["b"]);
        assert_eq!(change.deleted_target_groups, vec!["own"]);
        assert_eq!(change.routes[0].route, "app/b");
        assert_eq!(change.routes[0].removed.len(), 2, "{:?}", change.routes[0]);
    }

    #[test]
    fn a_kept_route_deletes_nothing_of_its_own() {
        let old = Plan {
            services: vec![service("b", "app/b", vec![rule(0, 1, &[("own", 1)])])],
            target_groups: vec![group("own")],
            ..Plan::default()
        };
        let new = Plan {
            kept: vec![KeptRoute {
                route: "app/b".into(),
                route_kind: "HTTPRoute".into(),
                service: "b".into(),
                target_groups: vec!["own".into()],
                plugin: "p@sha256:1".into(),
                message: "trapped".into(),
            }],
            ..Plan::default()
        };
        let change = compare(&old, &new);
        assert!(!change.deletes());
        assert!(change.routes.is_empty(), "{change:?}");
        assert_eq!(
            change.kept,
            vec![("app/b".to_string(), "p@sha256:1: trapped".to_string())]
        );
    }
}
