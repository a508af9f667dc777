//! One pass: observe → diff → execute → report; and the long-lived [`Applier`]
//! that keeps the detail cache between passes.

use crate::cache::Cache;
use crate::caller::{CallCounts, Caller};
use crate::diff::{DiffOptions, diff};
use crate::executor::{Executor, Outcome};
use crate::model::{Observed, Owner};
use crate::observed::Observer;
use crate::ops::{Key, Op, OpKind};
use crate::options::ApplyOptions;
use crate::report::{ApplyReport, NetworkEndpoint, ServiceEndpoint};
use crate::scope::Scope;
use lattice_core::ClusterConfig;
use lattice_core::model::naming::managed_by_tag;
use lattice_core::plan::Plan;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;

/// Applies plans to one Lattice, remembering details between passes so that a
/// steady-state pass makes list calls only.
pub struct Applier {
    caller: Caller,
    cache: Mutex<Cache>,
    cfg: ClusterConfig,
    opts: ApplyOptions,
    passes: u64,
    fence: Option<Fence>,
}

/// Whether writes may still go out: asked before every operation of a
/// pass, so a replica that lost its leadership mid-apply (a pause past its
/// Lease) stops writing at once instead of finishing the pass.
pub type Fence = std::sync::Arc<dyn Fn() -> bool + Send + Sync>;

impl Applier {
    /// An applier for `cfg` with `opts`.
    pub fn new(client: aws_sdk_vpclattice::Client, cfg: ClusterConfig, opts: ApplyOptions) -> Self {
        Applier {
            caller: Caller::new(client, &opts),
            cache: Mutex::new(Cache::default()),
            cfg,
            opts,
            passes: 0,
            fence: None,
        }
    }

    /// Sends an operation only while `fence` says so; the rest of the pass
    /// fails with `LeadershipLost` and nothing more is written.
    pub fn with_fence(mut self, fence: Fence) -> Self {
        self.fence = Some(fence);
        self
    }

    /// Records every Lattice call's outcome and latency in `metrics`.
    pub fn with_metrics(mut self, metrics: crate::CallMetrics) -> Self {
        self.caller.set_metrics(metrics);
        self
    }

    /// Forget cached details (the next pass re-reads them).
    pub fn forget(&self) {
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// Rebuilds the cache in new allocations ([`Cache::compacted`]): for a
    /// quiet moment after a whole pass, when that pass's short-lived
    /// allocations are gone.
    pub fn compact(&self) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        *cache = cache.compacted();
    }

    /// The SDK client it applies with, for reads of its own (e.g. service ARNs).
    pub fn client(&self) -> &aws_sdk_vpclattice::Client {
        &self.caller.client
    }

    /// Calls made by this applier so far, per operation.
    pub fn calls(&self) -> BTreeMap<String, u64> {
        self.caller.calls()
    }

    /// A cheap handle on this applier's cumulative call counts, which stays
    /// current after the applier is moved (e.g. into a controller).
    pub fn call_counts(&self) -> CallCounts {
        self.caller.counts()
    }

    /// One pass: make Lattice match `plan`, the whole desired state.
    pub async fn apply(&mut self, plan: &Plan) -> ApplyReport {
        self.pass(plan, None).await
    }

    /// One scoped pass: make the services and target groups in `scope`
    /// match `plan` (still the whole desired state), reading and touching
    /// nothing else. See [`Scope`].
    pub async fn apply_scoped(&mut self, plan: &Plan, scope: &Scope) -> ApplyReport {
        if scope.is_empty() {
            return ApplyReport::default();
        }
        let scope = scope.with_references(plan);
        self.pass(&scope.restrict(plan), Some(&scope)).await
    }

    async fn pass(&mut self, plan: &Plan, scope: Option<&Scope>) -> ApplyReport {
        self.passes += 1;
        let before = self.caller.calls();
        let observer = Observer {
            caller: &self.caller,
            cache: &self.cache,
            cfg: &self.cfg,
            concurrency: self.opts.concurrency.max(1),
        };
        let observed = match observer.observe(plan, scope).await {
            Ok(o) => o,
            Err(e) => return ApplyReport::observe_failed(e, delta(&before, &self.caller.calls())),
        };
        let d = diff(
            &observed,
            plan,
            &self.cfg,
            &DiffOptions {
                allow_adoption: self.opts.allow_adoption,
                prune: self.opts.prune,
                scoped: scope.is_some(),
            },
        );
        let nonce = format!(
            "{}:{}:{}",
            std::process::id(),
            self.passes,
            rand::random::<u64>()
        );
        let exec = Executor {
            caller: &self.caller,
            cache: &self.cache,
            ids: Mutex::new(ids(&observed)),
            tag: (managed_by_tag(), self.cfg.managed_by()),
            nonce,
            endpoints: Mutex::default(),
            networks: Mutex::default(),
            access_logs: Mutex::default(),
            fence: self.fence.as_ref(),
        };
        let outcomes = exec.run(&d.ops, self.opts.concurrency).await;
        let mut report = ApplyReport {
            diagnostics: d.diagnostics,
            services: endpoints(&observed, plan),
            ..Default::default()
        };
        let created = exec
            .endpoints
            .into_inner()
            .unwrap_or_else(|p| p.into_inner());
        report.services.extend(created);
        let done: Vec<&OpKind> = done(&d.ops, &outcomes).collect();
        if scope.is_none() {
            let created = exec
                .networks
                .into_inner()
                .unwrap_or_else(|p| p.into_inner());
            report.service_networks = networks_after(&observed, &done, created);
        }
        let created = exec
            .access_logs
            .into_inner()
            .unwrap_or_else(|p| p.into_inner());
        report.access_log_subscriptions = subscriptions_after(&observed, &done, created);
        report.record(&d.ops, &outcomes);
        report.calls = delta(&before, &self.caller.calls());
        report
    }
}

/// Ids of everything observed, by key.
fn ids(observed: &Observed) -> HashMap<Key, String> {
    let mut ids = HashMap::new();
    for s in &observed.service_networks {
        ids.insert(Key::ServiceNetwork(s.name.clone()), s.id.clone());
    }
    for t in &observed.target_groups {
        ids.insert(Key::TargetGroup(t.name.clone()), t.id.clone());
    }
    for s in &observed.services {
        ids.insert(Key::Service(s.name.clone()), s.id.clone());
        for l in &s.listeners {
            ids.insert(Key::Listener(s.name.clone(), l.port), l.id.clone());
        }
    }
    ids
}

/// The plan's services that were listed, as the list showed them. A pass
/// deletes only services the plan does not have, so these still exist.
fn endpoints(observed: &Observed, plan: &Plan) -> BTreeMap<String, ServiceEndpoint> {
    let wanted: BTreeSet<&str> = plan.services.iter().map(|s| s.name.as_str()).collect();
    observed
        .services
        .iter()
        .filter(|o| wanted.contains(o.name.as_str()))
        .map(|o| {
            let endpoint = ServiceEndpoint {
                arn: o.arn.clone(),
                dns_name: o.dns_name.clone(),
            };
            (o.name.clone(), endpoint)
        })
        .collect()
}

/// The operations of the pass that completed.
fn done<'o>(ops: &'o [Op], outcomes: &'o [Outcome]) -> impl Iterator<Item = &'o OpKind> {
    ops.iter()
        .zip(outcomes)
        .filter(|(_, o)| matches!(o, Outcome::Done))
        .map(|(op, _)| &op.kind)
}

/// The service networks Lattice holds after a whole pass: those listed,
/// less those deleted, with claims counted as ours, plus those created.
fn networks_after(
    observed: &Observed,
    done: &[&OpKind],
    created: BTreeMap<String, NetworkEndpoint>,
) -> BTreeMap<String, NetworkEndpoint> {
    let deleted: BTreeSet<&str> = done
        .iter()
        .filter_map(|k| match k {
            OpKind::DeleteServiceNetwork { id } => Some(id.as_str()),
            _ => None,
        })
        .collect();
    let claimed: BTreeSet<&str> = done
        .iter()
        .filter_map(|k| match k {
            OpKind::Claim { arn } => Some(arn.as_str()),
            _ => None,
        })
        .collect();
    let listed = observed
        .service_networks
        .iter()
        .filter(|o| !deleted.contains(o.id.as_str()))
        .map(|o| {
            let ours = o.owner == Owner::Ours || claimed.contains(o.arn.as_str());
            let endpoint = NetworkEndpoint {
                arn: o.arn.clone(),
                id: o.id.clone(),
                ours,
            };
            (o.name.clone(), endpoint)
        });
    listed.chain(created).collect()
}

/// Our access log subscriptions after a pass, by policy: those read, less
/// those deleted, plus those created.
fn subscriptions_after(
    observed: &Observed,
    done: &[&OpKind],
    created: BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let deleted: BTreeSet<&str> = done
        .iter()
        .filter_map(|k| match k {
            OpKind::DeleteAccessLogSubscription { id } => Some(id.as_str()),
            _ => None,
        })
        .collect();
    let read = observed
        .access_logs
        .iter()
        .filter(|a| a.ours && !deleted.contains(a.id.as_str()))
        .filter_map(|a| Some((a.policy.clone()?, a.arn.clone())));
    read.chain(created).collect()
}

fn delta(before: &BTreeMap<String, u64>, after: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    after
        .iter()
        .map(|(k, v)| (k.clone(), v - before.get(k).copied().unwrap_or(0)))
        .filter(|(_, v)| *v > 0)
        .collect()
}
