//! backendRefs to target groups: kind checks, ReferenceGrants, Service
//! ports, and ready endpoints as targets. A LambdaTarget backend is
//! resolved in [`super::lambda_target`].

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use lattice_plugin_sdk::types::{Backend, Resolution, RuleBackends};
use serde::Serialize;

use super::naming::target_group_name;
use super::routes::{BackendRef, RouteView};
use super::{service_import, target_group_policy};
use crate::config::ReferenceGrantPolicy;
use crate::kinds::lambda_target::is_lambda_target;
use crate::kinds::{CORE_GROUP, ServicePorts};
use crate::snapshot::Snapshot;

/// A target group the plan needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetGroupIntent {
    /// Lattice name.
    pub name: String,
    /// `namespace/service:port`.
    pub backend: String,
    /// Service port.
    pub port: i32,
    /// `HTTP` or `TCP`.
    pub protocol: String,
    /// `HTTP1`, `GRPC`, or none for TCP.
    pub protocol_version: Option<String>,
    /// Ready endpoints.
    pub targets: Vec<Target>,
    /// The health check a TargetGroupPolicy asks for.
    pub health_check: Option<crate::plan::HealthCheckPlan>,
    /// A ServiceImport's: how the applier finds the group.
    pub import: Option<crate::plan::ImportPlan>,
    /// The function of a LambdaTarget backend: a `LAMBDA` group, with no
    /// port, protocol or targets of its own.
    pub lambda: Option<crate::plan::LambdaPlan>,
}

/// A Lattice target: an endpoint IP and port.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Target {
    /// IP address.
    pub ip: String,
    /// Port.
    pub port: i32,
}

/// Resolves every backendRef of every rule: the weighting stage's input, one
/// entry per `spec.rules[i]`, and the target groups of the resolved ones.
pub(crate) fn resolve_rules(
    snapshot: &Snapshot,
    grants: ReferenceGrantPolicy,
    view: &RouteView,
    lattice_service: &str,
) -> (Vec<RuleBackends>, BTreeMap<String, TargetGroupIntent>) {
    let mut target_groups = BTreeMap::new();
    let mut rules = Vec::with_capacity(view.rules.len());
    for (ri, rule) in view.rules.iter().enumerate() {
        let mut backends = Vec::with_capacity(rule.backend_refs.len());
        for (bi, b) in rule.backend_refs.iter().enumerate() {
            let field = format!("spec.rules[{ri}].backendRefs[{bi}]");
            let (backend, tg) = resolve(snapshot, grants, view, lattice_service, b, field);
            if let Some(tg) = tg {
                target_groups.insert(tg.name.clone(), tg);
            }
            backends.push(backend);
        }
        rules.push(RuleBackends {
            route: view.id.clone(),
            rule_index: ri as u32,
            backends,
        });
    }
    (rules, target_groups)
}

/// Resolves one backendRef; returns the plugin input and, when resolved,
/// the target group. `grants` says whether a backend in another namespace
/// needs a ReferenceGrant there.
pub fn resolve(
    snapshot: &Snapshot,
    grants: ReferenceGrantPolicy,
    route: &RouteView,
    lattice_service: &str,
    b: &BackendRef,
    field: String,
) -> (Backend, Option<TargetGroupIntent>) {
    let port = b.port.map(|p| format!(":{p}")).unwrap_or_default();
    let display = format!("{} {}/{}{port}", b.kind, b.namespace, b.name);
    let mut out = Backend {
        target_group: String::new(),
        display,
        weight: b.weight.map(|w| w.max(0) as u32),
        resolution: Resolution::Resolved,
        field,
    };
    if is_lambda_target(&b.group, &b.kind) {
        return super::lambda_target::resolve(snapshot, grants, route, lattice_service, b, out);
    }
    if service_import::is_service_import(&b.group, &b.kind) {
        return service_import::resolve(snapshot, grants, route, b, out);
    }
    if !(b.group.is_empty() && b.kind == "Service") {
        out.resolution = Resolution::InvalidKind;
        return (out, None);
    }
    if !permitted(snapshot, grants, route, b, CORE_GROUP, "Service") {
        out.resolution = Resolution::NotPermitted;
        out.display = not_permitted(&out.display, route, b);
        return (out, None);
    }
    let Some(svc) = snapshot
        .services
        .get(&(b.namespace.clone(), b.name.clone()))
    else {
        out.resolution = Resolution::NotFound;
        return (out, None);
    };
    let Some((port, port_name)) = service_port(svc, b.port) else {
        out.resolution = Resolution::NotFound;
        out.display = format!("{} (the Service has no such port)", out.display);
        return (out, None);
    };
    // A target group listens on 1-65535 (issue 15: port 0 reached the plan).
    if !(1..=65535).contains(&port) {
        out.resolution = Resolution::NotFound;
        out.display = format!("{} (port {port} is not 1-65535)", out.display);
        return (out, None);
    }
    let policy = target_group_policy::for_service(snapshot, &(b.namespace.clone(), b.name.clone()));
    let (proto, version) = target_group_policy::protocol(route.kind, policy);
    let tg = TargetGroupIntent {
        name: target_group_name(
            lattice_service,
            &b.name,
            &b.namespace,
            port,
            &proto,
            version.as_deref(),
        ),
        backend: format!("{}/{}:{port}", b.namespace, b.name),
        port,
        protocol: proto,
        protocol_version: version,
        targets: targets(snapshot, b, port_name.as_deref()),
        health_check: target_group_policy::health_check(policy),
        import: None,
        lambda: None,
    };
    out.target_group = tg.name.clone();
    (out, Some(tg))
}

/// The Service port a backendRef names, with its port name.
fn service_port(svc: &ServicePorts, port: Option<i32>) -> Option<(i32, Option<String>)> {
    let ports = &svc.ports;
    let p = match port {
        Some(n) => ports.iter().find(|p| p.port == n)?,
        // Gateway API requires a port for Services; accept a sole port.
        None if ports.len() == 1 => &ports[0],
        None => return None,
    };
    Some((p.port, p.name.clone()))
}

/// Ready endpoints of the Service's port, from its EndpointSlices: IP
/// addresses on ports 1-65535.
fn targets(snapshot: &Snapshot, b: &BackendRef, port_name: Option<&str>) -> Vec<Target> {
    let service = (b.namespace.clone(), b.name.clone());
    let wanted = port_name.unwrap_or("");
    endpoint_targets(snapshot, &service, |name| name.unwrap_or("") == wanted)
}

/// Ready endpoints of the Service `service` on the slice ports whose name
/// `port` accepts: IP addresses on ports 1-65535.
pub(crate) fn endpoint_targets(
    snapshot: &Snapshot,
    service: &(String, String),
    port: impl Fn(Option<&str>) -> bool,
) -> Vec<Target> {
    let mut out = BTreeSet::new();
    let Some(slices) = snapshot.endpoint_slices.get(service) else {
        return vec![];
    };
    for (_, es) in slices {
        let ports = es.ports.iter().filter(|p| port(p.name.as_deref()));
        for port in ports.filter_map(|p| p.port.filter(|p| (1..=65535).contains(p))) {
            for ep in es.endpoints.iter().filter(|ep| ep.ready) {
                // Lattice IP target groups take IP addresses only: an FQDN
                // slice's hostnames, or garbage, are not targets (issue 15).
                let ips = ep.addresses.iter().filter(|a| a.parse::<IpAddr>().is_ok());
                for ip in ips {
                    out.insert(Target {
                        ip: ip.clone(),
                        port,
                    });
                }
            }
        }
    }
    out.into_iter().collect()
}

/// Whether the route may refer to the backend, a `to_group`/`to_kind`
/// object: it is in the route's namespace, grants are not checked, or a
/// ReferenceGrant in its namespace allows it.
pub(super) fn permitted(
    snapshot: &Snapshot,
    grants: ReferenceGrantPolicy,
    route: &RouteView,
    b: &BackendRef,
    to_group: &str,
    to_kind: &str,
) -> bool {
    grants != ReferenceGrantPolicy::Require
        || b.namespace == route.id.namespace
        || granted(snapshot, route, b, to_group, to_kind)
}

/// What a plugin says of a backend no grant permits: the grant that is
/// missing, and the setting that drops the check.
pub(super) fn not_permitted(display: &str, route: &RouteView, b: &BackendRef) -> String {
    format!(
        "{display} is in another namespace, and no ReferenceGrant in namespace {} allows {} from namespace {} to {} {} ({}={} resolves it without one)",
        b.namespace,
        route.kind.kind_name(),
        route.id.namespace,
        b.kind,
        b.name,
        ReferenceGrantPolicy::VARIABLE,
        ReferenceGrantPolicy::Ignore.as_str(),
    )
}

/// Whether a ReferenceGrant in the backend's namespace lets this route refer
/// to it, a `to_group`/`to_kind` object.
fn granted(
    snapshot: &Snapshot,
    route: &RouteView,
    b: &BackendRef,
    to_group: &str,
    to_kind: &str,
) -> bool {
    snapshot
        .reference_grants
        .range((b.namespace.clone(), String::new())..)
        .take_while(|((ns, _), _)| ns == &b.namespace)
        .any(|(_, g)| {
            g.spec.from.iter().any(|f| {
                f.group == crate::kinds::GATEWAY_GROUP
                    && f.kind == route.kind.kind_name()
                    && f.namespace == route.id.namespace
            }) && g.spec.to.iter().any(|t| {
                t.group == to_group
                    && t.kind == to_kind
                    && t.name.as_ref().is_none_or(|n| n == &b.name)
            })
        })
}
