//! The Go controller's policy CRDs (`application-networking.k8s.aws/v1alpha1`),
//! with its schema, short names and status, so its manifests apply
//! unchanged. Each attaches to one object through a Gateway API
//! `targetRef` (the policy attachment pattern, GEP-713).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `application-networking.k8s.aws/v1alpha1` IAMAuthPolicy: an IAM auth
/// policy for the service network of a Gateway, or the service of a route.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "application-networking.k8s.aws",
    version = "v1alpha1",
    kind = "IAMAuthPolicy",
    plural = "iamauthpolicies",
    shortname = "iap",
    category = "gateway-api",
    namespaced,
    status = "PolicyStatus",
    derive = "PartialEq",
    derive = "Default"
)]
pub struct IAMAuthPolicySpec {
    /// The IAM policy document, as a JSON string.
    pub policy: String,
    /// The Gateway, HTTPRoute or GRPCRoute the policy attaches to.
    #[serde(rename = "targetRef")]
    pub target_ref: PolicyTargetReference,
}

/// Gateway API `NamespacedPolicyTargetReference`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct PolicyTargetReference {
    /// API group of the target; empty for core.
    pub group: String,
    /// Kind of the target, e.g. `Gateway`.
    pub kind: String,
    /// Name of the target.
    pub name: String,
    /// Namespace of the target; the policy's own when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// `TargetGroupPolicy`: the protocol, protocol version and health check of
/// the target groups of a Service (or ServiceExport).
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "application-networking.k8s.aws",
    version = "v1alpha1",
    kind = "TargetGroupPolicy",
    plural = "targetgrouppolicies",
    shortname = "tgp",
    category = "gateway-api",
    namespaced,
    status = "PolicyStatus",
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#,
    derive = "PartialEq",
    derive = "Default"
)]
pub struct TargetGroupPolicySpec {
    /// The Service or ServiceExport whose target groups it configures.
    #[serde(rename = "targetRef")]
    pub target_ref: PolicyTargetReference,
    /// `HTTP`, `HTTPS` or `TCP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// `HTTP1`, `HTTP2` or `GRPC`.
    #[serde(
        default,
        rename = "protocolVersion",
        skip_serializing_if = "Option::is_none"
    )]
    pub protocol_version: Option<String>,
    /// How Lattice checks the targets' health.
    #[serde(
        default,
        rename = "healthCheck",
        skip_serializing_if = "Option::is_none"
    )]
    pub health_check: Option<HealthCheckConfig>,
}

/// A TargetGroupPolicy's health check, as the Go controller's CRD names it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthCheckConfig {
    /// Whether Lattice checks at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Seconds between checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 5, max = 300))]
    pub interval_seconds: Option<i64>,
    /// Seconds a check may take.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 120))]
    pub timeout_seconds: Option<i64>,
    /// Passes before a target is healthy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 2, max = 10))]
    pub healthy_threshold_count: Option<i64>,
    /// Failures before a target is unhealthy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 2, max = 10))]
    pub unhealthy_threshold_count: Option<i64>,
    /// HTTP codes that pass, such as `200` or `200-299`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_match: Option<String>,
    /// Path checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Port checked; the target's when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 65535))]
    pub port: Option<i64>,
    /// `HTTP` or `HTTPS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<HealthCheckProtocol>,
    /// `HTTP1` or `HTTP2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol_version: Option<HealthCheckProtocolVersion>,
}

/// A health check's protocol.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum HealthCheckProtocol {
    /// Plain HTTP.
    #[serde(rename = "HTTP")]
    Http,
    /// HTTP over TLS.
    #[serde(rename = "HTTPS")]
    Https,
}

/// A health check's HTTP version.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum HealthCheckProtocolVersion {
    /// HTTP/1.1.
    #[serde(rename = "HTTP1")]
    Http1,
    /// HTTP/2.
    #[serde(rename = "HTTP2")]
    Http2,
}

/// `VpcAssociationPolicy`: whether and how a Gateway's service network is
/// associated with the cluster's VPC.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "application-networking.k8s.aws",
    version = "v1alpha1",
    kind = "VpcAssociationPolicy",
    plural = "vpcassociationpolicies",
    shortname = "vap",
    category = "gateway-api",
    namespaced,
    status = "PolicyStatus",
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#,
    derive = "PartialEq",
    derive = "Default"
)]
pub struct VpcAssociationPolicySpec {
    /// The Gateway whose service network it associates.
    #[serde(rename = "targetRef")]
    pub target_ref: PolicyTargetReference,
    /// Security groups of the association.
    #[serde(
        default,
        rename = "securityGroupIds",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(length(min = 1))]
    pub security_group_ids: Option<Vec<String>>,
    /// Whether the VPC is associated (default true).
    #[serde(
        default,
        rename = "associateWithVpc",
        skip_serializing_if = "Option::is_none"
    )]
    pub associate_with_vpc: Option<bool>,
}

/// `AccessLogPolicy`: an access log subscription for a Gateway's service
/// network or a route's service.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "application-networking.k8s.aws",
    version = "v1alpha1",
    kind = "AccessLogPolicy",
    plural = "accesslogpolicies",
    shortname = "alp",
    category = "gateway-api",
    namespaced,
    status = "PolicyStatus",
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#,
    derive = "PartialEq",
    derive = "Default"
)]
pub struct AccessLogPolicySpec {
    /// The S3 bucket, CloudWatch Logs group or Firehose stream.
    #[serde(rename = "destinationArn")]
    pub destination_arn: String,
    /// The Gateway, HTTPRoute or GRPCRoute it logs.
    #[serde(rename = "targetRef")]
    pub target_ref: PolicyTargetReference,
}

/// Gateway API `PolicyStatus`-style conditions.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct PolicyStatus {
    /// Conditions such as `Accepted`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
}
