//! Target groups: the plan's and ours, in scope; targets only for the plan's.

use super::lists::{Lists, TargetGroupSummary};
use super::owners::Owners;
use super::{Observer, Wanted};
use crate::caller::CallError;
use crate::model::{ObsTargetGroup, Owner};
use futures::{StreamExt, TryStreamExt, stream};
use lattice_core::plan::TargetPlan;

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
                let need = want.target_groups.contains(g.s.name.as_str());
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
        need_targets: bool,
    ) -> Result<ObsTargetGroup, CallError> {
        let targets = if need_targets {
            self.targets(&g.s.id).await?
        } else {
            vec![]
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
        })
    }

    /// Registered targets; draining ones are on their way out.
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
