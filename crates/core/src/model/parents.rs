//! Which Gateways a route attaches to, and which of their listeners.

use gateway_api::gateways::{Gateway, GatewayListeners};
use kube::ResourceExt;
use lattice_plugin_sdk::types::RouteKind;
use serde::Serialize;

use super::naming::{NameKind, check_name};
use super::routes::{ParentRef, RouteView};
use crate::config::{CONTROLLER_NAME, GATEWAY_CLASS_NAME};
use crate::snapshot::Snapshot;

/// A Lattice listener a route's service needs.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ListenerIntent {
    /// Port.
    pub port: i32,
    /// `HTTP`, `HTTPS` or `TLS_PASSTHROUGH`.
    pub protocol: String,
}

/// Whether a Gateway belongs to this controller: its class names our
/// controller, or (offline, with no GatewayClass given) it is the anchor's
/// well-known class name.
pub fn is_ours(snapshot: &Snapshot, gw: &Gateway) -> bool {
    match snapshot.gateway_classes.get(&gw.spec.gateway_class_name) {
        Some(class) => class.spec.controller_name == CONTROLLER_NAME,
        None => gw.spec.gateway_class_name == GATEWAY_CLASS_NAME,
    }
}

/// The Lattice listener protocol for a Gateway listener, if the route kind fits it.
fn listener_protocol(
    kind: RouteKind,
    protocol: &str,
    tls_mode: Option<&str>,
) -> Option<&'static str> {
    match (kind, protocol) {
        (RouteKind::Http, "HTTP") => Some("HTTP"),
        (RouteKind::Http | RouteKind::Grpc, "HTTPS") => Some("HTTPS"),
        // Lattice serves gRPC only on HTTPS listeners.
        (RouteKind::Tls, "TLS") if tls_mode.unwrap_or("Terminate") == "Passthrough" => {
            Some("TLS_PASSTHROUGH")
        }
        _ => None,
    }
}

/// One attached parent: the Gateway and the listeners the route uses on it.
#[derive(Clone, Debug)]
pub struct Attachment {
    /// Gateway namespace and name.
    pub gateway: (String, String),
    /// Index of the parentRef.
    pub parent_index: usize,
    /// Listeners used, as Lattice listeners.
    pub listeners: Vec<ListenerIntent>,
    /// Names of the Gateway listeners the route attached to.
    pub listener_names: Vec<String>,
    /// Why nothing attached, when `listeners` is empty: (reason, message).
    pub refused: Option<(&'static str, String)>,
}

/// Resolves the parentRefs of a route that point at Gateways of ours.
/// ParentRefs to other controllers' Gateways are not ours to report on.
pub fn attachments(snapshot: &Snapshot, route: &RouteView) -> Vec<Attachment> {
    let mut out = Vec::new();
    for (i, p) in route.parent_refs.iter().enumerate() {
        if p.group != crate::kinds::GATEWAY_GROUP || p.kind != "Gateway" {
            continue;
        }
        let Some(gw) = snapshot
            .gateways
            .get(&(p.namespace.clone(), p.name.clone()))
        else {
            continue;
        };
        if !is_ours(snapshot, gw) {
            continue;
        }
        out.push(attach(gw, p, i, route));
    }
    out
}

fn attach(gw: &Gateway, p: &ParentRef, parent_index: usize, route: &RouteView) -> Attachment {
    let gw_ns = gw.namespace().unwrap_or_else(|| "default".into());
    let mut listeners = Vec::new();
    let mut listener_names = Vec::new();
    let mut selected = 0;
    for l in &gw.spec.listeners {
        if p.section_name.as_ref().is_some_and(|s| s != &l.name)
            || p.port.is_some_and(|port| port != l.port)
        {
            continue;
        }
        selected += 1;
        // Lattice listens on ports 1-65535 only (issue 15).
        if !admits_namespace(l, &gw_ns, &route.id.namespace) || !(1..=65535).contains(&l.port) {
            continue;
        }
        let mode = l
            .tls
            .as_ref()
            .and_then(|t| t.mode.as_ref())
            .map(|m| format!("{m:?}"));
        if let Some(proto) = listener_protocol(route.kind, &l.protocol, mode.as_deref()) {
            listener_names.push(l.name.clone());
            listeners.push(ListenerIntent {
                port: l.port,
                protocol: proto.to_string(),
            });
        }
    }
    listeners.sort();
    listeners.dedup();
    let mut refused = listeners
        .is_empty()
        .then(|| refusal(&gw_ns, p, route, selected));
    // A Gateway whose name Lattice refuses has no service network to join
    // (issue 15: the service joined one that is never created).
    if let Err(why) = check_name(NameKind::ServiceNetwork, &p.name) {
        listeners.clear();
        listener_names.clear();
        refused = Some((
            "UnsupportedValue",
            format!(
                "Gateway {gw_ns}/{} has no VPC Lattice service network: the name {why}",
                p.name
            ),
        ));
    }
    Attachment {
        gateway: (gw_ns, p.name.clone()),
        parent_index,
        listeners,
        listener_names,
        refused,
    }
}

/// Whether the listener's `allowedRoutes` admits routes from `namespace`.
fn admits_namespace(l: &GatewayListeners, gw_ns: &str, namespace: &str) -> bool {
    let from = l
        .allowed_routes
        .as_ref()
        .and_then(|a| a.namespaces.as_ref())
        .and_then(|n| n.from.as_ref())
        .map(|f| format!("{f:?}"))
        .unwrap_or_else(|| "Same".into());
    from != "Same" || namespace == gw_ns
}

/// Why a parentRef got no listener: it selected none, or none it selected
/// admits the route.
fn refusal(
    gw_ns: &str,
    p: &ParentRef,
    route: &RouteView,
    selected: usize,
) -> (&'static str, String) {
    if selected == 0 {
        return (
            "NoMatchingParent",
            format!(
                "Gateway {gw_ns}/{} has no listener matching sectionName/port",
                p.name
            ),
        );
    }
    (
        "NotAllowedByListeners",
        format!(
            "no listener of Gateway {gw_ns}/{} accepts a {} from namespace {} (VPC Lattice serves HTTPRoute on HTTP/HTTPS, GRPCRoute on HTTPS, TLSRoute on TLS Passthrough, on ports 1-65535)",
            p.name,
            route.kind.kind_name(),
            route.id.namespace
        ),
    )
}
