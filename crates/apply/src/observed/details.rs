//! Auth details list calls lack (service and network auth types, auth
//! policies), from the cache or one `Get*` each.

use super::{Observer, Summary, lock};
use crate::cache::{ByArn, Cached, fresh};
use crate::caller::CallError;
use aws_smithy_types::DateTime;

/// Which cache an auth type lives in.
#[derive(Clone, Copy)]
enum AuthOf {
    Service,
    Network,
}

impl AuthOf {
    fn map(self, c: &mut crate::cache::Cache) -> &mut ByArn<Cached<String>> {
        match self {
            AuthOf::Service => &mut c.services,
            AuthOf::Network => &mut c.networks,
        }
    }
}

impl Observer<'_> {
    pub(super) async fn auth_type_svc(&self, s: &Summary) -> Result<String, CallError> {
        let c = &self.caller.client;
        self.auth_type(AuthOf::Service, s, async {
            let o = self
                .caller
                .call("GetService", || {
                    c.get_service().service_identifier(&s.id).send()
                })
                .await?;
            let certificate = o.certificate_arn().map(str::to_string);
            let mut cache = lock(self.cache);
            let arn = cache.arn(&s.arn);
            cache.certificates.insert(arn, certificate);
            Ok((
                o.auth_type().map(|a| a.as_str().to_string()),
                o.last_updated_at().cloned(),
            ))
        })
        .await
    }

    pub(super) async fn auth_type_sn(&self, s: &Summary) -> Result<String, CallError> {
        let c = &self.caller.client;
        self.auth_type(AuthOf::Network, s, async {
            let o = self
                .caller
                .call("GetServiceNetwork", || {
                    c.get_service_network()
                        .service_network_identifier(&s.id)
                        .send()
                })
                .await?;
            Ok((
                o.auth_type().map(|a| a.as_str().to_string()),
                o.last_updated_at().cloned(),
            ))
        })
        .await
    }

    /// An auth type from the cache while `lastUpdatedAt` has not moved, else
    /// from `get` (auth type, `lastUpdatedAt`), remembered; absent is `NONE`.
    async fn auth_type(
        &self,
        of: AuthOf,
        s: &Summary,
        get: impl std::future::Future<Output = Result<(Option<String>, Option<DateTime>), CallError>>,
    ) -> Result<String, CallError> {
        if let Some(v) = fresh(of.map(&mut lock(self.cache)), &s.arn, s.updated.as_ref()) {
            return Ok(v);
        }
        let (at, updated) = get.await?;
        let at = at.unwrap_or_else(|| "NONE".into());
        let mut cache = lock(self.cache);
        let arn = cache.arn(&s.arn);
        of.map(&mut cache).insert(
            arn,
            Cached {
                updated,
                value: at.clone(),
            },
        );
        Ok(at)
    }

    pub(super) async fn policy(&self, id: &str) -> Result<Option<String>, CallError> {
        if let Some(p) = lock(self.cache).policies.get(id) {
            return Ok(p.clone());
        }
        let p = match self
            .caller
            .call("GetAuthPolicy", || {
                self.caller
                    .client
                    .get_auth_policy()
                    .resource_identifier(id)
                    .send()
            })
            .await
        {
            Ok(o) => o.policy().map(str::to_string),
            Err(e) if e.is_not_found() => None,
            Err(e) => return Err(e),
        };
        lock(self.cache).policies.insert(id.to_string(), p.clone());
        Ok(p)
    }
}
