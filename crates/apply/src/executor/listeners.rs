//! Listeners and their default actions.

use super::{Executor, build, gone};
use crate::cache::wrote;
use crate::caller::CallError;
use crate::convert::{from_sdk_action, to_sdk_action};
use crate::ops::{Key, OpKind};
use aws_sdk_vpclattice::types as t;
use lattice_core::plan::Action;

impl Executor<'_> {
    pub(super) async fn create_listener(
        &self,
        op: &OpKind,
        service: &Key,
        name: &str,
        port: i32,
        protocol: &str,
        default_action: &Action,
    ) -> Result<(), CallError> {
        let s = self.id(service)?;
        let a = self.action_ids(default_action)?;
        let sdk = to_sdk_action(&a).map_err(build)?;
        let (c, tok) = (&self.caller.client, self.token(op));
        let tags = self.tags_of(op);
        let o = self
            .caller
            .call("CreateListener", || {
                c.create_listener()
                    .service_identifier(&s)
                    .name(name)
                    .protocol(t::ListenerProtocol::from(protocol))
                    .port(port)
                    .default_action(sdk.clone())
                    .client_token(&tok)
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await?;
        self.created(op, o.arn());
        if let Key::Service(sname) = service {
            self.set_id(Key::Listener(sname.clone(), port), o.id());
        }
        if let Some(arn) = o.arn() {
            let written = o.default_action().map(from_sdk_action).unwrap_or(a);
            let mut cache = self.cache();
            let arn = cache.arn(arn);
            wrote(&mut cache.listeners, arn, written);
        }
        Ok(())
    }

    pub(super) async fn update_listener(
        &self,
        listener: &Key,
        default_action: &Action,
    ) -> Result<(), CallError> {
        let (s, l) = self.listener_ids(listener)?;
        let a = self.action_ids(default_action)?;
        let sdk = to_sdk_action(&a).map_err(build)?;
        let c = &self.caller.client;
        let o = self
            .caller
            .call("UpdateListener", || {
                c.update_listener()
                    .service_identifier(&s)
                    .listener_identifier(&l)
                    .default_action(sdk.clone())
                    .send()
            })
            .await?;
        if let Some(arn) = o.arn() {
            let mut cache = self.cache();
            let arn = cache.arn(arn);
            wrote(&mut cache.listeners, arn, a);
        }
        Ok(())
    }

    /// Its rules go with it.
    pub(super) async fn delete_listener(
        &self,
        service_id: &str,
        listener_id: &str,
    ) -> Result<(), CallError> {
        let c = &self.caller.client;
        gone(
            self.caller
                .call("DeleteListener", || {
                    c.delete_listener()
                        .service_identifier(service_id)
                        .listener_identifier(listener_id)
                        .send()
                })
                .await,
        )
    }
}
