//! `ServiceExport` (namespaced): the Go controller's multi-cluster export.
//! The Service of the same name (or the one its
//! `application-networking.k8s.aws/service-name` annotation names) gets a
//! standalone target group in this cluster's VPC, tagged so that any
//! cluster's controller, this one or the Go one, finds it from a
//! `ServiceImport`.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::{CustomResource, CustomResourceExt};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `ServiceExport`'s spec.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "application-networking.k8s.aws",
    version = "v1alpha1",
    kind = "ServiceExport",
    plural = "serviceexports",
    namespaced,
    status = "ServiceExportStatus",
    derive = "PartialEq",
    derive = "Default"
)]
pub struct ServiceExportSpec {
    /// The ports exported, each with the route type it serves; none: the
    /// legacy form, one HTTP group on the port of the
    /// `application-networking.k8s.aws/port` annotation (else every port).
    #[serde(
        default,
        rename = "exportedPorts",
        skip_serializing_if = "Option::is_none"
    )]
    pub exported_ports: Option<Vec<ExportedPort>>,
}

/// One exported port of the Service.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct ExportedPort {
    /// The Service port.
    pub port: i32,
    /// `HTTP`, `GRPC` or `TLS`: the kind of route that will forward to it,
    /// which sets the group's protocol.
    #[serde(rename = "routeType")]
    pub route_type: RouteType,
}

/// The route type an exported port serves.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum RouteType {
    /// HTTPRoute: `HTTP`/`HTTP1`.
    #[default]
    #[serde(rename = "HTTP")]
    Http,
    /// GRPCRoute: `HTTP`/`GRPC`.
    #[serde(rename = "GRPC")]
    Grpc,
    /// TLSRoute: `TCP`.
    #[serde(rename = "TLS")]
    Tls,
}

/// What a controller reports of an export (the Go controller's CRD has no
/// status subresource: it is written with the object).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct ServiceExportStatus {
    /// Conditions, by type.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Vec<ExportCondition>,
}

/// A condition as the Go controller's CRD has it: only `type` and `status`
/// required.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExportCondition {
    /// `True`, `False` or `Unknown`.
    pub status: String,
    /// The condition type.
    pub r#type: String,
    /// Machine-readable reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Human-readable message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// When the status last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<String>,
}

/// The CRD, without a status subresource and with `spec` optional, as the
/// Go controller's has it.
pub fn crd() -> CustomResourceDefinition {
    let mut crd = ServiceExport::crd();
    super::service_network::loosen(&mut crd);
    crd
}
