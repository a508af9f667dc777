//! The safety gate: before a new version of a plugin object serves, it
//! plans the routes it would decide, in a dry run, beside the plan of what
//! serves now. Too many failed routes (over `rollout.maxFailedRoutes`), or a
//! VPC Lattice service that the plan of today has and the dry run drops,
//! and it does not go live. Both plans come from the index alone, so a
//! follower or a freshly started leader gates exactly as a warm one.

use std::collections::BTreeSet;

use lattice_core::index::{Dirty, Index, RouteKey};
use lattice_core::plan::{Plan, PlanInput};
use lattice_core::plugins::Choice;

use super::serving::{Serving, Table};
use crate::Controller;

/// Reasons a failed route shows when a plugin's answer is unusable.
const FAILURES: [&str; 2] = ["PluginFailed", "PluginOutputInvalid"];

impl Controller {
    /// The dry run of `candidate` for `id`: the routes it would decide, or
    /// why it must not go live.
    pub(crate) fn gate(
        &self,
        index: &Index,
        table: &Table,
        id: &Choice,
        candidate: &Serving,
        max_failed: u32,
    ) -> Result<Dirty, String> {
        let mut trial = table.clone();
        trial.serving.insert(id.clone(), candidate.clone());
        let snapshot = index.snapshot();
        let stage = candidate.stage.index();
        let scope: BTreeSet<RouteKey> = index
            .all_routes()
            .routes
            .into_iter()
            .filter(|r| trial.route_choices(snapshot, r)[stage] == *id)
            .collect();
        let dirty = Dirty {
            routes: scope,
            ..Default::default()
        };
        if dirty.routes.is_empty() {
            return Ok(dirty);
        }
        let input = PlanInput::for_changes(snapshot, &self.options.cluster, &dirty);
        let base = self.stages.as_ref();
        let (today, plan) = tokio::task::block_in_place(|| {
            let today = table.plan(base, snapshot, &input);
            (today, trial.plan(base, snapshot, &input))
        });
        let provenance = candidate.plugin.provenance();
        let failed = failed_routes(&plan, &provenance);
        let deleted = deleted_services(&today, &plan);
        if failed.len() as u64 <= u64::from(max_failed) && deleted.is_empty() {
            return Ok(dirty);
        }
        Err(blocked_message(
            id,
            &provenance,
            dirty.routes.len(),
            &failed,
            max_failed,
            &deleted,
        ))
    }
}

/// Routes (as `Kind namespace/name`) the plugin failed on in the dry run.
fn failed_routes(plan: &Plan, provenance: &str) -> BTreeSet<String> {
    let diagnosed = plan
        .diagnostics
        .iter()
        .filter(|d| d.plugin.as_deref() == Some(provenance))
        .filter(|d| FAILURES.contains(&d.reason.as_str()))
        .map(|d| d.object.clone());
    let kept = plan
        .kept
        .iter()
        .filter(|k| k.plugin == provenance)
        .map(|k| format!("{} {}", k.route_kind, k.route));
    diagnosed.chain(kept).collect()
}

/// Lattice services that today's plan has and the dry run would drop
/// (a route kept as Lattice holds it drops nothing).
fn deleted_services(today: &Plan, trial: &Plan) -> Vec<String> {
    let kept: BTreeSet<&str> = trial.kept.iter().map(|k| k.service.as_str()).collect();
    let planned: BTreeSet<&str> = trial.services.iter().map(|s| s.name.as_str()).collect();
    let kept_today = today.kept.iter().map(|k| k.service.as_str());
    let held: BTreeSet<&str> = today
        .services
        .iter()
        .map(|s| s.name.as_str())
        .chain(kept_today)
        .collect();
    held.into_iter()
        .filter(|s| !planned.contains(s) && !kept.contains(s))
        .map(str::to_string)
        .collect()
}

fn blocked_message(
    id: &Choice,
    provenance: &str,
    routes: usize,
    failed: &BTreeSet<String>,
    max_failed: u32,
    deleted: &[String],
) -> String {
    let mut m = format!(
        "{provenance} failed on {} of the {routes} routes it would decide (rollout.maxFailedRoutes: {max_failed})",
        failed.len()
    );
    let shown: Vec<&str> = failed.iter().take(5).map(String::as_str).collect();
    if !shown.is_empty() {
        m.push_str(&format!(": {}", shown.join(", ")));
    }
    if !deleted.is_empty() {
        m.push_str(&format!(
            "; it would delete VPC Lattice services {}",
            deleted.join(", ")
        ));
    }
    m.push_str(&format!("; {} keeps serving what served before", id));
    m
}

#[cfg(test)]
mod tests {
    use lattice_core::plan::{KeptRoute, PlanDiagnostic, ServicePlan};

    use super::*;

    fn service(name: &str, route: &str) -> ServicePlan {
        ServicePlan {
            certificate_arn: None,
            name: name.into(),
            route: route.into(),
            route_kind: "HTTPRoute".into(),
            custom_domain_name: None,
            auth_type: "NONE".into(),
            auth_policy: None,
            service_networks: vec![],
            listeners: vec![],
            auth_origin: None,
            allow_takeover_from: None,
            access_logs: vec![],
            tags: Default::default(),
        }
    }

    fn kept(service: &str, route: &str, plugin: &str) -> KeptRoute {
        KeptRoute {
            route: route.into(),
            route_kind: "HTTPRoute".into(),
            service: service.into(),
            target_groups: vec![],
            plugin: plugin.into(),
            message: "trapped".into(),
        }
    }

    #[test]
    fn a_service_dropped_by_the_dry_run_is_a_deletion_and_a_kept_one_is_not() {
        let today = Plan {
            services: vec![service("a-app", "app/a"), service("b-app", "app/b")],
            ..Plan::default()
        };
        let trial = Plan {
            kept: vec![kept("b-app", "app/b", "new@sha256:1")],
            ..Plan::default()
        };
        assert_eq!(deleted_services(&today, &trial), vec!["a-app".to_string()]);
        let same = Plan {
            services: today.services.clone(),
            ..Plan::default()
        };
        assert!(deleted_services(&today, &same).is_empty());
    }

    #[test]
    fn only_the_candidate_s_failures_count_against_it() {
        let diag = |object: &str, reason: &str, plugin: &str| PlanDiagnostic {
            object: object.into(),
            condition: "Accepted".into(),
            reason: reason.into(),
            message: String::new(),
            field: String::new(),
            plugin: Some(plugin.into()),
        };
        let plan = Plan {
            diagnostics: vec![
                diag("HTTPRoute app/a", "PluginFailed", "new@sha256:1"),
                diag("HTTPRoute app/b", "PluginFailed", "other@sha256:2"),
                diag("HTTPRoute app/c", "BackendNotFound", "new@sha256:1"),
            ],
            kept: vec![kept("d-app", "app/d", "new@sha256:1")],
            ..Plan::default()
        };
        let failed: Vec<String> = failed_routes(&plan, "new@sha256:1").into_iter().collect();
        assert_eq!(failed, vec!["HTTPRoute app/a", "HTTPRoute app/d"]);
    }
}
