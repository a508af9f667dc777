//! Two routes whose Lattice service names collide: the Go controller's
//! names are `<route:20>-<namespace:18>`, so long names that differ only
//! past those cuts (or equal names of two route kinds) claim one service.
//! The oldest route holds it, as the Gateway API resolves conflicts; the
//! others are refused with a `Conflicted` reason naming the holder, so a
//! new route never takes over a working one's service.

use lattice_plugin_sdk::diagnostic;
use lattice_plugin_sdk::types::Diagnostic;

use super::{RouteView, naming, parents};
use crate::index::{RouteKey, route_view};
use crate::snapshot::Snapshot;

/// Why `view` may not have the service `name`: an older route of ours
/// (by creation time, then kind, namespace and name) holds it.
pub(super) fn conflict(snapshot: &Snapshot, view: &RouteView, name: &str) -> Option<Diagnostic> {
    let claims = snapshot.service_names.get(name)?;
    if claims.len() < 2 {
        return None;
    }
    let me = RouteKey {
        kind: view.kind,
        namespace: view.id.namespace.clone(),
        name: view.id.name.clone(),
    };
    let holder = claims
        .iter()
        .filter(|rk| *rk == &me || is_served(snapshot, rk))
        .min_by_key(|rk| super::age(snapshot.route_meta(rk).as_ref(), *rk))?;
    if holder == &me {
        return None;
    }
    let field = if view
        .annotations
        .iter()
        .any(|(k, _)| k == naming::SERVICE_NAME_OVERRIDE)
    {
        format!("metadata.annotations[{:?}]", naming::SERVICE_NAME_OVERRIDE)
    } else {
        "metadata.name".to_string()
    };
    Some(diagnostic(
        "Accepted",
        "Conflicted",
        field,
        format!(
            "VPC Lattice service name {name:?} is already {holder}'s (the older route keeps it); rename this route or set the {} annotation",
            naming::SERVICE_NAME_OVERRIDE
        ),
    ))
}

/// Whether the route would get a service: one of our Gateways accepts it
/// and it is not being deleted.
fn is_served(snapshot: &Snapshot, rk: &RouteKey) -> bool {
    route_view(snapshot, rk).is_some_and(|v| {
        !v.deleting
            && parents::attachments(snapshot, &v)
                .iter()
                .any(|a| a.refused.is_none())
    })
}
