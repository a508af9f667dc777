//! Read Lattice: paginated List* calls, plus cached details (see [`crate::cache`]).
//!
//! One pass reads: `ListServiceNetworks`, `ListServices`, `ListTargetGroups`
//! and `ListServiceNetworkVpcAssociations` (cluster VPC) in parallel; then
//! `ListServiceNetworkServiceAssociations` per service network; `ListListeners`
//! and `ListRules` per relevant service (ours, or named in the plan);
//! `ListTargets` per target group the plan names. `ListTagsForResource` runs
//! only for ARNs whose owner is not cached (service networks, services, and
//! target groups named `k8s-…` or named in the plan). `Get*` runs only for
//! details the cache does not hold, and `GetAuthPolicy` only where a policy is
//! wanted or the auth type is `AWS_IAM`.
//!
//! A scoped pass ([`Scope`]) reads the same four lists but children only for
//! the services and target groups in scope, and a service's associations with
//! `ListServiceNetworkServiceAssociations` by service instead of by network.

use crate::cache::Cache;
use crate::caller::{CallError, Caller};
use crate::model::*;
use crate::ownership::owner_of;
use crate::scope::Scope;
use aws_smithy_types::DateTime;
use futures::{StreamExt, TryStreamExt, stream};
use lattice_core::ClusterConfig;
use lattice_core::model::naming::managed_by_tag;
use lattice_core::plan::{Plan, TargetPlan};
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

/// Observes Lattice for one plan.
pub struct Observer<'a> {
    /// Calls go through here.
    pub caller: &'a Caller,
    /// Details remembered between passes.
    pub cache: &'a Mutex<Cache>,
    /// Cluster identity.
    pub cfg: &'a ClusterConfig,
    /// Parallel reads.
    pub concurrency: usize,
}

fn lock(c: &Mutex<Cache>) -> std::sync::MutexGuard<'_, Cache> {
    c.lock().unwrap_or_else(|p| p.into_inner())
}

struct Summary {
    id: String,
    arn: String,
    name: String,
    updated: Option<DateTime>,
}

/// Every page of a List* call, through the caller.
macro_rules! paginate {
    ($caller:expr, $op:literal, |$tok:ident| $req:expr, |$out:ident| $each:expr) => {{
        let mut all = Vec::new();
        let mut $tok: Option<String> = None;
        loop {
            let $out = $caller.call($op, || $req.send()).await?;
            all.extend($each);
            $tok = $out.next_token().map(str::to_string);
            if $tok.is_none() {
                break;
            }
        }
        all
    }};
}

mod details;

impl Observer<'_> {
    /// One service's service network associations, for a scoped pass.
    async fn associations_of(
        &self,
        service_id: &str,
        sn_names: &HashMap<&str, &str>,
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

impl Observer<'_> {
    /// Read everything the diff needs for `plan`, or, given a scope, for
    /// the services and target groups in it.
    pub async fn observe(&self, plan: &Plan, scope: Option<&Scope>) -> Result<Observed, CallError> {
        let in_scope_svc = |name: &str| scope.is_none_or(|s| s.services.contains(name));
        let in_scope_tg = |name: &str| scope.is_none_or(|s| s.target_groups.contains(name));
        let c = &self.caller.client;
        let cl = self.caller;
        let (sns, svcs, tgs, vpcas) = futures::try_join!(
            async {
                Ok::<_, CallError>(paginate!(
                    cl,
                    "ListServiceNetworks",
                    |t| c.list_service_networks().set_next_token(t.clone()),
                    |o| o
                        .items()
                        .iter()
                        .map(|s| (
                            Summary {
                                id: s.id().unwrap_or_default().into(),
                                arn: s.arn().unwrap_or_default().into(),
                                name: s.name().unwrap_or_default().into(),
                                updated: s.last_updated_at().cloned()
                            },
                            s.number_of_associated_vpcs().unwrap_or(0) as u64
                        ))
                        .collect::<Vec<_>>()
                ))
            },
            async {
                Ok(paginate!(
                    cl,
                    "ListServices",
                    |t| c.list_services().set_next_token(t.clone()),
                    |o| o
                        .items()
                        .iter()
                        .map(|s| (
                            Summary {
                                id: s.id().unwrap_or_default().into(),
                                arn: s.arn().unwrap_or_default().into(),
                                name: s.name().unwrap_or_default().into(),
                                updated: s.last_updated_at().cloned()
                            },
                            s.custom_domain_name().map(str::to_string)
                        ))
                        .collect::<Vec<_>>()
                ))
            },
            async {
                Ok(paginate!(
                    cl,
                    "ListTargetGroups",
                    |t| c.list_target_groups().set_next_token(t.clone()),
                    |o| o
                        .items()
                        .iter()
                        .map(|g| (
                            Summary {
                                id: g.id().unwrap_or_default().into(),
                                arn: g.arn().unwrap_or_default().into(),
                                name: g.name().unwrap_or_default().into(),
                                updated: None
                            },
                            g.port(),
                            g.protocol().map(|p| p.as_str().to_string()),
                            g.vpc_identifier().map(str::to_string)
                        ))
                        .collect::<Vec<_>>()
                ))
            },
            async {
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
                            id: v.id().unwrap_or_default().into(),
                            service_network: v.service_network_name().unwrap_or_default().into(),
                            vpc: v.vpc_id().unwrap_or_default().into()
                        })
                        .collect::<Vec<_>>()
                ))
            },
        )?;

        let plan_svcs: BTreeSet<&str> = plan.services.iter().map(|s| s.name.as_str()).collect();
        let plan_tgs: BTreeSet<&str> = plan.target_groups.iter().map(|t| t.name.as_str()).collect();
        let plan_sns: BTreeSet<&str> = plan
            .service_networks
            .iter()
            .map(|s| s.name.as_str())
            .collect();

        // Owners of everything that might be ours.
        let candidates: Vec<String> = sns
            .iter()
            .map(|(s, _)| s.arn.clone())
            .chain(
                svcs.iter()
                    .filter(|(s, _)| in_scope_svc(&s.name))
                    .map(|(s, _)| s.arn.clone()),
            )
            .chain(
                tgs.iter()
                    .filter(|(s, ..)| {
                        in_scope_tg(&s.name)
                            && (s.name.starts_with("k8s-") || plan_tgs.contains(s.name.as_str()))
                    })
                    .map(|(s, ..)| s.arn.clone()),
            )
            .filter(|arn| !lock(self.cache).owners.contains_key(arn))
            .collect();
        let key = managed_by_tag();
        let mb = self.cfg.managed_by();
        // A resource whose tags cannot be read (e.g. shared from another
        // account) is someone else's for this pass, and not cached.
        let owners: Vec<(String, Result<Owner, CallError>)> = stream::iter(candidates)
            .map(|arn| {
                let (key, mb) = (&key, &mb);
                async move {
                    let o = cl
                        .call("ListTagsForResource", || {
                            c.list_tags_for_resource().resource_arn(&arn).send()
                        })
                        .await;
                    let owner = o.map(|o| {
                        let tags = o.tags().cloned().unwrap_or_default();
                        owner_of(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())), key, mb)
                    });
                    (arn, owner)
                }
            })
            .buffer_unordered(self.concurrency)
            .collect()
            .await;
        let mut unreadable: HashMap<String, Owner> = HashMap::new();
        {
            let mut cache = lock(self.cache);
            for (arn, o) in owners {
                match o {
                    Ok(o) => {
                        cache.owners.insert(arn, o);
                    }
                    Err(e) => {
                        tracing::warn!(arn, error = %e, "cannot read tags");
                        unreadable.insert(arn, Owner::Other(format!("unknown ({})", e.code)));
                    }
                }
            }
        }
        let owner = |arn: &str| {
            if let Some(o) = unreadable.get(arn) {
                return o.clone();
            }
            lock(self.cache)
                .owners
                .get(arn)
                .cloned()
                .unwrap_or(Owner::Untagged)
        };
        let tg_names: HashMap<String, String> = tgs
            .iter()
            .flat_map(|(s, ..)| {
                [
                    (s.id.clone(), s.name.clone()),
                    (s.arn.clone(), s.name.clone()),
                ]
            })
            .collect();
        let tg_name = |id: &str| tg_names.get(id).cloned();

        // Service networks: associations for all, details for the plan's.
        let sn_futs = sns.iter().map(|(s, nvpc)| {
            let own = owner(&s.arn);
            let want = plan.service_networks.iter().find(|p| p.name == s.name);
            let in_plan = plan_sns.contains(s.name.as_str());
            async move {
                // A scoped pass lists associations per service, below.
                let assocs = if scope.is_some() {
                    vec![]
                } else {
                    paginate!(
                        cl,
                        "ListServiceNetworkServiceAssociations",
                        |t| c
                            .list_service_network_service_associations()
                            .service_network_identifier(&s.id)
                            .set_next_token(t.clone()),
                        |o| o
                            .items()
                            .iter()
                            .map(|a| (
                                a.service_id().unwrap_or_default().to_string(),
                                ObsServiceAssociation {
                                    id: a.id().unwrap_or_default().into(),
                                    service_network: s.name.clone()
                                }
                            ))
                            .collect::<Vec<_>>()
                    )
                };
                let (mut auth_type, mut auth_policy) = (None, None);
                // Another owner's network is never changed: its details are not needed.
                if in_plan && !matches!(own, Owner::Other(_)) {
                    let at = self.auth_type_sn(s).await?;
                    if want.is_some_and(|w| w.auth_policy.is_some()) || at == "AWS_IAM" {
                        auth_policy = Some(self.policy(&s.id).await?);
                    }
                    auth_type = Some(at);
                }
                Ok::<_, CallError>((
                    ObsServiceNetwork {
                        id: s.id.clone(),
                        arn: s.arn.clone(),
                        name: s.name.clone(),
                        owner: own,
                        auth_type,
                        auth_policy,
                        vpc_association_count: *nvpc,
                        service_association_count: assocs.len() as u64,
                    },
                    assocs,
                ))
            }
        });
        let sn_futs: Vec<_> = sn_futs.collect();
        let sn_out: Vec<_> = stream::iter(sn_futs)
            .buffer_unordered(self.concurrency)
            .try_collect()
            .await?;
        let mut assoc_by_service: HashMap<String, Vec<ObsServiceAssociation>> = HashMap::new();
        let mut service_networks = Vec::new();
        for (sn, assocs) in sn_out {
            service_networks.push(sn);
            for (svc, a) in assocs {
                assoc_by_service.entry(svc).or_default().push(a);
            }
        }

        // Services: children only for the plan's and ours.
        let sn_names: HashMap<&str, &str> = sns
            .iter()
            .map(|(s, _)| (s.id.as_str(), s.name.as_str()))
            .collect();
        let sn_names = &sn_names;
        let svc_futs = svcs
            .iter()
            .filter(|(s, _)| in_scope_svc(&s.name))
            .filter(|(s, _)| plan_svcs.contains(s.name.as_str()) || owner(&s.arn) == Owner::Ours)
            .map(|(s, domain)| {
                let own = owner(&s.arn);
                let in_plan = plan.services.iter().find(|p| p.name == s.name);
                let associations = assoc_by_service.get(&s.id).cloned().unwrap_or_default();
                let tg_name = &tg_name;
                async move {
                    let associations = if scope.is_some() {
                        self.associations_of(&s.id, sn_names).await?
                    } else {
                        associations
                    };
                    let mut o = ObsService {
                        id: s.id.clone(),
                        arn: s.arn.clone(),
                        name: s.name.clone(),
                        owner: own,
                        auth_type: None,
                        custom_domain_name: domain.clone(),
                        auth_policy: None,
                        listeners: vec![],
                        associations,
                    };
                    let Some(p) = in_plan else {
                        return Ok::<_, CallError>(o);
                    };
                    let at = self.auth_type_svc(s).await?;
                    if p.auth_policy.is_some() || at == "AWS_IAM" {
                        o.auth_policy = Some(self.policy(&s.id).await?);
                    }
                    o.auth_type = Some(at);
                    o.listeners = self.listeners(&s.id, tg_name).await?;
                    Ok(o)
                }
            });
        let svc_futs: Vec<_> = svc_futs.collect();
        let services: Vec<ObsService> = stream::iter(svc_futs)
            .buffer_unordered(self.concurrency)
            .try_collect()
            .await?;

        // Target groups: targets only for the plan's.
        let tg_futs = tgs
            .iter()
            .filter(|(s, ..)| in_scope_tg(&s.name))
            .filter(|(s, ..)| plan_tgs.contains(s.name.as_str()) || owner(&s.arn) == Owner::Ours)
            .map(|(s, port, proto, vpc)| {
                let own = owner(&s.arn);
                let need = plan_tgs.contains(s.name.as_str());
                async move {
                    let targets = if need {
                        paginate!(
                            cl,
                            "ListTargets",
                            |t| c
                                .list_targets()
                                .target_group_identifier(&s.id)
                                .set_next_token(t.clone()),
                            |o| o
                                .items()
                                .iter()
                                .filter(|t| !matches!(
                                    t.status().map(|s| s.as_str()),
                                    Some("DRAINING")
                                ))
                                .map(|t| TargetPlan {
                                    ip: t.id().unwrap_or_default().into(),
                                    port: t.port().unwrap_or(0)
                                })
                                .collect::<Vec<_>>()
                        )
                    } else {
                        vec![]
                    };
                    Ok::<_, CallError>(ObsTargetGroup {
                        id: s.id.clone(),
                        arn: s.arn.clone(),
                        name: s.name.clone(),
                        owner: own,
                        port: *port,
                        protocol: proto.clone(),
                        vpc: vpc.clone(),
                        targets,
                    })
                }
            });
        let tg_futs: Vec<_> = tg_futs.collect();
        let target_groups: Vec<ObsTargetGroup> = stream::iter(tg_futs)
            .buffer_unordered(self.concurrency)
            .try_collect()
            .await?;

        let mut obs = Observed {
            service_networks,
            services,
            target_groups,
            vpc_associations: vpcas,
        };
        obs.services.sort_by(|a, b| a.name.cmp(&b.name));
        obs.target_groups.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(obs)
    }
}
