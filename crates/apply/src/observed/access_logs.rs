//! Access log subscriptions: `ListAccessLogSubscriptions` for the services
//! and service networks whose plan names access logs, or that had
//! subscriptions when last read (so that a removed policy's subscription
//! is found and deleted). Nothing else is read: without AccessLogPolicies
//! a pass makes no call here. Whose a subscription is comes from its tags,
//! one `ListTagsForResource` per subscription, remembered.

use super::{Observer, lock};
use crate::caller::CallError;
use crate::model::{ObsAccessLog, ObsService, ObsServiceNetwork};
use crate::scope::Scope;
use futures::{StreamExt, stream};
use lattice_core::model::naming::managed_by_tag;
use lattice_core::plan::Plan;
use std::collections::HashSet;

/// The tag naming the AccessLogPolicy a subscription is for, as the Go
/// controller writes it.
pub const POLICY_TAG: &str = "application-networking.k8s.aws/AccessLogPolicy";

/// What the tags of a subscription say: ours, and for which policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogOwner {
    /// Tagged with this cluster's `ManagedBy`.
    pub ours: bool,
    /// The policy tag, if any.
    pub policy: Option<String>,
}

impl Observer<'_> {
    /// The subscriptions of the services and networks that may have some.
    pub(super) async fn access_logs(
        &self,
        plan: &Plan,
        scope: Option<&Scope>,
        networks: &[ObsServiceNetwork],
        services: &[ObsService],
    ) -> Result<Vec<ObsAccessLog>, CallError> {
        let ids = self.logged_ids(plan, scope, networks, services);
        let lists: Vec<Result<Vec<ObsAccessLog>, CallError>> = stream::iter(ids)
            .map(|id| self.subscriptions_of(id))
            .buffer_unordered(self.concurrency)
            .collect()
            .await;
        let mut out = Vec::new();
        for l in lists {
            out.extend(l?);
        }
        out.sort_by(|a, b| (&a.resource_id, &a.id).cmp(&(&b.resource_id, &b.id)));
        Ok(out)
    }

    /// Ids of the resources to read: planned with access logs, or known to
    /// have had some. A scoped pass leaves service networks alone.
    fn logged_ids(
        &self,
        plan: &Plan,
        scope: Option<&Scope>,
        networks: &[ObsServiceNetwork],
        services: &[ObsService],
    ) -> Vec<String> {
        let logged = &lock(self.cache).access_logged;
        let sns: HashSet<&str> = plan
            .service_networks
            .iter()
            .filter(|n| !n.access_logs.is_empty())
            .map(|n| n.name.as_str())
            .collect();
        let svcs: HashSet<&str> = plan
            .services
            .iter()
            .filter(|s| !s.access_logs.is_empty())
            .map(|s| s.name.as_str())
            .collect();
        let nets = networks
            .iter()
            .filter(|_| scope.is_none())
            .filter(|n| sns.contains(n.name.as_str()) || logged.contains(&n.id))
            .map(|n| n.id.clone());
        let svc = services
            .iter()
            .filter(|s| svcs.contains(s.name.as_str()) || logged.contains(&s.id))
            .map(|s| s.id.clone());
        nets.chain(svc).collect()
    }

    /// One resource's subscriptions, remembered as had or not.
    async fn subscriptions_of(&self, id: String) -> Result<Vec<ObsAccessLog>, CallError> {
        let c = &self.caller.client;
        let items = paginate!(
            self.caller,
            "ListAccessLogSubscriptions",
            |tok| c
                .list_access_log_subscriptions()
                .resource_identifier(&id)
                .set_next_token(tok.clone()),
            |o| o.items().to_vec()
        );
        let mut out = Vec::with_capacity(items.len());
        for i in items {
            let owner = self.log_owner(i.arn()).await?;
            out.push(ObsAccessLog {
                id: i.id().to_string(),
                arn: i.arn().to_string(),
                tags: self.known_tags(i.arn()),
                resource_id: id.clone(),
                destination_arn: i.destination_arn().to_string(),
                ours: owner.ours,
                policy: owner.policy,
            });
        }
        let mut cache = lock(self.cache);
        if out.is_empty() {
            cache.access_logged.remove(&id);
        } else {
            cache.access_logged.insert(id);
        }
        Ok(out)
    }

    /// A subscription's owner, from the cache or its tags.
    async fn log_owner(&self, arn: &str) -> Result<LogOwner, CallError> {
        if let Some(o) = lock(self.cache).access_log_owners.get(arn) {
            return Ok(o.clone());
        }
        let tags = self.list_tags(arn).await?;
        let owner = LogOwner {
            ours: tags.get(&managed_by_tag()) == Some(&self.cfg.managed_by()),
            policy: tags.get(POLICY_TAG).cloned(),
        };
        let mut cache = lock(self.cache);
        let arn = cache.arn(arn);
        cache.access_log_owners.insert(arn, owner.clone());
        Ok(owner)
    }
}
