//! Cluster identity: what names and ownership tags are derived from, and
//! the settings that change how routes resolve.

use serde::{Deserialize, Serialize};

/// The controller class this project answers to, as the Go controller does.
pub const CONTROLLER_NAME: &str = "application-networking.k8s.aws/gateway-api-controller";
/// The GatewayClass name users write in their Gateways.
pub const GATEWAY_CLASS_NAME: &str = "amazon-vpc-lattice";
/// Annotation and tag prefix shared with the Go controller.
pub const DOMAIN: &str = "application-networking.k8s.aws";

/// Who this cluster is, for names and the `ManagedBy` tag.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterConfig {
    /// `AWS_ACCOUNT_ID`.
    pub account_id: String,
    /// `CLUSTER_NAME`.
    pub cluster_name: String,
    /// `CLUSTER_VPC_ID`.
    pub vpc_id: String,
    /// `REGION`.
    pub region: String,
    /// `DEFAULT_SERVICE_NETWORK`: found or created, and joined to the
    /// cluster VPC, as the Go controller does at start. Routes join it
    /// only under [`ClusterConfig::service_network_override`].
    pub default_service_network: Option<String>,
    /// `ENABLE_SERVICE_NETWORK_OVERRIDE`: every Gateway stands for the
    /// default service network, so every route's service joins it and no
    /// other. Without a default service network it does nothing, as in Go.
    #[serde(default)]
    pub service_network_override: bool,
    /// `REFERENCE_GRANT_POLICY`: whether a cross-namespace backend needs
    /// a ReferenceGrant.
    #[serde(default)]
    pub reference_grants: ReferenceGrantPolicy,
}

/// Whether a backendRef to another namespace needs a ReferenceGrant there.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReferenceGrantPolicy {
    /// As Gateway API says: without a grant the backend is not resolved
    /// (`RefNotPermitted`).
    #[default]
    Require,
    /// As the Go controller does, which checks no grant: for a migration
    /// whose cross-namespace routes have none yet.
    Ignore,
}

impl ReferenceGrantPolicy {
    /// The variable that sets the policy, for messages.
    pub const VARIABLE: &'static str = "REFERENCE_GRANT_POLICY";

    /// `require` or `ignore`, as the variable is written.
    pub fn as_str(self) -> &'static str {
        match self {
            ReferenceGrantPolicy::Require => "require",
            ReferenceGrantPolicy::Ignore => "ignore",
        }
    }
}

impl std::str::FromStr for ReferenceGrantPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "require" => Ok(ReferenceGrantPolicy::Require),
            "ignore" => Ok(ReferenceGrantPolicy::Ignore),
            other => Err(format!("{other:?} is neither require nor ignore")),
        }
    }
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            account_id: "111122223333".into(),
            cluster_name: "lattice-host".into(),
            vpc_id: "vpc-00000000000000000".into(),
            region: "us-west-2".into(),
            default_service_network: None,
            service_network_override: false,
            reference_grants: ReferenceGrantPolicy::Require,
        }
    }
}

impl ClusterConfig {
    /// The `application-networking.k8s.aws/ManagedBy` tag value:
    /// `<account>/<cluster>/<vpc>`.
    pub fn managed_by(&self) -> String {
        format!("{}/{}/{}", self.account_id, self.cluster_name, self.vpc_id)
    }

    /// The service network every Gateway stands for, when the override is
    /// on and a default service network is set (the Go controller's
    /// `ServiceNetworkOverrideMode` needs both).
    pub fn override_network(&self) -> Option<&str> {
        self.default_service_network
            .as_deref()
            .filter(|_| self.service_network_override)
    }
}
