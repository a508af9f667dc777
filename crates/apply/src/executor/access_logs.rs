//! Access log subscriptions, tagged as the Go controller tags them:
//! `ManagedBy` and the AccessLogPolicy they are for.

use super::{Executor, gone};
use crate::caller::CallError;
use crate::observed::{LogOwner, POLICY_TAG};
use crate::ops::{Key, OpKind};

impl Executor<'_> {
    pub(super) async fn create_access_log_subscription(
        &self,
        op: &OpKind,
        resource: &Key,
        destination_arn: &str,
        policy: &str,
    ) -> Result<(), CallError> {
        let id = self.id(resource)?;
        let (c, tok) = (&self.caller.client, self.token(op));
        let tags = self.tags_of(op);
        let o = self
            .caller
            .call("CreateAccessLogSubscription", || {
                c.create_access_log_subscription()
                    .resource_identifier(&id)
                    .destination_arn(destination_arn)
                    .client_token(&tok)
                    .set_tags(Some(tags.clone()))
                    .tags(POLICY_TAG, policy)
                    .send()
            })
            .await?;
        self.created(op, Some(o.arn()));
        // Remembered so that the next passes read this resource's
        // subscriptions, and find this one ours without reading its tags.
        let mut cache = self.cache();
        cache.access_logged.insert(id);
        let owner = LogOwner {
            ours: true,
            policy: Some(policy.to_string()),
        };
        let arn = cache.arn(o.arn());
        cache.access_log_owners.insert(arn, owner);
        drop(cache);
        let mut created = self.access_logs.lock().unwrap_or_else(|p| p.into_inner());
        created.insert(policy.to_string(), o.arn().to_string());
        Ok(())
    }

    pub(super) async fn update_access_log_subscription(
        &self,
        id: &str,
        destination_arn: &str,
    ) -> Result<(), CallError> {
        let c = &self.caller.client;
        self.caller
            .call("UpdateAccessLogSubscription", || {
                c.update_access_log_subscription()
                    .access_log_subscription_identifier(id)
                    .destination_arn(destination_arn)
                    .send()
            })
            .await
            .map(|_| ())
    }

    /// Deleting a subscription that is gone succeeds.
    pub(super) async fn delete_access_log_subscription(&self, id: &str) -> Result<(), CallError> {
        let c = &self.caller.client;
        gone(
            self.caller
                .call("DeleteAccessLogSubscription", || {
                    c.delete_access_log_subscription()
                        .access_log_subscription_identifier(id)
                        .send()
                })
                .await,
        )
    }
}
