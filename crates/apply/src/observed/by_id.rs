//! A scoped pass reads what it already knows by id: one `GetService` or
//! `GetTargetGroup` per name in scope, where a whole pass pages through every
//! service and target group in the account (at 10,000 routes, 300 pages).
//! `GetTargetGroup` answers with the health check too, so a scoped pass
//! knows it at no extra call.
//!
//! The ids come from the [`Directory`](crate::cache::Directory) that every
//! complete list, `Get*` and create fills in. A name never seen, or an id
//! Lattice no longer knows (deleted by someone else), falls back to the
//! list for that kind, which also refreshes the directory. A scoped pass
//! never changes a service network or its VPC association, so the VPC's
//! association list is not read either.

use super::lists::{Lists, ServiceSummary, TargetGroupSummary};
use super::{Observer, Summary, lock};
use crate::cache::{Cached, Directory, Location};
use crate::caller::CallError;
use crate::health_check;
use crate::scope::Scope;
use futures::{StreamExt, TryStreamExt, stream};
use std::collections::BTreeSet;

/// Items per page of `ListServices` and `ListTargetGroups` (their maximum).
const LIST_PAGE: usize = 100;

impl Observer<'_> {
    /// The top-level lists, as far as a pass over `scope` needs them.
    pub(super) async fn scoped_lists(&self, scope: &Scope) -> Result<Lists, CallError> {
        let (networks, services, target_groups) = futures::try_join!(
            self.list_networks(),
            self.services_in(&scope.services),
            self.target_groups_in(&scope.target_groups),
        )?;
        Ok(Lists {
            networks,
            services,
            target_groups,
            vpc_associations: vec![],
        })
    }

    async fn services_in(
        &self,
        names: &BTreeSet<String>,
    ) -> Result<Vec<ServiceSummary>, CallError> {
        let Some(known) = self.locate(names, |c| &c.service_names) else {
            return self.list_services().await;
        };
        let futs: Vec<_> = known.iter().map(|at| self.get_service(at)).collect();
        let read = stream::iter(futs)
            .buffer_unordered(self.concurrency)
            .try_collect()
            .await;
        match read {
            Err(e) if e.is_not_found() => self.list_services().await,
            read => read,
        }
    }

    async fn target_groups_in(
        &self,
        names: &BTreeSet<String>,
    ) -> Result<Vec<TargetGroupSummary>, CallError> {
        let Some(known) = self.locate(names, |c| &c.target_group_names) else {
            return self.list_target_groups().await;
        };
        let futs: Vec<_> = known.iter().map(|at| self.get_target_group(at)).collect();
        let read = stream::iter(futs)
            .buffer_unordered(self.concurrency)
            .try_collect()
            .await;
        match read {
            Err(e) if e.is_not_found() => self.list_target_groups().await,
            read => read,
        }
    }

    /// Where every one of `names` is, or `None` if any was never seen, or
    /// if listing them all would take fewer calls (a plugin swapped in over
    /// every route puts them all in scope).
    fn locate(
        &self,
        names: &BTreeSet<String>,
        dir: impl Fn(&crate::cache::Cache) -> &Directory,
    ) -> Option<Vec<Location>> {
        let cache = lock(self.cache);
        let dir = dir(&cache);
        if names.len() > dir.len().div_ceil(LIST_PAGE) {
            return None;
        }
        names.iter().map(|n| dir.get(n)).collect()
    }

    /// One service, as its list item would show it; its auth type is
    /// cached on the way, so the details step needs no second `GetService`.
    async fn get_service(&self, at: &Location) -> Result<ServiceSummary, CallError> {
        let c = &self.caller.client;
        let o = self
            .caller
            .call("GetService", || {
                c.get_service().service_identifier(&at.id).send()
            })
            .await?;
        let s = Summary {
            id: o.id().unwrap_or_default().into(),
            arn: o.arn().unwrap_or_default().into(),
            name: o.name().unwrap_or_default().into(),
            updated: o.last_updated_at().cloned(),
        };
        if let Some(auth) = o.auth_type() {
            let auth = Cached {
                updated: s.updated,
                value: auth.as_str().to_string(),
            };
            let mut cache = lock(self.cache);
            let arn = cache.arn(&s.arn);
            cache.services.insert(arn, auth);
        }
        let certificate = o.certificate_arn().map(str::to_string);
        let mut cache = lock(self.cache);
        let arn = cache.arn(&s.arn);
        cache.certificates.insert(arn, certificate);
        drop(cache);
        Ok(ServiceSummary {
            custom_domain_name: o.custom_domain_name().map(str::to_string),
            dns_name: o
                .dns_entry()
                .and_then(|d| d.domain_name())
                .map(str::to_string),
            s,
        })
    }

    pub(super) async fn get_target_group(
        &self,
        at: &Location,
    ) -> Result<TargetGroupSummary, CallError> {
        let c = &self.caller.client;
        let o = self
            .caller
            .call("GetTargetGroup", || {
                c.get_target_group().target_group_identifier(&at.id).send()
            })
            .await?;
        let config = o.config();
        Ok(TargetGroupSummary {
            s: Summary {
                id: o.id().unwrap_or_default().into(),
                arn: o.arn().unwrap_or_default().into(),
                name: o.name().unwrap_or_default().into(),
                updated: o.last_updated_at().cloned(),
            },
            port: config.and_then(|c| c.port()),
            protocol: config
                .and_then(|c| c.protocol())
                .map(|p| p.as_str().to_string()),
            vpc: config.and_then(|c| c.vpc_identifier()).map(str::to_string),
            // The same answer holds the health check: a group whose plan
            // sets one needs no second read.
            health_check: Some(health_check::from_sdk(
                config.and_then(|c| c.health_check()),
            )),
            lambda_event_structure_version: config
                .and_then(|c| c.lambda_event_structure_version())
                .map(|v| v.as_str().to_string()),
        })
    }
}
