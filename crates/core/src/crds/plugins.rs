//! The project's plugin objects, group `lattice-host.io`, version `v1alpha1`:
//! [`ClusterLatticePlugin`] (cluster-scoped) and [`LatticePlugin`]
//! (namespaced) say which WebAssembly component makes one stage's decision
//! (mapping, weighting or auth) for the routes they apply to. Both share
//! [`PluginSpec`]; which one decides a given route is
//! [`crate::plugins::choose`]'s business.

// `printcolumn(.., type_ = "string", ..)` repeats per column: kube's syntax,
// not a duplicated attribute.
#![allow(clippy::duplicated_attributes)]

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, LabelSelector};
use kube::{CustomResource, KubeSchema};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

use crate::plan::FailurePolicy;

/// The project's API group.
pub const GROUP: &str = "lattice-host.io";

/// The decision a plugin makes.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum PluginStage {
    /// A route's rules into Lattice listener rules.
    Mapping,
    /// The weights of a rule's backends.
    Weighting,
    /// The auth policy of a route's service.
    Auth,
}

impl PluginStage {
    /// Every stage, in the order the plan runs them.
    pub const ALL: [PluginStage; 3] = [Self::Mapping, Self::Weighting, Self::Auth];

    /// The name as written in `spec.stage`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mapping => "mapping",
            Self::Weighting => "weighting",
            Self::Auth => "auth",
        }
    }

    /// The plugin contract's name for the stage.
    pub fn stage(self) -> lattice_plugin_sdk::types::Stage {
        use lattice_plugin_sdk::types::Stage;
        match self {
            Self::Mapping => Stage::Mapping,
            Self::Weighting => Stage::Weighting,
            Self::Auth => Stage::Auth,
        }
    }

    /// Its position in [`PluginStage::ALL`], the order of a route's choices.
    pub fn index(self) -> usize {
        match self {
            Self::Mapping => 0,
            Self::Weighting => 1,
            Self::Auth => 2,
        }
    }
}

/// What every plugin object says, cluster-scoped or not.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PluginSpec {
    /// The stage whose decision the plugin makes: `mapping`, `weighting` or `auth`.
    pub stage: PluginStage,
    /// Where the component comes from: exactly one of `configMap`, `oci` or `file`.
    pub source: PluginSource,
    /// The component's expected SHA-256, as 64 lowercase hex digits; a
    /// component with another digest is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^[0-9a-f]{64}$"))]
    pub sha256: Option<String>,
    /// Name of a docker-config Secret, in the plugin's namespace (the
    /// controller's for a cluster plugin), to pull an `oci` source with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_secret: Option<String>,
    /// Settings handed to the plugin as they are: any JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "any_json")]
    pub settings: Option<serde_json::Value>,
    /// What a failure of the plugin on a route does to that route.
    #[serde(default)]
    pub failure_policy: FailurePolicy,
    /// Per-call limits; the controller's defaults where absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<PluginLimits>,
    /// How a new version of the component is rolled out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<PluginRollout>,
}

/// Any JSON value, kept as written.
fn any_json(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "x-kubernetes-preserve-unknown-fields": true })
}

/// Where a plugin's component comes from: exactly one of the three.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new(
    "(has(self.configMap) ? 1 : 0) + (has(self.oci) ? 1 : 0) + (has(self.file) ? 1 : 0) == 1"
).message("exactly one of configMap, oci or file must be set"))]
pub struct PluginSource {
    /// A key of a ConfigMap holding the component (in `binaryData`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_map: Option<ConfigMapSource>,
    /// An OCI reference pinned by digest: `registry/repo@sha256:<64 hex>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^[^@\s]+@sha256:[0-9a-f]{64}$"))]
    pub oci: Option<String>,
    /// An absolute path inside the controller's image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^/"))]
    pub file: Option<String>,
}

/// A key of a ConfigMap.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct ConfigMapSource {
    /// The ConfigMap's name.
    #[schemars(length(min = 1))]
    pub name: String,
    /// The key holding the component.
    #[schemars(length(min = 1))]
    pub key: String,
    /// The ConfigMap's namespace: required for a ClusterLatticePlugin, the
    /// plugin's own for a LatticePlugin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// Per-call limits of a plugin.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PluginLimits {
    /// Wall-clock budget of one call, in milliseconds (1 to 10000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 10000))]
    pub timeout_ms: Option<u32>,
    /// Linear memory of one instance, in MiB (1 to 4096).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "memoryMiB")]
    #[schemars(range(min = 1, max = 4096))]
    pub memory_mib: Option<u32>,
}

/// How a new version of a plugin's component is rolled out.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PluginRollout {
    /// How many routes the new version may fail on before it is blocked
    /// and the last good version kept.
    #[serde(default)]
    pub max_failed_routes: u32,
}

/// A route a LatticePlugin decides, in the plugin's namespace.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
pub struct PluginTargetRef {
    /// API group of the route: `gateway.networking.k8s.io`.
    pub group: String,
    /// `HTTPRoute`, `GRPCRoute` or `TLSRoute`.
    pub kind: String,
    /// Name of the route.
    pub name: String,
}

/// `lattice-host.io/v1alpha1` ClusterLatticePlugin: the plugin of one stage
/// for every route of the namespaces its selector matches.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[kube(
    group = "lattice-host.io",
    version = "v1alpha1",
    kind = "ClusterLatticePlugin",
    doc = "The plugin of one stage for the routes of every namespace its selector matches.",
    plural = "clusterlatticeplugins",
    shortname = "clp",
    category = "lattice-host",
    status = "PluginStatus",
    derive = "PartialEq",
    printcolumn(name = "Stage", type_ = "string", json_path = ".spec.stage"),
    printcolumn(name = "Digest", type_ = "string", json_path = ".status.activeDigest"),
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = r#".status.conditions[?(@.type=="Ready")].status"#
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new(
    "!has(self.source.configMap) || has(self.source.configMap.__namespace__)"
).message("source.configMap.namespace is required for a ClusterLatticePlugin"))]
pub struct ClusterLatticePluginSpec {
    /// What the plugin is.
    #[serde(flatten)]
    pub plugin: PluginSpec,
    /// The namespaces whose routes it decides; every namespace when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<LabelSelector>,
    /// Whether a LatticePlugin of the same stage may take over in the
    /// namespaces this plugin applies to.
    #[serde(default)]
    pub allow_namespace_override: bool,
}

/// `lattice-host.io/v1alpha1` LatticePlugin: the plugin of one stage for
/// routes of its own namespace, where the cluster plugin of that stage
/// allows it.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "lattice-host.io",
    version = "v1alpha1",
    kind = "LatticePlugin",
    doc = "The plugin of one stage for routes of its own namespace, where the cluster plugin allows it.",
    plural = "latticeplugins",
    shortname = "lp",
    category = "lattice-host",
    namespaced,
    status = "PluginStatus",
    derive = "PartialEq",
    printcolumn(name = "Stage", type_ = "string", json_path = ".spec.stage"),
    printcolumn(name = "Digest", type_ = "string", json_path = ".status.activeDigest"),
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = r#".status.conditions[?(@.type=="Ready")].status"#
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct LatticePluginSpec {
    /// What the plugin is.
    #[serde(flatten)]
    pub plugin: PluginSpec,
    /// The routes of its namespace it decides; all of them when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub target_refs: Vec<PluginTargetRef>,
}

/// What the controller says about a plugin object.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PluginStatus {
    /// The generation the status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The digest of the component in use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_digest: Option<String>,
    /// How many routes the plugin decides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routes: Option<u32>,
    /// `Accepted`, `Ready` and `Blocked`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
}
