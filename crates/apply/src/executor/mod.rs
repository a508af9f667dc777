//! Run operations: bounded concurrency in dependency order, every call through
//! the [`Caller`] (rate limit, retries), idempotency tokens on creates.
//!
//! An operation starts once all its `deps` succeeded; if one failed, it is
//! skipped and reported as such. Nothing is rolled back: whatever happened is
//! what the next pass observes and converges from.
//!
//! `clientToken` = SHA-256 of (a nonce per pass, the operation) in hex: a retry
//! of the same call, e.g. after a connection dropped once Lattice had acted,
//! carries the same token and gets the first answer instead of a duplicate.
//! The nonce keeps a later pass that recreates a deleted resource from
//! replaying an old answer.
//!
//! `schedule` runs the dependency graph; the calls of each resource kind live
//! in a module of their own (`service_networks`, `target_groups`, `services`,
//! `auth`, `listeners`, `rules`, `access_logs`).

mod access_logs;
mod auth;
mod listeners;
mod rules;
mod schedule;
mod service_networks;
mod services;
mod tags;
mod target_groups;

use crate::cache::Cache;
use crate::caller::{CallError, Caller};
use crate::ops::{Key, OpKind};
use crate::report::{NetworkEndpoint, ServiceEndpoint};
use lattice_core::plan::{Action, WeightedTargetGroup};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

/// How one operation ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Done.
    Done,
    /// Lattice (or the transport) said no.
    Failed(CallError),
    /// Not attempted: an operation it depends on failed.
    Skipped(String),
}

/// Runs operations against one Lattice.
pub struct Executor<'a> {
    /// Calls go through here.
    pub caller: &'a Caller,
    /// Updated with what is written.
    pub cache: &'a Mutex<Cache>,
    /// Ids of everything by key, from the observation and from creates.
    pub ids: Mutex<HashMap<Key, String>>,
    /// `ManagedBy` tag key and value.
    pub tag: (String, String),
    /// Per-pass nonce for client tokens.
    pub nonce: String,
    /// Services created by this run, by name: ARN and DNS name from the
    /// `CreateService` response.
    pub endpoints: Mutex<BTreeMap<String, ServiceEndpoint>>,
    /// Service networks created by this run, by name.
    pub networks: Mutex<BTreeMap<String, NetworkEndpoint>>,
    /// Access log subscriptions created by this run: ARN by policy.
    pub access_logs: Mutex<BTreeMap<String, String>>,
    /// Asked before each operation (see [`crate::engine::Fence`]).
    pub fence: Option<&'a crate::engine::Fence>,
}

fn missing(k: &Key) -> CallError {
    CallError {
        operation: "resolve".into(),
        code: "DependencyMissing".into(),
        message: format!("{k:?} has no id"),
    }
}

fn build(e: crate::convert::BuildError) -> CallError {
    CallError {
        operation: "build".into(),
        code: "InvalidRequest".into(),
        message: e.to_string(),
    }
}

impl Executor<'_> {
    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn id(&self, k: &Key) -> Result<String, CallError> {
        self.ids
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(k)
            .cloned()
            .ok_or_else(|| missing(k))
    }

    fn set_id(&self, k: Key, id: Option<&str>) {
        if let Some(id) = id {
            self.ids
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(k, id.to_string());
        }
    }

    fn token(&self, op: &OpKind) -> String {
        let d = Sha256::digest(format!("{}\n{op:?}", self.nonce).as_bytes());
        d.iter().take(16).map(|b| format!("{b:02x}")).collect()
    }

    /// The action with target group names replaced by ids.
    fn action_ids(&self, a: &Action) -> Result<Action, CallError> {
        Ok(match a {
            Action::FixedResponse(c) => Action::FixedResponse(*c),
            Action::Forward(w) => Action::Forward(
                w.iter()
                    .map(|w| {
                        Ok(WeightedTargetGroup {
                            target_group: self.id(&Key::TargetGroup(w.target_group.clone()))?,
                            weight: w.weight,
                        })
                    })
                    .collect::<Result<_, CallError>>()?,
            ),
        })
    }

    fn listener_ids(&self, k: &Key) -> Result<(String, String), CallError> {
        let Key::Listener(s, _) = k else {
            return Err(missing(k));
        };
        Ok((self.id(&Key::Service(s.clone()))?, self.id(k)?))
    }

    /// One operation → one Lattice call (or a few, for retries), and what it
    /// teaches the cache. Each resource kind's calls live in its own module.
    async fn one(&self, op: &OpKind) -> Result<(), CallError> {
        if self.fence.is_some_and(|still| !still()) {
            return Err(CallError {
                operation: op.operation().into(),
                code: "LeadershipLost".into(),
                message: "this replica no longer leads; not sent".into(),
            });
        }
        let done = self.dispatch(op).await;
        if let (Ok(()), Some(id)) = (&done, op.deleted_id()) {
            self.cache().deleted(id);
        }
        done
    }

    /// The call `op` makes, in the module of its resource kind.
    async fn dispatch(&self, op: &OpKind) -> Result<(), CallError> {
        use OpKind as K;
        match op {
            K::CreateServiceNetwork {
                name, auth_type, ..
            } => self.create_service_network(op, name, auth_type).await,
            K::UpdateServiceNetwork { id, auth_type } => {
                self.update_service_network(id, auth_type).await
            }
            K::CreateVpcAssociation {
                service_network,
                vpc,
                security_group_ids,
                ..
            } => {
                self.create_vpc_association(op, service_network, vpc, security_group_ids)
                    .await
            }
            K::UpdateVpcAssociation {
                id,
                security_group_ids,
            } => self.update_vpc_association(id, security_group_ids).await,
            K::CreateTargetGroup { .. } => self.create_target_group(op).await,
            K::UpdateTargetGroup { id, health_check } => {
                self.update_target_group(id, health_check).await
            }
            K::RegisterTargets {
                target_group,
                targets,
            } => self.register_targets(target_group, targets).await,
            K::DeregisterTargets {
                target_group,
                targets,
            } => self.deregister_targets(target_group, targets).await,
            K::CreateService { name, .. } => self.create_service(op, name).await,
            K::UpdateService {
                id,
                auth_type,
                certificate_arn,
            } => self.update_service(id, auth_type, certificate_arn).await,
            K::PutAuthPolicy { resource, policy } => self.put_auth_policy(resource, policy).await,
            K::DeleteAuthPolicy { resource } => self.delete_auth_policy(resource).await,
            K::Claim { arn } => self.claim(arn).await,
            K::TagResource { arn, tags } => self.tag_resource(arn, tags).await,
            K::UntagResource { arn, keys } => self.untag_resource(arn, keys).await,
            K::CreateServiceAssociation {
                service,
                service_network,
                ..
            } => {
                self.create_service_association(op, service, service_network)
                    .await
            }
            K::CreateListener {
                service,
                name,
                port,
                protocol,
                default_action,
                ..
            } => {
                self.create_listener(op, service, name, *port, protocol, default_action)
                    .await
            }
            K::UpdateListener {
                listener,
                default_action,
            } => self.update_listener(listener, default_action).await,
            K::CreateRule {
                listener,
                name,
                priority,
                r#match,
                action,
                ..
            } => {
                self.create_rule(op, listener, name, *priority, r#match, action)
                    .await
            }
            K::UpdateRule { listener, change } => self.update_rule(listener, change).await,
            K::BatchUpdateRule { listener, changes } => {
                self.batch_update_rule(listener, changes).await
            }
            K::DeleteRule { listener, rule_id } => self.delete_rule(listener, rule_id).await,
            K::DeleteListener {
                service_id,
                listener_id,
            } => self.delete_listener(service_id, listener_id).await,
            K::DeleteServiceAssociation { id } => self.delete_service_association(id).await,
            K::DeleteService { id } => self.delete_service(id).await,
            K::DeleteTargetGroup { id } => self.delete_target_group(id).await,
            K::DeleteVpcAssociation { id } => self.delete_vpc_association(id).await,
            K::DeleteServiceNetwork { id } => self.delete_service_network(id).await,
            K::CreateAccessLogSubscription {
                resource,
                destination_arn,
                policy,
                ..
            } => {
                self.create_access_log_subscription(op, resource, destination_arn, policy)
                    .await
            }
            K::UpdateAccessLogSubscription {
                id,
                destination_arn,
            } => {
                self.update_access_log_subscription(id, destination_arn)
                    .await
            }
            K::DeleteAccessLogSubscription { id } => self.delete_access_log_subscription(id).await,
        }
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
