//! Target groups and their targets.

use super::{Executor, build, gone};
use crate::cache::wrote;
use crate::caller::CallError;
use crate::convert::BuildError;
use crate::health_check as health;
use crate::model::Owner;
use crate::ops::{Key, OpKind};
use aws_sdk_vpclattice::types as t;
use lattice_core::plan::{HealthCheckPlan, TargetPlan};

impl Executor<'_> {
    /// Type `IP`, or `LAMBDA` for a plan group with a function (see
    /// [`config`]).
    pub(super) async fn create_target_group(&self, op: &OpKind) -> Result<(), CallError> {
        let OpKind::CreateTargetGroup {
            name,
            lambda,
            health_check: planned,
            ..
        } = op
        else {
            return Err(build(BuildError(format!("not a target group: {op:?}"))));
        };
        let ty = match lambda {
            Some(_) => t::TargetGroupType::Lambda,
            None => t::TargetGroupType::Ip,
        };
        let cfg = config(op)?;
        let (c, tok) = (&self.caller.client, self.token(op));
        let tags = self.tags_of(op);
        let o = self
            .caller
            .call("CreateTargetGroup", || {
                c.create_target_group()
                    .name(name)
                    .r#type(ty.clone())
                    .set_config(cfg.clone())
                    .client_token(&tok)
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await?;
        self.created(op, o.arn());
        self.set_id(Key::TargetGroup(name.to_string()), o.id());
        if let (Some(arn), Some(id)) = (o.arn(), o.id()) {
            let mut cache = self.cache();
            let shared = cache.arn(arn);
            cache.owners.insert(shared.clone(), Owner::Ours);
            // Its tags are not read again: an import here finds it by these.
            if let Some(identity) = op.identity() {
                cache
                    .go_target_groups
                    .insert(shared.clone(), identity.clone());
            }
            let at = cache.location(id, arn);
            cache.target_group_names.insert(name, at);
            // What Lattice made of it (its defaults filled in), so the next
            // pass needs no `GetTargetGroup` to know it. Only a group whose
            // plan sets a health check has it read (see `observed`): at
            // 10,000 routes, caching every group's default check held 9 MB.
            let held = o.config().and_then(|c| c.health_check());
            if let (Some(h), Some(_)) = (held, planned) {
                wrote(&mut cache.health_checks, shared, health::from_sdk(Some(h)));
            }
        }
        Ok(())
    }

    /// Replace the health check; what Lattice answers is remembered.
    pub(super) async fn update_target_group(
        &self,
        id: &str,
        health_check: &HealthCheckPlan,
    ) -> Result<(), CallError> {
        checked("UpdateTargetGroup", health_check)?;
        let (c, h) = (&self.caller.client, health::to_sdk(health_check));
        let o = self
            .caller
            .call("UpdateTargetGroup", || {
                c.update_target_group()
                    .target_group_identifier(id)
                    .health_check(h.clone())
                    .send()
            })
            .await?;
        if let Some(arn) = o.arn() {
            let held = o.config().and_then(|c| c.health_check());
            let held = held.map_or_else(|| health_check.clone(), |h| health::from_sdk(Some(h)));
            let mut cache = self.cache();
            let arn = cache.arn(arn);
            wrote(&mut cache.health_checks, arn, held);
        }
        Ok(())
    }

    pub(super) async fn delete_target_group(&self, id: &str) -> Result<(), CallError> {
        let c = &self.caller.client;
        gone(
            self.caller
                .call("DeleteTargetGroup", || {
                    c.delete_target_group().target_group_identifier(id).send()
                })
                .await,
        )?;
        self.cache().target_group_names.remove_id(id);
        Ok(())
    }

    pub(super) async fn register_targets(
        &self,
        target_group: &Key,
        targets: &[TargetPlan],
    ) -> Result<(), CallError> {
        let (tg, ts) = (self.id(target_group)?, sdk_targets(targets)?);
        let c = &self.caller.client;
        let o = self
            .caller
            .call("RegisterTargets", || {
                c.register_targets()
                    .target_group_identifier(&tg)
                    .set_targets(Some(ts.clone()))
                    .send()
            })
            .await?;
        let unsuccessful = o.unsuccessful().iter().map(|f| {
            format!(
                "{}:{}: {}",
                f.id().unwrap_or_default(),
                f.port().unwrap_or(0),
                f.failure_message().unwrap_or_default()
            )
        });
        invalid_targets("RegisterTargets", unsuccessful.collect())
    }

    /// Deregistering from a group that is gone succeeds.
    pub(super) async fn deregister_targets(
        &self,
        target_group: &Key,
        targets: &[TargetPlan],
    ) -> Result<(), CallError> {
        let (tg, ts) = (self.id(target_group)?, sdk_targets(targets)?);
        let c = &self.caller.client;
        let o = self
            .caller
            .call("DeregisterTargets", || {
                c.deregister_targets()
                    .target_group_identifier(&tg)
                    .set_targets(Some(ts.clone()))
                    .send()
            })
            .await;
        let o = match o {
            Err(e) if e.is_not_found() => return Ok(()),
            o => o?,
        };
        let unsuccessful = o.unsuccessful().iter().map(|f| {
            format!(
                "{}: {}",
                f.id().unwrap_or_default(),
                f.failure_message().unwrap_or_default()
            )
        });
        invalid_targets("DeregisterTargets", unsuccessful.collect())
    }
}

/// A new group's `config`. An `IP` group: IPv4, port, protocol, VPC, and
/// the health check fields the plan sets (Lattice fills in the rest),
/// checked against Lattice's limits first. A `LAMBDA` group takes none of
/// those: only its event structure version, and no config at all without
/// one, so Lattice applies its default.
fn config(op: &OpKind) -> Result<Option<t::TargetGroupConfig>, CallError> {
    let OpKind::CreateTargetGroup {
        port,
        protocol,
        protocol_version,
        vpc,
        health_check,
        lambda,
        ..
    } = op
    else {
        return Err(build(BuildError(format!("not a target group: {op:?}"))));
    };
    if let Some(l) = lambda {
        return Ok(l.event_structure_version.as_deref().map(|v| {
            t::TargetGroupConfig::builder()
                .lambda_event_structure_version(t::LambdaEventStructureVersion::from(v))
                .build()
        }));
    }
    let mut cfg = t::TargetGroupConfig::builder()
        .port(*port)
        .protocol(t::TargetGroupProtocol::from(protocol.as_str()))
        .vpc_identifier(vpc)
        .ip_address_type(t::IpAddressType::Ipv4);
    if let Some(v) = protocol_version {
        cfg = cfg.protocol_version(t::TargetGroupProtocolVersion::from(v.as_str()));
    }
    if let Some(h) = health_check {
        checked("CreateTargetGroup", h)?;
        cfg = cfg.health_check(health::to_sdk(h));
    }
    Ok(Some(cfg.build()))
}

/// A health check beyond Lattice's limits fails its operation before any
/// call: the failure names the target group, and no other group is held up.
fn checked(operation: &str, h: &HealthCheckPlan) -> Result<(), CallError> {
    health::validate(h).map_err(|e| CallError {
        operation: operation.into(),
        code: "InvalidHealthCheck".into(),
        message: e.to_string(),
    })
}

/// Targets as the SDK sends them; port 0 (a Lambda function) is sent
/// without a port, as Lattice wants a function.
fn sdk_targets(targets: &[TargetPlan]) -> Result<Vec<t::Target>, CallError> {
    targets
        .iter()
        .map(|x| {
            let port = Some(x.port).filter(|p| *p > 0);
            t::Target::builder().id(&x.ip).set_port(port).build()
        })
        .collect::<Result<_, _>>()
        .map_err(|e| build(BuildError(e.to_string())))
}

/// Lattice answers 200 with the targets it refused: a failure all the same.
fn invalid_targets(operation: &str, unsuccessful: Vec<String>) -> Result<(), CallError> {
    if unsuccessful.is_empty() {
        return Ok(());
    }
    Err(CallError {
        operation: operation.into(),
        code: "InvalidTarget".into(),
        message: unsuccessful.join("; "),
    })
}
