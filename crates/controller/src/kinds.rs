//! The kinds the controller watches, as dynamic API resources: one watch
//! loop serves them all, and the index decodes them into typed state.

use kube::api::{ApiResource, GroupVersionKind};

fn ar(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
}

/// Every watched kind.
pub fn watched() -> Vec<ApiResource> {
    let gw = "gateway.networking.k8s.io";
    vec![
        ar(gw, "v1", "GatewayClass", "gatewayclasses"),
        ar(gw, "v1", "Gateway", "gateways"),
        ar(gw, "v1", "HTTPRoute", "httproutes"),
        ar(gw, "v1", "GRPCRoute", "grpcroutes"),
        ar(gw, "v1", "TLSRoute", "tlsroutes"),
        ar(gw, "v1beta1", "ReferenceGrant", "referencegrants"),
        ar("", "v1", "Service", "services"),
        ar("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices"),
        ar(
            "application-networking.k8s.aws",
            "v1alpha1",
            "IAMAuthPolicy",
            "iamauthpolicies",
        ),
    ]
}

/// The route kinds, whose status this controller writes.
pub fn route(kind: lattice_plugin_sdk::types::RouteKind) -> ApiResource {
    use lattice_plugin_sdk::types::RouteKind::*;
    let gw = "gateway.networking.k8s.io";
    match kind {
        Http => ar(gw, "v1", "HTTPRoute", "httproutes"),
        Grpc => ar(gw, "v1", "GRPCRoute", "grpcroutes"),
        Tls => ar(gw, "v1", "TLSRoute", "tlsroutes"),
    }
}

/// Gateway.
pub fn gateway() -> ApiResource {
    ar("gateway.networking.k8s.io", "v1", "Gateway", "gateways")
}

/// GatewayClass.
pub fn gateway_class() -> ApiResource {
    ar(
        "gateway.networking.k8s.io",
        "v1",
        "GatewayClass",
        "gatewayclasses",
    )
}
