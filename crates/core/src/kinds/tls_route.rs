//! TLSRoute: routes matched on SNI hostname. Shared behaviour is in `route.rs`.

use std::collections::BTreeMap;

use gateway_api::tlsroutes::TlsRoute;
use lattice_plugin_sdk::types::RouteKind;

use super::{GATEWAY_GROUP, Identity, Packed, RouteType, Scope};
use crate::model::{RouteView, routes};
use crate::snapshot::{Key, Snapshot};

/// `gateway.networking.k8s.io/v1` TLSRoute.
pub struct TlsRouteKind;

impl RouteType for TlsRouteKind {
    type Object = TlsRoute;
    const IDENTITY: Identity = Identity {
        group: GATEWAY_GROUP,
        version: "v1",
        kind: "TLSRoute",
        plural: "tlsroutes",
        scope: Scope::Namespaced,
    };
    const KIND: RouteKind = RouteKind::Tls;

    fn map(snapshot: &Snapshot) -> &BTreeMap<Key, Packed<TlsRoute>> {
        &snapshot.tls_routes
    }

    fn map_mut(snapshot: &mut Snapshot) -> &mut BTreeMap<Key, Packed<TlsRoute>> {
        &mut snapshot.tls_routes
    }

    fn view(object: &TlsRoute) -> RouteView {
        routes::from_tls(object)
    }
}
