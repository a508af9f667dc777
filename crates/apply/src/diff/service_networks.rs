//! Service networks: create, claim or update each planned network and its
//! auth, find or create `DEFAULT_SERVICE_NETWORK`, and join the cluster
//! VPC to one of them (the default first).

use super::{Builder, json_eq, unrouted};
use crate::model::{ObsServiceNetwork, ObsVpcAssociation, Owner};
use crate::ops::{Key, OpKind};
use crate::ownership::{Decision, decide};
use lattice_core::plan::{Plan, ResourceKind, ServiceNetworkPlan, VpcAssociationPlan};
use std::collections::BTreeSet;

impl Builder<'_> {
    pub(super) fn service_networks(&mut self, plan: &Plan) {
        let mut vpc_joined = self.unplanned_default_network(plan);
        let default = self.cfg.default_service_network.as_deref();
        // The default network first: the Go controller joins the cluster
        // VPC to it at start, before any Gateway's.
        let (first, rest): (Vec<_>, Vec<_>) = plan
            .service_networks
            .iter()
            .partition(|s| Some(s.name.as_str()) == default);
        // Under the override several Gateways stand for one network: the
        // first (by Gateway) decides it.
        let mut seen = BTreeSet::new();
        for sn in first.into_iter().chain(rest) {
            if !seen.insert(sn.name.as_str()) {
                continue;
            }
            let obs = self
                .observed
                .service_networks
                .iter()
                .find(|o| o.name == sn.name);
            match obs {
                None => self.create_service_network(sn),
                Some(o) => self.existing_service_network(sn, o),
            }
            let policy = sn.vpc_association.as_ref();
            if self.vpc_association(&sn.name, vpc_joined.as_deref(), policy) {
                vpc_joined = Some(sn.name.clone());
            }
        }
    }

    /// `DEFAULT_SERVICE_NETWORK` when no Gateway plans it, as the Go
    /// controller treats it at start: found, or created (auth `NONE`), and
    /// joined to the cluster VPC; an existing one is otherwise left as it
    /// is. Not in a scoped pass, which reads no VPC association. The
    /// network joined now, if any.
    fn unplanned_default_network(&mut self, plan: &Plan) -> Option<String> {
        let name = self.cfg.default_service_network.clone()?;
        if self.opts.scoped || plan.service_networks.iter().any(|s| s.name == name) {
            return None;
        }
        if !self.ix.networks.contains(name.as_str()) {
            self.create_service_network(&ServiceNetworkPlan {
                name: name.clone(),
                gateway: String::new(),
                auth_type: "NONE".into(),
                auth_policy: None,
                auth_origin: None,
                vpc_association: None,
                access_logs: vec![],
                tags: None,
            });
        }
        self.vpc_association(&name, None, None).then_some(name)
    }

    fn create_service_network(&mut self, sn: &ServiceNetworkPlan) {
        let object = format!("service network {}", sn.name);
        let c = self.push(
            OpKind::CreateServiceNetwork {
                name: sn.name.clone(),
                auth_type: sn.auth_type.clone(),
                tags: sn.tags.clone().unwrap_or_default(),
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
        if let Some(want) = &sn.tags {
            self.retag(&o.arn, o.tags.as_ref(), want, &deps, &object, &resource);
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
    /// join the first one asked (`joined` in this pass). A
    /// VpcAssociationPolicy may ask to leave instead, or for security
    /// groups. Whether `name` is joined now.
    fn vpc_association(
        &mut self,
        name: &str,
        joined: Option<&str>,
        policy: Option<&VpcAssociationPlan>,
    ) -> bool {
        let vpc = self.cfg.vpc_id.clone();
        let held = self
            .observed
            .vpc_associations
            .iter()
            .find(|v| v.vpc == vpc)
            .cloned();
        if policy.is_some_and(|p| !p.associate) {
            if let Some(v) = held.filter(|v| v.service_network == name) {
                self.leave(name, &v);
            }
            return false;
        }
        let groups = policy
            .map(|p| p.security_group_ids.clone())
            .unwrap_or_default();
        match held.as_ref().map(|v| v.service_network.as_str()).or(joined) {
            Some(j) if j == name => {
                if let Some(v) = held.filter(|v| v.service_network == name) {
                    self.security_groups(name, &v, &groups);
                    self.association_tags(name, &v, policy);
                }
                false
            }
            Some(j) => {
                let message = format!(
                    "the cluster VPC {vpc} is already associated with service network {j}; a VPC joins one service network"
                );
                let resource = unrouted(ResourceKind::ServiceNetworkVpcAssociation, name);
                self.diag(
                    format!("service network {name}"),
                    resource,
                    "InUse",
                    message,
                );
                false
            }
            None => {
                let key = Key::ServiceNetwork(name.to_string());
                let deps = self.dep(&key);
                self.push(
                    OpKind::CreateVpcAssociation {
                        service_network: key,
                        vpc: vpc.clone(),
                        security_group_ids: groups,
                        tags: policy.map(|p| p.tags.clone()).unwrap_or_default(),
                    },
                    deps,
                    format!("service network {name} ↔ VPC {vpc}"),
                    unrouted(ResourceKind::ServiceNetworkVpcAssociation, name),
                );
                true
            }
        }
    }

    /// `associateWithVpc: false`: the VPC leaves the network, when the
    /// association is ours (the Go controller deletes only its own).
    fn leave(&mut self, name: &str, v: &ObsVpcAssociation) {
        let object = format!("service network {name} ↔ VPC {}", v.vpc);
        let resource = unrouted(ResourceKind::ServiceNetworkVpcAssociation, name);
        if v.owner != Owner::Ours {
            let message = "the association is not this cluster's; it is kept".to_string();
            self.diag(object, resource, "Conflicted", message);
            return;
        }
        let op = OpKind::DeleteVpcAssociation { id: v.id.clone() };
        self.push(op, vec![], object, resource);
    }

    /// The policy's security groups on our association, when they differ
    /// (as sets) from what it has; none asked leaves its own.
    fn security_groups(&mut self, name: &str, v: &ObsVpcAssociation, want: &[String]) {
        let Some(have) = &v.security_group_ids else {
            return;
        };
        let sorted = |g: &[String]| g.iter().cloned().collect::<BTreeSet<_>>();
        if want.is_empty() || v.owner != Owner::Ours || sorted(have) == sorted(want) {
            return;
        }
        let op = OpKind::UpdateVpcAssociation {
            id: v.id.clone(),
            security_group_ids: want.to_vec(),
        };
        let object = format!("service network {name} ↔ VPC {}", v.vpc);
        let resource = unrouted(ResourceKind::ServiceNetworkVpcAssociation, name);
        self.push(op, vec![], object, resource);
    }
}

impl Builder<'_> {
    /// The policy's user tags on our association; none without a policy.
    fn association_tags(
        &mut self,
        name: &str,
        v: &ObsVpcAssociation,
        policy: Option<&VpcAssociationPlan>,
    ) {
        let Some(p) = policy.filter(|_| v.owner == Owner::Ours) else {
            return;
        };
        let object = format!("service network {name} ↔ VPC {}", v.vpc);
        let resource = unrouted(ResourceKind::ServiceNetworkVpcAssociation, name);
        self.retag(&v.arn, v.tags.as_ref(), &p.tags, &[], &object, &resource);
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
