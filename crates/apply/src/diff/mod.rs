//! The diff: observed state + plan → ordered operations. Pure: no I/O, no clock.
//!
//! Operations come out in dependency order (every `deps` index is smaller than
//! the operation's own): service networks and their VPC association, target
//! groups and targets (chunks of 100), services and their auth, service network
//! associations, listeners, rules (obsolete deletes, then moves and content
//! changes through `UpdateRule` / `BatchUpdateRule`, then creates), and last the
//! garbage collection of our own resources that no plan owns, in reverse order.
//! Access log subscriptions come after the services (`access_logs`).
//! Nothing that is already right gets an operation.
//!
//! The services and target groups of [`Plan::kept`] routes (a plugin failed on
//! them) are held as Lattice has them: they are not in the plan, so no create
//! or update reaches them, and the garbage pass skips them (`Builder::held`).
//!
//! Every operation and diagnostic names the plan item it is for
//! ([`ResourceRef`]): the service, target group or network, and the routes
//! that want it.

mod access_logs;
mod garbage;
mod imports;
mod listeners;
mod rules;
mod service_networks;
mod services;
mod tags;
mod target_groups;

pub use tags::tag_changes;
#[cfg(test)]
pub(crate) use target_groups::planned_targets;

use crate::model::{ObsService, ObsTargetGroup, Observed};
use crate::ops::{Key, Op, OpKind};
use lattice_core::ClusterConfig;
use lattice_core::plan::{Action, Plan, ResourceKind, ResourceRef, ServicePlan, TargetGroupPlan};
use std::collections::{BTreeSet, HashMap, HashSet};

/// Targets per `RegisterTargets` / `DeregisterTargets` call.
pub const TARGET_CHUNK: usize = 100;

/// Inputs of the diff besides the plan and the observed state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DiffOptions {
    /// Adopt untagged resources that carry a name the plan uses.
    pub allow_adoption: bool,
    /// Delete our own resources that the plan no longer has.
    pub prune: bool,
    /// Only part of Lattice was observed ([`crate::scope::Scope`]): service
    /// networks are not pruned.
    pub scoped: bool,
}

/// Something the diff will not do, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    /// The object, e.g. `service books-bookstore`.
    pub object: String,
    /// The plan item it is about, and the routes that want it.
    pub resource: ResourceRef,
    /// `Conflicted`, `NotFound`, `Immutable` or `InUse`.
    pub reason: String,
    /// What is wrong.
    pub message: String,
}

/// The operations and the diagnostics.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diff {
    /// Operations in dependency order.
    pub ops: Vec<Op>,
    /// What was left alone.
    pub diagnostics: Vec<Diagnostic>,
}

/// Compute the operations that take `observed` to `plan`.
pub fn diff(observed: &Observed, plan: &Plan, cfg: &ClusterConfig, opts: &DiffOptions) -> Diff {
    let (plan, unresolved) = imports::settle(plan, observed);
    let plan = plan.as_ref();
    let mut b = Builder {
        observed,
        ix: Index::new(observed, plan),
        cfg,
        opts,
        out: Diff::default(),
        creators: HashMap::new(),
        blocked_tgs: BTreeSet::new(),
        tg_users: HashMap::new(),
        held: held(plan),
    };
    b.service_networks(plan);
    b.target_groups(plan);
    for s in &plan.services {
        b.service(s);
    }
    b.access_logs(plan);
    if opts.prune {
        b.garbage(plan);
    }
    b.out.diagnostics.extend(unresolved);
    b.out
}

struct Builder<'a> {
    observed: &'a Observed,
    ix: Index<'a>,
    cfg: &'a ClusterConfig,
    opts: &'a DiffOptions,
    out: Diff,
    /// The op that creates (or claims) each key.
    creators: HashMap<Key, usize>,
    /// Target groups the plan wants but may not touch or use.
    blocked_tgs: BTreeSet<String>,
    /// Per target group name: ops that stop an observed rule or listener using it.
    tg_users: HashMap<String, Vec<usize>>,
    /// Services and target groups of kept routes that the plan lacks.
    held: HashSet<Key>,
}

/// Lookups by name, built once per diff: at 10,000 routes, a walk of the
/// plan or of what was observed for every item would cost seconds.
struct Index<'a> {
    services: HashMap<&'a str, &'a ObsService>,
    target_groups: HashMap<&'a str, &'a ObsTargetGroup>,
    networks: HashSet<&'a str>,
    planned_target_groups: HashMap<&'a str, &'a TargetGroupPlan>,
    services_of_route: HashMap<&'a str, Vec<&'a ServicePlan>>,
}

impl<'a> Index<'a> {
    fn new(observed: &'a Observed, plan: &'a Plan) -> Self {
        let mut services_of_route: HashMap<&str, Vec<&ServicePlan>> = HashMap::new();
        for s in &plan.services {
            services_of_route
                .entry(s.route.as_str())
                .or_default()
                .push(s);
        }
        Index {
            services: observed
                .services
                .iter()
                .map(|o| (o.name.as_str(), o))
                .collect(),
            target_groups: observed
                .target_groups
                .iter()
                .map(|o| (o.name.as_str(), o))
                .collect(),
            networks: observed
                .service_networks
                .iter()
                .map(|o| o.name.as_str())
                .collect(),
            planned_target_groups: plan
                .target_groups
                .iter()
                .map(|t| (t.name.as_str(), t))
                .collect(),
            services_of_route,
        }
    }
}

/// The services and target groups of the plan's kept routes, but those the
/// plan itself has: a planned item is managed as any other.
fn held(plan: &Plan) -> HashSet<Key> {
    let mut held: HashSet<Key> = plan
        .kept
        .iter()
        .flat_map(|k| {
            let groups = k.target_groups.iter().cloned().map(Key::TargetGroup);
            std::iter::once(Key::Service(k.service.clone())).chain(groups)
        })
        .collect();
    // Without kept routes there is nothing to take out (and nothing to clone).
    if !held.is_empty() {
        for s in &plan.services {
            held.remove(&Key::Service(s.name.clone()));
        }
        for t in &plan.target_groups {
            held.remove(&Key::TargetGroup(t.name.clone()));
        }
    }
    held
}

fn tgs_of(a: &Action) -> Vec<&str> {
    match a {
        Action::Forward(w) => w.iter().map(|t| t.target_group.as_str()).collect(),
        Action::FixedResponse(_) => vec![],
    }
}

/// A service's own resource, or one of its parts (listener, rule, auth
/// policy, association): named by the service, wanted by its route.
fn of_service(kind: ResourceKind, s: &ServicePlan) -> ResourceRef {
    ResourceRef {
        kind,
        name: s.name.clone(),
        routes: vec![s.route.clone()],
    }
}

/// A target group or its targets: wanted by every route that forwards to it.
fn of_target_group(kind: ResourceKind, tg: &TargetGroupPlan) -> ResourceRef {
    ResourceRef {
        kind,
        name: tg.name.clone(),
        routes: tg.routes.clone(),
    }
}

/// What no route wants: a service network or its parts, or anything being
/// deleted because the plan no longer has it.
fn unrouted(kind: ResourceKind, name: &str) -> ResourceRef {
    ResourceRef {
        kind,
        name: name.to_string(),
        routes: vec![],
    }
}

impl Builder<'_> {
    fn push(
        &mut self,
        kind: OpKind,
        mut deps: Vec<usize>,
        object: String,
        resource: ResourceRef,
    ) -> usize {
        deps.sort_unstable();
        deps.dedup();
        let i = self.out.ops.len();
        if let Some(k) = kind.produces() {
            self.creators.insert(k, i);
        }
        self.out.ops.push(Op {
            kind,
            deps,
            object,
            resource,
        });
        i
    }

    fn diag(&mut self, object: String, resource: ResourceRef, reason: &str, message: String) {
        self.out.diagnostics.push(Diagnostic {
            object,
            resource,
            reason: reason.into(),
            message,
        });
    }

    /// The owner a service's route lets it take over from (its `allow-takeover-from`
    /// annotation, carried in the plan).
    fn takeover<'s>(&self, s: &'s ServicePlan) -> Option<&'s str> {
        s.allow_takeover_from.as_deref()
    }

    /// Whether the service or target group `key` is held as Lattice has it
    /// (a kept route's, and not in the plan): no operation may create,
    /// change or delete it, nor its listeners, rules, associations or targets.
    fn held(&self, key: &Key) -> bool {
        self.held.contains(key)
    }

    /// The tag operations pushed since op `first`.
    fn tag_ops_since(&self, first: usize) -> Vec<usize> {
        (first..self.out.ops.len())
            .filter(|&i| {
                matches!(
                    self.out.ops[i].kind,
                    OpKind::TagResource { .. } | OpKind::UntagResource { .. }
                )
            })
            .collect()
    }

    fn dep(&self, k: &Key) -> Vec<usize> {
        self.creators.get(k).copied().into_iter().collect()
    }

    /// The ops an action must wait for (creates or claims of its target
    /// groups), or why it cannot be used.
    fn usable(&self, a: &Action) -> Result<Vec<usize>, String> {
        let mut deps = vec![];
        for t in tgs_of(a) {
            if self.blocked_tgs.contains(t) {
                return Err(format!("target group {t} is not ours to use"));
            }
            let known = self.ix.planned_target_groups.contains_key(t)
                || self.ix.target_groups.contains_key(t);
            if !known {
                return Err(format!("target group {t} does not exist"));
            }
            deps.extend(self.dep(&Key::TargetGroup(t.to_string())));
        }
        Ok(deps)
    }

    /// Put, delete or leave alone the auth policy of `key`.
    fn auth_policy(
        &mut self,
        key: &Key,
        observed: Option<&Option<String>>,
        want: &Option<String>,
        deps: Vec<usize>,
        object: &str,
        resource: ResourceRef,
    ) {
        let same = match (observed, want) {
            (Some(Some(o)), Some(w)) => json_eq(o, w),
            (Some(None), None) => true,
            (None, None) => true, // not read because nothing is wanted
            _ => false,
        };
        if same {
            return;
        }
        let kind = match want {
            Some(p) => OpKind::PutAuthPolicy {
                resource: key.clone(),
                policy: p.clone(),
            },
            None => OpKind::DeleteAuthPolicy {
                resource: key.clone(),
            },
        };
        self.push(kind, deps, object.to_string(), resource);
    }
}

/// Two policy documents are equal when they parse to the same JSON value.
pub fn json_eq(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<serde_json::Value>(a),
        serde_json::from_str::<serde_json::Value>(b),
    ) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}
