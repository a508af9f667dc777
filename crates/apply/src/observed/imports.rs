//! The target groups ServiceImports name, found as the Go controller finds
//! them (`target_group_manager.go`, `findSvcExportTG`): by the
//! `target-group-arn` annotation's ARN (a `GetTargetGroup` when the list
//! does not show it: another account's group, shared with this one), or
//! among the groups tagged `SourceTypeKey: ServiceExport` with the
//! export's name and namespace (and cluster and VPC when the import says
//! them). What is found is observed a second time under the import's key,
//! so rules forward to it by that key; the group itself is never changed.
//! What is not found stays out of the observed state, and the diff drops
//! it from the forwards (`diff::imports`).

use super::adoption::SERVICE_EXPORT;
use super::lists::TargetGroupSummary;
use super::{Observer, lock};
use crate::cache::Location;
use crate::caller::CallError;
use lattice_core::plan::{ImportPlan, Plan};

impl Observer<'_> {
    /// Adds each import's group to `groups` under the import's key.
    pub(super) async fn imports(
        &self,
        groups: &mut Vec<TargetGroupSummary>,
        plan: &Plan,
    ) -> Result<(), CallError> {
        let imports = plan
            .target_groups
            .iter()
            .filter_map(|t| Some((t.name.as_str(), t.import.as_ref()?)));
        let mut found = vec![];
        for (key, import) in imports {
            let g = match &import.target_group_arn {
                Some(arn) => match groups.iter().find(|g| &g.s.arn == arn) {
                    Some(g) => Some(g.clone()),
                    None => self.shared(arn).await?,
                },
                None => self.exported(groups, import).await,
            };
            found.extend(g.map(|g| (key, g)));
        }
        let mut cache = lock(self.cache);
        for (key, mut g) in found {
            let at = cache.location(&g.s.id, &g.s.arn);
            cache.target_group_names.insert(key, at);
            g.s.name = key.to_string();
            groups.push(g);
        }
        Ok(())
    }

    /// The exported group `import` asks for: the first by name of those
    /// whose tags, read again now, still say so (an export being deleted
    /// loses its identity first, and no other event would tell this
    /// cluster).
    async fn exported(
        &self,
        groups: &[TargetGroupSummary],
        import: &ImportPlan,
    ) -> Option<TargetGroupSummary> {
        let mut candidates: Vec<&TargetGroupSummary> =
            groups.iter().filter(|g| self.exports(g, import)).collect();
        candidates.sort_by(|a, b| a.s.name.cmp(&b.s.name));
        for g in candidates {
            // A group whose tags cannot be read is not taken.
            let (_, owner) = self.owner(g.s.arn.clone()).await;
            if owner.is_ok() && self.exports(g, import) {
                return Some(g.clone());
            }
        }
        None
    }

    /// Whether the cached tags say `g` is the export `import` asks for.
    fn exports(&self, g: &TargetGroupSummary, import: &ImportPlan) -> bool {
        let cache = lock(self.cache);
        let Some(id) = cache.go_target_groups.get(g.s.arn.as_str()) else {
            return false;
        };
        id.source == SERVICE_EXPORT
            && id.service.0 == import.export_namespace
            && id.service.1 == import.export_name
            && import.cluster.as_ref().is_none_or(|c| *c == id.cluster)
            && import
                .vpc
                .as_ref()
                .is_none_or(|v| Some(v) == g.vpc.as_ref())
    }

    /// A group the list does not show, by ARN; `None` when Lattice does not
    /// know it or will not show it to this account.
    async fn shared(&self, arn: &str) -> Result<Option<TargetGroupSummary>, CallError> {
        let at = Location {
            id: arn.to_string(),
            arn: arn.into(),
        };
        match self.get_target_group(&at).await {
            Ok(g) => Ok(Some(g)),
            Err(e) if e.is_not_found() || e.code == "AccessDeniedException" => Ok(None),
            Err(e) => Err(e),
        }
    }
}
