//! Custom resources: the Go controller's that the plan reads, with the same
//! group, version and schema, so its manifests apply unchanged; and the
//! project's own, group `lattice-host.io`: plugin objects ([`plugins`]) and
//! Lambda functions as backends ([`lambda_target`]).

mod install;
pub mod lambda_target;
pub mod plugins;
pub mod policies;
pub mod service_export;
pub mod service_import;
pub mod service_network;

pub use install::{gateway_api, project, project_by_group, to_yaml};
pub use lambda_target::{EventStructureVersion, LambdaTarget, LambdaTargetSpec};
pub use plugins::{
    ClusterLatticePlugin, ClusterLatticePluginSpec, LatticePlugin, LatticePluginSpec, PluginSource,
    PluginSpec, PluginStage, PluginStatus, PluginTargetRef,
};
pub use policies::{
    AccessLogPolicy, AccessLogPolicySpec, HealthCheckConfig, IAMAuthPolicy, IAMAuthPolicySpec,
    PolicyStatus, PolicyTargetReference, TargetGroupPolicy, TargetGroupPolicySpec,
    VpcAssociationPolicy, VpcAssociationPolicySpec,
};
pub use service_export::{ExportedPort, RouteType, ServiceExport, ServiceExportSpec};
pub use service_import::{ServiceImport, ServiceImportSpec};
pub use service_network::{ServiceNetwork, ServiceNetworkSpec, ServiceNetworkStatus};
