//! GRPCRoute: routes matched on gRPC service and method. Shared behaviour is in `route.rs`.

use std::collections::BTreeMap;

use gateway_api::grpcroutes::GrpcRoute;
use lattice_plugin_sdk::types::RouteKind;

use super::{GATEWAY_GROUP, Identity, Packed, RouteType, Scope};
use crate::model::{RouteView, routes};
use crate::snapshot::{Key, Snapshot};

/// `gateway.networking.k8s.io/v1` GRPCRoute.
pub struct GrpcRouteKind;

impl RouteType for GrpcRouteKind {
    type Object = GrpcRoute;
    const IDENTITY: Identity = Identity {
        group: GATEWAY_GROUP,
        version: "v1",
        kind: "GRPCRoute",
        plural: "grpcroutes",
        scope: Scope::Namespaced,
    };
    const KIND: RouteKind = RouteKind::Grpc;

    fn map(snapshot: &Snapshot) -> &BTreeMap<Key, Packed<GrpcRoute>> {
        &snapshot.grpc_routes
    }

    fn map_mut(snapshot: &mut Snapshot) -> &mut BTreeMap<Key, Packed<GrpcRoute>> {
        &mut snapshot.grpc_routes
    }

    fn view(object: &GrpcRoute) -> RouteView {
        routes::from_grpc(object)
    }
}
