//! The plan: desired VPC Lattice state, as `lattice-host plan -o json` prints it.
//!
//! Field names are a stable contract for scripts; fields may be added.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// User tags by key, from the `application-networking.k8s.aws/tags`
/// annotation (see [`crate::model::tags`]).
pub type Tags = BTreeMap<String, String>;

/// Desired Lattice state for a set of routes and Gateways.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// One service per route.
    pub services: Vec<ServicePlan>,
    /// Target groups, shared by the routes that use them.
    pub target_groups: Vec<TargetGroupPlan>,
    /// One service network per Gateway.
    pub service_networks: Vec<ServiceNetworkPlan>,
    /// Everything the model, the plugins and validation found wrong.
    pub diagnostics: Vec<PlanDiagnostic>,
    /// Routes a plugin failed to decide under `KeepLastGood`: whatever
    /// Lattice holds for them stays exactly as it is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kept: Vec<KeptRoute>,
    /// Service networks that ServiceNetwork objects declare: created when
    /// absent, adopted when untagged, deleted when the object goes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub declared_service_networks: Vec<DeclaredServiceNetwork>,
}

/// A service network a `ServiceNetwork` object declares. Its auth and VPC
/// association are left to Gateways and policies, as in the Go controller.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeclaredServiceNetwork {
    /// Lattice name: the object's name.
    pub name: String,
    /// User tags, from the object's `application-networking.k8s.aws/tags`
    /// annotation (the Go controller's `servicenetwork_controller.go`).
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}

/// What a plugin's failure on a route does to that route.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
pub enum FailurePolicy {
    /// The route's Lattice resources stay exactly as they are: no create,
    /// update or delete of its service, listeners, rules or target groups.
    #[default]
    KeepLastGood,
    /// The affected rules (all of them, for a mapping failure) answer 500;
    /// a failed auth decision denies all.
    FailClosed,
    /// The built-in plugin of the stage decides the route instead.
    UseDefault,
}

impl FailurePolicy {
    /// The name as operators write it.
    pub fn as_str(self) -> &'static str {
        match self {
            FailurePolicy::KeepLastGood => "KeepLastGood",
            FailurePolicy::FailClosed => "FailClosed",
            FailurePolicy::UseDefault => "UseDefault",
        }
    }
}

impl std::str::FromStr for FailurePolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "KeepLastGood" => Ok(FailurePolicy::KeepLastGood),
            "FailClosed" => Ok(FailurePolicy::FailClosed),
            "UseDefault" => Ok(FailurePolicy::UseDefault),
            other => Err(format!(
                "unknown failure policy {other:?}: expected KeepLastGood, FailClosed or UseDefault"
            )),
        }
    }
}

/// A route whose plan could not be made, held as Lattice has it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeptRoute {
    /// `namespace/name` of the route.
    pub route: String,
    /// `HTTPRoute`, `GRPCRoute` or `TLSRoute`.
    pub route_kind: String,
    /// The Lattice service it has (or would have): never created, updated or deleted.
    pub service: String,
    /// The target groups its backends resolve to: never deleted, and updated
    /// only as far as another planned route wants them.
    pub target_groups: Vec<String>,
    /// `name@sha256:…` of the plugin that failed.
    pub plugin: String,
    /// What failed.
    pub message: String,
}

/// A Lattice service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePlan {
    /// Lattice name.
    pub name: String,
    /// `namespace/name` of the route.
    pub route: String,
    /// `HTTPRoute`, `GRPCRoute` or `TLSRoute`.
    pub route_kind: String,
    /// Custom domain name, from the first hostname.
    pub custom_domain_name: Option<String>,
    /// The ACM certificate of its HTTPS listeners, from the Gateway
    /// listener's `tls.options` `application-networking.k8s.aws/certificate-arn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_arn: Option<String>,
    /// `NONE` or `AWS_IAM`.
    pub auth_type: String,
    /// Auth policy document.
    pub auth_policy: Option<String>,
    /// Service networks to associate with.
    pub service_networks: Vec<String>,
    /// Listeners.
    pub listeners: Vec<ListenerPlan>,
    /// Which plugin decided the auth policy.
    pub auth_origin: Option<String>,
    /// The route's `application-networking.k8s.aws/allow-takeover-from`
    /// annotation: the `<account>/<cluster>/<vpc>` owner this service may be
    /// taken over from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_takeover_from: Option<String>,
    /// Access log destinations, from AccessLogPolicies on the route.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_logs: Vec<AccessLogPlan>,
    /// The route's tags annotation: the user tags of the service, its
    /// listeners, rules and service network associations (others' are
    /// removed, the controllers' and AWS's kept).
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}

/// A Lattice listener.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListenerPlan {
    /// Port.
    pub port: i32,
    /// `HTTP`, `HTTPS` or `TLS_PASSTHROUGH`.
    pub protocol: String,
    /// What requests that match no rule get.
    pub default_action: Action,
    /// Rules, by priority.
    pub rules: Vec<RulePlan>,
}

/// A Lattice rule action.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    /// Forward to weighted target groups.
    Forward(Vec<WeightedTargetGroup>),
    /// Answer with this status code.
    FixedResponse(u16),
}

/// Lattice `WeightedTargetGroup`, by target group name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WeightedTargetGroup {
    /// Target group name.
    pub target_group: String,
    /// 0 to 999.
    pub weight: u32,
}

/// A Lattice listener rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RulePlan {
    /// 1 to 2000; lower is evaluated first.
    pub priority: u32,
    /// The match.
    pub r#match: MatchPlan,
    /// The action.
    pub action: Action,
    /// Where it came from.
    pub origin: Origin,
}

/// Lattice `HttpMatch`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchPlan {
    /// HTTP method.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub method: Option<String>,
    /// Path match.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub path: Option<PathMatchPlan>,
    /// Header matches.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub headers: Vec<HeaderMatchPlan>,
}

/// Lattice `PathMatch`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PathMatchPlan {
    /// `exact` or `prefix`.
    pub r#type: String,
    /// Path.
    pub value: String,
    /// Case sensitivity.
    pub case_sensitive: bool,
}

/// Lattice `HeaderMatch`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeaderMatchPlan {
    /// Header name.
    pub name: String,
    /// `exact`, `prefix` or `contains`.
    pub r#type: String,
    /// Value.
    pub value: String,
    /// Case sensitivity.
    pub case_sensitive: bool,
}

/// Provenance of a rule: the route rule and match, and the plugins.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Origin {
    /// Index into `spec.rules`.
    pub rule_index: u32,
    /// Index into `spec.rules[ruleIndex].matches`.
    pub match_index: Option<u32>,
    /// Mapping plugin, `name@sha256:…`: shared by every rule one pass
    /// plans (at 10,000 routes, 30,000 copies of it were a 90-byte string
    /// each).
    #[serde(with = "shared")]
    pub plugin: Arc<str>,
    /// Weighting plugin, `name@sha256:…`, when the action forwards; shared
    /// as `plugin` is.
    #[serde(skip_serializing_if = "Option::is_none", default, with = "shared_opt")]
    pub weighting: Option<Arc<str>>,
}

/// An `Arc<str>` as a plain string (serde's own impl needs its `rc`
/// feature, which would rebuild every crate that uses serde).
mod shared {
    use super::*;

    pub fn serialize<S: serde::Serializer>(s: &Arc<str>, to: S) -> Result<S::Ok, S::Error> {
        to.serialize_str(s)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(from: D) -> Result<Arc<str>, D::Error> {
        String::deserialize(from).map(Arc::from)
    }
}

/// An `Option<Arc<str>>` as an optional plain string.
mod shared_opt {
    use super::*;

    pub fn serialize<S: serde::Serializer>(s: &Option<Arc<str>>, to: S) -> Result<S::Ok, S::Error> {
        s.as_deref().serialize(to)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(
        from: D,
    ) -> Result<Option<Arc<str>>, D::Error> {
        Ok(Option::<String>::deserialize(from)?.map(Arc::from))
    }
}

/// A Lattice target group: type `IP` (a Service port), or type `LAMBDA`
/// when [`TargetGroupPlan::lambda`] is set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetGroupPlan {
    /// Lattice name.
    pub name: String,
    /// `namespace/service:port`, or `LambdaTarget namespace/name`.
    pub backend: String,
    /// Port; 0 for a `LAMBDA` group, which has none.
    pub port: i32,
    /// `HTTP` or `TCP`; empty for a `LAMBDA` group.
    pub protocol: String,
    /// `HTTP1`, `GRPC` or none (always none for a `LAMBDA` group).
    pub protocol_version: Option<String>,
    /// Ready endpoints; empty for a `LAMBDA` group, whose one target is
    /// its function.
    pub targets: Vec<TargetPlan>,
    /// Routes (`namespace/name`) that forward to it.
    pub routes: Vec<String>,
    /// The health check a TargetGroupPolicy asks for; none leaves Lattice's
    /// (its default on create, whatever it has after).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<Box<HealthCheckPlan>>,
    /// The user tags of its routes' tags annotations, together; where two
    /// routes give one key different values, the first route (by
    /// `namespace/name`) wins.
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
    /// A ServiceExport's group: no route here forwards to it; it is
    /// tagged so that other clusters' imports find it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export: Option<Box<ExportPlan>>,
    /// A ServiceImport's group: found in Lattice (by tags or ARN) when
    /// applied, never created, changed or deleted. Its name is the key the
    /// forwards use (`serviceimport/<namespace>/<name>`, never a Lattice
    /// name); port, protocol and targets are the exporter's business.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<Box<ImportPlan>>,
    /// Set for a `LAMBDA` group (a LambdaTarget backend): the function that
    /// is its only target. Such a group has no port, protocol, VPC, health
    /// check or endpoint targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda: Option<Box<LambdaPlan>>,
}

/// The ServiceExport a target group stands for, as the Go controller tags
/// it (`ServiceName`, `ServiceNamespace`, `SourceTypeKey: ServiceExport`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportPlan {
    /// The export's namespace.
    pub namespace: String,
    /// The export's name: the name imports ask for.
    pub name: String,
}

/// How a ServiceImport backend finds its target group, as the Go
/// controller does: by ARN, or by the tags of an exported group.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportPlan {
    /// `namespace/name` of the ServiceImport.
    pub service_import: String,
    /// The `target-group-arn` annotation: this group, whatever made it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_group_arn: Option<String>,
    /// The export's namespace (the import's).
    pub export_namespace: String,
    /// The export's name: the `export-name` annotation, else the import's.
    pub export_name: String,
    /// The `aws-eks-cluster-name` annotation: only that cluster's export.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// The `aws-vpc` annotation: only the export in that VPC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc: Option<String>,
}

/// What a `LAMBDA` target group invokes, and how.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LambdaPlan {
    /// The function's ARN (with its version or alias, if any): the group's
    /// one target.
    pub function_arn: String,
    /// `V1` or `V2` (`config.lambdaEventStructureVersion`); none leaves
    /// Lattice's default. Lattice cannot change it on an existing group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_structure_version: Option<String>,
}

/// A target group's health check, as VPC Lattice's `HealthCheckConfig`
/// names it. A field left out is left as Lattice has it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthCheckPlan {
    /// Whether Lattice checks the targets at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// `HTTP` or `HTTPS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// `HTTP1` or `HTTP2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol_version: Option<String>,
    /// Port checked; the target's when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
    /// Path checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Seconds between checks (5-300).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_interval_seconds: Option<i32>,
    /// Seconds a check may take (1-120).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_timeout_seconds: Option<i32>,
    /// Passes before a target is healthy (2-10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthy_threshold_count: Option<i32>,
    /// Failures before a target is unhealthy (2-10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unhealthy_threshold_count: Option<i32>,
    /// HTTP codes that pass, such as `200` or `200-299` (`matcher.httpCode`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_code: Option<String>,
}

/// A target.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TargetPlan {
    /// IP address.
    pub ip: String,
    /// Port.
    pub port: i32,
}

/// A Lattice service network.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceNetworkPlan {
    /// Lattice name: the Gateway's name.
    pub name: String,
    /// `namespace/name` of the Gateway.
    pub gateway: String,
    /// `NONE` or `AWS_IAM`.
    pub auth_type: String,
    /// Auth policy document.
    pub auth_policy: Option<String>,
    /// Which plugin decided the auth policy.
    pub auth_origin: Option<String>,
    /// Access log destinations, from AccessLogPolicies on the Gateway.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_logs: Vec<AccessLogPlan>,
    /// What a VpcAssociationPolicy says of the cluster VPC's association;
    /// none: the VPC joins the first network it can (see the README).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_association: Option<VpcAssociationPlan>,
    /// Its user tags, when an object of the cluster says them; `None`
    /// leaves whatever user tags it has (a Gateway's network: the Go
    /// controller reads no tags annotation on a Gateway).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
}

/// The cluster VPC's association with a service network, as a
/// VpcAssociationPolicy asks for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VpcAssociationPlan {
    /// `associateWithVpc`: join (true) or leave (false).
    pub associate: bool,
    /// `securityGroupIds` of the association; none leaves Lattice's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_group_ids: Vec<String>,
    /// The policy, `namespace/name`.
    pub policy: String,
    /// The policy's tags annotation: the association's user tags.
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}

/// A diagnostic, attributed to the object whose status it belongs in.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanDiagnostic {
    /// `Kind namespace/name`, e.g. `HTTPRoute default/books`.
    pub object: String,
    /// Condition type, e.g. `Accepted`.
    pub condition: String,
    /// Gateway API reason.
    pub reason: String,
    /// What is wrong.
    pub message: String,
    /// Field path within the object.
    pub field: String,
    /// The plugin that reported it, if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub plugin: Option<String>,
}

/// `→ tg-a (90), tg-b (10)`, or `fixed 404`: how `plugin diff` and
/// `explain` print an action.
impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Action::FixedResponse(c) => write!(f, "fixed {c}"),
            Action::Forward(ts) => {
                f.write_str("→ ")?;
                for (i, t) in ts.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    write!(f, "{sep}{} ({})", t.target_group, t.weight)?;
                }
                Ok(())
            }
        }
    }
}

/// `GET prefix /a x-b: 1`, or `any` for a match of everything.
impl std::fmt::Display for MatchPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        parts.extend(self.method.clone());
        if let Some(p) = &self.path {
            parts.push(format!("{} {}", p.r#type, p.value));
        }
        parts.extend(
            self.headers
                .iter()
                .map(|h| format!("{}: {}", h.name, h.value)),
        );
        match parts.is_empty() {
            true => f.write_str("any"),
            false => f.write_str(&parts.join(" ")),
        }
    }
}

/// An access log subscription: one destination of an AccessLogPolicy, at
/// most one per destination type (S3, CloudWatch Logs, Firehose) on a
/// service or service network.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessLogPlan {
    /// The S3 bucket, log group or delivery stream.
    pub destination_arn: String,
    /// `namespace/name` of the AccessLogPolicy, as the subscription's
    /// `application-networking.k8s.aws/AccessLogPolicy` tag says it.
    pub policy: String,
    /// The policy's tags annotation: the subscription's user tags.
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}
