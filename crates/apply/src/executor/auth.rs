//! Auth policies of services and service networks, and the `ManagedBy` tag
//! that claims an adopted or taken-over resource.

use super::Executor;
use crate::caller::CallError;
use crate::model::Owner;
use crate::ops::Key;

impl Executor<'_> {
    pub(super) async fn put_auth_policy(
        &self,
        resource: &Key,
        policy: &str,
    ) -> Result<(), CallError> {
        let id = self.id(resource)?;
        let c = &self.caller.client;
        self.caller
            .call("PutAuthPolicy", || {
                c.put_auth_policy()
                    .resource_identifier(&id)
                    .policy(policy)
                    .send()
            })
            .await?;
        self.cache().policies.insert(id, Some(policy.to_string()));
        Ok(())
    }

    /// Deleting a policy that is gone succeeds.
    pub(super) async fn delete_auth_policy(&self, resource: &Key) -> Result<(), CallError> {
        let id = self.id(resource)?;
        let c = &self.caller.client;
        match self
            .caller
            .call("DeleteAuthPolicy", || {
                c.delete_auth_policy().resource_identifier(&id).send()
            })
            .await
        {
            Err(e) if !e.is_not_found() => return Err(e),
            _ => {}
        }
        self.cache().policies.insert(id, None);
        Ok(())
    }

    /// `TagResource` with our `ManagedBy` tag.
    pub(super) async fn claim(&self, arn: &str) -> Result<(), CallError> {
        let c = &self.caller.client;
        let (tk, tv) = (&self.tag.0, &self.tag.1);
        self.caller
            .call("TagResource", || {
                c.tag_resource().resource_arn(arn).tags(tk, tv).send()
            })
            .await?;
        let mut cache = self.cache();
        let arn = cache.arn(arn);
        cache.owners.insert(arn, Owner::Ours);
        Ok(())
    }
}
