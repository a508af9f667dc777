//! Plain Rust mirrors of the records in `wit/types.wit`.
//!
//! Plugin logic is written against these, so the same code runs inside a
//! WebAssembly component and natively in unit tests and benchmarks. Every type
//! here has a WIT twin of the same name; see that file for field semantics.
//!
//! With the `host` feature each type also derives wasmtime's
//! `ComponentType`/`Lower`/`Lift` under its WIT field and case names, so the
//! host lowers and lifts these values directly. Field order is the WIT order:
//! the host typechecks it when a plugin loads.

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};
#[cfg(feature = "host")]
use wasmtime::component::{ComponentType, Lift, Lower};

/// The stage a plugin implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "host", derive(ComponentType, Lift, Lower), component(enum))]
#[repr(u8)]
pub enum Stage {
    /// Route rules to Lattice listener rules.
    #[cfg_attr(feature = "host", component(name = "mapping"))]
    Mapping,
    /// One rule's backends to a weighted forward action.
    #[cfg_attr(feature = "host", component(name = "weighting"))]
    Weighting,
    /// IAMAuthPolicy documents to a Lattice auth policy.
    #[cfg_attr(feature = "host", component(name = "auth"))]
    Auth,
}

impl Stage {
    /// The stage's name as used on the command line: `mapping`, `weighting`, `auth`.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Mapping => "mapping",
            Stage::Weighting => "weighting",
            Stage::Auth => "auth",
        }
    }
}

/// Name, version and stage of a plugin.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "host",
    derive(ComponentType, Lift, Lower),
    component(record)
)]
pub struct PluginInfo {
    /// Short name, e.g. `route-mapper`.
    pub name: String,
    /// Semantic version.
    pub version: String,
    /// The stage it implements.
    pub stage: Stage,
}

/// A problem reported into a Gateway API condition.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(
    feature = "host",
    derive(ComponentType, Lift, Lower),
    component(record)
)]
pub struct Diagnostic {
    /// Condition type, e.g. `Accepted` or `ResolvedRefs`.
    pub condition: String,
    /// Gateway API reason, e.g. `UnsupportedValue`.
    pub reason: String,
    /// What is wrong, for humans.
    pub message: String,
    /// Field path from the object root, e.g. `spec.rules[0].filters[0]`.
    pub field: String,
}

/// A `key: value` pair.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "host",
    derive(ComponentType, Lift, Lower),
    component(record)
)]
pub struct KeyValue {
    /// Key.
    pub key: String,
    /// Value.
    pub value: String,
}

/// The kind of route being mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "host", derive(ComponentType, Lift, Lower), component(enum))]
#[repr(u8)]
pub enum RouteKind {
    /// HTTPRoute.
    #[cfg_attr(feature = "host", component(name = "http"))]
    Http,
    /// GRPCRoute.
    #[cfg_attr(feature = "host", component(name = "grpc"))]
    Grpc,
    /// TLSRoute.
    #[cfg_attr(feature = "host", component(name = "tls"))]
    Tls,
}

impl RouteKind {
    /// The Kubernetes kind, e.g. `HTTPRoute`.
    pub fn kind_name(self) -> &'static str {
        match self {
            RouteKind::Http => "HTTPRoute",
            RouteKind::Grpc => "GRPCRoute",
            RouteKind::Tls => "TLSRoute",
        }
    }
}

/// Namespace and name of a Kubernetes object.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(
    feature = "host",
    derive(ComponentType, Lift, Lower),
    component(record)
)]
pub struct ObjectRef {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl core::fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// Gateway API string match types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "host", derive(ComponentType, Lift, Lower), component(enum))]
#[repr(u8)]
pub enum MatchType {
    /// `Exact`.
    #[cfg_attr(feature = "host", component(name = "exact"))]
    Exact,
    /// `PathPrefix`.
    #[cfg_attr(feature = "host", component(name = "path-prefix"))]
    PathPrefix,
    /// `RegularExpression`.
    #[cfg_attr(feature = "host", component(name = "regular-expression"))]
    RegularExpression,
}

/// `HTTPPathMatch`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "host",
    derive(ComponentType, Lift, Lower),
    component(record)
)]
pub struct PathMatch {
    /// Match type.
    #[cfg_attr(feature = "host", component(name = "match-type"))]
    pub match_type: MatchType,
    /// Path or pattern.
    pub value: String,
}

/// A header, query-parameter or gRPC header match.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "host",
    derive(ComponentType, Lift, Lower),
    component(record)
)]
pub struct HeaderMatch {
    /// Match type.
    #[cfg_attr(feature = "host", component(name = "match-type"))]
    pub match_type: MatchType,
    /// Header or parameter name.
    pub name: String,
    /// Value or pattern.
    pub value: String,
}

/// `HTTPRouteMatch`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "host",
    derive(ComponentType, Lift, Lower),
    component(record)
)]
pub struct HttpMatch {
    /// Path match.
    pub path: Option<PathMatch>,
    /// Header matches (ANDed).
    pub headers: Vec<HeaderMatch>,
    /// Query parameter matches (ANDed).
    #[cfg_attr(feature = "host", component(name = "query-params"))]
    pub query_params: Vec<HeaderMatch>,
    /// Upper-case HTTP method.
    pub method: Option<String>,
}

/// `GRPCRouteMatch`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "host",
    derive(ComponentType, Lift, Lower),
    component(record)
)]
pub struct GrpcMatch {
    /// Applies to service and method.
    #[cfg_attr(feature = "host", component(name = "match-type"))]
    pub match_type: MatchType,
    /// gRPC service, e.g. `bookstore.Catalog`.
    pub service: Option<String>,
    /// gRPC method, e.g. `GetBook`.
    pub method: Option<String>,
    /// Header matches (ANDed).
    pub headers: Vec<HeaderMatch>,
}

/// One entry of a rule's `matches`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "host",
    derive(ComponentType, Lift, Lower),
    component(variant)
)]
pub enum RouteMatch {
    /// From an HTTPRoute.
    #[cfg_attr(feature = "host", component(name = "http"))]
    Http(HttpMatch),
    /// From a GRPCRoute.
    #[cfg_attr(feature = "host", component(name = "grpc"))]
    Grpc(GrpcMatch),
}

/// A rule or backendRef filter; Lattice supports none.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "host",
    derive(ComponentType, Lift, Lower),
    component(record)
)]
pub struct RouteFilter {
    /// The filter's `type`.
    pub kind: String,
    /// Its field path, e.g. `spec.rules[0].filters[1]`.
    pub field: String,
}

/// One `rules[i]` of a route.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "host",
    derive(ComponentType, Lift, Lower),
    component(record)
)]
pub struct RouteRule {
    /// The rule's optional `name`.
    pub name: Option<String>,
    /// Empty means match everything.
    pub matches: Vec<RouteMatch>,
    /// Filters.
    pub filters: Vec<RouteFilter>,
    /// Number of backendRefs.
    #[cfg_attr(feature = "host", component(name = "backend-count"))]
    pub backend_count: u32,
}

/// A route as the mapping stage sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "host",
    derive(ComponentType, Lift, Lower),
    component(record)
)]
pub struct Route {
    /// Route kind.
    pub kind: RouteKind,
    /// Namespace and name.
    pub id: ObjectRef,
    /// `spec.hostnames`.
    pub hostnames: Vec<String>,
    /// Annotations, sorted by key.
    pub annotations: Vec<KeyValue>,
    /// `spec.rules`.
    pub rules: Vec<RouteRule>,
}

impl Route {
    /// The value of annotation `key`, if present.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations
            .iter()
            .find(|kv| kv.key == key)
            .map(|kv| kv.value.as_str())
    }
}

/// Lattice `PathMatchType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "host", derive(ComponentType, Lift, Lower), component(enum))]
#[repr(u8)]
pub enum LatticePathType {
    /// Exact path.
    #[cfg_attr(feature = "host", component(name = "exact"))]
    Exact,
    /// Path prefix.
    #[cfg_attr(feature = "host", component(name = "prefix"))]
    Prefix,
}

/// Lattice `PathMatch`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "host",
    derive(ComponentType, Lift, Lower),
    component(record)
)]
pub struct LatticePathMatch {
    /// Exact or prefix.
    #[cfg_attr(feature = "host", component(name = "path-type"))]
    pub path_type: LatticePathType,
    /// The path.
    pub value: String,
    /// Whether the match is case sensitive.
    #[cfg_attr(feature = "host", component(name = "case-sensitive"))]
    pub case_sensitive: bool,
}

/// Lattice `HeaderMatchType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "host", derive(ComponentType, Lift, Lower), component(enum))]
#[repr(u8)]
pub enum LatticeHeaderType {
    /// Exact value.
    #[cfg_attr(feature = "host", component(name = "exact"))]
    Exact,
    /// Value prefix.
    #[cfg_attr(feature = "host", component(name = "prefix"))]
    Prefix,
    /// Value contains.
    #[cfg_attr(feature = "host", component(name = "contains"))]
    Contains,
}

/// Lattice `HeaderMatch`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "host",
    derive(ComponentType, Lift, Lower),
    component(record)
)]
pub struct LatticeHeaderMatch {
    /// Header name.
    pub name: String,
    /// Match type.
    #[cfg_attr(feature = "host", component(name = "header-type"))]
    pub header_type: LatticeHeaderType,
    /// Value.
    pub value: String,
    /// Whether the match is case sensitive.
    #[cfg_attr(feature = "host", component(name = "case-sensitive"))]
    pub case_sensitive: bool,
}

/// Lattice `HttpMatch`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "host",
    derive(ComponentType, Lift, Lower),
    component(record)
)]
pub struct LatticeMatch {
    /// HTTP method.
    pub method: Option<String>,
    /// Path match.
    pub path: Option<LatticePathMatch>,
    /// Header matches, at most 5.
    pub headers: Vec<LatticeHeaderMatch>,
}

/// What a mapped rule does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "host",
    derive(ComponentType, Lift, Lower),
    component(variant)
)]
pub enum RuleAction {
    /// Forward; targets come from the weighting stage.
    #[cfg_attr(feature = "host", component(name = "forward"))]
    Forward,
    /// Fixed response with this status code (404 or 500).
    #[cfg_attr(feature = "host", component(name = "fixed-response"))]
    FixedResponse(u16),
}

/// A Lattice listener rule drafted from one route match.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "host",
    derive(ComponentType, Lift, Lower),
    component(record)
)]
pub struct MappedRule {
    /// Index into `spec.rules`.
    #[cfg_attr(feature = "host", component(name = "rule-index"))]
    pub rule_index: u32,
    /// Index into `spec.rules[rule_index].matches`, if it has any.
    #[cfg_attr(feature = "host", component(name = "match-index"))]
    pub match_index: Option<u32>,
    /// 1 to 2000, unique within the route.
    pub priority: u32,
    /// The Lattice match.
    #[cfg_attr(feature = "host", component(name = "match"))]
    pub r#match: LatticeMatch,
    /// The action.
    pub action: RuleAction,
}

/// The mapping stage's answer for one route.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "host",
    derive(ComponentType, Lift, Lower),
    component(record)
)]
pub struct MappingResult {
    /// Listener rules.
    pub rules: Vec<MappedRule>,
    /// For rule-less listeners (TLS passthrough): the route rule whose
    /// backends become the default action.
    #[cfg_attr(feature = "host", component(name = "default-rule"))]
    pub default_rule: Option<u32>,
    /// Diagnostics.
    pub diagnostics: Vec<Diagnostic>,
}

/// Whether a backendRef resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "host", derive(ComponentType, Lift, Lower), component(enum))]
#[repr(u8)]
pub enum Resolution {
    /// Resolved to a target group.
    #[cfg_attr(feature = "host", component(name = "resolved"))]
    Resolved,
    /// `BackendNotFound`.
    #[cfg_attr(feature = "host", component(name = "not-found"))]
    NotFound,
    /// `InvalidKind`.
    #[cfg_attr(feature = "host", component(name = "invalid-kind"))]
    InvalidKind,
    /// `RefNotPermitted`.
    #[cfg_attr(feature = "host", component(name = "not-permitted"))]
    NotPermitted,
}

/// One backendRef of a rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "host",
    derive(ComponentType, Lift, Lower),
    component(record)
)]
pub struct Backend {
    /// Target group name; empty when unresolved.
    #[cfg_attr(feature = "host", component(name = "target-group"))]
    pub target_group: String,
    /// `kind namespace/name:port`, for messages; for an unresolved
    /// backend the host may add why (the missing port or ReferenceGrant).
    pub display: String,
    /// Requested weight; `None` means 1.
    pub weight: Option<u32>,
    /// Resolution state.
    pub resolution: Resolution,
    /// Field path of the backendRef.
    pub field: String,
}

/// One rule's backends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "host",
    derive(ComponentType, Lift, Lower),
    component(record)
)]
pub struct RuleBackends {
    /// The route.
    pub route: ObjectRef,
    /// Index into `spec.rules`.
    #[cfg_attr(feature = "host", component(name = "rule-index"))]
    pub rule_index: u32,
    /// Its backendRefs.
    pub backends: Vec<Backend>,
}

/// Lattice `WeightedTargetGroup`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "host",
    derive(ComponentType, Lift, Lower),
    component(record)
)]
pub struct WeightedTarget {
    /// Target group name.
    #[cfg_attr(feature = "host", component(name = "target-group"))]
    pub target_group: String,
    /// 0 to 999.
    pub weight: u32,
}

/// A rule action with its targets.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "host",
    derive(ComponentType, Lift, Lower),
    component(variant)
)]
pub enum WeightedAction {
    /// Forward to these target groups.
    #[cfg_attr(feature = "host", component(name = "forward"))]
    Forward(Vec<WeightedTarget>),
    /// Fixed response with this status code.
    #[cfg_attr(feature = "host", component(name = "fixed-response"))]
    FixedResponse(u16),
}

/// The weighting stage's answer for one rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "host",
    derive(ComponentType, Lift, Lower),
    component(record)
)]
pub struct WeightingResult {
    /// The action.
    pub action: WeightedAction,
    /// Diagnostics.
    pub diagnostics: Vec<Diagnostic>,
}

/// What an auth policy is attached to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "host", derive(ComponentType, Lift, Lower), component(enum))]
#[repr(u8)]
pub enum AuthTargetKind {
    /// A Gateway's service network.
    #[cfg_attr(feature = "host", component(name = "service-network"))]
    ServiceNetwork,
    /// A route's service.
    #[cfg_attr(feature = "host", component(name = "service"))]
    Service,
}

/// An IAMAuthPolicy targeting an object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "host",
    derive(ComponentType, Lift, Lower),
    component(record)
)]
pub struct IamAuthPolicy {
    /// Namespace and name.
    pub id: ObjectRef,
    /// RFC 3339 creation timestamp.
    #[cfg_attr(feature = "host", component(name = "creation-timestamp"))]
    pub creation_timestamp: String,
    /// The IAM policy document (JSON).
    pub policy: String,
}

/// One object that may receive an auth policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "host",
    derive(ComponentType, Lift, Lower),
    component(record)
)]
pub struct AuthTarget {
    /// Service network or service.
    pub kind: AuthTargetKind,
    /// The Gateway or route.
    pub id: ObjectRef,
    /// `Gateway`, `HTTPRoute` or `GRPCRoute`.
    #[cfg_attr(feature = "host", component(name = "object-kind"))]
    pub object_kind: String,
    /// Policies targeting it.
    pub policies: Vec<IamAuthPolicy>,
}

/// The auth stage's answer for one target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "host",
    derive(ComponentType, Lift, Lower),
    component(record)
)]
pub struct AuthResult {
    /// `NONE` or `AWS_IAM`.
    #[cfg_attr(feature = "host", component(name = "auth-type"))]
    pub auth_type: String,
    /// The policy, when `AWS_IAM`.
    pub policy: Option<String>,
    /// Diagnostics.
    pub diagnostics: Vec<Diagnostic>,
}
