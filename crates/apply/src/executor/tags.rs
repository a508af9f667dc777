//! User tags: on creates, and `TagResource` / `UntagResource` on what
//! exists. What is written is remembered by ARN, so the next pass diffs
//! against it without reading the tags again.

use super::Executor;
use crate::caller::CallError;
use crate::observed::adoption::SOURCE_TYPE_TAG;
use crate::ops::OpKind;
use lattice_core::plan::Tags;
use std::collections::HashMap;

impl Executor<'_> {
    /// What a create is tagged with: its user tags and `ManagedBy`.
    pub(super) fn tags_of(&self, op: &OpKind) -> HashMap<String, String> {
        let user = op.create_tags().into_iter().flatten();
        let mut tags: HashMap<String, String> = user.map(|(k, v)| (k.clone(), v.clone())).collect();
        tags.extend(op.identity().into_iter().flat_map(|id| id.tags()));
        tags.insert(self.tag.0.clone(), self.tag.1.clone());
        tags
    }

    /// Remember the user tags a create wrote on `arn`.
    pub(super) fn created(&self, op: &OpKind, arn: Option<&str>) {
        if let (Some(arn), Some(tags)) = (arn, op.create_tags()) {
            let mut cache = self.cache();
            let arn = cache.arn(arn);
            cache.tags.insert(arn, tags.clone());
        }
    }

    pub(super) async fn tag_resource(&self, arn: &str, tags: &Tags) -> Result<(), CallError> {
        let c = &self.caller.client;
        let sdk: HashMap<String, String> = tags.clone().into_iter().collect();
        self.caller
            .call("TagResource", || {
                c.tag_resource()
                    .resource_arn(arn)
                    .set_tags(Some(sdk.clone()))
                    .send()
            })
            .await?;
        let mut cache = self.cache();
        let arn = cache.arn(arn);
        let held = cache.tags.entry(arn).or_default();
        held.extend(tags.clone());
        Ok(())
    }

    pub(super) async fn untag_resource(&self, arn: &str, keys: &[String]) -> Result<(), CallError> {
        let c = &self.caller.client;
        self.caller
            .call("UntagResource", || {
                c.untag_resource()
                    .resource_arn(arn)
                    .set_tag_keys(Some(keys.to_vec()))
                    .send()
            })
            .await?;
        let mut cache = self.cache();
        if let Some(held) = cache.tags.get_mut(arn) {
            for k in keys {
                held.remove(k);
            }
        }
        // An export's identity gone, no import finds the group any more.
        if keys.iter().any(|k| k == SOURCE_TYPE_TAG) {
            cache.go_target_groups.remove(arn);
        }
        Ok(())
    }
}
