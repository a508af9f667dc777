//! Services: create, claim or update each planned service and its auth, its
//! service network associations, then its listeners (see `listeners.rs`).

use super::{Builder, of_service, tgs_of};
use crate::model::{ObsListener, ObsService};
use crate::ops::{Key, OpKind};
use crate::ownership::{Decision, decide};
use lattice_core::plan::{ResourceKind, ServicePlan};

impl Builder<'_> {
    pub(super) fn service(&mut self, s: &ServicePlan) {
        let obs = self.ix.services.get(s.name.as_str()).copied();
        let deps = match obs {
            None => self.create_service(s),
            Some(o) => match self.existing_service(s, o) {
                Some(deps) => deps,
                None => return,
            },
        };
        let first_part = self.out.ops.len();
        self.associations(s, obs, &deps);
        for l in &s.listeners {
            self.listener(s, l, obs, &deps);
        }
        if let Some(o) = obs
            && self.opts.prune
        {
            self.obsolete_listeners(s, o, &deps);
        }
        if let Some(o) = obs {
            // The service's user tags stand for its parts' (whose tags are
            // read only where the service's differ from the plan's), so
            // they change last, once its parts' have.
            let mut d = deps.clone();
            d.extend(self.tag_ops_since(first_part));
            let object = format!("service {}", s.name);
            let resource = of_service(ResourceKind::Service, s);
            self.retag(&o.arn, o.tags.as_ref(), &s.tags, &d, &object, &resource);
        }
    }

    /// Create the service and its policy; the ops its parts wait for.
    fn create_service(&mut self, s: &ServicePlan) -> Vec<usize> {
        let object = format!("service {}", s.name);
        let deps = vec![self.push(
            OpKind::CreateService {
                name: s.name.clone(),
                auth_type: s.auth_type.clone(),
                custom_domain_name: s.custom_domain_name.clone(),
                certificate_arn: s.certificate_arn.clone(),
                tags: s.tags.clone(),
            },
            vec![],
            object.clone(),
            of_service(ResourceKind::Service, s),
        )];
        if let Some(p) = &s.auth_policy {
            self.push(
                OpKind::PutAuthPolicy {
                    resource: Key::Service(s.name.clone()),
                    policy: p.clone(),
                },
                deps.clone(),
                object,
                of_service(ResourceKind::AuthPolicy, s),
            );
        }
        deps
    }

    /// Claim and update an observed service; the ops its parts wait for, or
    /// `None` when it is not ours to change.
    fn existing_service(&mut self, s: &ServicePlan, o: &ObsService) -> Option<Vec<usize>> {
        let object = format!("service {}", s.name);
        let key = Key::Service(s.name.clone());
        let resource = of_service(ResourceKind::Service, s);
        let mut deps = vec![];
        match decide(&o.owner, self.opts.allow_adoption, self.takeover(s)) {
            Decision::Conflict(m) => {
                self.diag(
                    object.clone(),
                    resource,
                    "Conflicted",
                    format!("{object} {m}"),
                );
                return None;
            }
            Decision::Claim => {
                let claim = OpKind::Claim { arn: o.arn.clone() };
                let c = self.push(claim, vec![], object.clone(), resource.clone());
                self.creators.insert(key.clone(), c);
                deps.push(c);
            }
            Decision::Manage => {}
        }
        if o.custom_domain_name != s.custom_domain_name {
            let message = format!(
                "{object} has custom domain name {:?}; the plan wants {:?}; delete the service to recreate it",
                o.custom_domain_name, s.custom_domain_name
            );
            self.diag(object.clone(), resource.clone(), "Immutable", message);
        }
        let certificate = s.certificate_arn.is_some() && o.certificate_arn != s.certificate_arn;
        if certificate || o.auth_type.as_deref() != Some(s.auth_type.as_str()) {
            self.push(
                OpKind::UpdateService {
                    id: o.id.clone(),
                    auth_type: s.auth_type.clone(),
                    certificate_arn: s.certificate_arn.clone(),
                },
                deps.clone(),
                object.clone(),
                resource,
            );
        }
        self.auth_policy(
            &key,
            o.auth_policy.as_ref(),
            &s.auth_policy,
            deps.clone(),
            &object,
            of_service(ResourceKind::AuthPolicy, s),
        );
        Some(deps)
    }

    /// Observed listeners on ports the plan no longer has.
    fn obsolete_listeners(&mut self, s: &ServicePlan, o: &ObsService, deps: &[usize]) {
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
                deps.to_vec(),
                format!("listener {}/{}", s.name, ol.name),
                of_service(ResourceKind::Listener, s),
            );
            self.note_listener_users(ol, i);
        }
    }

    /// The target groups `ol` forwards to wait for `op`, which removes it.
    pub(super) fn note_listener_users(&mut self, ol: &ObsListener, op: usize) {
        let names: Vec<String> = tgs_of(&ol.default_action)
            .into_iter()
            .chain(ol.rules.iter().flat_map(|r| tgs_of(&r.action)))
            .map(str::to_string)
            .collect();
        for n in names {
            self.tg_users.entry(n).or_default().push(op);
        }
    }

    fn associations(&mut self, s: &ServicePlan, obs: Option<&ObsService>, deps: &[usize]) {
        let have = obs.map(|o| o.associations.as_slice()).unwrap_or_default();
        for sn in &s.service_networks {
            let object = format!("service {} ↔ service network {sn}", s.name);
            let resource = of_service(ResourceKind::ServiceNetworkServiceAssociation, s);
            if let Some(a) = have.iter().find(|a| a.service_network == *sn) {
                self.retag(&a.arn, a.tags.as_ref(), &s.tags, deps, &object, &resource);
                continue;
            }
            let snk = Key::ServiceNetwork(sn.clone());
            let in_plan =
                self.creators.contains_key(&snk) || self.ix.networks.contains(sn.as_str());
            if !in_plan {
                let message = format!("service network {sn} does not exist");
                self.diag(object, resource, "NotFound", message);
                continue;
            }
            let mut d = deps.to_vec();
            d.extend(self.dep(&snk));
            self.push(
                OpKind::CreateServiceAssociation {
                    service: Key::Service(s.name.clone()),
                    service_network: snk,
                    tags: s.tags.clone(),
                },
                d,
                object,
                resource,
            );
        }
    }
}
