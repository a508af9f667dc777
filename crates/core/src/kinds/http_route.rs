//! HTTPRoute: routes matched on HTTP path, headers and method. Shared behaviour is in `route.rs`.

use std::collections::BTreeMap;

use gateway_api::httproutes::HttpRoute;
use lattice_plugin_sdk::types::RouteKind;

use super::{GATEWAY_GROUP, Identity, Packed, RouteType, Scope};
use crate::model::{RouteView, routes};
use crate::snapshot::{Key, Snapshot};

/// `gateway.networking.k8s.io/v1` HTTPRoute.
pub struct HttpRouteKind;

impl RouteType for HttpRouteKind {
    type Object = HttpRoute;
    const IDENTITY: Identity = Identity {
        group: GATEWAY_GROUP,
        version: "v1",
        kind: "HTTPRoute",
        plural: "httproutes",
        scope: Scope::Namespaced,
    };
    const KIND: RouteKind = RouteKind::Http;

    fn map(snapshot: &Snapshot) -> &BTreeMap<Key, Packed<HttpRoute>> {
        &snapshot.http_routes
    }

    fn map_mut(snapshot: &mut Snapshot) -> &mut BTreeMap<Key, Packed<HttpRoute>> {
        &mut snapshot.http_routes
    }

    fn view(object: &HttpRoute) -> RouteView {
        routes::from_http(object)
    }
}
