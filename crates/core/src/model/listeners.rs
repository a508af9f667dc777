//! What VPC Lattice makes of a Gateway listener: the Lattice protocol it
//! becomes, the route kinds it admits, and which routes' namespaces and
//! hostnames it accepts, as the Gateway API defines them.

use std::collections::BTreeMap;

use gateway_api::gateways::{
    GatewayListeners, GatewayListenersAllowedRoutesNamespacesFrom as From,
    GatewayListenersAllowedRoutesNamespacesSelector as NamespaceSelector,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
use lattice_plugin_sdk::types::RouteKind;

use crate::kinds::GATEWAY_GROUP;
use crate::snapshot::Snapshot;

/// One Gateway listener, as VPC Lattice can serve it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListenerSupport {
    /// The Lattice listener protocol (`HTTP`, `HTTPS`, `TLS_PASSTHROUGH`),
    /// or why Lattice has none: a listener condition reason and message.
    pub protocol: Result<&'static str, (&'static str, String)>,
    /// The route kinds it admits: the valid `allowedRoutes.kinds`, or the
    /// protocol's kinds when none are listed. Empty when it is unsupported.
    pub kinds: Vec<RouteKind>,
    /// `allowedRoutes.kinds` entries it cannot serve, as `group/kind`.
    pub invalid_kinds: Vec<String>,
    /// An HTTPS listener names `tls.certificateRefs` (Kubernetes Secrets,
    /// which VPC Lattice cannot use) and no ACM certificate in `tls.options`.
    pub secret_certificates: bool,
}

/// How VPC Lattice serves `l`.
pub fn support(l: &GatewayListeners) -> ListenerSupport {
    let protocol = lattice_protocol(l);
    let refs = l.tls.as_ref().and_then(|t| t.certificate_refs.as_ref());
    let secret_certificates = protocol == Ok("HTTPS")
        && refs.is_some_and(|r| !r.is_empty())
        && certificate_arn(l).is_none();
    let served = protocol.as_ref().map_or(&[][..], |p| kinds_of(p));
    let listed = l.allowed_routes.as_ref().and_then(|a| a.kinds.as_ref());
    let Some(listed) = listed.filter(|k| !k.is_empty()) else {
        return ListenerSupport {
            protocol,
            kinds: served.to_vec(),
            invalid_kinds: Vec::new(),
            secret_certificates,
        };
    };
    let mut kinds = Vec::new();
    let mut invalid_kinds = Vec::new();
    for k in listed {
        let group = k.group.as_deref().unwrap_or(GATEWAY_GROUP);
        match served.iter().find(|s| s.kind_name() == k.kind) {
            Some(kind) if group == GATEWAY_GROUP => kinds.push(*kind),
            _ => invalid_kinds.push(format!("{group}/{}", k.kind)),
        }
    }
    kinds.dedup();
    ListenerSupport {
        protocol,
        kinds,
        invalid_kinds,
        secret_certificates,
    }
}

/// The Lattice listener protocol of a Gateway listener. Lattice listens on
/// HTTP, HTTPS and TLS passthrough, on ports 1-65535 (issue 15).
fn lattice_protocol(l: &GatewayListeners) -> Result<&'static str, (&'static str, String)> {
    if !(1..=65535).contains(&l.port) {
        let why = format!("VPC Lattice listens on ports 1-65535, not {}", l.port);
        return Err(("PortUnavailable", why));
    }
    let passthrough = l
        .tls
        .as_ref()
        .and_then(|t| t.mode.as_ref())
        .is_some_and(|m| format!("{m:?}") == "Passthrough");
    match (l.protocol.as_str(), passthrough) {
        ("HTTP", _) => Ok("HTTP"),
        ("HTTPS", _) => Ok("HTTPS"),
        ("TLS", true) => Ok("TLS_PASSTHROUGH"),
        // The conformance suite's TLSRouteListenerTerminateNotSupported:
        // the protocol is supported, this mode of it is not.
        ("TLS", false) => Err((
            "UnsupportedValue",
            "VPC Lattice serves TLS listeners in Passthrough mode only; use HTTPS to terminate TLS"
                .into(),
        )),
        (other, _) => Err((
            "UnsupportedProtocol",
            format!("VPC Lattice listeners are HTTP, HTTPS or TLS passthrough, not {other}"),
        )),
    }
}

/// The route kinds a Lattice listener serves. Lattice serves gRPC only on
/// HTTPS listeners.
fn kinds_of(protocol: &str) -> &'static [RouteKind] {
    match protocol {
        "HTTP" => &[RouteKind::Http],
        "HTTPS" => &[RouteKind::Http, RouteKind::Grpc],
        "TLS_PASSTHROUGH" => &[RouteKind::Tls],
        _ => &[],
    }
}

/// The Go controller's key in a listener's `tls.options` for the ACM
/// certificate of its HTTPS listeners.
pub const CERTIFICATE_ARN: &str = "application-networking.k8s.aws/certificate-arn";

/// The ACM certificate an HTTPS listener names, if any.
pub fn certificate_arn(l: &GatewayListeners) -> Option<String> {
    let options = l.tls.as_ref()?.options.as_ref()?;
    options
        .get(CERTIFICATE_ARN)
        .filter(|a| !a.is_empty())
        .cloned()
}

/// Whether `l`'s `allowedRoutes.namespaces` admits routes from `namespace`:
/// `Same` (the default) the Gateway's own, `All` any, `Selector` those
/// whose labels the selector matches.
pub fn admits_namespace(snapshot: &Snapshot, l: &GatewayListeners, gw_ns: &str, ns: &str) -> bool {
    let namespaces = l
        .allowed_routes
        .as_ref()
        .and_then(|a| a.namespaces.as_ref());
    match namespaces.and_then(|n| n.from.as_ref()) {
        Some(From::All) => true,
        Some(From::Selector) => {
            let empty = BTreeMap::new();
            let labels = snapshot
                .namespaces
                .get(ns)
                .and_then(|n| n.metadata.labels.as_ref())
                .unwrap_or(&empty);
            namespaces
                .and_then(|n| n.selector.as_ref())
                .is_some_and(|s| crate::plugins::selector::matches(&label_selector(s), labels))
        }
        Some(From::Same) | None => ns == gw_ns,
    }
}

/// Whether a listener of the Gateway selects namespaces by label: then a
/// namespace's labels decide which routes attach.
pub fn selects_namespaces(l: &GatewayListeners) -> bool {
    let namespaces = l
        .allowed_routes
        .as_ref()
        .and_then(|a| a.namespaces.as_ref());
    matches!(
        namespaces.and_then(|n| n.from.as_ref()),
        Some(From::Selector)
    )
}

fn label_selector(s: &NamespaceSelector) -> LabelSelector {
    let requirement = |e: &gateway_api::gateways::GatewayListenersAllowedRoutesNamespacesSelectorMatchExpressions| {
        LabelSelectorRequirement {
            key: e.key.clone(),
            operator: e.operator.clone(),
            values: e.values.clone(),
        }
    };
    LabelSelector {
        match_labels: s.match_labels.clone(),
        match_expressions: s
            .match_expressions
            .as_ref()
            .map(|es| es.iter().map(requirement).collect()),
    }
}

/// The route's hostnames that a listener with `listener` hostname serves:
/// all of them when either side has none (the route then takes the
/// listener's), else those that intersect it. Empty means nothing
/// intersects.
pub fn intersecting<'a>(listener: Option<&str>, route: &'a [String]) -> Option<Vec<&'a str>> {
    let Some(listener) = listener.filter(|h| !h.is_empty()) else {
        return Some(route.iter().map(String::as_str).collect());
    };
    if route.is_empty() {
        return Some(Vec::new());
    }
    let hits: Vec<&str> = route
        .iter()
        .map(String::as_str)
        .filter(|h| intersects(listener, h))
        .collect();
    (!hits.is_empty()).then_some(hits)
}

/// Whether two hostnames have a host in common. A wildcard `*.example.com`
/// matches any name with at least one more label before `.example.com`
/// (the Gateway API's suffix match), including a narrower wildcard.
pub fn intersects(a: &str, b: &str) -> bool {
    let a = a.to_ascii_lowercase();
    let b = b.to_ascii_lowercase();
    let covers = |wild: &str, other: &str| {
        wild.strip_prefix('*')
            .is_some_and(|suffix| other.len() > suffix.len() && other.ends_with(suffix))
    };
    a == b || covers(&a, &b) || covers(&b, &a)
}

/// The listener's `tls.certificateRefs` to Secrets in another namespace
/// that no ReferenceGrant there lets a Gateway of `gateway_ns` use, as
/// `namespace/name`. The Gateway API makes this `RefNotPermitted` whatever
/// else is wrong with the reference.
pub fn ungranted_certificates(
    snapshot: &Snapshot,
    gateway_ns: &str,
    l: &GatewayListeners,
) -> Vec<String> {
    let refs = l.tls.as_ref().and_then(|t| t.certificate_refs.as_ref());
    refs.into_iter()
        .flatten()
        .filter(|r| r.group.as_deref().unwrap_or("").is_empty())
        .filter(|r| r.kind.as_deref().unwrap_or("Secret") == "Secret")
        .filter_map(|r| {
            let ns = r.namespace.as_deref().filter(|ns| *ns != gateway_ns)?;
            (!secret_granted(snapshot, gateway_ns, ns, &r.name)).then(|| format!("{ns}/{}", r.name))
        })
        .collect()
}

/// Whether a ReferenceGrant in `ns` lets Gateways of `from_ns` use the
/// Secret `name`.
fn secret_granted(snapshot: &Snapshot, from_ns: &str, ns: &str, name: &str) -> bool {
    snapshot
        .reference_grants
        .range((ns.to_string(), String::new())..)
        .take_while(|((n, _), _)| n == ns)
        .any(|(_, g)| {
            g.spec
                .from
                .iter()
                .any(|f| f.group == GATEWAY_GROUP && f.kind == "Gateway" && f.namespace == from_ns)
                && g.spec.to.iter().any(|t| {
                    t.group.is_empty()
                        && t.kind == "Secret"
                        && t.name.as_ref().is_none_or(|n| n == name)
                })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precise_names_intersect_only_when_equal_ignoring_case() {
        assert!(intersects("a.example.com", "A.Example.com"));
        assert!(!intersects("a.example.com", "b.example.com"));
    }

    #[test]
    fn a_wildcard_covers_one_or_more_labels_but_not_its_bare_domain() {
        assert!(intersects("*.example.com", "foo.example.com"));
        assert!(intersects("foo.bar.example.com", "*.example.com"));
        assert!(intersects("*.example.com", "*.foo.example.com"));
        assert!(!intersects("*.example.com", "example.com"));
        assert!(!intersects("*.example.com", "foo.example.net"));
        assert!(!intersects("*.example.com", "fooexample.com"));
    }

    #[test]
    fn a_route_without_hostnames_takes_the_listeners_and_one_with_none_matching_is_refused() {
        let route = vec!["a.example.com".to_string(), "b.example.net".to_string()];
        assert_eq!(intersecting(None, &route).unwrap().len(), 2);
        assert_eq!(intersecting(Some("*.example.com"), &[]), Some(vec![]));
        assert_eq!(
            intersecting(Some("*.example.com"), &route),
            Some(vec!["a.example.com"])
        );
        assert_eq!(intersecting(Some("*.example.org"), &route), None);
    }
}
