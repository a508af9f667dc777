//! The safety gate: before a new version of a plugin object serves, it
//! plans the routes it would decide, in a dry run. Too many failed routes
//! (over `rollout.maxFailedRoutes`) or any VPC Lattice service it would
//! delete, and it does not go live.

use std::collections::BTreeSet;

use lattice_core::crds::plugins::PluginStage;
use lattice_core::index::{Dirty, Index, RouteKey};
use lattice_core::plan::{Plan, PlanInput};
use lattice_core::plugins::Choice;

use super::host::describe;
use super::serving::{Serving, Table};
use crate::Controller;
use crate::desired::Desired;

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
        let stage = PluginStage::ALL
            .iter()
            .position(|s| *s == candidate.stage)
            .unwrap_or(0);
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
        let plan =
            tokio::task::block_in_place(|| trial.plan(self.stages.as_ref(), snapshot, &input));
        let provenance = candidate.plugin.provenance();
        let failed = failed_routes(&plan, &provenance);
        let desired = self.desired.lock().unwrap_or_else(|p| p.into_inner());
        let deleted = deleted_services(&desired, &dirty.routes, &plan);
        drop(desired);
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

/// Lattice services of `scope` that the desired state holds and the dry
/// run would drop.
fn deleted_services(desired: &Desired, scope: &BTreeSet<RouteKey>, plan: &Plan) -> Vec<String> {
    scope
        .iter()
        .filter_map(|r| {
            let held = desired.service_name(r)?;
            let route = format!("{}/{}", r.namespace, r.name);
            let kind = r.kind.kind_name();
            let planned = plan
                .services
                .iter()
                .any(|s| s.route == route && s.route_kind == kind);
            let kept = plan
                .kept
                .iter()
                .any(|k| k.route == route && k.route_kind == kind);
            (!planned && !kept).then(|| held.to_string())
        })
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
    m.push_str(&format!(
        "; {} keeps serving what served before",
        describe(id)
    ));
    m
}
