//! Target groups: create or claim each planned group, bring its health check
//! to what the plan sets, then register and deregister only the difference
//! in its targets.
//!
//! A `LAMBDA` group (the plan's `lambda`) has one target, its function,
//! which Lattice lists by ARN without a port. Here it is a [`TargetPlan`]
//! with the ARN as `ip` and port 0, as the observer reads it: the plan keeps
//! endpoint targets and the function apart, while registering, deregistering
//! (a changed function is one of each) and observing stay one code path.

use super::{Builder, TARGET_CHUNK, of_target_group};
use crate::health_check::merged;
use crate::model::ObsTargetGroup;
use crate::observed::adoption::GoIdentity;
use crate::ops::{Key, OpKind};
use crate::ownership::{Decision, decide};
use lattice_core::plan::{Plan, ResourceKind, ResourceRef, TargetGroupPlan, TargetPlan};
use std::collections::BTreeSet;

impl Builder<'_> {
    pub(super) fn target_groups(&mut self, plan: &Plan) {
        // An import's group is someone else's: found, used, never changed.
        for tg in plan.target_groups.iter().filter(|t| t.import.is_none()) {
            let obs = self.ix.target_groups.get(tg.name.as_str()).copied();
            let Some((deps, have)) = (match obs {
                None => Some((vec![self.create_target_group(tg)], &[][..])),
                Some(o) => self.existing_target_group(tg, o),
            }) else {
                continue;
            };
            self.targets(tg, deps, have);
        }
    }

    fn create_target_group(&mut self, tg: &TargetGroupPlan) -> usize {
        self.push(
            OpKind::CreateTargetGroup {
                name: tg.name.clone(),
                port: tg.port,
                protocol: tg.protocol.clone(),
                protocol_version: tg.protocol_version.clone(),
                vpc: self.cfg.vpc_id.clone(),
                health_check: tg.health_check.as_deref().cloned(),
                tags: tg.tags.clone(),
                identity: GoIdentity::of_export(tg, self.cfg).map(Box::new),
                lambda: tg.lambda.as_deref().cloned(),
            },
            vec![],
            format!("target group {}", tg.name),
            of_target_group(ResourceKind::TargetGroup, tg),
        )
    }

    /// The ops its targets wait for and the targets it has, or `None` when
    /// it is not ours to change.
    fn existing_target_group<'o>(
        &mut self,
        tg: &TargetGroupPlan,
        o: &'o ObsTargetGroup,
    ) -> Option<(Vec<usize>, &'o [TargetPlan])> {
        let object = format!("target group {}", tg.name);
        let resource = of_target_group(ResourceKind::TargetGroup, tg);
        let takeover = self.takeover_for_tg(&tg.name);
        let deps = match decide(&o.owner, self.opts.allow_adoption, takeover.as_deref()) {
            Decision::Conflict(m) => {
                self.blocked_tgs.insert(tg.name.clone());
                self.diag(
                    object.clone(),
                    resource,
                    "Conflicted",
                    format!("{object} {m}"),
                );
                return None;
            }
            Decision::Claim => {
                let c = self.push(
                    OpKind::Claim { arn: o.arn.clone() },
                    vec![],
                    object.clone(),
                    resource.clone(),
                );
                self.creators.insert(Key::TargetGroup(tg.name.clone()), c);
                vec![c]
            }
            Decision::Manage => vec![],
        };
        if let Some(message) = self.immutable(tg, o) {
            let message = format!("{object} {message}; delete it to recreate");
            self.diag(object.clone(), resource.clone(), "Immutable", message);
        }
        self.retag(&o.arn, o.tags.as_ref(), &tg.tags, &deps, &object, &resource);
        self.health_check(tg, o, &deps, object, resource);
        Some((deps, &o.targets))
    }

    /// What Lattice holds that the plan wants otherwise and Lattice cannot
    /// change: an IP group's port or VPC, a `LAMBDA` group's event structure
    /// version (a plan without one takes whatever the group has).
    fn immutable(&self, tg: &TargetGroupPlan, o: &ObsTargetGroup) -> Option<String> {
        if let Some(lambda) = &tg.lambda {
            let want = lambda.event_structure_version.as_ref()?;
            let have = o.lambda_event_structure_version.as_ref()?;
            return (want != have)
                .then(|| format!("has event structure version {have}; the plan wants {want}"));
        }
        let vpc = &self.cfg.vpc_id;
        let moved =
            o.port.is_some_and(|p| p != tg.port) || o.vpc.as_ref().is_some_and(|v| v != vpc);
        moved.then(|| {
            format!(
                "has port {:?} in VPC {:?}; the plan wants {} in {vpc}",
                o.port, o.vpc, tg.port
            )
        })
    }

    /// One `UpdateTargetGroup` when a field the plan sets differs from what
    /// Lattice holds; nothing when the plan sets no health check. It waits
    /// only for a claim: rules and targets do not depend on it.
    fn health_check(
        &mut self,
        tg: &TargetGroupPlan,
        o: &ObsTargetGroup,
        deps: &[usize],
        object: String,
        resource: ResourceRef,
    ) {
        let Some(want) = &tg.health_check else {
            return;
        };
        // Not read (the observer reads every group the plan sets one on):
        // nothing known, so every field the plan sets is sent.
        let have = o.health_check.clone().unwrap_or_default();
        let health_check = merged(&have, want);
        if health_check == have {
            return;
        }
        let kind = OpKind::UpdateTargetGroup {
            id: o.id.clone(),
            health_check,
        };
        self.push(kind, deps.to_vec(), object, resource);
    }

    /// The owner any route of this group lets it take over from.
    fn takeover_for_tg(&self, tg: &str) -> Option<String> {
        let planned = self.ix.planned_target_groups.get(tg)?;
        planned
            .routes
            .iter()
            .filter_map(|r| self.ix.services_of_route.get(r.as_str()))
            .flatten()
            .find_map(|s| self.takeover(s).map(str::to_string))
    }

    fn targets(&mut self, tg: &TargetGroupPlan, mut deps: Vec<usize>, have: &[TargetPlan]) {
        let object = format!("target group {}", tg.name);
        let key = Key::TargetGroup(tg.name.clone());
        let planned = planned_targets(tg);
        let want: BTreeSet<&TargetPlan> = planned.iter().collect();
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
                of_target_group(ResourceKind::Targets, tg),
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
                of_target_group(ResourceKind::Targets, tg),
            );
        }
    }
}

/// The targets a group should hold: its endpoints, or a `LAMBDA` group's
/// function (its ARN, port 0).
pub(crate) fn planned_targets(tg: &TargetGroupPlan) -> Vec<TargetPlan> {
    match &tg.lambda {
        Some(l) => vec![TargetPlan {
            ip: l.function_arn.clone(),
            port: 0,
        }],
        None => tg.targets.clone(),
    }
}
