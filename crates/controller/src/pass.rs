//! One reconcile pass, as a short sequence of named steps:
//!
//! ```text
//! plan (pure, through the plugins) ─► update the desired state ─► apply
//!   ─► record outcomes (pure, per route) ─► write: events, annotations,
//!      finalizers, statuses
//! ```
//!
//! Each pass runs in a `pass` span carrying its routes, Gateways, kind
//! (whole or scoped), duration and Lattice call count, and is counted in
//! the controller's metrics.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use lattice_apply::ApplyReport;
use lattice_core::Snapshot;
use lattice_core::index::{Dirty, Index, RouteKey};
use lattice_core::model::{service_export, service_network};
use lattice_core::plan::{ApplyProblem, Attached, Plan, PlanInput, plan_intents, with_exports};
use lattice_core::status::{self, ApplyOutcome};
use lattice_plugin_sdk::types::Stage;
use tracing::Instrument;

use crate::Controller;
use crate::shared_index::SharedIndex;

/// What planning produced for the dirty routes and Gateways.
pub(crate) struct Planned {
    /// What the input attached (its resolved routes are dropped before the
    /// apply).
    pub attached: Attached,
    pub plan: Plan,
    /// Each dirty route's `metadata.generation` as planned.
    pub generations: BTreeMap<RouteKey, Option<i64>>,
}

impl Planned {
    /// The routes of `routes` whose spec is still the one planned.
    pub fn unchanged(
        &self,
        snapshot: &Snapshot,
        routes: &BTreeSet<RouteKey>,
    ) -> BTreeSet<RouteKey> {
        routes
            .iter()
            .filter(|k| {
                let now = snapshot.route_meta(k).map(|m| m.generation);
                now.is_none_or(|g| self.generations.get(*k) == Some(&g))
            })
            .cloned()
            .collect()
    }
}

/// What a pass hands back to the run loop.
pub(crate) struct Passed {
    /// What the next pass must look at again (routes whose outcome changed,
    /// writes that lost a race).
    pub again: Dirty,
    /// The next pass must apply the whole desired state (this one failed,
    /// or lost leadership before applying).
    pub full: bool,
    /// This one applied the whole desired state: what it left is worth
    /// compacting once the watches are quiet (see [`Controller::compact`]).
    pub whole: bool,
}

/// What the apply step did, when an applier is configured.
pub(crate) struct Applied {
    pub report: ApplyReport,
    /// The apply covered the whole desired state (else only the dirty scope).
    pub whole: bool,
    /// Everything the apply could not do, typed by resource and route.
    pub problems: Vec<ApplyProblem>,
}

impl Controller {
    /// One reconcile pass over `dirty` (of the whole desired state when
    /// `full`), in its span and counted. The index may move on while the
    /// pass awaits: each step reads it as it is then.
    pub(crate) async fn pass(&self, index: &SharedIndex, dirty: Dirty, full: bool) -> Passed {
        let span = tracing::info_span!(
            "pass",
            routes = dirty.routes.len(),
            gateways = dirty.gateways.len(),
            kind = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
            calls = tracing::field::Empty,
        );
        let started = Instant::now();
        let (passed, calls) = self
            .steps(index, dirty, full)
            .instrument(span.clone())
            .await;
        let whole = passed.whole;
        let elapsed = started.elapsed();
        self.metrics.pass(whole, elapsed);
        span.record("kind", if whole { "whole" } else { "scoped" });
        span.record("duration_ms", elapsed.as_millis() as u64);
        span.record("calls", calls);
        span.in_scope(|| tracing::debug!("pass done"));
        passed
    }

    /// The pass's steps; also how many Lattice calls it made.
    async fn steps(&self, index: &SharedIndex, dirty: Dirty, full: bool) -> (Passed, u64) {
        let now = Time(k8s_openapi::jiff::Timestamp::now());
        let started = Instant::now();
        let mut planned = tokio::task::block_in_place(|| self.plan(&index.read(), &dirty));
        self.count_invalid_answers(&planned.plan);
        let plan_ms = started.elapsed().as_millis() as u64;
        // Planning a whole cluster takes long enough for a Lease to lapse:
        // a replica that no longer leads writes nothing, and keeps the work
        // for when it leads again (a new leader re-checks everything anyway).
        if !self.leading() {
            tracing::info!("leadership lapsed while planning; nothing written");
            let passed = Passed {
                again: dirty,
                full,
                whole: false,
            };
            return (passed, 0);
        }
        let (whole, applied) = self.apply(&dirty, &mut planned.plan, full).await;
        let failed = applied.as_ref().is_some_and(|a| !a.report.is_success());
        let calls = applied.as_ref().map_or(0, |a| a.report.total_calls());
        let apply_ms = started.elapsed().as_millis() as u64 - plan_ms;
        let mut again = self.record_outcomes(&index.read(), &dirty, applied.as_ref());
        let outcomes_ms = started.elapsed().as_millis() as u64 - plan_ms - apply_ms;
        // Where a pass's time goes, for whoever asks for debug logs.
        tracing::debug!(
            plan_ms,
            apply_ms,
            outcomes_ms,
            "planned, applied and judged"
        );
        if let Some(applied) = &applied {
            self.write_events(index, &again.failed).await;
            self.write_gateway_events(index, applied).await;
            self.write_access_log_annotations(index, applied).await;
            again.dirty.merge(
                self.write_finalizers(index, &dirty, &planned.attached, applied)
                    .await,
            );
        }
        again.dirty.merge(
            self.write_statuses(index, &dirty, &planned, applied.as_ref(), &now)
                .await,
        );
        self.write_plugin_statuses(index, &now).await;
        if applied.is_some() {
            self.count_routes(&index.read());
        }
        let passed = Passed {
            again: again.dirty,
            full: failed,
            whole,
        };
        (passed, calls)
    }

    /// Copies what whole passes leave for later ones (the index, the
    /// desired state, the applier's cache) into new allocations, and drops
    /// the originals. They were allocated among a pass's short-lived
    /// allocations (and the index among the echoes of its writes), and the
    /// allocator keeps each page that still holds one of them resident; the
    /// copies fill pages that stay resident anyway. At 10,000 routes: 252
    /// MB resident without, 220–222 MB with. (Made on a thread of its own,
    /// whose heap starts empty, the copies read 279–282 MB: the originals'
    /// pages belong to the threads that made them, and were not returned.)
    pub(crate) async fn compact(&self, index: &SharedIndex) {
        let started = Instant::now();
        tokio::task::block_in_place(|| {
            let mut index = index.write();
            *index = index.clone();
            let mut d = self.desired.lock().unwrap_or_else(|p| p.into_inner());
            *d = d.clone();
        });
        if let Some(applier) = &self.applier {
            let applier = applier.lock().await;
            tokio::task::block_in_place(|| applier.compact());
        }
        let elapsed = started.elapsed();
        self.metrics.compaction(elapsed);
        let ms = elapsed.as_millis() as u64;
        tracing::debug!(ms, "compacted the index, the desired state and the cache");
    }

    fn uses_imports(&self, key: &RouteKey) -> bool {
        let desired = self.desired.lock().unwrap_or_else(|p| p.into_inner());
        desired.uses_imports(key)
    }

    /// Whether this replica may write now (see [`crate::leader::Leadership`]).
    fn leading(&self) -> bool {
        self.options.leader.as_ref().is_none_or(|l| l.leading())
    }

    /// Routes by the outcome last recorded for each (programmed, kept,
    /// failed, pending), over the routes the index holds now.
    fn count_routes(&self, index: &Index) {
        let seen = self.outcomes.lock().unwrap_or_else(|p| p.into_inner());
        let mut counts = [0usize; 4];
        for key in index.all_routes().routes {
            let i = match seen.get(&key) {
                Some(ApplyOutcome::Programmed | ApplyOutcome::Unresolved(_)) => 0,
                Some(ApplyOutcome::Kept(_)) => 1,
                Some(ApplyOutcome::Failed(_)) => 2,
                Some(ApplyOutcome::Pending) | None => 3,
            };
            counts[i] += 1;
        }
        self.metrics.routes(counts);
    }

    /// Counts each plugin answer the host's validation refused (the plan's
    /// `PluginOutputInvalid` diagnostics, one per answer) under its
    /// plugin's stage. The plan itself stays pure; this is its edge.
    fn count_invalid_answers(&self, plan: &Plan) {
        let invalid = plan
            .diagnostics
            .iter()
            .filter(|d| d.reason == "PluginOutputInvalid")
            .filter_map(|d| d.plugin.as_deref());
        for provenance in invalid {
            let stage = self.stage_of(provenance);
            self.metrics
                .invalid_answer(stage.map_or("unknown", |s| s.as_str()), provenance);
        }
    }

    /// Which stage the plugin of `provenance` (`name@sha256:…`) serves:
    /// one of the controller's own stages, or a serving plugin object.
    fn stage_of(&self, provenance: &str) -> Option<Stage> {
        let stages = [Stage::Mapping, Stage::Weighting, Stage::Auth];
        if let Some(s) = stages
            .into_iter()
            .find(|s| self.stages.provenance(*s) == provenance)
        {
            return Some(s);
        }
        let host = self.plugins.as_ref()?;
        let table = host.table();
        table
            .serving
            .values()
            .find(|s| s.plugin.provenance() == provenance)
            .map(|s| s.stage.stage())
    }

    /// Plans the dirty routes and Gateways, each through the plugins that
    /// decide it now.
    fn plan(&self, index: &Index, dirty: &Dirty) -> Planned {
        let snapshot = index.snapshot();
        let input = PlanInput::for_changes(snapshot, &self.options.cluster, dirty);
        let base = self.stages.as_ref();
        let mut plan = match &self.plugins {
            Some(host) => host.table().plan(base, snapshot, &input),
            None => plan_intents(&input.routes, &input.service_networks, base),
        };
        // No plugin decides these: what the dirty objects declare, as is.
        plan.declared_service_networks = dirty
            .service_networks
            .iter()
            .filter_map(|name| service_network::declared(snapshot, name))
            .collect();
        let (mut exports, mut diagnostics) = (vec![], vec![]);
        for key in &dirty.service_exports {
            let (g, d) = service_export::declared(snapshot, &self.options.cluster, key);
            exports.extend(g);
            diagnostics.extend(d);
        }
        let plan = with_exports(plan, exports, diagnostics);
        let generations = dirty
            .routes
            .iter()
            .map(|k| (k.clone(), snapshot.route_meta(k).and_then(|m| m.generation)))
            .collect();
        Planned {
            attached: input.attached(),
            plan,
            generations,
        }
    }

    /// Folds the plan into the desired state and applies it: all of it when
    /// `full` (or a service network changed), else what the dirty routes
    /// touch. Returns which of the two it was (or would have been, without
    /// an applier) and what the apply did.
    async fn apply(&self, dirty: &Dirty, plan: &mut Plan, full: bool) -> (bool, Option<Applied>) {
        let (desired, scope, whole) = {
            let mut d = self.desired.lock().unwrap_or_else(|p| p.into_inner());
            let (scope, networks_changed) = d.update(dirty, plan);
            // Service networks are applied by whole passes only. Decided
            // even without an applier, so that a plan-only controller tells
            // whole passes from scoped ones as an applying one does.
            let whole = full || networks_changed;
            let desired = if whole {
                d.plan()
            } else {
                d.plan_within(&scope)
            };
            (desired, scope, whole)
        };
        let Some(applier) = &self.applier else {
            return (whole, None);
        };
        let mut applier = applier.lock().await;
        let started = std::time::Instant::now();
        let report = if whole {
            applier.apply(&desired).await
        } else {
            applier.apply_scoped(&desired, &scope).await
        };
        tracing::debug!(
            routes = dirty.routes.len(),
            gateways = dirty.gateways.len(),
            whole,
            apply_ms = started.elapsed().as_millis() as u64,
            calls = report.total_calls(),
            "applied"
        );
        if !report.is_success() {
            tracing::warn!(
                failures = report.failures.len(),
                "VPC Lattice rejected part of the plan; the next pass retries"
            );
            // What failed may pass later with no event to say so (a target
            // group another cluster's rule still uses): it comes back after
            // the recheck period even if nothing else changes.
            let mut later = self.recheck.lock().unwrap_or_else(|p| p.into_inner());
            later.merge(dirty.clone());
        }
        let problems = report.problems();
        let applied = Applied {
            report,
            whole,
            problems,
        };
        (whole, Some(applied))
    }

    /// What the last apply means for one route.
    pub(crate) fn route_outcome(&self, key: &RouteKey, applied: Option<&Applied>) -> ApplyOutcome {
        let Some(applied) = applied else {
            return ApplyOutcome::Pending;
        };
        let desired = self.desired.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(k) = desired.kept(key) {
            return ApplyOutcome::Kept(format!(
                "{}: {}; VPC Lattice keeps the route's last programmed state",
                k.plugin, k.message
            ));
        }
        let planned = desired.service_name(key).is_some();
        drop(desired);
        let route = format!("{}/{}", key.namespace, key.name);
        status::route_outcome(&route, planned, &applied.problems)
    }

    /// Remembers each route's outcome. Routes outside the dirty set whose
    /// outcome changed are dirty again, so their status is refreshed; routes
    /// that just failed (apply or plugin) get an Event. A scoped pass says nothing about routes
    /// outside its scope.
    fn record_outcomes(&self, index: &Index, dirty: &Dirty, applied: Option<&Applied>) -> Again {
        let mut again = Again::default();
        let Some(applied) = applied else {
            return again;
        };
        let keys = if applied.whole {
            index.all_routes().routes
        } else {
            dirty.routes.clone()
        };
        let mut seen = self.outcomes.lock().unwrap_or_else(|p| p.into_inner());
        let mut unresolved = self.unresolved.lock().unwrap_or_else(|p| p.into_inner());
        if applied.whole {
            unresolved.retain(|k| keys.contains(k));
        }
        let mut imports = Vec::new();
        for key in keys {
            let now = self.route_outcome(&key, Some(applied));
            // Another cluster may export (or stop exporting) what an import
            // names at any moment, and no watch here would say so: look
            // again after a while, and later and later while it finds
            // nothing (see `unresolved.rs`).
            if matches!(now, ApplyOutcome::Unresolved(_)) {
                unresolved.missed(key.clone());
            } else {
                unresolved.forget(&key);
                if self.uses_imports(&key) {
                    imports.push(key.clone());
                }
            }
            if seen.get(&key) != Some(&now) {
                match &now {
                    ApplyOutcome::Failed(m) => {
                        again.failed.insert(key.clone(), ("ApplyFailed", m.clone()));
                    }
                    ApplyOutcome::Kept(m) => {
                        again
                            .failed
                            .insert(key.clone(), ("PluginFailed", m.clone()));
                    }
                    _ => {}
                }
                if !dirty.routes.contains(&key) {
                    again.dirty.routes.insert(key.clone());
                }
            }
            seen.insert(key, now);
        }
        if !imports.is_empty() {
            let mut later = self.recheck.lock().unwrap_or_else(|p| p.into_inner());
            later.routes.extend(imports);
        }
        again
    }
}

/// What a pass hands on.
#[derive(Default)]
pub(crate) struct Again {
    /// For the next pass.
    pub dirty: Dirty,
    /// Routes that just failed (`ApplyFailed`: Lattice refused; `PluginFailed`:
    /// a plugin failed and Lattice keeps the route), with the message, for Events.
    pub failed: BTreeMap<RouteKey, (&'static str, String)>,
}
