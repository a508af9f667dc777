//! The kinds the controller watches come from the core list,
//! [`lattice_core::kinds::ALL`]: one watch loop serves them all, and the
//! index decodes them into typed state. The writers of status, finalizers
//! and annotations look up the API resources they patch here.

use kube::api::ApiResource;
use lattice_core::kinds::{self, GatewayClassKind, GatewayKind, Kind};
use lattice_plugin_sdk::types::RouteKind;

/// Every watched kind, in the core list's order.
pub fn watched() -> Vec<&'static dyn Kind> {
    kinds::ALL.to_vec()
}

/// A route kind, whose status, finalizers and annotations this controller
/// writes.
pub fn route(kind: RouteKind) -> ApiResource {
    kinds::route(kind).identity().api_resource()
}

/// Gateway.
pub fn gateway() -> ApiResource {
    GatewayKind.identity().api_resource()
}

/// GatewayClass.
pub fn gateway_class() -> ApiResource {
    GatewayClassKind.identity().api_resource()
}

/// The Go controller's ServiceNetwork kind.
pub fn service_network() -> ApiResource {
    kinds::service_network::ID.api_resource()
}

/// A policy kind of the Go controller's, such as `TargetGroupPolicy`.
pub fn policy(kind: &str) -> ApiResource {
    let group = lattice_core::kinds::POLICY_GROUP;
    match kinds::find(group, kind) {
        Some(k) => k.identity().api_resource(),
        // Only the core's policy kinds reach the writer.
        None => ApiResource::from_gvk(&kube::api::GroupVersionKind::gvk(group, "v1alpha1", kind)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_resources_are_those_the_controller_always_watched() {
        let ar = route(RouteKind::Grpc);
        assert_eq!(ar.api_version, "gateway.networking.k8s.io/v1");
        assert_eq!(
            (ar.kind.as_str(), ar.plural.as_str()),
            ("GRPCRoute", "grpcroutes")
        );
        assert_eq!(gateway_class().plural, "gatewayclasses");
        let watched: Vec<String> = watched()
            .iter()
            .map(|k| k.identity().api_resource().api_version)
            .collect();
        assert!(watched.contains(&"gateway.networking.k8s.io/v1beta1".to_string()));
        assert!(watched.contains(&"v1".to_string()));
        // The eleven kinds planning always read, plus Namespaces and the two
        // plugin kinds (issue 10), plus AccessLogPolicy and ServiceNetwork,
        // plus LambdaTarget, ServiceExport and ServiceImport (issue 13).
        assert!(watched.contains(&"lattice-host.io/v1alpha1".to_string()));
        assert_eq!(watched.len(), 19);
    }
}
