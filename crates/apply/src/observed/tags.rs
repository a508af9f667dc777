//! User tags (see [`lattice_core::model::tags`]). A service's, a target
//! group's, a service network's, a VPC association's and an access log
//! subscription's come with their owner, from the one `ListTagsForResource`
//! that reads it. Listeners, rules and service network associations are
//! not read for an owner: their tags are read (once, then remembered) only
//! where their service's user tags differ from the plan's, since the
//! applier changes a service's tags after its parts' (`diff::services`).
//! A route without the annotation, whose service has no user tags, costs
//! no call.

use super::{Observer, lock};
use crate::caller::CallError;
use crate::model::ObsService;
use crate::ownership::{Decision, decide};
use lattice_core::model::tags::is_user_key;
use lattice_core::plan::{ServicePlan, Tags};
use std::collections::HashMap;

/// The user tags of a full tag map.
pub(super) fn user_tags<'a>(all: impl IntoIterator<Item = (&'a String, &'a String)>) -> Tags {
    all.into_iter()
        .filter(|(k, _)| is_user_key(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Whether the parts of service `o` need their tags read for plan `p`: it
/// may be changed (ours, or ours to adopt or take over), and its own user
/// tags are not the plan's.
pub(super) fn parts_need_tags(o: &ObsService, p: &ServicePlan) -> bool {
    let changeable = !matches!(
        decide(&o.owner, true, p.allow_takeover_from.as_deref()),
        Decision::Conflict(_)
    );
    changeable && o.tags.as_ref() != Some(&p.tags)
}

impl Observer<'_> {
    /// The user tags of `arn` as last read or written, if known.
    pub(super) fn known_tags(&self, arn: &str) -> Option<Tags> {
        lock(self.cache).tags.get(arn).cloned()
    }

    /// Every tag of `arn`, read now (one `ListTagsForResource`); its user
    /// tags are remembered on the way.
    pub(super) async fn list_tags(&self, arn: &str) -> Result<HashMap<String, String>, CallError> {
        let c = &self.caller.client;
        let o = self
            .caller
            .call("ListTagsForResource", || {
                c.list_tags_for_resource().resource_arn(arn).send()
            })
            .await?;
        let tags = o.tags().cloned().unwrap_or_default();
        let mut cache = lock(self.cache);
        let arn = cache.arn(arn);
        cache.tags.insert(arn, user_tags(&tags));
        Ok(tags)
    }

    /// The user tags of `arn`: remembered, else one `ListTagsForResource`.
    pub(super) async fn read_tags(&self, arn: &str) -> Result<Tags, CallError> {
        if let Some(t) = self.known_tags(arn) {
            return Ok(t);
        }
        Ok(user_tags(&self.list_tags(arn).await?))
    }

    /// The tags of `arn` if `read`, else as far as known.
    pub(super) async fn tags_if(&self, arn: &str, read: bool) -> Result<Option<Tags>, CallError> {
        match read {
            true => self.read_tags(arn).await.map(Some),
            false => Ok(self.known_tags(arn)),
        }
    }
}
