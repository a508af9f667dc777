//! Service networks and their VPC associations.

use super::{Executor, gone};
use crate::cache::wrote;
use crate::caller::CallError;
use crate::model::Owner;
use crate::ops::{Key, OpKind};
use crate::report::NetworkEndpoint;
use aws_sdk_vpclattice::types as t;

impl Executor<'_> {
    pub(super) async fn create_service_network(
        &self,
        op: &OpKind,
        name: &str,
        auth_type: &str,
    ) -> Result<(), CallError> {
        let (c, tok) = (&self.caller.client, self.token(op));
        let tags = self.tags_of(op);
        let o = self
            .caller
            .call("CreateServiceNetwork", || {
                c.create_service_network()
                    .name(name)
                    .auth_type(t::AuthType::from(auth_type))
                    .client_token(&tok)
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await?;
        self.created(op, o.arn());
        self.set_id(Key::ServiceNetwork(name.to_string()), o.id());
        if let (Some(arn), Some(id)) = (o.arn(), o.id()) {
            let created = NetworkEndpoint {
                arn: arn.into(),
                id: id.into(),
                ours: true,
            };
            let mut networks = self.networks.lock().unwrap_or_else(|p| p.into_inner());
            networks.insert(name.to_string(), created);
        }
        let mut cache = self.cache();
        if let (Some(arn), Some(id)) = (o.arn(), o.id()) {
            let arn = cache.arn(arn);
            cache.owners.insert(arn.clone(), Owner::Ours);
            wrote(&mut cache.networks, arn, auth_type.to_string());
            cache.policies.insert(id.into(), None);
        }
        Ok(())
    }

    pub(super) async fn update_service_network(
        &self,
        id: &str,
        auth_type: &str,
    ) -> Result<(), CallError> {
        let c = &self.caller.client;
        let o = self
            .caller
            .call("UpdateServiceNetwork", || {
                c.update_service_network()
                    .service_network_identifier(id)
                    .auth_type(t::AuthType::from(auth_type))
                    .send()
            })
            .await?;
        if let Some(arn) = o.arn() {
            let mut cache = self.cache();
            let arn = cache.arn(arn);
            wrote(&mut cache.networks, arn, auth_type.to_string());
        }
        Ok(())
    }

    pub(super) async fn delete_service_network(&self, id: &str) -> Result<(), CallError> {
        let c = &self.caller.client;
        gone(
            self.caller
                .call("DeleteServiceNetwork", || {
                    c.delete_service_network()
                        .service_network_identifier(id)
                        .send()
                })
                .await,
        )
    }

    pub(super) async fn create_vpc_association(
        &self,
        op: &OpKind,
        service_network: &Key,
        vpc: &str,
        security_group_ids: &[String],
    ) -> Result<(), CallError> {
        let sn = self.id(service_network)?;
        let groups = (!security_group_ids.is_empty()).then(|| security_group_ids.to_vec());
        let (c, tok) = (&self.caller.client, self.token(op));
        let tags = self.tags_of(op);
        let o = self
            .caller
            .call("CreateServiceNetworkVpcAssociation", || {
                c.create_service_network_vpc_association()
                    .service_network_identifier(&sn)
                    .vpc_identifier(vpc)
                    .set_security_group_ids(groups.clone())
                    .client_token(&tok)
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await?;
        self.created(op, o.arn());
        Ok(())
    }

    pub(super) async fn update_vpc_association(
        &self,
        id: &str,
        security_group_ids: &[String],
    ) -> Result<(), CallError> {
        let c = &self.caller.client;
        self.caller
            .call("UpdateServiceNetworkVpcAssociation", || {
                c.update_service_network_vpc_association()
                    .service_network_vpc_association_identifier(id)
                    .set_security_group_ids(Some(security_group_ids.to_vec()))
                    .send()
            })
            .await?;
        Ok(())
    }

    pub(super) async fn delete_vpc_association(&self, id: &str) -> Result<(), CallError> {
        let c = &self.caller.client;
        gone(
            self.caller
                .call("DeleteServiceNetworkVpcAssociation", || {
                    c.delete_service_network_vpc_association()
                        .service_network_vpc_association_identifier(id)
                        .send()
                })
                .await,
        )
    }
}
