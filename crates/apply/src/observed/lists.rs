//! The four top-level lists every pass reads, in parallel: service networks,
//! services, target groups, and the cluster VPC's network associations.

use super::{Observer, Summary, lock};
use crate::cache::{Cache, Location};
use crate::caller::CallError;
use crate::model::{ObsVpcAssociation, Owner};
use lattice_core::plan::HealthCheckPlan;

/// A listed service network.
pub(super) struct NetworkSummary {
    pub s: Summary,
    /// VPCs associated in total.
    pub vpcs: u64,
}

/// A listed service.
pub(super) struct ServiceSummary {
    pub s: Summary,
    pub custom_domain_name: Option<String>,
    /// `dnsEntry.domainName`.
    pub dns_name: Option<String>,
}

/// A listed target group.
#[derive(Clone)]
pub(super) struct TargetGroupSummary {
    pub s: Summary,
    pub port: Option<i32>,
    pub protocol: Option<String>,
    pub vpc: Option<String>,
    /// Its health check, when a `GetTargetGroup` read it anyway (a scoped
    /// pass); a list shows none.
    pub health_check: Option<HealthCheckPlan>,
    /// A `LAMBDA` group's event structure version.
    pub lambda_event_structure_version: Option<String>,
}

/// What the top-level lists show.
pub(super) struct Lists {
    pub networks: Vec<NetworkSummary>,
    pub services: Vec<ServiceSummary>,
    pub target_groups: Vec<TargetGroupSummary>,
    pub vpc_associations: Vec<ObsVpcAssociation>,
}

impl Observer<'_> {
    pub(super) async fn lists(&self) -> Result<Lists, CallError> {
        let (networks, services, target_groups, vpc_associations) = futures::try_join!(
            self.list_networks(),
            self.list_services(),
            self.list_target_groups(),
            self.list_vpc_associations(),
        )?;
        Ok(Lists {
            networks,
            services,
            target_groups,
            vpc_associations,
        })
    }

    pub(super) async fn list_networks(&self) -> Result<Vec<NetworkSummary>, CallError> {
        let (c, cl) = (&self.caller.client, self.caller);
        Ok(paginate!(
            cl,
            "ListServiceNetworks",
            |t| c.list_service_networks().set_next_token(t.clone()),
            |o| o
                .items()
                .iter()
                .map(|s| NetworkSummary {
                    s: Summary {
                        id: s.id().unwrap_or_default().into(),
                        arn: s.arn().unwrap_or_default().into(),
                        name: s.name().unwrap_or_default().into(),
                        updated: s.last_updated_at().cloned(),
                    },
                    vpcs: s.number_of_associated_vpcs().unwrap_or(0) as u64,
                })
                .collect::<Vec<_>>()
        ))
    }

    /// Every service, remembered by name for later scoped passes.
    pub(super) async fn list_services(&self) -> Result<Vec<ServiceSummary>, CallError> {
        let (c, cl) = (&self.caller.client, self.caller);
        let all = paginate!(
            cl,
            "ListServices",
            |t| c.list_services().max_results(100).set_next_token(t.clone()),
            |o| o
                .items()
                .iter()
                .map(|s| ServiceSummary {
                    s: Summary {
                        id: s.id().unwrap_or_default().into(),
                        arn: s.arn().unwrap_or_default().into(),
                        name: s.name().unwrap_or_default().into(),
                        updated: s.last_updated_at().cloned(),
                    },
                    custom_domain_name: s.custom_domain_name().map(str::to_string),
                    dns_name: s
                        .dns_entry()
                        .and_then(|d| d.domain_name())
                        .map(str::to_string),
                })
                .collect::<Vec<_>>()
        );
        let mut cache = lock(self.cache);
        let at = located(&mut cache, all.iter().map(|s| &s.s));
        cache.service_names.replace(at);
        Ok(all)
    }

    /// Every target group, remembered by name for later scoped passes.
    pub(super) async fn list_target_groups(&self) -> Result<Vec<TargetGroupSummary>, CallError> {
        let (c, cl) = (&self.caller.client, self.caller);
        let all = paginate!(
            cl,
            "ListTargetGroups",
            |t| c
                .list_target_groups()
                .max_results(100)
                .set_next_token(t.clone()),
            |o| o
                .items()
                .iter()
                .map(|g| TargetGroupSummary {
                    s: Summary {
                        id: g.id().unwrap_or_default().into(),
                        arn: g.arn().unwrap_or_default().into(),
                        name: g.name().unwrap_or_default().into(),
                        updated: g.last_updated_at().cloned(),
                    },
                    port: g.port(),
                    protocol: g.protocol().map(|p| p.as_str().to_string()),
                    vpc: g.vpc_identifier().map(str::to_string),
                    health_check: None,
                    lambda_event_structure_version: g
                        .lambda_event_structure_version()
                        .map(|v| v.as_str().to_string()),
                })
                .collect::<Vec<_>>()
        );
        let mut cache = lock(self.cache);
        let at = located(&mut cache, all.iter().map(|g| &g.s));
        cache.target_group_names.replace(at);
        Ok(all)
    }

    async fn list_vpc_associations(&self) -> Result<Vec<ObsVpcAssociation>, CallError> {
        let (c, cl) = (&self.caller.client, self.caller);
        Ok(paginate!(
            cl,
            "ListServiceNetworkVpcAssociations",
            |t| c
                .list_service_network_vpc_associations()
                .vpc_identifier(&self.cfg.vpc_id)
                .set_next_token(t.clone()),
            |o| o
                .items()
                .iter()
                .map(|v| ObsVpcAssociation {
                    arn: v.arn().unwrap_or_default().into(),
                    owner: Owner::Untagged,
                    security_group_ids: None,
                    id: v.id().unwrap_or_default().into(),
                    service_network: v.service_network_name().unwrap_or_default().into(),
                    vpc: v.vpc_id().unwrap_or_default().into(),
                    tags: None,
                })
                .collect::<Vec<_>>()
        ))
    }
}

/// Name and location of each listed item.
fn located<'a>(
    cache: &mut Cache,
    all: impl Iterator<Item = &'a Summary>,
) -> Vec<(String, Location)> {
    all.map(|s| (s.name.clone(), cache.location(&s.id, &s.arn)))
        .collect()
}
