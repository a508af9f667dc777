//! The model: one route, resolved into everything the plugins and the plan
//! need (parents, listeners, backends, target groups, policies).

pub mod access_log_policy;
pub mod backends;
mod claims;
mod lambda_target;
pub mod listeners;
pub mod naming;
pub mod parents;
pub mod routes;
pub mod service_export;
pub mod service_import;
pub mod service_network;
pub mod standalone;
pub mod tags;
pub mod target_group_policy;
pub mod vpc_association_policy;

use std::collections::{BTreeMap, BTreeSet};

use gateway_api::gateways::Gateway;
use kube::{Resource, ResourceExt};
use lattice_plugin_sdk::diagnostic;
use lattice_plugin_sdk::types::*;

pub use backends::{Target, TargetGroupIntent};
pub use parents::ListenerIntent;
pub use routes::RouteView;

use crate::config::ClusterConfig;
use crate::snapshot::{Key, Snapshot};

/// A route, resolved.
#[derive(Clone, Debug)]
pub struct RouteIntent {
    /// Route kind.
    pub kind: RouteKind,
    /// Namespace and name.
    pub id: ObjectRef,
    /// `metadata.generation`, for status.
    pub generation: Option<i64>,
    /// Lattice service name.
    pub service_name: String,
    /// The service's custom domain: the first hostname.
    pub custom_domain_name: Option<String>,
    /// The certificate of its HTTPS listeners (see [`parents::Attachment`]).
    pub certificate_arn: Option<String>,
    /// Listeners, from the parent Gateways' listeners.
    pub listeners: Vec<ListenerIntent>,
    /// Service networks (Gateways) the service joins.
    pub service_networks: Vec<String>,
    /// Input of the mapping stage.
    pub route: Route,
    /// Input of the weighting stage, one entry per `spec.rules[i]`.
    pub rules: Vec<RuleBackends>,
    /// Target groups of resolved backends, by name.
    pub target_groups: BTreeMap<String, TargetGroupIntent>,
    /// Input of the auth stage (HTTPRoute and GRPCRoute only).
    pub auth: Option<AuthTarget>,
    /// Indices of the parentRefs that name Gateways of ours: the parents
    /// whose status this controller writes.
    pub parents: Vec<usize>,
    /// What the model found wrong.
    pub diagnostics: Vec<Diagnostic>,
    /// Access log destinations, from AccessLogPolicies on the route.
    pub access_logs: Vec<crate::plan::AccessLogPlan>,
    /// User tags, from the route's tags annotation.
    pub tags: crate::plan::Tags,
}

/// A Gateway of ours, as a service network.
#[derive(Clone, Debug)]
pub struct ServiceNetworkIntent {
    /// Lattice name: the Gateway's name.
    pub name: String,
    /// The Gateway.
    pub gateway: ObjectRef,
    /// Input of the auth stage.
    pub auth: AuthTarget,
    /// Why the Gateway's name cannot be a service network name, if it cannot.
    pub invalid_name: Option<String>,
    /// What its VpcAssociationPolicy asks of the VPC association, if any.
    pub vpc_association: Option<crate::plan::VpcAssociationPlan>,
    /// Access log destinations, from AccessLogPolicies on the Gateway.
    pub access_logs: Vec<crate::plan::AccessLogPlan>,
}

/// The service networks: every Gateway of ours.
///
/// A Gateway being deleted keeps its service network while live routes
/// still attach to it, as the Go controller does; then it goes.
pub fn service_networks(snapshot: &Snapshot) -> Vec<ServiceNetworkIntent> {
    service_networks_of(snapshot, None, |_| true)
}

/// The service networks of the Gateways `selected` keeps, as
/// [`service_networks`] resolves them; the others cost nothing. `views`
/// are every route of the snapshot, when the caller has them already.
pub(crate) fn service_networks_of(
    snapshot: &Snapshot,
    views: Option<&[RouteView]>,
    selected: impl Fn(&Key) -> bool,
) -> Vec<ServiceNetworkIntent> {
    let ours = || {
        snapshot
            .gateways
            .iter()
            .filter(|(key, gw)| selected(key) && parents::is_ours(snapshot, gw))
    };
    let deleting = |gw: &Gateway| gw.metadata.deletion_timestamp.is_some();
    // Only a Gateway being deleted needs to know what attaches to it, and
    // that means resolving the parents of every route.
    let attached = if !ours().any(|(_, gw)| deleting(gw)) {
        BTreeSet::new()
    } else if let Some(views) = views {
        attached_gateways(snapshot, views)
    } else {
        attached_gateways(snapshot, &route_views(snapshot))
    };
    ours()
        .filter(|(key, gw)| !deleting(gw) || attached.contains(*key))
        .map(|(key, _)| service_network(snapshot, key))
        .collect()
}

/// Under `ENABLE_SERVICE_NETWORK_OVERRIDE` every Gateway of ours stands for
/// the default service network, as the Go controller's lookup of any
/// Gateway's network finds the default one: no network is named after a
/// Gateway, and the Gateway keeps its auth policies and status.
pub fn with_override(
    mut sns: Vec<ServiceNetworkIntent>,
    cfg: &ClusterConfig,
) -> Vec<ServiceNetworkIntent> {
    if let Some(name) = cfg.override_network() {
        let invalid = naming::check_name(naming::NameKind::ServiceNetwork, name).err();
        for sn in &mut sns {
            sn.name = name.to_string();
            sn.invalid_name.clone_from(&invalid);
        }
    }
    sns
}

/// The Gateways that routes not being deleted attach to.
fn attached_gateways(snapshot: &Snapshot, views: &[RouteView]) -> BTreeSet<Key> {
    views
        .iter()
        .filter(|v| !v.deleting)
        .flat_map(|v| parents::attachments(snapshot, v))
        .map(|a| a.gateway)
        .collect()
}

/// The service network of the Gateway `(namespace, name)`.
fn service_network(snapshot: &Snapshot, (namespace, name): &Key) -> ServiceNetworkIntent {
    let id = ObjectRef {
        namespace: namespace.clone(),
        name: name.clone(),
    };
    ServiceNetworkIntent {
        invalid_name: naming::check_name(naming::NameKind::ServiceNetwork, name).err(),
        name: name.clone(),
        auth: auth_target(snapshot, AuthTargetKind::ServiceNetwork, &id, "Gateway"),
        vpc_association: vpc_association_policy::plan(snapshot, &(namespace.clone(), name.clone())),
        access_logs: access_log_policy::for_target(
            snapshot,
            "Gateway",
            &(namespace.clone(), name.clone()),
        ),
        gateway: id,
    }
}

/// The sort key of objects that contend for one thing (a policy's target,
/// a route's service name): created earlier first (one without a creation
/// time, as offline manifests are, after), then by `key`.
pub fn age<'a, T: ?Sized>(
    meta: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta>,
    key: &'a T,
) -> (bool, Option<k8s_openapi::jiff::Timestamp>, &'a T) {
    let created = meta
        .and_then(|m| m.creation_timestamp.as_ref())
        .map(|t| t.0);
    (created.is_none(), created, key)
}

/// Every route of every kind, in a stable order.
pub fn route_views(snapshot: &Snapshot) -> Vec<RouteView> {
    let mut out: Vec<RouteView> = Vec::with_capacity(snapshot.route_count());
    out.extend(views(&snapshot.http_routes, routes::from_http));
    out.extend(views(&snapshot.grpc_routes, routes::from_grpc));
    out.extend(views(&snapshot.tls_routes, routes::from_tls));
    out
}

/// The views of one kind's packed routes.
fn views<'a, T: kube::Resource + serde::de::DeserializeOwned>(
    routes: &'a std::collections::BTreeMap<crate::snapshot::Key, crate::kinds::Packed<T>>,
    view: fn(&T) -> RouteView,
) -> impl Iterator<Item = RouteView> + 'a {
    routes.values().map(move |r| view(&r.object()))
}

/// Resolves a route. `None` when it has no parent Gateway of ours: another
/// controller's route is not ours to plan or report on.
pub fn resolve_route(
    snapshot: &Snapshot,
    cfg: &ClusterConfig,
    view: &RouteView,
) -> Option<RouteIntent> {
    // A route being deleted wants nothing: its Lattice resources go.
    if view.deleting {
        return None;
    }
    let attachments = parents::attachments(snapshot, view);
    if attachments.is_empty() {
        return None;
    }
    let Parents {
        mut listeners,
        mut service_networks,
        hostnames,
        mut diagnostics,
    } = accepted_parents(&attachments, cfg);
    let (alone, why) = standalone::standalone(snapshot, view, &attachments);
    if alone {
        service_networks.clear();
    }
    diagnostics.extend(why);
    let (tags, why) = tags::of_route(
        view.annotations
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    diagnostics.extend(why);
    // The custom domain is the first hostname an accepting listener serves.
    let domain = view.hostnames.iter().position(|h| hostnames.contains(h));
    let service_name = naming::service_name(&view.id.name, &view.id.namespace, &view.annotations);
    let (rules, target_groups) =
        backends::resolve_rules(snapshot, cfg.reference_grants, view, &service_name);
    if let Some(d) = service_name_diagnostic(view, &service_name)
        .or_else(|| claims::conflict(snapshot, view, &service_name))
    {
        diagnostics.push(d);
        // No listener, no service: Lattice would refuse the name, or it
        // belongs to another route.
        listeners.clear();
    }
    if let Some(d) = domain.and_then(|i| custom_domain_diagnostic(view, i)) {
        diagnostics.push(d);
        // Nor would it take the domain: the service is not created rather
        // than answering on another name than the route asks for.
        listeners.clear();
    }
    let auth = (view.kind != RouteKind::Tls).then(|| {
        auth_target(
            snapshot,
            AuthTargetKind::Service,
            &view.id,
            view.kind.kind_name(),
        )
    });
    Some(RouteIntent {
        kind: view.kind,
        id: view.id.clone(),
        generation: view.generation,
        service_name,
        custom_domain_name: domain.map(|i| view.hostnames[i].clone()),
        certificate_arn: attachments
            .iter()
            .filter(|a| a.refused.is_none())
            .find_map(|a| a.certificate_arn.clone()),
        listeners,
        service_networks,
        route: routes::plugin_route(view),
        rules,
        target_groups,
        auth,
        parents: attachments.iter().map(|a| a.parent_index).collect(),
        diagnostics,
        access_logs: access_log_policy::for_target(
            snapshot,
            view.kind.kind_name(),
            &(view.id.namespace.clone(), view.id.name.clone()),
        ),
        tags,
    })
}

/// What a route's parents give its service.
struct Parents {
    /// Listeners of the parents that accepted the route, sorted, once each.
    listeners: Vec<ListenerIntent>,
    /// Those parents (or the default network, under the override),
    /// sorted, once each.
    service_networks: Vec<String>,
    /// The route's hostnames their listeners serve.
    hostnames: std::collections::BTreeSet<String>,
    /// Why the other parents refused it.
    diagnostics: Vec<Diagnostic>,
}

fn accepted_parents(attachments: &[parents::Attachment], cfg: &ClusterConfig) -> Parents {
    let mut out = Parents {
        listeners: Vec::new(),
        service_networks: Vec::new(),
        hostnames: Default::default(),
        diagnostics: Vec::new(),
    };
    for a in attachments {
        match &a.refused {
            Some((reason, message)) => out.diagnostics.push(diagnostic(
                "Accepted",
                reason,
                format!("spec.parentRefs[{}]", a.parent_index),
                message.clone(),
            )),
            None => {
                for l in &a.listeners {
                    add_listener(&mut out, l, a.parent_index);
                }
                out.service_networks.push(a.gateway.1.clone());
                out.hostnames.extend(a.hostnames.iter().cloned());
            }
        }
    }
    out.listeners.sort();
    out.listeners.dedup();
    // ENABLE_SERVICE_NETWORK_OVERRIDE: the default network instead of the
    // Gateways', as the Go controller builds a route's service.
    if let Some(sn) = cfg
        .override_network()
        .filter(|_| !out.service_networks.is_empty())
    {
        out.service_networks = vec![sn.to_string()];
    }
    out.service_networks.sort();
    out.service_networks.dedup();
    out
}

/// Adds a parent's listener to the service's. Lattice allows one listener
/// per port: a second protocol on a port the service already listens on is
/// left out, and said so at the parentRef (issue 15: the plan had two
/// listeners on one port, which Lattice refuses).
fn add_listener(out: &mut Parents, l: &ListenerIntent, parent_index: usize) {
    match out.listeners.iter().find(|held| held.port == l.port) {
        Some(held) if held.protocol != l.protocol => out.diagnostics.push(diagnostic(
            "PartiallyInvalid",
            "UnsupportedValue",
            format!("spec.parentRefs[{parent_index}]"),
            format!(
                "port {} already serves {} for this route, and VPC Lattice allows one listener per port: the {} listener is not used",
                l.port, held.protocol, l.protocol
            ),
        )),
        Some(_) => {}
        None => out.listeners.push(l.clone()),
    }
}

/// Why Lattice would refuse the route's service name, attributed to the
/// annotation that overrides it or else to the route's name.
fn service_name_diagnostic(view: &RouteView, service_name: &str) -> Option<Diagnostic> {
    let why = naming::check_name(naming::NameKind::Service, service_name).err()?;
    let overridden = view
        .annotations
        .iter()
        .any(|(k, _)| k == naming::SERVICE_NAME_OVERRIDE);
    let field = if overridden {
        format!("metadata.annotations[{:?}]", naming::SERVICE_NAME_OVERRIDE)
    } else {
        "metadata.name".to_string()
    };
    Some(diagnostic(
        "Accepted",
        "UnsupportedValue",
        field,
        format!("VPC Lattice service name {why}"),
    ))
}

/// Why Lattice would refuse the route's hostname `i` as its service's
/// custom domain name (issue 15: a Gateway API hostname may be as short
/// as one character).
fn custom_domain_diagnostic(view: &RouteView, i: usize) -> Option<Diagnostic> {
    let why = naming::check_custom_domain(view.hostnames.get(i)?).err()?;
    Some(diagnostic(
        "Accepted",
        "UnsupportedValue",
        format!("spec.hostnames[{i}]"),
        format!("VPC Lattice custom domain name {why}"),
    ))
}

/// The IAMAuthPolicies that target an object.
fn auth_target(
    snapshot: &Snapshot,
    kind: AuthTargetKind,
    id: &ObjectRef,
    object_kind: &str,
) -> AuthTarget {
    let policies = snapshot
        .iam_auth_policies
        .values()
        .filter(|p| {
            let t = &p.spec.target_ref;
            let ns = t
                .namespace
                .clone()
                .or_else(|| p.namespace())
                .unwrap_or_else(|| "default".into());
            t.kind == object_kind
                && t.group == crate::kinds::GATEWAY_GROUP
                && t.name == id.name
                && ns == id.namespace
        })
        .map(|p| IamAuthPolicy {
            id: ObjectRef {
                namespace: p.namespace().unwrap_or_else(|| "default".into()),
                name: p.name_any(),
            },
            creation_timestamp: p
                .meta()
                .creation_timestamp
                .as_ref()
                .and_then(|t| serde_json::to_value(t).ok())
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            policy: p.spec.policy.clone(),
        })
        .collect();
    AuthTarget {
        kind,
        id: id.clone(),
        object_kind: object_kind.to_string(),
        policies,
    }
}
