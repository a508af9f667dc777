//! Which Gateways a route attaches to, and which of their listeners.

use gateway_api::gateways::Gateway;
use kube::ResourceExt;
use serde::Serialize;

use super::listeners;
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

/// One attached parent: the Gateway and the listeners the route uses on it.
#[derive(Clone, Debug)]
pub struct Attachment {
    /// Gateway namespace and name.
    pub gateway: (String, String),
    /// Index of the parentRef.
    pub parent_index: usize,
    /// Listeners used, as Lattice listeners.
    pub listeners: Vec<ListenerIntent>,
    /// Names of the Gateway listeners whose allowedRoutes admit the route
    /// (the listeners' `attachedRoutes`).
    pub listener_names: Vec<String>,
    /// The route's hostnames that the used listeners serve (all of them when
    /// no listener names one).
    pub hostnames: Vec<String>,
    /// The ACM certificate of the first HTTPS listener used that names one
    /// in `tls.options` (`application-networking.k8s.aws/certificate-arn`),
    /// as the Go controller reads it.
    pub certificate_arn: Option<String>,
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
        out.push(attach(snapshot, gw, p, i, route));
    }
    out
}

fn attach(
    snapshot: &Snapshot,
    gw: &Gateway,
    p: &ParentRef,
    parent_index: usize,
    route: &RouteView,
) -> Attachment {
    let gw_ns = gw.namespace().unwrap_or_else(|| "default".into());
    let mut a = Attachment {
        gateway: (gw_ns.clone(), p.name.clone()),
        parent_index,
        listeners: Vec::new(),
        listener_names: Vec::new(),
        hostnames: Vec::new(),
        certificate_arn: None,
        refused: None,
    };
    let mut tally = Tally::default();
    for l in &gw.spec.listeners {
        if p.section_name.as_ref().is_some_and(|s| s != &l.name)
            || p.port.is_some_and(|port| port != l.port)
        {
            continue;
        }
        tally.selected += 1;
        let support = listeners::support(l);
        if !support.kinds.contains(&route.kind)
            || !listeners::admits_namespace(snapshot, l, &gw_ns, &route.id.namespace)
        {
            continue;
        }
        tally.allowed += 1;
        let Some(hosts) = listeners::intersecting(l.hostname.as_deref(), &route.hostnames) else {
            continue;
        };
        // Attached, for the listener's `attachedRoutes`: admitted by
        // allowedRoutes, selected by the parentRef, sharing a hostname
        // (the conformance suite's `GatewayWithAttachedRoutes` counts no
        // route refused `NoMatchingListenerHostname`), whatever the
        // listener's own status.
        a.listener_names.push(l.name.clone());
        let Ok(protocol) = support.protocol else {
            continue;
        };
        a.hostnames.extend(hosts.into_iter().map(str::to_string));
        if protocol == "HTTPS" && a.certificate_arn.is_none() {
            a.certificate_arn = listeners::certificate_arn(l);
        }
        a.listeners.push(ListenerIntent {
            port: l.port,
            protocol: protocol.to_string(),
        });
    }
    a.listeners.sort();
    a.listeners.dedup();
    a.hostnames.sort();
    a.hostnames.dedup();
    if a.listeners.is_empty() {
        a.refused = Some(refusal(&gw_ns, p, route, &tally));
    }
    // A Gateway whose name Lattice refuses has no service network to join
    // (issue 15: the service joined one that is never created).
    if let Err(why) = check_name(NameKind::ServiceNetwork, &p.name) {
        a.listeners.clear();
        a.refused = Some((
            "UnsupportedValue",
            format!(
                "Gateway {gw_ns}/{} has no VPC Lattice service network: the name {why}",
                p.name
            ),
        ));
    }
    a
}

/// How far a parentRef got through a Gateway's listeners.
#[derive(Default)]
struct Tally {
    /// Listeners its sectionName and port select.
    selected: usize,
    /// Of those, listeners whose allowedRoutes admit the route.
    allowed: usize,
}

/// Why a parentRef got no Lattice listener, in the Gateway API's reasons:
/// it selected no listener, none it selected admits the route's kind and
/// namespace, or none shares a hostname with it.
fn refusal(gw_ns: &str, p: &ParentRef, route: &RouteView, tally: &Tally) -> (&'static str, String) {
    let gw = format!("Gateway {gw_ns}/{}", p.name);
    if tally.selected == 0 {
        let mut what = Vec::new();
        if let Some(s) = &p.section_name {
            what.push(format!("sectionName {s:?}"));
        }
        if let Some(port) = p.port {
            what.push(format!("port {port}"));
        }
        let what = if what.is_empty() {
            "any listener".to_string()
        } else {
            what.join(" and ")
        };
        return (
            "NoMatchingParent",
            format!("{gw} has no listener with {what}"),
        );
    }
    if tally.allowed == 0 {
        return (
            "NotAllowedByListeners",
            format!(
                "no listener of {gw} allows a {} from namespace {} (allowedRoutes; VPC Lattice serves HTTPRoute on HTTP/HTTPS, GRPCRoute on HTTPS, TLSRoute on TLS Passthrough)",
                route.kind.kind_name(),
                route.id.namespace
            ),
        );
    }
    (
        "NoMatchingListenerHostname",
        format!(
            "no listener of {gw} that allows the route serves any of its hostnames {:?}, or the listener is one VPC Lattice cannot serve",
            route.hostnames
        ),
    )
}
