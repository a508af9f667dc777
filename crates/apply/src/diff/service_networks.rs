//! Service networks: create, claim or update each planned network and its
//! auth, find or create `DEFAULT_SERVICE_NETWORK`, and join the cluster
//! VPC to one of them (the default first).
//!
//! A network this cluster did not create is used, never changed: services
//! join it and the VPC may associate with it, but it is not tagged, its
//! auth changes only when an IAMAuthPolicy asks, and it is never deleted.
//! Only a ServiceNetwork object adopts one (tags it as ours), as the Go
//! controller's does.

use super::{Builder, json_eq, unrouted};
use crate::model::{ObsServiceNetwork, ObsVpcAssociation, Owner};
use crate::ops::{Key, OpKind};
use lattice_core::plan::{
    DeclaredServiceNetwork, Plan, ResourceKind, ServiceNetworkPlan, VpcAssociationPlan,
};
use std::collections::{BTreeMap, BTreeSet};

/// What the diff may do with an existing network.
#[derive(Debug, PartialEq, Eq)]
enum NetworkUse {
    /// Ours: its auth follows the plan.
    Manage,
    /// Untagged, and a ServiceNetwork object declares it: tag it, manage it.
    Claim,
    /// Untagged: used as it is; its auth changes only when asked for.
    Use,
    /// Another cluster's or account's: used, never changed.
    Foreign(String),
}

fn network_use(owner: &Owner, declared: bool) -> NetworkUse {
    match owner {
        Owner::Ours => NetworkUse::Manage,
        Owner::Untagged if declared => NetworkUse::Claim,
        Owner::Untagged => NetworkUse::Use,
        Owner::Other(o) => NetworkUse::Foreign(o.clone()),
    }
}

impl Builder<'_> {
    pub(super) fn service_networks(&mut self, plan: &Plan) {
        let mut vpc_joined = self.unplanned_default_network(plan);
        let default = self.cfg.default_service_network.as_deref();
        let declared: BTreeMap<&str, &DeclaredServiceNetwork> = plan
            .declared_service_networks
            .iter()
            .map(|d| (d.name.as_str(), d))
            .collect();
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
            // A ServiceNetwork object of the same name owns its tags.
            let declaration = declared.get(sn.name.as_str());
            let sn = &ServiceNetworkPlan {
                tags: declaration.map(|d| d.tags.clone()),
                ..sn.clone()
            };
            match self.observed_network(&sn.name) {
                None => self.create_service_network(sn),
                Some(o) => self.existing_service_network(sn, &o, declaration.is_some()),
            }
            let policy = sn.vpc_association.as_ref();
            if self.vpc_association(&sn.name, vpc_joined.as_deref(), policy) {
                vpc_joined = Some(sn.name.clone());
            }
        }
        for (_, d) in declared.into_iter().filter(|(n, _)| !seen.contains(n)) {
            self.declared_network(d);
        }
    }

    fn observed_network(&self, name: &str) -> Option<ObsServiceNetwork> {
        let mut networks = self.observed.service_networks.iter();
        networks.find(|o| o.name == name).cloned()
    }

    /// A network only a ServiceNetwork object declares: created (auth
    /// `NONE`, no VPC association, as the Go controller creates it) or
    /// adopted; its auth is then left to Gateways and policies.
    fn declared_network(&mut self, d: &DeclaredServiceNetwork) {
        let name = d.name.as_str();
        let Some(o) = self.observed_network(name) else {
            self.create_service_network(&bare_network(name, Some(d.tags.clone())));
            return;
        };
        let object = format!("service network {name}");
        let resource = unrouted(ResourceKind::ServiceNetwork, name);
        match network_use(&o.owner, true) {
            NetworkUse::Claim => {
                let c = self.claim_network(&o, object.clone(), resource.clone());
                self.retag(&o.arn, o.tags.as_ref(), &d.tags, &[c], &object, &resource);
            }
            NetworkUse::Manage => {
                self.retag(&o.arn, o.tags.as_ref(), &d.tags, &[], &object, &resource);
            }
            NetworkUse::Foreign(owner) => {
                let message = format!(
                    "{object} is managed by {owner:?}; a ServiceNetwork object adopts only an untagged network"
                );
                self.diag(object, resource, "Conflicted", message);
            }
            NetworkUse::Use => {}
        }
    }

    /// Tags `o` as ours; the op later changes depend on.
    fn claim_network(
        &mut self,
        o: &ObsServiceNetwork,
        object: String,
        resource: lattice_core::plan::ResourceRef,
    ) -> usize {
        let c = self.push(
            OpKind::Claim { arn: o.arn.clone() },
            vec![],
            object,
            resource,
        );
        self.creators.insert(Key::ServiceNetwork(o.name.clone()), c);
        c
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
            self.create_service_network(&bare_network(&name, None));
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

    fn existing_service_network(
        &mut self,
        sn: &ServiceNetworkPlan,
        o: &ObsServiceNetwork,
        declared: bool,
    ) {
        let object = format!("service network {}", sn.name);
        let key = Key::ServiceNetwork(sn.name.clone());
        let resource = unrouted(ResourceKind::ServiceNetwork, &sn.name);
        let mut deps = vec![];
        match network_use(&o.owner, declared) {
            NetworkUse::Manage => {}
            NetworkUse::Claim => deps.push(self.claim_network(o, object.clone(), resource.clone())),
            // Without an IAMAuthPolicy (or a plugin's policy) the plan's
            // `NONE` is a default, not a request: the owner's auth stays.
            NetworkUse::Use if !asks_for_auth(sn) => return,
            NetworkUse::Use => {}
            NetworkUse::Foreign(owner) => {
                if sn_differs(o, &sn.auth_type, &sn.auth_policy) {
                    let message =
                        format!("{object} is managed by {owner:?}; its auth is left as it is");
                    self.diag(object, resource, "Conflicted", message);
                }
                return;
            }
        }
        // Only a network this cluster owns (or claims now) is re-tagged.
        let owned = o.owner == Owner::Ours || !deps.is_empty();
        if let Some(want) = sn.tags.as_ref().filter(|_| owned) {
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

/// A network no Gateway plans, as the Go controller creates one (auth
/// `NONE`, no VPC association); `tags: None` leaves its user tags alone.
fn bare_network(name: &str, tags: Option<lattice_core::plan::Tags>) -> ServiceNetworkPlan {
    ServiceNetworkPlan {
        name: name.to_string(),
        gateway: String::new(),
        auth_type: "NONE".into(),
        auth_policy: None,
        auth_origin: None,
        vpc_association: None,
        access_logs: vec![],
        tags,
    }
}

/// Whether the plan asks for an auth of its own: `AWS_IAM`, or a policy.
fn asks_for_auth(sn: &ServiceNetworkPlan) -> bool {
    sn.auth_type != "NONE" || sn.auth_policy.is_some()
}

fn sn_differs(o: &ObsServiceNetwork, auth_type: &str, policy: &Option<String>) -> bool {
    o.auth_type.as_deref().is_some_and(|a| a != auth_type)
        || match (&o.auth_policy, policy) {
            (Some(Some(a)), Some(b)) => !json_eq(a, b),
            (Some(None), Some(_)) | (Some(Some(_)), None) => true,
            _ => false,
        }
}
