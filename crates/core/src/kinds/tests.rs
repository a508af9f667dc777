//! The list of kinds as a whole: lookups, identities and scopes.

use gateway_api::gatewayclasses::GatewayClass;
use gateway_api::gateways::Gateway;
use gateway_api::grpcroutes::GrpcRoute;
use gateway_api::httproutes::HttpRoute;
use gateway_api::referencegrants::ReferenceGrant;
use gateway_api::tlsroutes::TlsRoute;
use k8s_openapi::api::core::v1::{Namespace, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::core::ApiResource;
use serde_json::json;

use super::*;
use crate::crds::{
    AccessLogPolicy, ClusterLatticePlugin, IAMAuthPolicy, LambdaTarget, LatticePlugin,
    ServiceExport, ServiceImport, ServiceNetwork, TargetGroupPolicy, VpcAssociationPolicy,
};

/// The typed resource each kind decodes into, in [`ALL`]'s order.
fn typed() -> Vec<ApiResource> {
    vec![
        ApiResource::erase::<GatewayClass>(&()),
        ApiResource::erase::<Gateway>(&()),
        ApiResource::erase::<HttpRoute>(&()),
        ApiResource::erase::<GrpcRoute>(&()),
        ApiResource::erase::<TlsRoute>(&()),
        ApiResource::erase::<ReferenceGrant>(&()),
        ApiResource::erase::<Service>(&()),
        ApiResource::erase::<EndpointSlice>(&()),
        ApiResource::erase::<IAMAuthPolicy>(&()),
        ApiResource::erase::<TargetGroupPolicy>(&()),
        ApiResource::erase::<VpcAssociationPolicy>(&()),
        ApiResource::erase::<Namespace>(&()),
        ApiResource::erase::<ClusterLatticePlugin>(&()),
        ApiResource::erase::<LatticePlugin>(&()),
        ApiResource::erase::<AccessLogPolicy>(&()),
        ApiResource::erase::<ServiceNetwork>(&()),
        ApiResource::erase::<ServiceExport>(&()),
        ApiResource::erase::<ServiceImport>(&()),
        ApiResource::erase::<LambdaTarget>(&()),
    ]
}

#[test]
fn every_kind_names_the_group_kind_and_plural_of_the_type_it_decodes_into() {
    assert_eq!(ALL.len(), typed().len());
    for (kind, typed) in ALL.iter().zip(typed()) {
        let ar = kind.identity().api_resource();
        assert_eq!(
            (ar.group, ar.kind, ar.plural),
            (typed.group, typed.kind, typed.plural)
        );
    }
}

#[test]
fn every_kind_is_found_by_its_group_and_kind_and_only_once() {
    for kind in ALL {
        let id = kind.identity();
        let found = find(id.group, id.kind).map(|k| k.identity());
        assert_eq!(found, Some(id));
        let twins = ALL.iter().filter(|k| k.identity().kind == id.kind);
        assert_eq!(twins.count(), 1, "{}", id.kind);
    }
}

#[test]
fn only_gateway_classes_namespaces_cluster_plugins_and_service_networks_are_cluster_scoped() {
    let cluster: Vec<&str> = ALL
        .iter()
        .filter(|k| k.identity().scope == Scope::Cluster)
        .map(|k| k.identity().kind)
        .collect();
    assert_eq!(
        cluster,
        vec![
            "GatewayClass",
            "Namespace",
            "ClusterLatticePlugin",
            "ServiceNetwork"
        ]
    );
}

#[test]
fn the_core_group_has_a_bare_api_version() {
    let service = find(CORE_GROUP, "Service").map(|k| k.identity().api_version());
    assert_eq!(service.as_deref(), Some("v1"));
    let route = route(RouteKind::Grpc).identity().api_version();
    assert_eq!(route, "gateway.networking.k8s.io/v1");
    assert_eq!(group_of("v1"), CORE_GROUP);
    assert_eq!(group_of("discovery.k8s.io/v1"), DISCOVERY_GROUP);
}

#[test]
fn each_route_kind_maps_back_to_its_plugin_route_kind() {
    for kind in [RouteKind::Http, RouteKind::Grpc, RouteKind::Tls] {
        let r = route(kind);
        assert_eq!(r.route_kind(), kind);
        assert_eq!(r.identity().kind, kind.kind_name());
    }
    assert_eq!(routes().count(), 3);
}

#[test]
fn an_object_without_kind_is_an_error_and_an_unknown_kind_is_none() {
    let no_kind = json!({"apiVersion":"v1","metadata":{"name":"x"}});
    assert!(matches!(
        of_object(&no_kind),
        Err(ManifestError::Missing("kind"))
    ));
    let config_map = json!({"apiVersion":"v1","kind":"ConfigMap"});
    assert!(of_object(&config_map).unwrap().is_none());
}

#[test]
fn keys_fall_back_to_generate_name_and_the_default_namespace() {
    let id = route(RouteKind::Http).identity();
    let obj = json!({"metadata":{"generateName":"r-"}});
    assert_eq!(id.key_of(&obj), ("default".to_string(), "r-".to_string()));
    let obj = json!({"metadata":{"name":"r","namespace":"app"}});
    assert_eq!(id.key_of(&obj), ("app".to_string(), "r".to_string()));
}
