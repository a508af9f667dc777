//! The diff: observed state + plan → ordered operations. Pure: no I/O, no clock.
//!
//! Operations come out in dependency order (every `deps` index is smaller than
//! the operation's own): service networks and their VPC association, target
//! groups and targets (chunks of 100), services and their auth, service network
//! associations, listeners, rules (obsolete deletes, then moves and content
//! changes through `UpdateRule` / `BatchUpdateRule`, then creates), and last the
//! garbage collection of our own resources that no plan owns, in reverse order.
//! Nothing that is already right gets an operation.

use crate::model::{ObsListener, ObsService, ObsServiceNetwork, Observed, Owner};
use crate::names::{listener_name, rule_name, unique_name};
use crate::ops::{Key, Op, OpKind, RuleChange};
use crate::ownership::{Decision, decide};
use crate::priorities;
use lattice_core::ClusterConfig;
use lattice_core::plan::{Action, ListenerPlan, Plan, RulePlan, ServicePlan, TargetPlan};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Targets per `RegisterTargets` / `DeregisterTargets` call.
pub const TARGET_CHUNK: usize = 100;

/// Inputs of the diff besides the plan and the observed state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DiffOptions {
    /// Adopt untagged resources that carry a name the plan uses.
    pub allow_adoption: bool,
    /// Per service name: the `allow-takeover-from` annotation of its route.
    pub allow_takeover_from: BTreeMap<String, String>,
    /// Delete our own resources that the plan no longer has.
    pub prune: bool,
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
            .find_map(|s| self.opts.allow_takeover_from.get(&s.name).cloned())
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
                match decide(
                    &o.owner,
                    self.opts.allow_adoption,
                    self.opts
                        .allow_takeover_from
                        .get(&s.name)
                        .map(String::as_str),
                ) {
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

    fn listener(
        &mut self,
        s: &ServicePlan,
        l: &ListenerPlan,
        obs: Option<&ObsService>,
        svc_deps: &[usize],
        plan: &Plan,
    ) {
        let lname = listener_name(&l.protocol, l.port);
        let object = format!("listener {}/{lname}", s.name);
        let lkey = Key::Listener(s.name.clone(), l.port);
        let skey = Key::Service(s.name.clone());
        let existing = obs.and_then(|o| o.listeners.iter().find(|ol| ol.port == l.port));
        let mut ldeps = svc_deps.to_vec();
        let current = match existing {
            Some(ol) if ol.protocol == l.protocol => Some(ol),
            Some(ol) => {
                // The protocol cannot change: replace the listener.
                let sid = obs.map(|o| o.id.clone()).unwrap_or_default();
                let d = self.push(
                    OpKind::DeleteListener {
                        service_id: sid,
                        listener_id: ol.id.clone(),
                    },
                    svc_deps.to_vec(),
                    format!("listener {}/{}", s.name, ol.name),
                );
                self.note_listener_users(ol, d);
                ldeps.push(d);
                None
            }
            None => None,
        };
        let default_deps = match self.usable(&l.default_action, plan) {
            Ok(d) => d,
            Err(m) => {
                self.diag(object, "Conflicted", m);
                return;
            }
        };
        let Some(ol) = current else {
            ldeps.extend(default_deps);
            self.push(
                OpKind::CreateListener {
                    service: skey,
                    name: lname,
                    port: l.port,
                    protocol: l.protocol.clone(),
                    default_action: l.default_action.clone(),
                },
                ldeps,
                object.clone(),
            );
            let mut taken = BTreeSet::new();
            for r in &l.rules {
                self.create_rule(s, l, r, &[], plan, &mut taken);
            }
            return;
        };
        if ol.default_action != l.default_action {
            let mut d = ldeps.clone();
            d.extend(default_deps);
            let i = self.push(
                OpKind::UpdateListener {
                    listener: lkey.clone(),
                    default_action: l.default_action.clone(),
                },
                d,
                object.clone(),
            );
            for t in tgs_of(&ol.default_action) {
                self.tg_users.entry(t.to_string()).or_default().push(i);
            }
        }
        self.rules(s, l, ol, &ldeps, &object, plan);
    }

    fn create_rule(
        &mut self,
        s: &ServicePlan,
        l: &ListenerPlan,
        r: &RulePlan,
        before: &[usize],
        plan: &Plan,
        taken: &mut BTreeSet<String>,
    ) {
        let lkey = Key::Listener(s.name.clone(), l.port);
        let name = unique_name(&rule_name(&r.r#match), |n| taken.contains(n));
        taken.insert(name.clone());
        let robj = format!(
            "rule {}/{}/{name} (priority {})",
            s.name,
            listener_name(&l.protocol, l.port),
            r.priority
        );
        let mut deps = match self.usable(&r.action, plan) {
            Ok(d) => d,
            Err(m) => {
                self.diag(robj, "Conflicted", m);
                return;
            }
        };
        deps.extend(self.dep(&lkey));
        deps.extend_from_slice(before);
        self.push(
            OpKind::CreateRule {
                listener: lkey,
                name,
                priority: r.priority,
                r#match: r.r#match.clone(),
                action: r.action.clone(),
            },
            deps,
            robj,
        );
    }

    fn rules(
        &mut self,
        s: &ServicePlan,
        l: &ListenerPlan,
        ol: &ObsListener,
        ldeps: &[usize],
        object: &str,
        plan: &Plan,
    ) {
        let lkey = Key::Listener(s.name.clone(), l.port);
        // Pair plan rules with observed ones: by match, then by our name for the match.
        let mut paired: Vec<Option<usize>> = vec![None; l.rules.len()];
        let mut used = vec![false; ol.rules.len()];
        for (pi, r) in l.rules.iter().enumerate() {
            if let Some(oi) =
                (0..ol.rules.len()).find(|&oi| !used[oi] && ol.rules[oi].r#match == r.r#match)
            {
                used[oi] = true;
                paired[pi] = Some(oi);
            }
        }
        for (pi, r) in l.rules.iter().enumerate() {
            if paired[pi].is_some() {
                continue;
            }
            let want = rule_name(&r.r#match);
            if let Some(oi) = (0..ol.rules.len()).find(|&oi| !used[oi] && ol.rules[oi].name == want)
            {
                used[oi] = true;
                paired[pi] = Some(oi);
            }
        }
        let mut before = ldeps.to_vec();
        // Obsolete rules go first: they may hold priorities the plan needs.
        for (oi, orule) in ol.rules.iter().enumerate() {
            if !used[oi] {
                let i = self.push(
                    OpKind::DeleteRule {
                        listener: lkey.clone(),
                        rule_id: orule.id.clone(),
                    },
                    ldeps.to_vec(),
                    format!(
                        "rule {}/{}/{} (priority {})",
                        s.name, ol.name, orule.name, orule.priority
                    ),
                );
                for t in tgs_of(&orule.action) {
                    self.tg_users.entry(t.to_string()).or_default().push(i);
                }
                before.push(i);
            }
        }
        let mut changes = vec![];
        let mut change_deps = ldeps.to_vec();
        change_deps.extend(before.iter().copied());
        let mut old_tgs: Vec<String> = vec![];
        for (pi, r) in l.rules.iter().enumerate() {
            let Some(oi) = paired[pi] else { continue };
            let o = &ol.rules[oi];
            let c = RuleChange {
                rule_id: o.id.clone(),
                priority: (o.priority != r.priority).then_some(r.priority),
                r#match: (o.r#match != r.r#match).then(|| r.r#match.clone()),
                action: (o.action != r.action).then(|| r.action.clone()),
            };
            if c.priority.is_none() && c.r#match.is_none() && c.action.is_none() {
                continue;
            }
            if c.action.is_some() {
                match self.usable(&r.action, plan) {
                    Ok(d) => change_deps.extend(d),
                    Err(m) => {
                        self.diag(
                            format!("rule {}/{}/{}", s.name, ol.name, o.name),
                            "Conflicted",
                            m,
                        );
                        continue;
                    }
                }
                old_tgs.extend(tgs_of(&o.action).into_iter().map(str::to_string));
            }
            changes.push(c);
        }
        let staying: Vec<(String, u32)> = ol
            .rules
            .iter()
            .enumerate()
            .filter(|(oi, _)| used[*oi])
            .map(|(_, r)| (r.id.clone(), r.priority))
            .collect();
        let single = changes.len() == 1;
        let mut change_ops = vec![];
        for batch in priorities::batches(&staying, changes) {
            let i = if single {
                let change = batch.into_iter().next().expect("one change");
                self.push(
                    OpKind::UpdateRule {
                        listener: lkey.clone(),
                        change,
                    },
                    change_deps.clone(),
                    format!("rules of {object}"),
                )
            } else {
                let mut d = change_deps.clone();
                d.extend(change_ops.last().copied());
                self.push(
                    OpKind::BatchUpdateRule {
                        listener: lkey.clone(),
                        changes: batch,
                    },
                    d,
                    format!("rules of {object}"),
                )
            };
            change_ops.push(i);
        }
        for t in old_tgs {
            self.tg_users
                .entry(t)
                .or_default()
                .extend(change_ops.iter().copied());
        }
        before.extend(change_ops);
        let mut taken: BTreeSet<String> = ol
            .rules
            .iter()
            .enumerate()
            .filter(|(oi, _)| used[*oi])
            .map(|(_, r)| r.name.clone())
            .collect();
        for (pi, r) in l.rules.iter().enumerate() {
            if paired[pi].is_none() {
                self.create_rule(s, l, r, &before, plan, &mut taken);
            }
        }
    }

    fn garbage(&mut self, plan: &Plan) {
        let wanted_svcs: BTreeSet<&str> = plan.services.iter().map(|s| s.name.as_str()).collect();
        let mut sn_assoc_deletes: HashMap<String, Vec<usize>> = HashMap::new();
        // Associations of kept services to service networks they no longer join.
        for s in &plan.services {
            let Some(o) = self.observed.services.iter().find(|o| o.name == s.name) else {
                continue;
            };
            if !matches!(
                decide(
                    &o.owner,
                    self.opts.allow_adoption,
                    self.opts
                        .allow_takeover_from
                        .get(&s.name)
                        .map(String::as_str)
                ),
                Decision::Manage | Decision::Claim
            ) {
                continue;
            }
            let deps = self.dep(&Key::Service(s.name.clone()));
            for a in o
                .associations
                .iter()
                .filter(|a| !s.service_networks.contains(&a.service_network))
            {
                let i = self.push(
                    OpKind::DeleteServiceAssociation { id: a.id.clone() },
                    deps.clone(),
                    format!("service {} ↔ service network {}", s.name, a.service_network),
                );
                sn_assoc_deletes
                    .entry(a.service_network.clone())
                    .or_default()
                    .push(i);
            }
        }
        // Our services that no plan owns: associations first, then the service.
        let mut svc_deletes = vec![];
        for o in self
            .observed
            .services
            .iter()
            .filter(|o| o.owner == Owner::Ours && !wanted_svcs.contains(o.name.as_str()))
        {
            let mut deps = vec![];
            for a in &o.associations {
                let i = self.push(
                    OpKind::DeleteServiceAssociation { id: a.id.clone() },
                    vec![],
                    format!("service {} ↔ service network {}", o.name, a.service_network),
                );
                sn_assoc_deletes
                    .entry(a.service_network.clone())
                    .or_default()
                    .push(i);
                deps.push(i);
            }
            let i = self.push(
                OpKind::DeleteService { id: o.id.clone() },
                deps,
                format!("service {}", o.name),
            );
            // Their listeners are not read, so any of them may use any target group.
            svc_deletes.push(i);
        }
        // Our target groups that no plan owns, once nothing forwards to them.
        let wanted_tgs: BTreeSet<&str> =
            plan.target_groups.iter().map(|t| t.name.as_str()).collect();
        for o in self
            .observed
            .target_groups
            .iter()
            .filter(|o| o.owner == Owner::Ours && !wanted_tgs.contains(o.name.as_str()))
        {
            let mut deps = self.tg_users.get(&o.name).cloned().unwrap_or_default();
            deps.extend(svc_deletes.iter().copied());
            self.push(
                OpKind::DeleteTargetGroup { id: o.id.clone() },
                deps,
                format!("target group {}", o.name),
            );
        }
        // Our service networks that no plan owns or uses.
        let used_sns: BTreeSet<&str> = plan
            .service_networks
            .iter()
            .map(|s| s.name.as_str())
            .chain(
                plan.services
                    .iter()
                    .flat_map(|s| s.service_networks.iter().map(String::as_str)),
            )
            .collect();
        for o in self
            .observed
            .service_networks
            .iter()
            .filter(|o| o.owner == Owner::Ours && !used_sns.contains(o.name.as_str()))
        {
            let object = format!("service network {}", o.name);
            let mut deps = sn_assoc_deletes.get(&o.name).cloned().unwrap_or_default();
            let ours = self
                .observed
                .vpc_associations
                .iter()
                .filter(|v| v.service_network == o.name && v.vpc == self.cfg.vpc_id);
            let mut n_ours = 0;
            for v in ours {
                n_ours += 1;
                deps.push(self.push(
                    OpKind::DeleteVpcAssociation { id: v.id.clone() },
                    vec![],
                    format!("{object} ↔ VPC {}", v.vpc),
                ));
            }
            if o.vpc_association_count > n_ours {
                self.diag(
                    object,
                    "InUse",
                    "other VPCs are still associated; it is kept".into(),
                );
                continue;
            }
            self.push(
                OpKind::DeleteServiceNetwork { id: o.id.clone() },
                deps,
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
