//! Garbage collection: our own resources that the plan no longer has, deleted
//! in reverse dependency order.

use super::{Builder, of_service, unrouted};
use crate::model::{ObsServiceNetwork, Owner};
use crate::observed::adoption::SOURCE_TYPE_TAG;
use crate::ops::{Key, OpKind};
use crate::ownership::{Decision, decide};
use lattice_core::plan::{Plan, ResourceKind};
use std::collections::{BTreeSet, HashMap};

/// Per service network name: the ops that delete its service associations.
type AssocDeletes = HashMap<String, Vec<usize>>;

impl Builder<'_> {
    pub(super) fn garbage(&mut self, plan: &Plan) {
        let mut sn_assoc_deletes = AssocDeletes::new();
        self.stale_associations(plan, &mut sn_assoc_deletes);
        let svc_deletes = self.unwanted_services(plan, &mut sn_assoc_deletes);
        self.unwanted_target_groups(plan, &svc_deletes);
        // A scoped pass did not read every association: networks stay.
        if !self.opts.scoped {
            self.unwanted_service_networks(plan, &sn_assoc_deletes);
        }
    }

    /// Associations of kept services to service networks they no longer join.
    fn stale_associations(&mut self, plan: &Plan, sn_assoc_deletes: &mut AssocDeletes) {
        for s in &plan.services {
            let Some(o) = self.ix.services.get(s.name.as_str()).copied() else {
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
                    of_service(ResourceKind::ServiceNetworkServiceAssociation, s),
                );
                sn_assoc_deletes
                    .entry(a.service_network.clone())
                    .or_default()
                    .push(i);
            }
        }
    }

    /// Our services that no plan owns nor holds: associations first, then
    /// the service. The service deletes.
    fn unwanted_services(
        &mut self,
        plan: &Plan,
        sn_assoc_deletes: &mut AssocDeletes,
    ) -> Vec<usize> {
        let wanted: BTreeSet<&str> = plan.services.iter().map(|s| s.name.as_str()).collect();
        let mut svc_deletes = vec![];
        for o in self
            .observed
            .services
            .iter()
            .filter(|o| o.owner == Owner::Ours && !wanted.contains(o.name.as_str()))
        {
            if self.held(&Key::Service(o.name.clone())) {
                continue;
            }
            let mut deps = vec![];
            for a in &o.associations {
                let i = self.push(
                    OpKind::DeleteServiceAssociation { id: a.id.clone() },
                    vec![],
                    format!("service {} ↔ service network {}", o.name, a.service_network),
                    unrouted(ResourceKind::ServiceNetworkServiceAssociation, &o.name),
                );
                sn_assoc_deletes
                    .entry(a.service_network.clone())
                    .or_default()
                    .push(i);
                deps.push(i);
            }
            svc_deletes.push(self.push(
                OpKind::DeleteService { id: o.id.clone() },
                deps,
                format!("service {}", o.name),
                unrouted(ResourceKind::Service, &o.name),
            ));
        }
        svc_deletes
    }

    /// Our target groups that no plan owns nor holds, once nothing forwards
    /// to them.
    fn unwanted_target_groups(&mut self, plan: &Plan, svc_deletes: &[usize]) {
        let wanted: BTreeSet<&str> = plan.target_groups.iter().map(|t| t.name.as_str()).collect();
        for o in self
            .observed
            .target_groups
            .iter()
            .filter(|o| o.owner == Owner::Ours && !wanted.contains(o.name.as_str()))
        {
            if self.held(&Key::TargetGroup(o.name.clone())) {
                continue;
            }
            let mut deps = self.tg_users.get(&o.name).cloned().unwrap_or_default();
            // A deleted service's listeners are not read, so any of them may
            // use any target group.
            deps.extend(svc_deletes.iter().copied());
            // Another cluster's rule may forward to an export's group, and
            // Lattice refuses the delete while one does: first its identity
            // goes, so imports let go of it, and the delete is retried.
            if o.exported {
                deps.push(self.push(
                    OpKind::UntagResource {
                        arn: o.arn.clone(),
                        keys: vec![SOURCE_TYPE_TAG.into()],
                    },
                    vec![],
                    format!("target group {}", o.name),
                    unrouted(ResourceKind::TargetGroup, &o.name),
                ));
            }
            self.push(
                OpKind::DeleteTargetGroup { id: o.id.clone() },
                deps,
                format!("target group {}", o.name),
                unrouted(ResourceKind::TargetGroup, &o.name),
            );
        }
    }

    /// Our service networks that no Gateway, route or ServiceNetwork object
    /// wants, but the default one.
    fn unwanted_service_networks(&mut self, plan: &Plan, sn_assoc_deletes: &AssocDeletes) {
        let used: BTreeSet<&str> = plan
            .service_networks
            .iter()
            .map(|s| s.name.as_str())
            .chain(
                plan.services
                    .iter()
                    .flat_map(|s| s.service_networks.iter().map(String::as_str)),
            )
            .chain(
                plan.declared_service_networks
                    .iter()
                    .map(|d| d.name.as_str()),
            )
            .chain(self.cfg.default_service_network.as_deref())
            .collect();
        for o in self
            .observed
            .service_networks
            .iter()
            .filter(|o| o.owner == Owner::Ours && !used.contains(o.name.as_str()))
        {
            let deps = sn_assoc_deletes.get(&o.name).cloned().unwrap_or_default();
            self.delete_service_network(o, deps);
        }
    }

    /// Delete `o` after `deps` (its service associations) and our VPC's
    /// association, unless others still use it.
    fn delete_service_network(&mut self, o: &ObsServiceNetwork, mut deps: Vec<usize>) {
        let object = format!("service network {}", o.name);
        let resource = unrouted(ResourceKind::ServiceNetwork, &o.name);
        if o.service_association_count > deps.len() as u64 {
            let message = "services that are not ours are still associated; it is kept";
            self.diag(object, resource, "InUse", message.into());
            return;
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
                unrouted(ResourceKind::ServiceNetworkVpcAssociation, &o.name),
            ));
        }
        if o.vpc_association_count > n_ours {
            let message = "other VPCs are still associated; it is kept";
            self.diag(object, resource, "InUse", message.into());
            return;
        }
        self.push(
            OpKind::DeleteServiceNetwork { id: o.id.clone() },
            deps,
            object,
            resource,
        );
    }
}
