//! Observed Lattice state, as the diff sees it: plain data, no SDK types.
//!
//! Actions and matches reuse the plan's types ([`Action`], [`MatchPlan`]), with
//! target groups named rather than addressed by id, so the diff compares like
//! with like.

use lattice_core::plan::{Action, HealthCheckPlan, MatchPlan, Tags, TargetPlan};

/// Who a top-level resource belongs to, from its `ManagedBy` tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Owner {
    /// Tagged with this cluster's `<account>/<cluster>/<vpc>`.
    Ours,
    /// No `ManagedBy` tag at all.
    Untagged,
    /// Tagged with another value: another cluster or controller.
    Other(String),
}

// Each `tags` below is a resource's user tags (see
// `lattice_core::model::tags::is_user_key`): `None` when not read, because
// nothing could differ (see `crate::observed`).

/// Everything the diff needs to know about Lattice, read by [`crate::observed`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observed {
    /// Service networks visible to the account.
    pub service_networks: Vec<ObsServiceNetwork>,
    /// Services that are ours or carry a name the plan uses.
    pub services: Vec<ObsService>,
    /// Target groups that are ours or carry a name the plan uses.
    pub target_groups: Vec<ObsTargetGroup>,
    /// Service-network↔VPC associations of the cluster VPC.
    pub vpc_associations: Vec<ObsVpcAssociation>,
    /// Access log subscriptions of the services and service networks that
    /// may have some (see [`crate::observed`]).
    pub access_logs: Vec<ObsAccessLog>,
}

/// An access log subscription.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObsAccessLog {
    /// Id (`als-…`).
    pub id: String,
    /// ARN.
    pub arn: String,
    /// The id of the service or service network it logs.
    pub resource_id: String,
    /// Where it logs to.
    pub destination_arn: String,
    /// Tagged with this cluster's `ManagedBy`.
    pub ours: bool,
    /// The AccessLogPolicy tag, if any.
    pub policy: Option<String>,
    /// User tags.
    pub tags: Option<Tags>,
}

/// A service network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObsServiceNetwork {
    /// Id (`sn-…`).
    pub id: String,
    /// ARN.
    pub arn: String,
    /// Name.
    pub name: String,
    /// Ownership.
    pub owner: Owner,
    /// `NONE` or `AWS_IAM`, when read.
    pub auth_type: Option<String>,
    /// The auth policy: `None` = not read, `Some(None)` = no policy.
    pub auth_policy: Option<Option<String>>,
    /// VPCs associated in total (all accounts' and clusters').
    pub vpc_association_count: u64,
    /// Services associated in total (ours and others').
    pub service_association_count: u64,
    /// User tags.
    pub tags: Option<Tags>,
}

/// A service, with its listeners, rules and service network associations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObsService {
    /// Id (`svc-…`).
    pub id: String,
    /// ARN.
    pub arn: String,
    /// Name.
    pub name: String,
    /// Ownership.
    pub owner: Owner,
    /// `NONE` or `AWS_IAM`, when read.
    pub auth_type: Option<String>,
    /// Custom domain name.
    pub custom_domain_name: Option<String>,
    /// The ACM certificate of its HTTPS listeners, when known.
    pub certificate_arn: Option<String>,
    /// The DNS name Lattice gave it (`dnsEntry.domainName`), as listed.
    pub dns_name: Option<String>,
    /// The auth policy: `None` = not read, `Some(None)` = no policy.
    pub auth_policy: Option<Option<String>>,
    /// Listeners (read only for services that are ours or named in the plan).
    pub listeners: Vec<ObsListener>,
    /// Associations with service networks.
    pub associations: Vec<ObsServiceAssociation>,
    /// User tags; they stand for its listeners', rules' and associations',
    /// which are read only where the service's differ from the plan's.
    pub tags: Option<Tags>,
}

/// A listener and its rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObsListener {
    /// Id (`listener-…`).
    pub id: String,
    /// ARN.
    pub arn: String,
    /// Name.
    pub name: String,
    /// Port.
    pub port: i32,
    /// `HTTP`, `HTTPS` or `TLS_PASSTHROUGH`.
    pub protocol: String,
    /// The default action.
    pub default_action: Action,
    /// Non-default rules.
    pub rules: Vec<ObsRule>,
    /// User tags.
    pub tags: Option<Tags>,
}

/// A non-default listener rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObsRule {
    /// Id (`rule-…`).
    pub id: String,
    /// ARN.
    pub arn: String,
    /// Name.
    pub name: String,
    /// Priority.
    pub priority: u32,
    /// The match.
    pub r#match: MatchPlan,
    /// The action, target groups by name.
    pub action: Action,
    /// User tags.
    pub tags: Option<Tags>,
}

/// A service↔service-network association.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObsServiceAssociation {
    /// Id (`snsa-…`).
    pub id: String,
    /// ARN.
    pub arn: String,
    /// The service network's name.
    pub service_network: String,
    /// User tags.
    pub tags: Option<Tags>,
}

/// A target group and its registered (not draining) targets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObsTargetGroup {
    /// Id (`tg-…`).
    pub id: String,
    /// ARN.
    pub arn: String,
    /// Name.
    pub name: String,
    /// Ownership.
    pub owner: Owner,
    /// Port.
    pub port: Option<i32>,
    /// `HTTP`, `HTTPS`, `TCP`.
    pub protocol: Option<String>,
    /// VPC id.
    pub vpc: Option<String>,
    /// Targets that are registered and not draining: a `LAMBDA` group's is
    /// its function's ARN as `ip`, with port 0 (see
    /// `crate::diff`'s target groups).
    pub targets: Vec<TargetPlan>,
    /// Its health check, read only where the plan sets one (`None`: not read).
    pub health_check: Option<HealthCheckPlan>,
    /// User tags.
    pub tags: Option<Tags>,
    /// It carries a ServiceExport's identity tags: any cluster's import may
    /// forward to it.
    pub exported: bool,
    /// `V1` or `V2` for a `LAMBDA` group; `None` for any other type.
    pub lambda_event_structure_version: Option<String>,
}

/// A service-network↔VPC association.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObsVpcAssociation {
    /// Id (`snva-…`).
    pub id: String,
    /// ARN.
    pub arn: String,
    /// Ownership, from its tags.
    pub owner: Owner,
    /// Its security groups, when read (only where a policy names some).
    pub security_group_ids: Option<Vec<String>>,
    /// The service network's name.
    pub service_network: String,
    /// The VPC.
    pub vpc: String,
    /// User tags (read with its owner, only where a policy exists).
    pub tags: Option<Tags>,
}
