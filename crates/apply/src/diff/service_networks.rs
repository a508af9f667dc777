//! Service networks: create, claim or update each planned network and its
//! auth, and join the cluster VPC to one of them.

use super::{Builder, json_eq, unrouted};
use crate::model::ObsServiceNetwork;
use crate::ops::{Key, OpKind};
use crate::ownership::{Decision, decide};
use lattice_core::plan::{Plan, ResourceKind, ServiceNetworkPlan};

impl Builder<'_> {
    pub(super) fn service_networks(&mut self, plan: &Plan) {
        let mut vpc_joined: Option<String> = None;
        for sn in &plan.service_networks {
            let obs = self
                .observed
                .service_networks
                .iter()
                .find(|o| o.name == sn.name);
            match obs {
                None => self.create_service_network(sn),
                Some(o) => self.existing_service_network(sn, o),
            }
            if self.vpc_association(sn, vpc_joined.as_deref()) {
                vpc_joined = Some(sn.name.clone());
            }
        }
    }

    fn create_service_network(&mut self, sn: &ServiceNetworkPlan) {
        let object = format!("service network {}", sn.name);
        let c = self.push(
            OpKind::CreateServiceNetwork {
                name: sn.name.clone(),
                auth_type: sn.auth_type.clone(),
            },
            vec![],
            object.clone(),
            unrouted(ResourceKind::ServiceNetwork, &sn.name),
        );
        if let Some(p) = &sn.auth_policy {
            self.push(
                OpKind::PutAuthPolicy {
                    resource: Key::ServiceNetwork(sn.name.clone()),
                    policy: p.clone(),
                },
                vec![c],
                object,
                unrouted(ResourceKind::AuthPolicy, &sn.name),
            );
        }
    }

    fn existing_service_network(&mut self, sn: &ServiceNetworkPlan, o: &ObsServiceNetwork) {
        let object = format!("service network {}", sn.name);
        let key = Key::ServiceNetwork(sn.name.clone());
        let resource = unrouted(ResourceKind::ServiceNetwork, &sn.name);
        let d = decide(&o.owner, self.opts.allow_adoption, None);
        if let Decision::Conflict(m) = d {
            if sn_differs(o, &sn.auth_type, &sn.auth_policy) {
                self.diag(
                    object.clone(),
                    resource,
                    "Conflicted",
                    format!("{object} {m}"),
                );
            }
            return;
        }
        let mut deps = vec![];
        if d == Decision::Claim {
            let c = self.push(
                OpKind::Claim { arn: o.arn.clone() },
                vec![],
                object.clone(),
                resource.clone(),
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
                resource,
            );
        }
        self.auth_policy(
            &key,
            o.auth_policy.as_ref(),
            &sn.auth_policy,
            deps,
            &object,
            unrouted(ResourceKind::AuthPolicy, &sn.name),
        );
    }

    /// A VPC joins at most one service network: keep the one it has, else
    /// join the plan's first (`joined` in this pass). Whether `sn` is joined now.
    fn vpc_association(&mut self, sn: &ServiceNetworkPlan, joined: Option<&str>) -> bool {
        let object = format!("service network {}", sn.name);
        let resource = unrouted(ResourceKind::ServiceNetworkVpcAssociation, &sn.name);
        let key = Key::ServiceNetwork(sn.name.clone());
        let vpc = &self.cfg.vpc_id;
        let joined = self
            .observed
            .vpc_associations
            .iter()
            .find(|v| &v.vpc == vpc)
            .map(|v| v.service_network.as_str())
            .or(joined);
        match joined {
            Some(j) if j == sn.name => false,
            Some(j) => {
                let message = format!(
                    "the cluster VPC {vpc} is already associated with service network {j}; a VPC joins one service network"
                );
                self.diag(object, resource, "InUse", message);
                false
            }
            None => {
                let deps = self.dep(&key);
                let vpc = vpc.clone();
                self.push(
                    OpKind::CreateVpcAssociation {
                        service_network: key,
                        vpc: vpc.clone(),
                    },
                    deps,
                    format!("{object} ↔ VPC {vpc}"),
                    resource,
                );
                true
            }
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
