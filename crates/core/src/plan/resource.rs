//! How an apply outcome names what it is about: a Lattice resource of the
//! plan, typed, with the routes it serves. The applier fills these in from
//! the plan it applied; status reads them without parsing any text.

use serde::Serialize;

/// The kinds of Lattice resource an apply touches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum ResourceKind {
    /// A service network (a Gateway).
    ServiceNetwork,
    /// A service network's VPC association.
    ServiceNetworkVpcAssociation,
    /// A service (a route).
    Service,
    /// A service's association with a service network.
    ServiceNetworkServiceAssociation,
    /// A listener of a service.
    Listener,
    /// A listener rule.
    Rule,
    /// A target group (a Service port).
    TargetGroup,
    /// The registered targets of a target group.
    Targets,
    /// The auth policy of a service or service network.
    AuthPolicy,
    /// Observing Lattice, before any resource was touched.
    ObservedState,
    /// An access log subscription of a service or service network.
    AccessLogSubscription,
    /// The target group a ServiceImport names: found in Lattice, never
    /// changed; a problem with it is an unresolved backend, not a failure.
    ImportedTargetGroup,
}

/// A Lattice resource as an apply outcome refers to it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRef {
    /// What kind of resource.
    pub kind: ResourceKind,
    /// The Lattice name of the resource, or of the service, target group or
    /// service network it belongs to (a listener or rule names its service,
    /// targets their target group, an auth policy its owner).
    pub name: String,
    /// The routes it serves, `namespace/name` as the plan records them;
    /// empty for a service network or for what no route wants any more.
    pub routes: Vec<String>,
}

/// Something an apply could not do, in words a route's status can carry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApplyProblem {
    /// What it is about.
    pub resource: ResourceRef,
    /// What went wrong: the operation and Lattice's error, or why it was left alone.
    pub message: String,
}
