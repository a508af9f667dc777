//! The emulator's in-memory state: one map per resource kind, tags by ARN, policies, and
//! the idempotency cache of `clientToken`s.

use crate::config::SimConfig;
use crate::errors::ApiError;
use crate::ids::Kind;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

/// A service network.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceNetwork {
    pub seq: u64,
    pub id: String,
    pub arn: String,
    pub name: String,
    pub auth_type: String,
    pub sharing_config: Option<Value>,
    pub created_at: DateTime<Utc>,
    pub last_updated_at: DateTime<Utc>,
}

/// A service.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    pub seq: u64,
    pub id: String,
    pub arn: String,
    pub name: String,
    pub auth_type: String,
    pub custom_domain_name: Option<String>,
    pub certificate_arn: Option<String>,
    pub dns_domain: String,
    pub created_at: DateTime<Utc>,
    pub last_updated_at: DateTime<Utc>,
    pub ready_at: DateTime<Utc>,
    /// Ids of its listeners (an index; the listeners map is authoritative).
    #[serde(skip)]
    pub listener_ids: BTreeSet<String>,
}

/// A listener of a service.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Listener {
    pub seq: u64,
    pub id: String,
    pub arn: String,
    pub name: String,
    pub service_id: String,
    pub protocol: String,
    pub port: i64,
    pub default_rule_id: String,
    pub created_at: DateTime<Utc>,
    pub last_updated_at: DateTime<Utc>,
    /// Ids of its rules, the default rule included (an index).
    #[serde(skip)]
    pub rule_ids: BTreeSet<String>,
}

/// A listener rule (including each listener's default rule).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    pub seq: u64,
    pub id: String,
    pub arn: String,
    pub name: String,
    pub listener_id: String,
    pub is_default: bool,
    pub priority: Option<i64>,
    #[serde(rename = "match")]
    pub match_: Option<Value>,
    pub action: Value,
    pub created_at: DateTime<Utc>,
    pub last_updated_at: DateTime<Utc>,
    /// The target group ids `action` forwards to (kept in step by `set_action`).
    #[serde(skip)]
    pub target_groups: Vec<String>,
}

impl Rule {
    /// Replace the action, keeping `target_groups` in step.
    pub fn set_action(&mut self, action: Value) {
        self.target_groups = crate::actions::target_groups(&action)
            .map(str::to_string)
            .collect();
        self.action = action;
    }
}

/// A registered (or draining) target.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    pub id: String,
    pub port: i64,
    pub registered_at: DateTime<Utc>,
    pub deregistered_at: Option<DateTime<Utc>>,
}

/// A target group and its targets (keyed by `id:port`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetGroup {
    pub seq: u64,
    pub id: String,
    pub arn: String,
    pub name: String,
    #[serde(rename = "type")]
    pub type_: String,
    pub config: Option<Value>,
    pub targets: BTreeMap<String, Target>,
    pub created_at: DateTime<Utc>,
    pub last_updated_at: DateTime<Utc>,
    pub ready_at: DateTime<Utc>,
}

/// A service-network ↔ service association.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAssociation {
    pub seq: u64,
    pub id: String,
    pub arn: String,
    pub service_network_id: String,
    pub service_id: String,
    pub created_at: DateTime<Utc>,
    pub ready_at: DateTime<Utc>,
}

/// A service-network ↔ VPC association.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VpcAssociation {
    pub seq: u64,
    pub id: String,
    pub arn: String,
    pub service_network_id: String,
    pub vpc_id: String,
    pub security_group_ids: Vec<String>,
    pub private_dns_enabled: Option<bool>,
    pub dns_options: Option<Value>,
    pub created_at: DateTime<Utc>,
    pub last_updated_at: DateTime<Utc>,
    pub ready_at: DateTime<Utc>,
}

/// An access log subscription.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessLogSubscription {
    pub seq: u64,
    pub id: String,
    pub arn: String,
    pub resource_id: String,
    pub resource_arn: String,
    pub destination_arn: String,
    pub service_network_log_type: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_updated_at: DateTime<Utc>,
}

/// An auth policy attached to a service or service network.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthPolicy {
    pub policy: String,
    pub created_at: DateTime<Utc>,
    pub last_updated_at: DateTime<Utc>,
}

/// A cached answer to a create call carrying a `clientToken`.
#[derive(Debug, Clone, Serialize)]
pub struct Idempotent {
    /// The request (minus the token) the answer belongs to.
    pub request: Value,
    /// The answer.
    pub response: Value,
}

/// Everything the emulator stores.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct State {
    #[serde(skip)]
    seq: u64,
    pub service_networks: BTreeMap<String, ServiceNetwork>,
    pub services: BTreeMap<String, Service>,
    pub listeners: BTreeMap<String, Listener>,
    pub rules: BTreeMap<String, Rule>,
    pub target_groups: BTreeMap<String, TargetGroup>,
    pub service_associations: BTreeMap<String, ServiceAssociation>,
    pub vpc_associations: BTreeMap<String, VpcAssociation>,
    pub access_log_subscriptions: BTreeMap<String, AccessLogSubscription>,
    /// Auth policies by resource ARN.
    pub auth_policies: BTreeMap<String, AuthPolicy>,
    /// Resource policies by resource ARN.
    pub resource_policies: BTreeMap<String, String>,
    /// Tags by resource ARN.
    pub tags: BTreeMap<String, BTreeMap<String, String>>,
    /// Idempotency cache by `operation/labels/clientToken`, bounded (oldest evicted first).
    #[serde(skip)]
    pub client_tokens: HashMap<String, Idempotent>,
    #[serde(skip)]
    token_order: VecDeque<String>,
    /// Account-wide unique names: `<kind prefix>/<name>` → id.
    #[serde(skip)]
    names: HashMap<String, String>,
    /// Rule ids by the target group ids their actions forward to, so that
    /// "is this group in use" and "which services use it" cost what they
    /// return instead of a walk over every rule. Kept in step by
    /// [`State::insert_rule`], [`State::remove_rule`] and [`State::change_rule`].
    #[serde(skip)]
    rules_by_target_group: HashMap<String, BTreeSet<String>>,
    /// Service association ids by service id, kept in step by
    /// [`State::insert_service_association`] and
    /// [`State::remove_service_association`].
    #[serde(skip)]
    associations_by_service: HashMap<String, BTreeSet<String>>,
}

/// How many `clientToken` answers are remembered. SDKs fill in a token on every create,
/// so the cache must not grow with the number of calls.
pub const CLIENT_TOKEN_CACHE: usize = 10_000;

impl State {
    /// The next creation sequence number (orders list results and pagination tokens).
    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Remember the answer to a create call with a `clientToken`.
    pub fn remember_token(&mut self, key: String, entry: Idempotent) {
        if self.client_tokens.insert(key.clone(), entry).is_none() {
            self.token_order.push_back(key);
        }
        while self.token_order.len() > CLIENT_TOKEN_CACHE {
            if let Some(old) = self.token_order.pop_front() {
                self.client_tokens.remove(&old);
            }
        }
    }

    /// The id of the resource of `kind` named `name`, if any.
    pub fn named(&self, kind: Kind, name: &str) -> Option<&String> {
        self.names.get(&format!("{}/{name}", kind.prefix()))
    }

    /// Record that `id` of `kind` holds `name`.
    pub fn claim_name(&mut self, kind: Kind, name: &str, id: &str) {
        self.names
            .insert(format!("{}/{name}", kind.prefix()), id.to_string());
    }

    /// Forget the name of a deleted resource.
    pub fn release_name(&mut self, kind: Kind, name: &str) {
        self.names.remove(&format!("{}/{name}", kind.prefix()));
    }

    /// Look up a stored resource by id, or `ResourceNotFoundException`.
    pub fn need<'a, T>(
        map: &'a BTreeMap<String, T>,
        kind: Kind,
        id: &str,
    ) -> Result<&'a T, ApiError> {
        map.get(id)
            .ok_or_else(|| ApiError::not_found(id, kind.type_name()))
    }

    /// True if `arn` names an existing taggable resource.
    pub fn arn_exists(&self, arn: &str) -> bool {
        let id = arn.rsplit('/').next().unwrap_or_default();
        let stored = match id.split('-').next().unwrap_or_default() {
            "sn" => self.service_networks.get(id).map(|r| &r.arn),
            "svc" => self.services.get(id).map(|r| &r.arn),
            "listener" => self.listeners.get(id).map(|r| &r.arn),
            "rule" => self.rules.get(id).map(|r| &r.arn),
            "tg" => self.target_groups.get(id).map(|r| &r.arn),
            "snsa" => self.service_associations.get(id).map(|r| &r.arn),
            "snva" => self.vpc_associations.get(id).map(|r| &r.arn),
            "als" => self.access_log_subscriptions.get(id).map(|r| &r.arn),
            _ => None,
        };
        stored.is_some_and(|s| s == arn)
    }

    /// Store a rule (its action already set).
    pub fn insert_rule(&mut self, rule: Rule) {
        self.reindex_rule(&rule.id, &[], &rule.target_groups);
        self.rules.insert(rule.id.clone(), rule);
    }

    /// Remove a rule.
    pub fn remove_rule(&mut self, id: &str) -> Option<Rule> {
        let r = self.rules.remove(id)?;
        self.reindex_rule(id, &r.target_groups, &[]);
        Some(r)
    }

    /// Change a rule in place through `f`; `None` if there is no such rule.
    pub fn change_rule<T>(&mut self, id: &str, f: impl FnOnce(&mut Rule) -> T) -> Option<T> {
        let r = self.rules.get_mut(id)?;
        let before = r.target_groups.clone();
        let out = f(r);
        let after = r.target_groups.clone();
        if before != after {
            self.reindex_rule(id, &before, &after);
        }
        Some(out)
    }

    /// The rules forwarding to target group `tg`.
    pub fn rules_using(&self, tg: &str) -> impl Iterator<Item = &Rule> {
        self.rules_by_target_group
            .get(tg)
            .into_iter()
            .flatten()
            .filter_map(|id| self.rules.get(id))
    }

    fn reindex_rule(&mut self, id: &str, before: &[String], after: &[String]) {
        for tg in before {
            if let Some(set) = self.rules_by_target_group.get_mut(tg) {
                set.remove(id);
                if set.is_empty() {
                    self.rules_by_target_group.remove(tg);
                }
            }
        }
        for tg in after {
            self.rules_by_target_group
                .entry(tg.clone())
                .or_default()
                .insert(id.to_string());
        }
    }

    /// Store a service-network ↔ service association.
    pub fn insert_service_association(&mut self, a: ServiceAssociation) {
        self.associations_by_service
            .entry(a.service_id.clone())
            .or_default()
            .insert(a.id.clone());
        self.service_associations.insert(a.id.clone(), a);
    }

    /// Remove a service association.
    pub fn remove_service_association(&mut self, id: &str) -> Option<ServiceAssociation> {
        let a = self.service_associations.remove(id)?;
        if let Some(set) = self.associations_by_service.get_mut(&a.service_id) {
            set.remove(id);
            if set.is_empty() {
                self.associations_by_service.remove(&a.service_id);
            }
        }
        Some(a)
    }

    /// The associations of service `svc`.
    pub fn associations_of_service(&self, svc: &str) -> impl Iterator<Item = &ServiceAssociation> {
        self.associations_by_service
            .get(svc)
            .into_iter()
            .flatten()
            .filter_map(|id| self.service_associations.get(id))
    }

    /// Forget everything attached to a deleted resource's ARN.
    pub fn forget_arn(&mut self, arn: &str) {
        self.tags.remove(arn);
        self.auth_policies.remove(arn);
        self.resource_policies.remove(arn);
    }
}

/// What every handler gets besides the state and the request.
#[derive(Debug, Clone)]
pub struct Ctx<'a> {
    /// The emulator's configuration.
    pub cfg: &'a SimConfig,
    /// The time of this call.
    pub now: DateTime<Utc>,
}

impl Ctx<'_> {
    /// When a resource created now becomes `ACTIVE`.
    pub fn ready_at(&self) -> DateTime<Utc> {
        self.now
            + chrono::Duration::from_std(self.cfg.status_delay).unwrap_or(chrono::Duration::zero())
    }

    /// `CREATE_IN_PROGRESS` until `ready_at`, then `ACTIVE`.
    pub fn status(&self, ready_at: DateTime<Utc>) -> &'static str {
        if self.now >= ready_at {
            "ACTIVE"
        } else {
            "CREATE_IN_PROGRESS"
        }
    }

    /// Read and check the `tags` member of a create call, including the tags-per-resource
    /// quota (a `ValidationException`, as the model lists no quota error for tags).
    pub fn tags(
        &self,
        body: &crate::validate::Obj<'_>,
    ) -> Result<BTreeMap<String, String>, ApiError> {
        let tags = crate::validate::tags(body, "tags")?;
        let q = self.cfg.quotas.tags_per_resource;
        if tags.len() as u64 > q {
            return Err(ApiError::field(
                "tags",
                format!("a resource can have at most {q} tags"),
            ));
        }
        Ok(tags)
    }

    /// The ARN of a top-level resource of this account and Region.
    pub fn arn(&self, kind: Kind, id: &str) -> String {
        crate::ids::arn(&self.cfg.region, &self.cfg.account_id, kind, id)
    }
}

/// A timestamp as the model's `iso8601` format wants it.
pub fn ts(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}
