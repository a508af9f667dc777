//! Services and their service network associations.

use super::{Executor, gone};
use crate::cache::wrote;
use crate::caller::CallError;
use crate::model::Owner;
use crate::ops::{Key, OpKind};
use crate::report::ServiceEndpoint;
use aws_sdk_vpclattice::types as t;

impl Executor<'_> {
    /// Create a service; its ARN and DNS name go to [`Executor::endpoints`].
    pub(super) async fn create_service(&self, op: &OpKind, name: &str) -> Result<(), CallError> {
        let OpKind::CreateService {
            auth_type,
            custom_domain_name,
            certificate_arn,
            ..
        } = op
        else {
            return Ok(());
        };
        let (c, tok) = (&self.caller.client, self.token(op));
        let tags = self.tags_of(op);
        let o = self
            .caller
            .call("CreateService", || {
                c.create_service()
                    .name(name)
                    .auth_type(t::AuthType::from(auth_type.as_str()))
                    .set_custom_domain_name(custom_domain_name.clone())
                    .set_certificate_arn(certificate_arn.clone())
                    .client_token(&tok)
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await?;
        self.created(op, o.arn());
        self.set_id(Key::Service(name.to_string()), o.id());
        if let Some(arn) = o.arn() {
            let dns_name = o.dns_entry().and_then(|d| d.domain_name());
            let endpoint = ServiceEndpoint {
                arn: arn.into(),
                dns_name: dns_name.map(str::to_string),
            };
            self.endpoints
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(name.to_string(), endpoint);
        }
        let mut cache = self.cache();
        if let (Some(arn), Some(id)) = (o.arn(), o.id()) {
            let at = cache.location(id, arn);
            cache.service_names.insert(name, at);
            let arn = cache.arn(arn);
            cache.owners.insert(arn.clone(), Owner::Ours);
            wrote(&mut cache.services, arn.clone(), auth_type.to_string());
            cache.certificates.insert(arn, certificate_arn.clone());
            cache.policies.insert(id.into(), None);
        }
        Ok(())
    }

    pub(super) async fn update_service(
        &self,
        id: &str,
        auth_type: &str,
        certificate_arn: &Option<String>,
    ) -> Result<(), CallError> {
        let c = &self.caller.client;
        let o = self
            .caller
            .call("UpdateService", || {
                c.update_service()
                    .service_identifier(id)
                    .auth_type(t::AuthType::from(auth_type))
                    .set_certificate_arn(certificate_arn.clone())
                    .send()
            })
            .await?;
        if let Some(arn) = o.arn() {
            let mut cache = self.cache();
            let arn = cache.arn(arn);
            wrote(&mut cache.services, arn.clone(), auth_type.to_string());
            if certificate_arn.is_some() {
                cache.certificates.insert(arn, certificate_arn.clone());
            }
        }
        Ok(())
    }

    pub(super) async fn delete_service(&self, id: &str) -> Result<(), CallError> {
        let c = &self.caller.client;
        gone(
            self.caller
                .call("DeleteService", || {
                    c.delete_service().service_identifier(id).send()
                })
                .await,
        )?;
        self.cache().service_names.remove_id(id);
        Ok(())
    }

    pub(super) async fn create_service_association(
        &self,
        op: &OpKind,
        service: &Key,
        service_network: &Key,
    ) -> Result<(), CallError> {
        let (s, sn) = (self.id(service)?, self.id(service_network)?);
        let (c, tok) = (&self.caller.client, self.token(op));
        let tags = self.tags_of(op);
        let o = self
            .caller
            .call("CreateServiceNetworkServiceAssociation", || {
                c.create_service_network_service_association()
                    .service_identifier(&s)
                    .service_network_identifier(&sn)
                    .client_token(&tok)
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await?;
        self.created(op, o.arn());
        Ok(())
    }

    pub(super) async fn delete_service_association(&self, id: &str) -> Result<(), CallError> {
        let c = &self.caller.client;
        gone(
            self.caller
                .call("DeleteServiceNetworkServiceAssociation", || {
                    c.delete_service_network_service_association()
                        .service_network_service_association_identifier(id)
                        .send()
                })
                .await,
        )
    }
}
