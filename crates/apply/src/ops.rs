//! Operations: what the diff asks the executor to do, in dependency order.
//!
//! Resources that may not exist yet are named by [`Key`]; the executor turns a
//! key into an id from what it observed or from the create call that made it.

use crate::observed::adoption::GoIdentity;
use lattice_core::plan::{
    Action, HealthCheckPlan, LambdaPlan, MatchPlan, ResourceRef, Tags, TargetPlan,
};

/// A resource by name, resolved to an id when the operation runs.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    /// Service network by name.
    ServiceNetwork(String),
    /// Service by name.
    Service(String),
    /// Target group by name.
    TargetGroup(String),
    /// Listener by service name and port.
    Listener(String, i32),
}

/// One change to a rule inside a `BatchUpdateRule` (or an `UpdateRule`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleChange {
    /// Rule id.
    pub rule_id: String,
    /// New priority, when it changes.
    pub priority: Option<u32>,
    /// New match, when it changes.
    pub r#match: Option<MatchPlan>,
    /// New action, when it changes.
    pub action: Option<Action>,
}

/// What to do. Each variant's fields are the Lattice operation's parameters;
/// a create's `tags` are the user tags it is created with, besides
/// `ManagedBy`.
#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpKind {
    /// `CreateServiceNetwork`.
    CreateServiceNetwork {
        name: String,
        auth_type: String,
        tags: Tags,
    },
    /// `UpdateServiceNetwork` (auth type).
    UpdateServiceNetwork { id: String, auth_type: String },
    /// `CreateServiceNetworkVpcAssociation`, with a VpcAssociationPolicy's
    /// security groups.
    CreateVpcAssociation {
        service_network: Key,
        vpc: String,
        security_group_ids: Vec<String>,
        tags: Tags,
    },
    /// `UpdateServiceNetworkVpcAssociation`: its security groups.
    UpdateVpcAssociation {
        id: String,
        security_group_ids: Vec<String>,
    },
    /// `CreateTargetGroup`: type `IP`, or `LAMBDA` when `lambda` is set
    /// (then port, protocol, VPC and health check are not sent).
    CreateTargetGroup {
        name: String,
        port: i32,
        protocol: String,
        protocol_version: Option<String>,
        vpc: String,
        /// `config.healthCheck`: only the fields the plan sets.
        health_check: Option<HealthCheckPlan>,
        tags: Tags,
        /// A ServiceExport's group: the Go controller's tags that let any
        /// cluster's import find it.
        identity: Option<Box<GoIdentity>>,
        /// The function of a `LAMBDA` group.
        lambda: Option<LambdaPlan>,
    },
    /// `UpdateTargetGroup`: the whole health check, as Lattice replaces it.
    UpdateTargetGroup {
        id: String,
        health_check: HealthCheckPlan,
    },
    /// `RegisterTargets` (at most 100).
    RegisterTargets {
        target_group: Key,
        targets: Vec<TargetPlan>,
    },
    /// `DeregisterTargets` (at most 100).
    DeregisterTargets {
        target_group: Key,
        targets: Vec<TargetPlan>,
    },
    /// `CreateService`.
    CreateService {
        name: String,
        auth_type: String,
        custom_domain_name: Option<String>,
        certificate_arn: Option<String>,
        tags: Tags,
    },
    /// `UpdateService`: the auth type, and the certificate when the plan
    /// names one (Lattice cannot take one away).
    UpdateService {
        id: String,
        auth_type: String,
        certificate_arn: Option<String>,
    },
    /// `PutAuthPolicy` on a service or service network.
    PutAuthPolicy { resource: Key, policy: String },
    /// `DeleteAuthPolicy` on a service or service network.
    DeleteAuthPolicy { resource: Key },
    /// `TagResource` with our `ManagedBy` tag (adoption or takeover).
    Claim { arn: String },
    /// `TagResource`: user tags added or changed.
    TagResource { arn: String, tags: Tags },
    /// `UntagResource`: user tags the annotation no longer has.
    UntagResource { arn: String, keys: Vec<String> },
    /// `CreateServiceNetworkServiceAssociation`.
    CreateServiceAssociation {
        service: Key,
        service_network: Key,
        tags: Tags,
    },
    /// `CreateListener`.
    CreateListener {
        service: Key,
        name: String,
        port: i32,
        protocol: String,
        default_action: Action,
        tags: Tags,
    },
    /// `UpdateListener` (default action).
    UpdateListener {
        listener: Key,
        default_action: Action,
    },
    /// `CreateRule`.
    CreateRule {
        listener: Key,
        name: String,
        priority: u32,
        r#match: MatchPlan,
        action: Action,
        tags: Tags,
    },
    /// `UpdateRule`.
    UpdateRule { listener: Key, change: RuleChange },
    /// `BatchUpdateRule` (at most 10 changes; the final state has unique priorities).
    BatchUpdateRule {
        listener: Key,
        changes: Vec<RuleChange>,
    },
    /// `DeleteRule`.
    DeleteRule { listener: Key, rule_id: String },
    /// `DeleteListener` (its rules go with it).
    DeleteListener {
        service_id: String,
        listener_id: String,
    },
    /// `DeleteServiceNetworkServiceAssociation`.
    DeleteServiceAssociation { id: String },
    /// `DeleteService` (its listeners and rules go with it).
    DeleteService { id: String },
    /// `DeleteTargetGroup`.
    DeleteTargetGroup { id: String },
    /// `DeleteServiceNetworkVpcAssociation`.
    DeleteVpcAssociation { id: String },
    /// `DeleteServiceNetwork`.
    DeleteServiceNetwork { id: String },
    /// `CreateAccessLogSubscription`, tagged with the policy it is for.
    CreateAccessLogSubscription {
        resource: Key,
        destination_arn: String,
        policy: String,
        tags: Tags,
    },
    /// `UpdateAccessLogSubscription`: a destination of the same type.
    UpdateAccessLogSubscription { id: String, destination_arn: String },
    /// `DeleteAccessLogSubscription`.
    DeleteAccessLogSubscription { id: String },
}

/// An operation with the operations it must wait for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Op {
    /// What to do.
    pub kind: OpKind,
    /// Indices of earlier operations that must succeed first.
    pub deps: Vec<usize>,
    /// The object it concerns, for reports: `service books-bookstore`, ….
    pub object: String,
    /// The plan item it is for, and the routes that want it.
    pub resource: ResourceRef,
}

impl OpKind {
    /// The Lattice operation name.
    pub fn operation(&self) -> &'static str {
        match self {
            OpKind::CreateServiceNetwork { .. } => "CreateServiceNetwork",
            OpKind::UpdateServiceNetwork { .. } => "UpdateServiceNetwork",
            OpKind::CreateVpcAssociation { .. } => "CreateServiceNetworkVpcAssociation",
            OpKind::UpdateVpcAssociation { .. } => "UpdateServiceNetworkVpcAssociation",
            OpKind::CreateTargetGroup { .. } => "CreateTargetGroup",
            OpKind::UpdateTargetGroup { .. } => "UpdateTargetGroup",
            OpKind::RegisterTargets { .. } => "RegisterTargets",
            OpKind::DeregisterTargets { .. } => "DeregisterTargets",
            OpKind::CreateService { .. } => "CreateService",
            OpKind::UpdateService { .. } => "UpdateService",
            OpKind::PutAuthPolicy { .. } => "PutAuthPolicy",
            OpKind::DeleteAuthPolicy { .. } => "DeleteAuthPolicy",
            OpKind::Claim { .. } | OpKind::TagResource { .. } => "TagResource",
            OpKind::UntagResource { .. } => "UntagResource",
            OpKind::CreateServiceAssociation { .. } => "CreateServiceNetworkServiceAssociation",
            OpKind::CreateListener { .. } => "CreateListener",
            OpKind::UpdateListener { .. } => "UpdateListener",
            OpKind::CreateRule { .. } => "CreateRule",
            OpKind::UpdateRule { .. } => "UpdateRule",
            OpKind::BatchUpdateRule { .. } => "BatchUpdateRule",
            OpKind::DeleteRule { .. } => "DeleteRule",
            OpKind::DeleteListener { .. } => "DeleteListener",
            OpKind::DeleteServiceAssociation { .. } => "DeleteServiceNetworkServiceAssociation",
            OpKind::DeleteService { .. } => "DeleteService",
            OpKind::DeleteTargetGroup { .. } => "DeleteTargetGroup",
            OpKind::DeleteVpcAssociation { .. } => "DeleteServiceNetworkVpcAssociation",
            OpKind::DeleteServiceNetwork { .. } => "DeleteServiceNetwork",
            OpKind::CreateAccessLogSubscription { .. } => "CreateAccessLogSubscription",
            OpKind::UpdateAccessLogSubscription { .. } => "UpdateAccessLogSubscription",
            OpKind::DeleteAccessLogSubscription { .. } => "DeleteAccessLogSubscription",
        }
    }

    /// The id of the resource a delete removes (a listener's rules go with
    /// it); `None` for anything else.
    pub fn deleted_id(&self) -> Option<&str> {
        match self {
            OpKind::DeleteRule { rule_id: id, .. }
            | OpKind::DeleteListener {
                listener_id: id, ..
            }
            | OpKind::DeleteServiceAssociation { id }
            | OpKind::DeleteService { id }
            | OpKind::DeleteTargetGroup { id }
            | OpKind::DeleteVpcAssociation { id }
            | OpKind::DeleteServiceNetwork { id }
            | OpKind::DeleteAccessLogSubscription { id } => Some(id),
            _ => None,
        }
    }

    /// The identity tags a create carries besides ManagedBy.
    pub fn identity(&self) -> Option<&GoIdentity> {
        match self {
            OpKind::CreateTargetGroup { identity, .. } => identity.as_deref(),
            _ => None,
        }
    }

    /// The user tags a create carries; `None` for anything else.
    pub fn create_tags(&self) -> Option<&Tags> {
        match self {
            OpKind::CreateServiceNetwork { tags, .. }
            | OpKind::CreateVpcAssociation { tags, .. }
            | OpKind::CreateTargetGroup { tags, .. }
            | OpKind::CreateService { tags, .. }
            | OpKind::CreateServiceAssociation { tags, .. }
            | OpKind::CreateListener { tags, .. }
            | OpKind::CreateRule { tags, .. }
            | OpKind::CreateAccessLogSubscription { tags, .. } => Some(tags),
            _ => None,
        }
    }

    /// The key a create operation makes resolvable.
    pub fn produces(&self) -> Option<Key> {
        match self {
            OpKind::CreateServiceNetwork { name, .. } => Some(Key::ServiceNetwork(name.clone())),
            OpKind::CreateTargetGroup { name, .. } => Some(Key::TargetGroup(name.clone())),
            OpKind::CreateService { name, .. } => Some(Key::Service(name.clone())),
            OpKind::CreateListener {
                service: Key::Service(s),
                port,
                ..
            } => Some(Key::Listener(s.clone(), *port)),
            _ => None,
        }
    }

    /// Whether this creates something.
    pub fn is_create(&self) -> bool {
        self.operation().starts_with("Create") || matches!(self, OpKind::RegisterTargets { .. })
    }

    /// Whether this deletes something.
    pub fn is_delete(&self) -> bool {
        self.operation().starts_with("Delete") || matches!(self, OpKind::DeregisterTargets { .. })
    }
}
