//! Cluster identity: what names and ownership tags are derived from.

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
    /// `DEFAULT_SERVICE_NETWORK`: routes also join this service network.
    pub default_service_network: Option<String>,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            account_id: "111122223333".into(),
            cluster_name: "lattice-host".into(),
            vpc_id: "vpc-00000000000000000".into(),
            region: "us-west-2".into(),
            default_service_network: None,
        }
    }
}

impl ClusterConfig {
    /// The `application-networking.k8s.aws/ManagedBy` tag value:
    /// `<account>/<cluster>/<vpc>`.
    pub fn managed_by(&self) -> String {
        format!("{}/{}/{}", self.account_id, self.cluster_name, self.vpc_id)
    }
}
