//! Target groups: the plan's and ours, in scope; targets only for the plan's,
//! health checks only where the plan sets one.

use super::adoption::SERVICE_EXPORT;
use super::lists::{Lists, TargetGroupSummary};
use super::owners::Owners;
use super::{Observer, Wanted, lock};
use crate::cache::{Cached, fresh};
use crate::caller::CallError;
use crate::health_check::from_sdk;
use crate::model::{ObsTargetGroup, Owner};
use futures::{StreamExt, TryStreamExt, stream};
use lattice_core::plan::{HealthCheckPlan, TargetPlan};

/// What a pass reads of one target group besides its list item.
#[derive(Clone, Copy)]
struct Need {
    targets: bool,
    health_check: bool,
}

impl Observer<'_> {
    pub(super) async fn target_groups(
        &self,
        lists: &Lists,
        want: &Wanted<'_>,
        owners: &Owners<'_>,
    ) -> Result<Vec<ObsTargetGroup>, CallError> {
        let futs: Vec<_> = lists
            .target_groups
            .iter()
            .filter(|g| want.target_group_in_scope(&g.s.name))
            .map(|g| (g, owners.of(&g.s.arn)))
            .filter(|(g, own)| {
                want.target_groups.contains(g.s.name.as_str()) || *own == Owner::Ours
            })
            .map(|(g, own)| {
                let name = g.s.name.as_str();
                let need = Need {
                    // An imported group's targets are its exporter's.
                    targets: want.target_groups.contains(name) && !want.imports.contains(name),
                    health_check: want.health_checks.contains(name),
                };
                self.target_group(g, own, need)
            })
            .collect();
        stream::iter(futs)
            .buffer_unordered(self.concurrency)
            .try_collect()
            .await
    }

    async fn target_group(
        &self,
        g: &TargetGroupSummary,
        owner: Owner,
        need: Need,
    ) -> Result<ObsTargetGroup, CallError> {
        let targets = if need.targets {
            self.targets(&g.s.id).await?
        } else {
            vec![]
        };
        let health_check = if need.health_check {
            Some(self.health_check(g).await?)
        } else {
            None
        };
        Ok(ObsTargetGroup {
            id: g.s.id.clone(),
            arn: g.s.arn.clone(),
            name: g.s.name.clone(),
            owner,
            port: g.port,
            protocol: g.protocol.clone(),
            vpc: g.vpc.clone(),
            targets,
            health_check,
            tags: self.known_tags(&g.s.arn),
            exported: lock(self.cache)
                .go_target_groups
                .get(g.s.arn.as_str())
                .is_some_and(|id| id.source == SERVICE_EXPORT),
            lambda_event_structure_version: g.lambda_event_structure_version.clone(),
        })
    }

    /// The health check Lattice holds: as a `GetTargetGroup` of this pass
    /// showed it, else from the cache while `lastUpdatedAt` has not moved,
    /// else one `GetTargetGroup`. Remembered either way.
    async fn health_check(&self, g: &TargetGroupSummary) -> Result<HealthCheckPlan, CallError> {
        let cached = || {
            fresh(
                &mut lock(self.cache).health_checks,
                &g.s.arn,
                g.s.updated.as_ref(),
            )
        };
        let h = match g.health_check.clone().or_else(cached) {
            Some(h) => h,
            None => {
                let c = &self.caller.client;
                let o = self
                    .caller
                    .call("GetTargetGroup", || {
                        c.get_target_group().target_group_identifier(&g.s.id).send()
                    })
                    .await?;
                from_sdk(o.config().and_then(|c| c.health_check()))
            }
        };
        let entry = Cached {
            updated: g.s.updated,
            value: h.clone(),
        };
        let mut cache = lock(self.cache);
        let arn = cache.arn(&g.s.arn);
        cache.health_checks.insert(arn, entry);
        Ok(h)
    }

    /// Registered targets; draining ones are on their way out. A Lambda
    /// target has no port: it reads as port 0.
    async fn targets(&self, id: &str) -> Result<Vec<TargetPlan>, CallError> {
        let (c, cl) = (&self.caller.client, self.caller);
        Ok(paginate!(
            cl,
            "ListTargets",
            |t| c
                .list_targets()
                .target_group_identifier(id)
                .set_next_token(t.clone()),
            |o| o
                .items()
                .iter()
                .filter(|t| !matches!(t.status().map(|s| s.as_str()), Some("DRAINING")))
                .map(|t| TargetPlan {
                    ip: t.id().unwrap_or_default().into(),
                    port: t.port().unwrap_or(0)
                })
                .collect::<Vec<_>>()
        ))
    }
}
