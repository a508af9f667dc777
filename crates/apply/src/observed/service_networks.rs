//! Service networks: their service associations (a whole pass), and auth
//! details for the plan's networks.

use super::lists::{Lists, NetworkSummary};
use super::owners::Owners;
use super::{Observer, Wanted};
use crate::caller::CallError;
use crate::model::{ObsServiceAssociation, ObsServiceNetwork, ObsVpcAssociation, Owner};
use futures::{StreamExt, TryStreamExt, stream};
use lattice_core::plan::Plan;
use std::collections::HashMap;

/// Service associations by service id.
pub(super) type AssociationsByService = HashMap<String, Vec<ObsServiceAssociation>>;

impl Observer<'_> {
    /// Every listed network, and (a whole pass) the associations of each
    /// service, gathered from its networks' association lists.
    pub(super) async fn service_networks(
        &self,
        lists: &Lists,
        want: &Wanted<'_>,
        owners: &Owners<'_>,
    ) -> Result<(Vec<ObsServiceNetwork>, AssociationsByService), CallError> {
        let futs: Vec<_> = lists
            .networks
            .iter()
            .map(|n| self.service_network(n, want, owners.of(&n.s.arn)))
            .collect();
        let read: Vec<_> = stream::iter(futs)
            .buffer_unordered(self.concurrency)
            .try_collect()
            .await?;
        let mut by_service = AssociationsByService::new();
        let mut networks = Vec::new();
        for (sn, assocs) in read {
            networks.push(sn);
            for (svc, a) in assocs {
                by_service.entry(svc).or_default().push(a);
            }
        }
        Ok((networks, by_service))
    }

    async fn service_network(
        &self,
        n: &NetworkSummary,
        want: &Wanted<'_>,
        owner: Owner,
    ) -> Result<(ObsServiceNetwork, Vec<(String, ObsServiceAssociation)>), CallError> {
        // A scoped pass lists associations per service instead.
        let assocs = if want.scope.is_some() {
            vec![]
        } else {
            self.associations_of_network(n).await?
        };
        let (mut auth_type, mut auth_policy) = (None, None);
        // Another owner's network is never changed: its details are not needed.
        let in_plan = want.service_networks.contains(n.s.name.as_str());
        if in_plan && !matches!(owner, Owner::Other(_)) {
            let at = self.auth_type_sn(&n.s).await?;
            let plan = want
                .plan
                .service_networks
                .iter()
                .find(|p| p.name == n.s.name);
            if plan.is_some_and(|p| p.auth_policy.is_some()) || at == "AWS_IAM" {
                auth_policy = Some(self.policy(&n.s.id).await?);
            }
            auth_type = Some(at);
        }
        let network = ObsServiceNetwork {
            id: n.s.id.clone(),
            arn: n.s.arn.clone(),
            name: n.s.name.clone(),
            owner,
            auth_type,
            auth_policy,
            vpc_association_count: n.vpcs,
            service_association_count: assocs.len() as u64,
            tags: self.known_tags(&n.s.arn),
        };
        Ok((network, assocs))
    }

    /// A network's service associations, each with its service's id.
    async fn associations_of_network(
        &self,
        n: &NetworkSummary,
    ) -> Result<Vec<(String, ObsServiceAssociation)>, CallError> {
        let (c, cl) = (&self.caller.client, self.caller);
        Ok(paginate!(
            cl,
            "ListServiceNetworkServiceAssociations",
            |t| c
                .list_service_network_service_associations()
                .service_network_identifier(&n.s.id)
                .set_next_token(t.clone()),
            |o| o
                .items()
                .iter()
                .map(|a| (
                    a.service_id().unwrap_or_default().to_string(),
                    ObsServiceAssociation {
                        id: a.id().unwrap_or_default().into(),
                        arn: a.arn().unwrap_or_default().into(),
                        service_network: n.s.name.clone(),
                        tags: None,
                    }
                ))
                .collect::<Vec<_>>()
        ))
    }
}

impl Observer<'_> {
    /// The security groups of the cluster VPC's associations whose network's
    /// VpcAssociationPolicy names some: one `GetServiceNetworkVpcAssociation`
    /// each (a VPC has at most one).
    pub(super) async fn association_security_groups(
        &self,
        associations: &mut [ObsVpcAssociation],
        plan: &Plan,
    ) -> Result<(), CallError> {
        for v in associations.iter_mut() {
            let wants_groups = plan.service_networks.iter().any(|s| {
                s.name == v.service_network
                    && s.vpc_association
                        .as_ref()
                        .is_some_and(|a| !a.security_group_ids.is_empty())
            });
            if !wants_groups {
                continue;
            }
            let c = &self.caller.client;
            let o = self
                .caller
                .call("GetServiceNetworkVpcAssociation", || {
                    c.get_service_network_vpc_association()
                        .service_network_vpc_association_identifier(&v.id)
                        .send()
                })
                .await?;
            v.security_group_ids = Some(o.security_group_ids().to_vec());
        }
        Ok(())
    }
}
