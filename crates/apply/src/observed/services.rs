//! Services: the plan's and ours, in scope; auth details and listeners only
//! for the plan's.

use super::lists::{Lists, ServiceSummary};
use super::owners::Owners;
use super::service_networks::AssociationsByService;
use super::tags::parts_need_tags;
use super::{Observer, Wanted, lock};
use crate::caller::CallError;
use crate::model::{ObsService, ObsServiceAssociation, Owner};
use futures::{StreamExt, TryStreamExt, stream};
use lattice_core::plan::ServicePlan;
use std::collections::HashMap;

/// Names by id (service networks) or by id and ARN (target groups).
type Names<'l> = HashMap<&'l str, &'l str>;

impl Observer<'_> {
    pub(super) async fn services(
        &self,
        lists: &Lists,
        want: &Wanted<'_>,
        owners: &Owners<'_>,
        mut by_service: AssociationsByService,
    ) -> Result<Vec<ObsService>, CallError> {
        let sn_names: Names = lists
            .networks
            .iter()
            .map(|n| (n.s.id.as_str(), n.s.name.as_str()))
            .collect();
        let tg_names: Names = lists
            .target_groups
            .iter()
            .flat_map(|g| {
                [
                    (g.s.id.as_str(), g.s.name.as_str()),
                    (g.s.arn.as_str(), g.s.name.as_str()),
                ]
            })
            .collect();
        let (sn_names, tg_names) = (&sn_names, &tg_names);
        let futs: Vec<_> = lists
            .services
            .iter()
            .filter(|s| want.service_in_scope(&s.s.name))
            .map(|s| (s, owners.of(&s.s.arn)))
            .filter(|(s, own)| want.services.contains_key(s.s.name.as_str()) || *own == Owner::Ours)
            .map(|(s, own)| {
                let plan = want.services.get(s.s.name.as_str()).copied();
                let known = by_service.remove(&s.s.id).unwrap_or_default();
                async move {
                    let associations = if want.scope.is_some() {
                        self.associations_of(&s.s.id, sn_names).await?
                    } else {
                        known
                    };
                    self.service(s, own, associations, plan, tg_names).await
                }
            })
            .collect();
        stream::iter(futs)
            .buffer_unordered(self.concurrency)
            .try_collect()
            .await
    }

    /// One service; its details and listeners only when the plan has it.
    async fn service(
        &self,
        s: &ServiceSummary,
        owner: Owner,
        associations: Vec<ObsServiceAssociation>,
        plan: Option<&ServicePlan>,
        tg_names: &Names<'_>,
    ) -> Result<ObsService, CallError> {
        let mut o = ObsService {
            id: s.s.id.clone(),
            arn: s.s.arn.clone(),
            name: s.s.name.clone(),
            owner,
            auth_type: None,
            custom_domain_name: s.custom_domain_name.clone(),
            certificate_arn: None,
            dns_name: s.dns_name.clone(),
            auth_policy: None,
            listeners: vec![],
            associations,
            tags: self.known_tags(&s.s.arn),
        };
        let Some(p) = plan else {
            return Ok(o);
        };
        let read = parts_need_tags(&o, p);
        for a in &mut o.associations {
            let wanted = p.service_networks.contains(&a.service_network);
            a.tags = self.tags_if(&a.arn, read && wanted).await?;
        }
        let at = self.auth_type_svc(&s.s).await?;
        if p.auth_policy.is_some() || at == "AWS_IAM" {
            o.auth_policy = Some(self.policy(&s.s.id).await?);
        }
        o.auth_type = Some(at);
        o.certificate_arn = lock(self.cache)
            .certificates
            .get(s.s.arn.as_str())
            .cloned()
            .flatten();
        // A rule may still forward to a group outside a scoped pass's reads.
        let tg_name = |id: &str| {
            let listed = tg_names.get(id).map(|n| n.to_string());
            listed.or_else(|| {
                let cache = lock(self.cache);
                cache.target_group_names.name_of(id).map(str::to_string)
            })
        };
        o.listeners = self.listeners(&s.s.id, &tg_name, read).await?;
        Ok(o)
    }

    /// One service's service network associations, for a scoped pass.
    async fn associations_of(
        &self,
        service_id: &str,
        sn_names: &Names<'_>,
    ) -> Result<Vec<ObsServiceAssociation>, CallError> {
        let (c, cl) = (&self.caller.client, self.caller);
        Ok(paginate!(
            cl,
            "ListServiceNetworkServiceAssociations",
            |t| c
                .list_service_network_service_associations()
                .service_identifier(service_id)
                .set_next_token(t.clone()),
            |o| o
                .items()
                .iter()
                .map(|a| ObsServiceAssociation {
                    id: a.id().unwrap_or_default().into(),
                    arn: a.arn().unwrap_or_default().into(),
                    tags: None,
                    service_network: a
                        .service_network_name()
                        .map(str::to_string)
                        .or_else(|| {
                            a.service_network_id()
                                .and_then(|id| sn_names.get(id))
                                .map(|n| n.to_string())
                        })
                        .unwrap_or_default()
                })
                .collect::<Vec<_>>()
        ))
    }
}
