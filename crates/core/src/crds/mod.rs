//! Custom resources: the Go controller's that the plan reads, with the same
//! group, version and schema, so its manifests apply unchanged; and the
//! project's own plugin objects ([`plugins`], group `lattice-host.io`).

mod install;
pub mod plugins;

pub use install::{gateway_api, project, project_by_group, to_yaml};
pub use plugins::{
    ClusterLatticePlugin, ClusterLatticePluginSpec, LatticePlugin, LatticePluginSpec, PluginSource,
    PluginSpec, PluginStage, PluginStatus, PluginTargetRef,
};

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

/// Gateway API `PolicyStatus`-style conditions.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct PolicyStatus {
    /// Conditions such as `Accepted`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
}
