//! Garbage collection: our own resources that the plan no longer has, deleted
//! in reverse dependency order.

use super::Builder;
use crate::model::Owner;
use crate::ops::{Key, OpKind};
use crate::ownership::{Decision, decide};
use lattice_core::plan::Plan;
use std::collections::{BTreeSet, HashMap};

impl Builder<'_> {
    pub(super) fn garbage(&mut self, plan: &Plan) {
        let wanted_svcs: BTreeSet<&str> = plan.services.iter().map(|s| s.name.as_str()).collect();
        let mut sn_assoc_deletes: HashMap<String, Vec<usize>> = HashMap::new();
        // Associations of kept services to service networks they no longer join.
        for s in &plan.services {
            let Some(o) = self.observed.services.iter().find(|o| o.name == s.name) else {
                continue;
            };
            if !matches!(
                decide(&o.owner, self.opts.allow_adoption, self.takeover(s)),
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
        if self.opts.scoped {
            return;
        }
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
            if o.service_association_count > deps.len() as u64 {
                self.diag(
                    object,
                    "InUse",
                    "services that are not ours are still associated; it is kept".into(),
                );
                continue;
            }
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
