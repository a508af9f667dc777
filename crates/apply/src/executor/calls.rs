//! One operation → one Lattice call (or a few, for retries), and what it
//! teaches the cache.

use super::{Executor, build};
use crate::cache::{RuleDetail, wrote};
use crate::caller::CallError;
use crate::convert::{from_sdk_action, from_sdk_match, to_sdk_action, to_sdk_match};
use crate::model::Owner;
use crate::ops::{Key, OpKind, RuleChange};
use aws_sdk_vpclattice::types as t;

impl Executor<'_> {
    pub(super) async fn one(&self, op: &OpKind) -> Result<(), CallError> {
        let c = &self.caller.client;
        let call = self.caller;
        let (tk, tv) = (&self.tag.0, &self.tag.1);
        match op {
            OpKind::CreateServiceNetwork { name, auth_type } => {
                let tok = self.token(op);
                let o = call
                    .call("CreateServiceNetwork", || {
                        c.create_service_network()
                            .name(name)
                            .auth_type(t::AuthType::from(auth_type.as_str()))
                            .client_token(&tok)
                            .tags(tk, tv)
                            .send()
                    })
                    .await?;
                self.set_id(Key::ServiceNetwork(name.clone()), o.id());
                let mut cache = self.cache();
                if let (Some(arn), Some(id)) = (o.arn(), o.id()) {
                    cache.owners.insert(arn.into(), Owner::Ours);
                    wrote(&mut cache.networks, arn, auth_type.clone());
                    cache.policies.insert(id.into(), None);
                }
            }
            OpKind::UpdateServiceNetwork { id, auth_type } => {
                let o = call
                    .call("UpdateServiceNetwork", || {
                        c.update_service_network()
                            .service_network_identifier(id)
                            .auth_type(t::AuthType::from(auth_type.as_str()))
                            .send()
                    })
                    .await?;
                if let Some(arn) = o.arn() {
                    wrote(&mut self.cache().networks, arn, auth_type.clone());
                }
            }
            OpKind::CreateVpcAssociation {
                service_network,
                vpc,
            } => {
                let sn = self.id(service_network)?;
                let tok = self.token(op);
                call.call("CreateServiceNetworkVpcAssociation", || {
                    c.create_service_network_vpc_association()
                        .service_network_identifier(&sn)
                        .vpc_identifier(vpc)
                        .client_token(&tok)
                        .tags(tk, tv)
                        .send()
                })
                .await?;
            }
            OpKind::CreateTargetGroup {
                name,
                port,
                protocol,
                protocol_version,
                vpc,
            } => {
                let tok = self.token(op);
                let mut cfg = t::TargetGroupConfig::builder()
                    .port(*port)
                    .protocol(t::TargetGroupProtocol::from(protocol.as_str()))
                    .vpc_identifier(vpc)
                    .ip_address_type(t::IpAddressType::Ipv4);
                if let Some(v) = protocol_version {
                    cfg = cfg.protocol_version(t::TargetGroupProtocolVersion::from(v.as_str()));
                }
                let cfg = cfg.build();
                let o = call
                    .call("CreateTargetGroup", || {
                        c.create_target_group()
                            .name(name)
                            .r#type(t::TargetGroupType::Ip)
                            .config(cfg.clone())
                            .client_token(&tok)
                            .tags(tk, tv)
                            .send()
                    })
                    .await?;
                self.set_id(Key::TargetGroup(name.clone()), o.id());
                if let Some(arn) = o.arn() {
                    self.cache().owners.insert(arn.into(), Owner::Ours);
                }
            }
            OpKind::RegisterTargets {
                target_group,
                targets,
            }
            | OpKind::DeregisterTargets {
                target_group,
                targets,
            } => {
                let tg = self.id(target_group)?;
                let ts: Vec<t::Target> = targets
                    .iter()
                    .map(|x| t::Target::builder().id(&x.ip).port(x.port).build())
                    .collect::<Result<_, _>>()
                    .map_err(|e| build(crate::convert::BuildError(e.to_string())))?;
                let unsuccessful: Vec<String> = if matches!(op, OpKind::RegisterTargets { .. }) {
                    let o = call
                        .call("RegisterTargets", || {
                            c.register_targets()
                                .target_group_identifier(&tg)
                                .set_targets(Some(ts.clone()))
                                .send()
                        })
                        .await?;
                    o.unsuccessful()
                        .iter()
                        .map(|f| {
                            format!(
                                "{}:{}: {}",
                                f.id().unwrap_or_default(),
                                f.port().unwrap_or(0),
                                f.failure_message().unwrap_or_default()
                            )
                        })
                        .collect()
                } else {
                    let o = call
                        .call("DeregisterTargets", || {
                            c.deregister_targets()
                                .target_group_identifier(&tg)
                                .set_targets(Some(ts.clone()))
                                .send()
                        })
                        .await;
                    match o {
                        Err(e) if e.is_not_found() => vec![],
                        o => o?
                            .unsuccessful()
                            .iter()
                            .map(|f| {
                                format!(
                                    "{}: {}",
                                    f.id().unwrap_or_default(),
                                    f.failure_message().unwrap_or_default()
                                )
                            })
                            .collect(),
                    }
                };
                if !unsuccessful.is_empty() {
                    return Err(CallError {
                        operation: op.operation().into(),
                        code: "InvalidTarget".into(),
                        message: unsuccessful.join("; "),
                    });
                }
            }
            OpKind::CreateService {
                name,
                auth_type,
                custom_domain_name,
            } => {
                let tok = self.token(op);
                let o = call
                    .call("CreateService", || {
                        c.create_service()
                            .name(name)
                            .auth_type(t::AuthType::from(auth_type.as_str()))
                            .set_custom_domain_name(custom_domain_name.clone())
                            .client_token(&tok)
                            .tags(tk, tv)
                            .send()
                    })
                    .await?;
                self.set_id(Key::Service(name.clone()), o.id());
                let mut cache = self.cache();
                if let (Some(arn), Some(id)) = (o.arn(), o.id()) {
                    cache.owners.insert(arn.into(), Owner::Ours);
                    wrote(&mut cache.services, arn, auth_type.clone());
                    cache.policies.insert(id.into(), None);
                }
            }
            OpKind::UpdateService { id, auth_type } => {
                let o = call
                    .call("UpdateService", || {
                        c.update_service()
                            .service_identifier(id)
                            .auth_type(t::AuthType::from(auth_type.as_str()))
                            .send()
                    })
                    .await?;
                if let Some(arn) = o.arn() {
                    wrote(&mut self.cache().services, arn, auth_type.clone());
                }
            }
            OpKind::PutAuthPolicy { resource, policy } => {
                let id = self.id(resource)?;
                call.call("PutAuthPolicy", || {
                    c.put_auth_policy()
                        .resource_identifier(&id)
                        .policy(policy)
                        .send()
                })
                .await?;
                self.cache().policies.insert(id, Some(policy.clone()));
            }
            OpKind::DeleteAuthPolicy { resource } => {
                let id = self.id(resource)?;
                match call
                    .call("DeleteAuthPolicy", || {
                        c.delete_auth_policy().resource_identifier(&id).send()
                    })
                    .await
                {
                    Err(e) if !e.is_not_found() => return Err(e),
                    _ => {}
                }
                self.cache().policies.insert(id, None);
            }
            OpKind::Claim { arn } => {
                call.call("TagResource", || {
                    c.tag_resource().resource_arn(arn).tags(tk, tv).send()
                })
                .await?;
                self.cache().owners.insert(arn.clone(), Owner::Ours);
            }
            OpKind::CreateServiceAssociation {
                service,
                service_network,
            } => {
                let (s, sn) = (self.id(service)?, self.id(service_network)?);
                let tok = self.token(op);
                call.call("CreateServiceNetworkServiceAssociation", || {
                    c.create_service_network_service_association()
                        .service_identifier(&s)
                        .service_network_identifier(&sn)
                        .client_token(&tok)
                        .tags(tk, tv)
                        .send()
                })
                .await?;
            }
            OpKind::CreateListener {
                service,
                name,
                port,
                protocol,
                default_action,
            } => {
                let s = self.id(service)?;
                let a = self.action_ids(default_action)?;
                let sdk = to_sdk_action(&a).map_err(build)?;
                let tok = self.token(op);
                let o = call
                    .call("CreateListener", || {
                        c.create_listener()
                            .service_identifier(&s)
                            .name(name)
                            .protocol(t::ListenerProtocol::from(protocol.as_str()))
                            .port(*port)
                            .default_action(sdk.clone())
                            .client_token(&tok)
                            .tags(tk, tv)
                            .send()
                    })
                    .await?;
                if let Key::Service(sname) = service {
                    self.set_id(Key::Listener(sname.clone(), *port), o.id());
                }
                if let Some(arn) = o.arn() {
                    wrote(
                        &mut self.cache().listeners,
                        arn,
                        o.default_action().map(from_sdk_action).unwrap_or(a),
                    );
                }
            }
            OpKind::UpdateListener {
                listener,
                default_action,
            } => {
                let (s, l) = self.listener_ids(listener)?;
                let a = self.action_ids(default_action)?;
                let sdk = to_sdk_action(&a).map_err(build)?;
                let o = call
                    .call("UpdateListener", || {
                        c.update_listener()
                            .service_identifier(&s)
                            .listener_identifier(&l)
                            .default_action(sdk.clone())
                            .send()
                    })
                    .await?;
                if let Some(arn) = o.arn() {
                    wrote(&mut self.cache().listeners, arn, a);
                }
            }
            OpKind::CreateRule {
                listener,
                name,
                priority,
                r#match,
                action,
            } => {
                let (s, l) = self.listener_ids(listener)?;
                let a = self.action_ids(action)?;
                let (sm, sa) = (
                    to_sdk_match(r#match).map_err(build)?,
                    to_sdk_action(&a).map_err(build)?,
                );
                let tok = self.token(op);
                let o = call
                    .call("CreateRule", || {
                        c.create_rule()
                            .service_identifier(&s)
                            .listener_identifier(&l)
                            .name(name)
                            .priority(*priority as i32)
                            .r#match(sm.clone())
                            .action(sa.clone())
                            .client_token(&tok)
                            .tags(tk, tv)
                            .send()
                    })
                    .await?;
                if let Some(arn) = o.arn() {
                    wrote(
                        &mut self.cache().rules,
                        arn,
                        RuleDetail {
                            r#match: r#match.clone(),
                            action: a,
                        },
                    );
                }
            }
            OpKind::UpdateRule { listener, change } => {
                let (s, l) = self.listener_ids(listener)?;
                let u = self.rule_update(change)?;
                let o = call
                    .call("UpdateRule", || {
                        c.update_rule()
                            .service_identifier(&s)
                            .listener_identifier(&l)
                            .rule_identifier(&change.rule_id)
                            .set_priority(u.priority())
                            .set_match(u.r#match().cloned())
                            .set_action(u.action().cloned())
                            .send()
                    })
                    .await?;
                if let (Some(arn), Some(m), Some(a)) = (o.arn(), o.r#match(), o.action()) {
                    wrote(
                        &mut self.cache().rules,
                        arn,
                        RuleDetail {
                            r#match: from_sdk_match(m),
                            action: from_sdk_action(a),
                        },
                    );
                }
            }
            OpKind::BatchUpdateRule { listener, changes } => {
                let (s, l) = self.listener_ids(listener)?;
                let us: Vec<t::RuleUpdate> = changes
                    .iter()
                    .map(|ch| self.rule_update(ch))
                    .collect::<Result<_, _>>()?;
                let o = call
                    .call("BatchUpdateRule", || {
                        c.batch_update_rule()
                            .service_identifier(&s)
                            .listener_identifier(&l)
                            .set_rules(Some(us.clone()))
                            .send()
                    })
                    .await?;
                {
                    let mut cache = self.cache();
                    for ok in o.successful() {
                        if let (Some(arn), Some(m), Some(a)) = (ok.arn(), ok.r#match(), ok.action())
                        {
                            wrote(
                                &mut cache.rules,
                                arn,
                                RuleDetail {
                                    r#match: from_sdk_match(m),
                                    action: from_sdk_action(a),
                                },
                            );
                        }
                    }
                }
                if let Some(f) = o.unsuccessful().first() {
                    return Err(CallError {
                        operation: "BatchUpdateRule".into(),
                        code: f.failure_code().unwrap_or("Unknown").into(),
                        message: format!(
                            "rule {}: {}",
                            f.rule_identifier().unwrap_or_default(),
                            f.failure_message().unwrap_or_default()
                        ),
                    });
                }
            }
            OpKind::DeleteRule { listener, rule_id } => {
                let (s, l) = self.listener_ids(listener)?;
                gone(
                    call.call("DeleteRule", || {
                        c.delete_rule()
                            .service_identifier(&s)
                            .listener_identifier(&l)
                            .rule_identifier(rule_id)
                            .send()
                    })
                    .await,
                )?;
            }
            OpKind::DeleteListener {
                service_id,
                listener_id,
            } => {
                gone(
                    call.call("DeleteListener", || {
                        c.delete_listener()
                            .service_identifier(service_id)
                            .listener_identifier(listener_id)
                            .send()
                    })
                    .await,
                )?;
            }
            OpKind::DeleteServiceAssociation { id } => {
                gone(
                    call.call("DeleteServiceNetworkServiceAssociation", || {
                        c.delete_service_network_service_association()
                            .service_network_service_association_identifier(id)
                            .send()
                    })
                    .await,
                )?;
            }
            OpKind::DeleteService { id } => {
                gone(
                    call.call("DeleteService", || {
                        c.delete_service().service_identifier(id).send()
                    })
                    .await,
                )?;
            }
            OpKind::DeleteTargetGroup { id } => {
                gone(
                    call.call("DeleteTargetGroup", || {
                        c.delete_target_group().target_group_identifier(id).send()
                    })
                    .await,
                )?;
            }
            OpKind::DeleteVpcAssociation { id } => {
                gone(
                    call.call("DeleteServiceNetworkVpcAssociation", || {
                        c.delete_service_network_vpc_association()
                            .service_network_vpc_association_identifier(id)
                            .send()
                    })
                    .await,
                )?;
            }
            OpKind::DeleteServiceNetwork { id } => {
                gone(
                    call.call("DeleteServiceNetwork", || {
                        c.delete_service_network()
                            .service_network_identifier(id)
                            .send()
                    })
                    .await,
                )?;
            }
        }
        Ok(())
    }

    fn rule_update(&self, ch: &RuleChange) -> Result<t::RuleUpdate, CallError> {
        let mut b = t::RuleUpdate::builder()
            .rule_identifier(&ch.rule_id)
            .set_priority(ch.priority.map(|p| p as i32));
        if let Some(m) = &ch.r#match {
            b = b.r#match(to_sdk_match(m).map_err(build)?);
        }
        if let Some(a) = &ch.action {
            b = b.action(to_sdk_action(&self.action_ids(a)?).map_err(build)?);
        }
        b.build()
            .map_err(|e| build(crate::convert::BuildError(e.to_string())))
    }
}

/// A delete of something already gone succeeded.
fn gone<T>(r: Result<T, CallError>) -> Result<(), CallError> {
    match r {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(e),
    }
}
