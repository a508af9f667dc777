//! The controller: watches in, plans through the plugins, status out.
//!
//! ```text
//! kube-rs watchers (one per kind) ─► Change ─► Index (typed state + graph)
//!        ─► Dirty routes, debounced ─► plan (lattice_core, WASM stages)
//!        ─► status writer (route parents, only real changes)
//! ```
//!
//! One reconcile pass runs at a time, so a route is never reconciled twice
//! at once; within a pass, status writes run with bounded concurrency.

mod desired;
mod finalizers;
mod kinds;
pub mod leader;
mod status;
mod watch;

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use lattice_core::index::{Dirty, Index, RouteKey, route_view};
use lattice_core::plan::{PlanInput, plan_intents};
use lattice_core::status::{ApplyOutcome, without_times};
use lattice_core::{ClusterConfig, Stages};
use lattice_plugin_sdk::types::RouteKind;
use serde_json::Value;
use tokio::sync::mpsc;

pub use status::desired_parents;
pub use watch::Change;

/// How the controller runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// Cluster identity.
    pub cluster: ClusterConfig,
    /// Quiet time after the last change before a pass starts.
    pub debounce: Duration,
    /// Period of the full resync.
    pub resync: Duration,
    /// Status writes in flight at once.
    pub max_concurrent_writes: usize,
    /// Leadership, from [`leader::Election::start`]; `None` means always lead.
    pub leader: Option<tokio::sync::watch::Receiver<bool>>,
    /// This replica's name, reported on the Events it records.
    pub instance: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            cluster: ClusterConfig::default(),
            debounce: Duration::from_millis(20),
            resync: Duration::from_secs(600),
            max_concurrent_writes: 20,
            leader: None,
            instance: None,
        }
    }
}

/// The controller.
pub struct Controller {
    client: kube::Client,
    stages: Arc<dyn Stages + Send + Sync>,
    options: Options,
    applier: Option<tokio::sync::Mutex<lattice_apply::Applier>>,
    desired: std::sync::Mutex<desired::Desired>,
    outcomes: std::sync::Mutex<std::collections::BTreeMap<RouteKey, ApplyOutcome>>,
    /// The Lattice service each route's ARN and domain annotations were last
    /// written or checked for: a scoped pass lists services only for others.
    annotated: std::sync::Mutex<std::collections::BTreeMap<RouteKey, String>>,
}

impl Controller {
    /// A controller over `client`, deciding through `stages`.
    pub fn new(
        client: kube::Client,
        stages: Arc<dyn Stages + Send + Sync>,
        options: Options,
    ) -> Self {
        Controller {
            client,
            stages,
            options,
            applier: None,
            desired: Default::default(),
            outcomes: Default::default(),
            annotated: Default::default(),
        }
    }

    /// Applies every pass's desired state to VPC Lattice through `applier`.
    /// Without one, the controller plans and writes status only.
    pub fn with_applier(mut self, applier: lattice_apply::Applier) -> Self {
        self.applier = Some(tokio::sync::Mutex::new(applier));
        self
    }

    /// Runs until `shutdown` resolves; a pass in progress finishes first.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        let (tx, mut rx) = mpsc::channel::<Change>(4096);
        let kinds = kinds::watched();
        let watchers: Vec<_> = kinds
            .iter()
            .map(|kind| tokio::spawn(watch::run(self.client.clone(), *kind, tx.clone())))
            .collect();
        drop(tx);
        let mut index = Index::default();
        let mut dirty = Dirty::default();
        // No pass runs before every kind has listed once: an apply would prune
        // what the index has not seen yet, and a route whose Gateway has not
        // been listed would be given a wrong status.
        let mut listed: std::collections::BTreeSet<String> = Default::default();
        // The next apply covers the whole desired state, not just what the
        // dirty routes touch: at start, on resync, for a new leader, after a
        // failure.
        let mut full = true;
        let mut resync = tokio::time::interval(self.options.resync);
        resync.tick().await;
        let mut leader = self.options.leader.clone();
        let leading = |l: &Option<tokio::sync::watch::Receiver<bool>>| {
            l.as_ref().is_none_or(|rx| *rx.borrow())
        };
        tokio::pin!(shutdown);
        loop {
            let quiet = tokio::time::sleep(self.options.debounce);
            let lead_changed = async {
                match leader.as_mut() {
                    Some(rx) => rx.changed().await.is_ok(),
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                _ = &mut shutdown => break,
                changed = lead_changed => {
                    // A new leader re-checks everything: the old one may have
                    // stopped mid-way.
                    if changed && leading(&leader) {
                        full = true;
                        dirty.merge(index.all_routes());
                    } else if !changed {
                        leader = None;
                    }
                }
                change = rx.recv() => match change {
                    Some(c) => {
                        if let Change::Relisted { kind, .. } = &c {
                            listed.insert(kind.clone());
                        }
                        dirty.merge(watch::apply(&mut index, c));
                    }
                    None => break,
                },
                _ = resync.tick() => {
                    full = true;
                    dirty.merge(index.all_routes());
                }
                _ = quiet, if !dirty.is_empty() && listed.len() == kinds.len() => {
                    let work = std::mem::take(&mut dirty);
                    // Followers keep their index warm but write nothing.
                    if leading(&leader) {
                        dirty.merge(self.pass(&index, work, &mut full).await);
                    }
                }
            }
        }
        for w in watchers {
            w.abort();
        }
    }

    /// One reconcile pass: plan the dirty routes, apply the desired state
    /// (all of it when `full`, else what the dirty routes touch), write
    /// status. Returns routes whose apply outcome changed, so the next pass
    /// refreshes their status.
    async fn pass(&self, index: &Index, dirty: Dirty, full: &mut bool) -> Dirty {
        let now = Time(jiff_now());
        let started = std::time::Instant::now();
        let (input, plan) = tokio::task::block_in_place(|| {
            let input = PlanInput::for_changes(index.snapshot(), &self.options.cluster, &dirty);
            let plan = plan_intents(&input.routes, &input.service_networks, self.stages.as_ref());
            (input, plan)
        });
        let (desired, scope) = {
            let mut d = self.desired.lock().unwrap_or_else(|p| p.into_inner());
            let (scope, networks_changed) = d.update(&dirty, &plan);
            // Service networks are applied by whole passes only.
            *full |= networks_changed;
            (d.plan(), scope)
        };
        let mut whole = false;
        let report = match &self.applier {
            Some(applier) => {
                let mut applier = applier.lock().await;
                whole = std::mem::take(full);
                let planned = started.elapsed();
                let report = if whole {
                    applier.apply(&desired).await
                } else {
                    applier.apply_scoped(&desired, &scope).await
                };
                tracing::debug!(
                    routes = dirty.routes.len(),
                    gateways = dirty.gateways.len(),
                    whole,
                    plan_ms = planned.as_millis() as u64,
                    apply_ms = (started.elapsed() - planned).as_millis() as u64,
                    calls = report.total_calls(),
                    "applied"
                );
                if !report.is_success() {
                    *full = true;
                    tracing::warn!(
                        failures = report.failures.len(),
                        "VPC Lattice rejected part of the plan; the next pass retries"
                    );
                }
                Some(report)
            }
            None => None,
        };
        let mut again = Dirty::default();
        let outcome = |key: &RouteKey| match &report {
            Some(r) => self
                .desired
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .outcome(key, r),
            None => ApplyOutcome::Pending,
        };
        if let (Some(applier), Some(_)) = (&self.applier, &report) {
            let client = applier.lock().await.client().clone();
            self.annotate(index, &dirty, &client, whole).await;
        }
        let mut failed_now = Vec::new();
        if report.is_some() {
            let mut seen = self.outcomes.lock().unwrap_or_else(|p| p.into_inner());
            // A scoped pass says nothing about routes outside its scope.
            let keys = if whole {
                index.all_routes().routes
            } else {
                dirty.routes.clone()
            };
            for key in keys {
                let now_outcome = outcome(&key);
                if seen.get(&key) != Some(&now_outcome) {
                    if let ApplyOutcome::Failed(m) = &now_outcome {
                        failed_now.push((key.clone(), m.clone()));
                    }
                    if !dirty.routes.contains(&key) {
                        again.routes.insert(key.clone());
                    }
                }
                seen.insert(key, now_outcome);
            }
        }
        for (key, message) in failed_now {
            self.warn(index, &key, message).await;
        }
        let gateway_outcome = match &report {
            Some(r) if r.is_success() => ApplyOutcome::Programmed,
            Some(r) => ApplyOutcome::Failed(format!(
                "{} operation(s) failed; see route status",
                r.failures.len()
            )),
            None => ApplyOutcome::Pending,
        };
        // Finalizers only when changes reach Lattice: without an applier
        // nothing would ever clean up, and deletions would hang.
        if let Some(report) = &report {
            let settled = report.is_success();
            let fins = finalizers::changes(index.snapshot(), &dirty, &input, settled);
            let client = &self.client;
            // A write that still loses its race after retrying in place marks
            // its object dirty again, for the next pass.
            let failed: Vec<Dirty> = futures::stream::iter(fins)
                .map(|c| async move {
                    let retry = c.retry.clone();
                    finalizers::write(client, c).await.err().map(|e| {
                        tracing::debug!(error = %e, "finalizer update failed; the next pass retries");
                        retry
                    })
                })
                .buffer_unordered(self.options.max_concurrent_writes)
                .filter_map(std::future::ready)
                .collect()
                .await;
            for d in failed {
                again.merge(d);
            }
            if !settled {
                // Deletions wait on a clean apply: try them again next pass.
                let snapshot = index.snapshot();
                again.routes.extend(
                    dirty
                        .routes
                        .iter()
                        .filter(|k| {
                            route_meta(snapshot, k).is_some_and(|m| m.deletion_timestamp.is_some())
                        })
                        .cloned(),
                );
                again.gateways.extend(dirty.gateways.iter().cloned());
            }
        }
        let (writes, objects) = tokio::task::block_in_place(|| {
            (
                self.route_statuses(index, &dirty, &input, &plan, &outcome, &now),
                self.gateway_statuses(index, &dirty, &gateway_outcome, &now),
            )
        });
        let client = &self.client;
        futures::stream::iter(objects)
            .for_each_concurrent(self.options.max_concurrent_writes, |w| async move {
                if let Err(e) = status::write_object_status(client, &w.ar, w.namespace.as_deref(), &w.name, w.status).await {
                    tracing::warn!(kind = %w.ar.kind, name = %w.name, error = %e, "status write failed; the next pass retries");
                }
            })
            .await;
        futures::stream::iter(writes)
            .for_each_concurrent(self.options.max_concurrent_writes, |(key, parents)| async move {
                if let Err(e) = status::write(client, &key, parents).await {
                    tracing::warn!(route = %key, error = %e, "status write failed; the next pass retries");
                }
            })
            .await;
        again
    }

    /// The Go controller's annotations on programmed routes: the service ARN
    /// and the domain name Lattice assigned.
    /// Listing every service costs a page per 100 of them, so a scoped pass
    /// lists only when a dirty route lacks an annotation or its service name
    /// changed; a whole pass always checks.
    async fn annotate(
        &self,
        index: &Index,
        dirty: &Dirty,
        lattice: &aws_sdk_vpclattice::Client,
        whole: bool,
    ) {
        let [arn_key, dns_key] = lattice_core::index::OUTPUT_ANNOTATIONS;
        let wanted: Vec<(RouteKey, String)> = {
            let d = self.desired.lock().unwrap_or_else(|p| p.into_inner());
            let mut done = self.annotated.lock().unwrap_or_else(|p| p.into_inner());
            done.retain(|k, _| !dirty.routes.contains(k) || d.service_name(k).is_some());
            dirty
                .routes
                .iter()
                .filter_map(|k| d.service_name(k).map(|n| (k.clone(), n.to_string())))
                .filter(|(k, n)| {
                    let has_both = route_meta(index.snapshot(), k).is_some_and(|m| {
                        let a = m.annotations.as_ref();
                        a.is_some_and(|a| a.contains_key(arn_key) && a.contains_key(dns_key))
                    });
                    whole || !has_both || done.get(k) != Some(n)
                })
                .collect()
        };
        if wanted.is_empty() {
            return;
        }
        let services: Vec<_> = match lattice
            .list_services()
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<Vec<_>, _>>()
        {
            Ok(s) => s,
            Err(e) => {
                tracing::debug!(error = %e, "could not list services for annotations");
                return;
            }
        };
        let by_name: std::collections::HashMap<&str, _> = services
            .iter()
            .filter_map(|s| Some((s.name()?, s)))
            .collect();
        for (key, name) in wanted {
            let Some(svc) = by_name.get(name.as_str()) else {
                continue;
            };
            let Some(meta) = route_meta(index.snapshot(), &key) else {
                continue;
            };
            let current = meta.annotations.clone().unwrap_or_default();
            let mut patch = serde_json::Map::new();
            for (k, v) in [
                (arn_key, svc.arn()),
                (dns_key, svc.dns_entry().and_then(|d| d.domain_name())),
            ] {
                if let Some(v) = v
                    && current.get(k).map(String::as_str) != Some(v)
                {
                    patch.insert(k.to_string(), v.into());
                }
            }
            if !patch.is_empty() {
                let api: Api<DynamicObject> = Api::namespaced_with(
                    self.client.clone(),
                    &key.namespace,
                    &kinds::route(key.kind),
                );
                let body = serde_json::json!({"metadata": {"annotations": patch}});
                let patched = api
                    .patch(&key.name, &PatchParams::default(), &Patch::Merge(&body))
                    .await;
                if let Err(e) = patched {
                    tracing::debug!(route = %key, error = %e, "could not annotate");
                    continue;
                }
            }
            self.annotated
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(key, name);
        }
    }

    /// A Kubernetes Event on a route whose apply just failed.
    async fn warn(&self, index: &Index, key: &RouteKey, message: String) {
        use kube::runtime::events::{Event, EventType, Recorder, Reporter};
        let Some(meta) = route_meta(index.snapshot(), key) else {
            return;
        };
        let reference = k8s_openapi::api::core::v1::ObjectReference {
            api_version: Some("gateway.networking.k8s.io/v1".into()),
            kind: Some(key.kind.kind_name().into()),
            namespace: Some(key.namespace.clone()),
            name: Some(key.name.clone()),
            uid: meta.uid.clone(),
            ..Default::default()
        };
        let reporter = Reporter {
            controller: "lattice-host".into(),
            instance: self.options.instance.clone(),
        };
        let event = Event {
            type_: EventType::Warning,
            reason: "ApplyFailed".into(),
            // Kubernetes caps event notes at 1 KiB.
            note: Some(message.chars().take(1000).collect()),
            action: "Apply".into(),
            secondary: None,
        };
        if let Err(e) = Recorder::new(self.client.clone(), reporter)
            .publish(&event, &reference)
            .await
        {
            tracing::debug!(route = %key, error = %e, "could not record an event");
        }
    }

    /// Status patches for dirty Gateways and for our GatewayClasses.
    fn gateway_statuses(
        &self,
        index: &Index,
        dirty: &Dirty,
        apply: &ApplyOutcome,
        now: &Time,
    ) -> Vec<StatusWrite> {
        use lattice_core::model;
        let snapshot = index.snapshot();
        let mut out = Vec::new();
        for (name, class) in &snapshot.gateway_classes {
            if class.spec.controller_name != lattice_core::config::CONTROLLER_NAME {
                continue;
            }
            let status = lattice_core::status::gateway_class_status(class, now);
            let current = serde_json::to_value(class)
                .ok()
                .and_then(|v| v.get("status").cloned())
                .unwrap_or_default();
            if without_times(&current) != without_times(&status) {
                out.push(StatusWrite {
                    ar: kinds::gateway_class(),
                    namespace: None,
                    name: name.clone(),
                    status,
                });
            }
        }
        let networks = model::service_networks(snapshot);
        for key in &dirty.gateways {
            let Some(sn) = networks
                .iter()
                .find(|sn| sn.gateway.namespace == key.0 && sn.gateway.name == key.1)
            else {
                continue;
            };
            let views: Vec<model::RouteView> = index
                .routes_of_gateway(key)
                .iter()
                .filter_map(|rk| route_view(snapshot, rk))
                .collect();
            let Some(status) = lattice_core::status::gateway_status(
                snapshot,
                key,
                &views,
                sn.invalid_name.as_deref(),
                apply,
                now,
            ) else {
                continue;
            };
            let current = snapshot
                .gateways
                .get(key)
                .and_then(|g| serde_json::to_value(g).ok())
                .and_then(|v| v.get("status").cloned())
                .unwrap_or_default();
            if without_times(&current) != without_times(&status) {
                out.push(StatusWrite {
                    ar: kinds::gateway(),
                    namespace: Some(key.0.clone()),
                    name: key.1.clone(),
                    status,
                });
            }
        }
        out
    }

    /// The status patches the dirty routes need.
    fn route_statuses(
        &self,
        index: &Index,
        dirty: &Dirty,
        input: &PlanInput,
        plan: &lattice_core::Plan,
        outcome: &dyn Fn(&RouteKey) -> ApplyOutcome,
        now: &Time,
    ) -> Vec<(RouteKey, Vec<Value>)> {
        let snapshot = index.snapshot();
        let mut out = Vec::new();
        for key in &dirty.routes {
            let k = (key.namespace.clone(), key.name.clone());
            let current = match key.kind {
                RouteKind::Http => snapshot.http_routes.get(&k).map(serde_json::to_value),
                RouteKind::Grpc => snapshot.grpc_routes.get(&k).map(serde_json::to_value),
                RouteKind::Tls => snapshot.tls_routes.get(&k).map(serde_json::to_value),
            };
            let (Some(view), Some(Ok(current))) = (route_view(snapshot, key), current) else {
                continue;
            };
            let intent = input.routes.iter().find(|r| {
                r.kind == key.kind && r.id.namespace == key.namespace && r.id.name == key.name
            });
            let object = key.to_string();
            let diags: Vec<_> = plan
                .diagnostics
                .iter()
                .filter(|d| d.object == object)
                .collect();
            if let Some(parents) =
                desired_parents(&current, &view, intent, &diags, &outcome(key), now)
            {
                out.push((key.clone(), parents));
            }
        }
        out
    }
}

/// A status patch for a Gateway or GatewayClass.
struct StatusWrite {
    ar: kube::api::ApiResource,
    namespace: Option<String>,
    name: String,
    status: Value,
}

/// A route's metadata, whatever its kind.
fn route_meta<'a>(
    snapshot: &'a lattice_core::Snapshot,
    rk: &RouteKey,
) -> Option<&'a k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta> {
    let k = (rk.namespace.clone(), rk.name.clone());
    match rk.kind {
        RouteKind::Http => snapshot.http_routes.get(&k).map(|r| &r.metadata),
        RouteKind::Grpc => snapshot.grpc_routes.get(&k).map(|r| &r.metadata),
        RouteKind::Tls => snapshot.tls_routes.get(&k).map(|r| &r.metadata),
    }
}

fn jiff_now() -> k8s_openapi::jiff::Timestamp {
    k8s_openapi::jiff::Timestamp::now()
}
