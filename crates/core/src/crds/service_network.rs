//! `ServiceNetwork` (cluster-scoped): a VPC Lattice service network whose
//! lifecycle a Kubernetes object owns, as in the Go controller. Created when
//! absent, adopted when it exists untagged, deleted with the object once
//! nothing uses it.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, CustomResourceExt};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `ServiceNetwork`'s spec: empty; the object's name is the network's name.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "application-networking.k8s.aws",
    version = "v1alpha1",
    kind = "ServiceNetwork",
    plural = "servicenetworks",
    shortname = "sn",
    category = "gateway-api",
    status = "ServiceNetworkStatus",
    printcolumn = r#"{"name":"ARN","type":"string","jsonPath":".status.serviceNetworkARN"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#,
    derive = "PartialEq",
    derive = "Default"
)]
pub struct ServiceNetworkSpec {}

/// What the controller reports of a `ServiceNetwork`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct ServiceNetworkStatus {
    /// `Accepted` and `Programmed`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The network's ARN, once it exists.
    #[serde(
        default,
        rename = "serviceNetworkARN",
        skip_serializing_if = "Option::is_none"
    )]
    pub service_network_arn: Option<String>,
    /// The network's id, once it exists.
    #[serde(
        default,
        rename = "serviceNetworkID",
        skip_serializing_if = "Option::is_none"
    )]
    pub service_network_id: Option<String>,
}

/// The CRD, with `spec` optional as the Go controller's has it: its
/// manifests are often a bare name (the index reads a missing `spec` as
/// empty).
pub fn crd() -> CustomResourceDefinition {
    let mut crd = ServiceNetwork::crd();
    spec_optional(&mut crd);
    crd
}

/// Leaves `spec` out of what the CRD requires.
pub(super) fn spec_optional(crd: &mut CustomResourceDefinition) {
    for v in &mut crd.spec.versions {
        let root = v
            .schema
            .as_mut()
            .and_then(|s| s.open_api_v3_schema.as_mut());
        if let Some(required) = root.and_then(|r| r.required.as_mut()) {
            required.retain(|f| f != "spec");
        }
    }
}

/// `spec` optional and no status subresource, as the Go controller's
/// multi-cluster CRDs have them: their status is written with the object.
pub(super) fn loosen(crd: &mut CustomResourceDefinition) {
    spec_optional(crd);
    for v in &mut crd.spec.versions {
        v.subresources = None;
    }
}
