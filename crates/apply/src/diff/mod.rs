//! The diff: observed state + plan → ordered operations. Pure: no I/O, no clock.
//!
//! Operations come out in dependency order (every `deps` index is smaller than
//! the operation's own): service networks and their VPC association, target
//! groups and targets (chunks of 100), services and their auth, service network
//! associations, listeners, rules (obsolete deletes, then moves and content
//! changes through `UpdateRule` / `BatchUpdateRule`, then creates), and last the
//! garbage collection of our own resources that no plan owns, in reverse order.
//! Nothing that is already right gets an operation.

mod garbage;
mod rules;

use crate::model::{ObsListener, ObsService, ObsServiceNetwork, Observed};
use crate::ops::{Key, Op, OpKind};
use crate::ownership::{Decision, decide};
use lattice_core::ClusterConfig;
use lattice_core::plan::{Action, Plan, ServicePlan, TargetPlan};
use std::collections::{BTreeSet, HashMap};

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
    let mut b = Builder {
        observed,
        cfg,
        opts,
        out: Diff::default(),
        creators: HashMap::new(),
        blocked_tgs: BTreeSet::new(),
        tg_users: HashMap::new(),
    };
    b.service_networks(plan);
    b.target_groups(plan);
    for s in &plan.services {
        b.service(s, plan);
    }
    if opts.prune {
        b.garbage(plan);
    }
    b.out
}

struct Builder<'a> {
    observed: &'a Observed,
    cfg: &'a ClusterConfig,
    opts: &'a DiffOptions,
    out: Diff,
    /// The op that creates (or claims) each key.
    creators: HashMap<Key, usize>,
    /// Target groups the plan wants but may not touch or use.
    blocked_tgs: BTreeSet<String>,
    /// Per target group name: ops that stop an observed rule or listener using it.
    tg_users: HashMap<String, Vec<usize>>,
}

fn tgs_of(a: &Action) -> Vec<&str> {
    match a {
        Action::Forward(w) => w.iter().map(|t| t.target_group.as_str()).collect(),
        Action::FixedResponse(_) => vec![],
    }
}

impl Builder<'_> {
    fn push(&mut self, kind: OpKind, mut deps: Vec<usize>, object: String) -> usize {
        deps.sort_unstable();
        deps.dedup();
        let i = self.out.ops.len();
        if let Some(k) = kind.produces() {
            self.creators.insert(k, i);
        }
        self.out.ops.push(Op { kind, deps, object });
        i
    }

    fn diag(&mut self, object: String, reason: &str, message: String) {
        self.out.diagnostics.push(Diagnostic {
            object,
            reason: reason.into(),
            message,
        });
    }

    /// The owner a service's route lets it take over from (its `allow-takeover-from`
    /// annotation, carried in the plan).
    fn takeover<'s>(&self, s: &'s ServicePlan) -> Option<&'s str> {
        s.allow_takeover_from.as_deref()
    }

    fn dep(&self, k: &Key) -> Vec<usize> {
        self.creators.get(k).copied().into_iter().collect()
    }

    fn takeover_for_tg(&self, plan: &Plan, tg: &str) -> Option<String> {
        let routes: Vec<&String> = plan
            .target_groups
            .iter()
            .filter(|t| t.name == tg)
            .flat_map(|t| t.routes.iter())
            .collect();
        plan.services
            .iter()
            .filter(|s| routes.contains(&&s.route))
            .find_map(|s| self.takeover(s).map(str::to_string))
    }

    fn service_networks(&mut self, plan: &Plan) {
        let mut vpc_joined: Option<String> = None;
        for sn in &plan.service_networks {
            let object = format!("service network {}", sn.name);
            let key = Key::ServiceNetwork(sn.name.clone());
            let obs = self
                .observed
                .service_networks
                .iter()
                .find(|o| o.name == sn.name);
            match obs {
                None => {
                    let c = self.push(
                        OpKind::CreateServiceNetwork {
                            name: sn.name.clone(),
                            auth_type: sn.auth_type.clone(),
                        },
                        vec![],
                        object.clone(),
                    );
                    if let Some(p) = &sn.auth_policy {
                        self.push(
                            OpKind::PutAuthPolicy {
                                resource: key.clone(),
                                policy: p.clone(),
                            },
                            vec![c],
                            object.clone(),
                        );
                    }
                }
                Some(o) => match decide(&o.owner, self.opts.allow_adoption, None) {
                    Decision::Conflict(m) => {
                        if sn_differs(o, &sn.auth_type, &sn.auth_policy) {
                            self.diag(object.clone(), "Conflicted", format!("{object} {m}"));
                        }
                    }
                    d => {
                        let mut deps = vec![];
                        if d == Decision::Claim {
                            let c = self.push(
                                OpKind::Claim { arn: o.arn.clone() },
                                vec![],
                                object.clone(),
                            );
                            self.creators.insert(key.clone(), c);
                            deps.push(c);
                        }
                        if o.auth_type.as_deref() != Some(sn.auth_type.as_str()) {
                            self.push(
                                OpKind::UpdateServiceNetwork {
                                    id: o.id.clone(),
                                    auth_type: sn.auth_type.clone(),
                                },
                                deps.clone(),
                                object.clone(),
                            );
                        }
                        self.auth_policy(
                            &key,
                            o.auth_policy.as_ref(),
                            &sn.auth_policy,
                            deps,
                            &object,
                        );
                    }
                },
            }
            // A VPC joins at most one service network: keep the one it has,
            // else join the plan's first.
            let vpc = &self.cfg.vpc_id;
            let joined = self
                .observed
                .vpc_associations
                .iter()
                .find(|v| &v.vpc == vpc)
                .map(|v| v.service_network.clone())
                .or_else(|| vpc_joined.clone());
            match joined {
                Some(j) if j == sn.name => {}
                Some(j) => self.diag(
                    object.clone(),
                    "InUse",
                    format!("the cluster VPC {vpc} is already associated with service network {j}; a VPC joins one service network"),
                ),
                None => {
                    let deps = self.dep(&key);
                    self.push(
                        OpKind::CreateVpcAssociation { service_network: key, vpc: vpc.clone() },
                        deps,
                        format!("{object} ↔ VPC {vpc}"),
                    );
                    vpc_joined = Some(sn.name.clone());
                }
            }
        }
    }

    fn auth_policy(
        &mut self,
        key: &Key,
        observed: Option<&Option<String>>,
        want: &Option<String>,
        deps: Vec<usize>,
        object: &str,
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
        self.push(kind, deps, object.to_string());
    }

    fn target_groups(&mut self, plan: &Plan) {
        for tg in &plan.target_groups {
            let object = format!("target group {}", tg.name);
            let key = Key::TargetGroup(tg.name.clone());
            let obs = self
                .observed
                .target_groups
                .iter()
                .find(|o| o.name == tg.name);
            let (mut deps, have): (Vec<usize>, &[TargetPlan]) = match obs {
                None => {
                    let c = self.push(
                        OpKind::CreateTargetGroup {
                            name: tg.name.clone(),
                            port: tg.port,
                            protocol: tg.protocol.clone(),
                            protocol_version: tg.protocol_version.clone(),
                            vpc: self.cfg.vpc_id.clone(),
                        },
                        vec![],
                        object.clone(),
                    );
                    (vec![c], &[])
                }
                Some(o) => {
                    let takeover = self.takeover_for_tg(plan, &tg.name);
                    match decide(&o.owner, self.opts.allow_adoption, takeover.as_deref()) {
                        Decision::Conflict(m) => {
                            self.blocked_tgs.insert(tg.name.clone());
                            self.diag(object.clone(), "Conflicted", format!("{object} {m}"));
                            continue;
                        }
                        Decision::Claim => {
                            let c = self.push(
                                OpKind::Claim { arn: o.arn.clone() },
                                vec![],
                                object.clone(),
                            );
                            self.creators.insert(key.clone(), c);
                            (vec![c], &o.targets)
                        }
                        Decision::Manage => (vec![], &o.targets),
                    }
                }
            };
            if let Some(o) = obs
                && (o.port.is_some_and(|p| p != tg.port)
                    || o.vpc.as_ref().is_some_and(|v| *v != self.cfg.vpc_id))
            {
                self.diag(object.clone(), "Immutable", format!("{object} has port {:?} in VPC {:?}; the plan wants {} in {}; delete it to recreate", o.port, o.vpc, tg.port, self.cfg.vpc_id));
            }
            let want: BTreeSet<&TargetPlan> = tg.targets.iter().collect();
            let have: BTreeSet<&TargetPlan> = have.iter().collect();
            let add: Vec<TargetPlan> = want.difference(&have).map(|t| (*t).clone()).collect();
            let del: Vec<TargetPlan> = have.difference(&want).map(|t| (*t).clone()).collect();
            deps.sort_unstable();
            for chunk in add.chunks(TARGET_CHUNK) {
                self.push(
                    OpKind::RegisterTargets {
                        target_group: key.clone(),
                        targets: chunk.to_vec(),
                    },
                    deps.clone(),
                    object.clone(),
                );
            }
            for chunk in del.chunks(TARGET_CHUNK) {
                self.push(
                    OpKind::DeregisterTargets {
                        target_group: key.clone(),
                        targets: chunk.to_vec(),
                    },
                    deps.clone(),
                    object.clone(),
                );
            }
        }
    }

    fn usable(&self, a: &Action, plan: &Plan) -> Result<Vec<usize>, String> {
        let mut deps = vec![];
        for t in tgs_of(a) {
            if self.blocked_tgs.contains(t) {
                return Err(format!("target group {t} is not ours to use"));
            }
            let known = plan.target_groups.iter().any(|p| p.name == t)
                || self.observed.target_groups.iter().any(|o| o.name == t);
            if !known {
                return Err(format!("target group {t} does not exist"));
            }
            deps.extend(self.dep(&Key::TargetGroup(t.to_string())));
        }
        Ok(deps)
    }

    fn service(&mut self, s: &ServicePlan, plan: &Plan) {
        let object = format!("service {}", s.name);
        let key = Key::Service(s.name.clone());
        let obs = self.observed.services.iter().find(|o| o.name == s.name);
        let mut deps = vec![];
        match obs {
            None => {
                deps.push(self.push(
                    OpKind::CreateService {
                        name: s.name.clone(),
                        auth_type: s.auth_type.clone(),
                        custom_domain_name: s.custom_domain_name.clone(),
                    },
                    vec![],
                    object.clone(),
                ));
                if let Some(p) = &s.auth_policy {
                    self.push(
                        OpKind::PutAuthPolicy {
                            resource: key.clone(),
                            policy: p.clone(),
                        },
                        deps.clone(),
                        object.clone(),
                    );
                }
            }
            Some(o) => {
                match decide(&o.owner, self.opts.allow_adoption, self.takeover(s)) {
                    Decision::Conflict(m) => {
                        self.diag(object.clone(), "Conflicted", format!("{object} {m}"));
                        return;
                    }
                    Decision::Claim => {
                        let c =
                            self.push(OpKind::Claim { arn: o.arn.clone() }, vec![], object.clone());
                        self.creators.insert(key.clone(), c);
                        deps.push(c);
                    }
                    Decision::Manage => {}
                }
                if o.custom_domain_name != s.custom_domain_name {
                    self.diag(object.clone(), "Immutable", format!("{object} has custom domain name {:?}; the plan wants {:?}; delete the service to recreate it", o.custom_domain_name, s.custom_domain_name));
                }
                if o.auth_type.as_deref() != Some(s.auth_type.as_str()) {
                    self.push(
                        OpKind::UpdateService {
                            id: o.id.clone(),
                            auth_type: s.auth_type.clone(),
                        },
                        deps.clone(),
                        object.clone(),
                    );
                }
                self.auth_policy(
                    &key,
                    o.auth_policy.as_ref(),
                    &s.auth_policy,
                    deps.clone(),
                    &object,
                );
            }
        }
        self.associations(s, obs, &key, &deps);
        for l in &s.listeners {
            self.listener(s, l, obs, &deps, plan);
        }
        if let Some(o) = obs
            && self.opts.prune
        {
            for ol in o
                .listeners
                .iter()
                .filter(|ol| !s.listeners.iter().any(|l| l.port == ol.port))
            {
                let i = self.push(
                    OpKind::DeleteListener {
                        service_id: o.id.clone(),
                        listener_id: ol.id.clone(),
                    },
                    deps.clone(),
                    format!("listener {}/{}", s.name, ol.name),
                );
                self.note_listener_users(ol, i);
            }
        }
    }

    fn note_listener_users(&mut self, ol: &ObsListener, op: usize) {
        let names: Vec<String> = tgs_of(&ol.default_action)
            .into_iter()
            .chain(ol.rules.iter().flat_map(|r| tgs_of(&r.action)))
            .map(str::to_string)
            .collect();
        for n in names {
            self.tg_users.entry(n).or_default().push(op);
        }
    }

    fn associations(
        &mut self,
        s: &ServicePlan,
        obs: Option<&ObsService>,
        key: &Key,
        deps: &[usize],
    ) {
        let have: Vec<&str> = obs
            .map(|o| {
                o.associations
                    .iter()
                    .map(|a| a.service_network.as_str())
                    .collect()
            })
            .unwrap_or_default();
        for sn in &s.service_networks {
            if have.contains(&sn.as_str()) {
                continue;
            }
            let object = format!("service {} ↔ service network {sn}", s.name);
            let snk = Key::ServiceNetwork(sn.clone());
            let in_plan = self.creators.contains_key(&snk)
                || self.observed.service_networks.iter().any(|o| &o.name == sn);
            if !in_plan {
                self.diag(
                    object,
                    "NotFound",
                    format!("service network {sn} does not exist"),
                );
                continue;
            }
            let mut d = deps.to_vec();
            d.extend(self.dep(&snk));
            self.push(
                OpKind::CreateServiceAssociation {
                    service: key.clone(),
                    service_network: snk,
                },
                d,
                object,
            );
        }
    }
}

fn sn_differs(o: &ObsServiceNetwork, auth_type: &str, policy: &Option<String>) -> bool {
    o.auth_type.as_deref().is_some_and(|a| a != auth_type)
        || match (&o.auth_policy, policy) {
            (Some(Some(a)), Some(b)) => !json_eq(a, b),
            (Some(None), Some(_)) | (Some(Some(_)), None) => true,
            _ => false,
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
