//! `ServiceImport` (namespaced): the Go controller's multi-cluster import.
//! As a backendRef it names target groups that some cluster exported, or
//! any target group by ARN; its annotations say which (see
//! [`crate::model::service_import`]). The spec is the Multi-Cluster
//! Services API's, read by nothing here but kept so manifests apply.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::{CustomResource, CustomResourceExt};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `ServiceImport`'s spec.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "application-networking.k8s.aws",
    version = "v1alpha1",
    kind = "ServiceImport",
    plural = "serviceimports",
    namespaced,
    status = "ServiceImportStatus",
    derive = "PartialEq",
    derive = "Default"
)]
pub struct ServiceImportSpec {
    /// The imported ports.
    #[serde(default)]
    #[schemars(extend("x-kubernetes-list-type" = "atomic"))]
    pub ports: Vec<ImportPort>,
    /// `ClusterSetIP` or `Headless`.
    #[serde(default)]
    pub r#type: ServiceImportType,
    /// The ClusterSet IP, for `ClusterSetIP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1))]
    pub ips: Option<Vec<String>>,
    /// `ClientIP` or `None`.
    #[serde(
        default,
        rename = "sessionAffinity",
        skip_serializing_if = "Option::is_none"
    )]
    pub session_affinity: Option<String>,
    /// Client IP affinity settings.
    #[serde(
        default,
        rename = "sessionAffinityConfig",
        skip_serializing_if = "Option::is_none"
    )]
    pub session_affinity_config: Option<SessionAffinityConfig>,
}

/// A port of the imported service.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportPort {
    /// The port number.
    pub port: i32,
    /// The port's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `TCP`, `UDP` or `SCTP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// The application protocol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_protocol: Option<String>,
}

/// How the imported service is reached.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum ServiceImportType {
    /// Through a ClusterSet IP.
    #[default]
    ClusterSetIP,
    /// Through its endpoints.
    Headless,
}

/// Session affinity settings.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct SessionAffinityConfig {
    /// Client IP affinity.
    #[serde(default, rename = "clientIP", skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<ClientIpConfig>,
}

/// Client IP affinity.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientIpConfig {
    /// Seconds a client sticks (1-86400).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<i32>,
}

/// The clusters an import comes from.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct ServiceImportStatus {
    /// Exporting clusters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["cluster"]))]
    pub clusters: Vec<ClusterStatus>,
}

/// One exporting cluster.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct ClusterStatus {
    /// The cluster's name.
    pub cluster: String,
}

/// The CRD, without a status subresource, as the Go controller's has it.
pub fn crd() -> CustomResourceDefinition {
    let mut crd = ServiceImport::crd();
    super::service_network::loosen(&mut crd);
    crd
}
