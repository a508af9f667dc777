//! The model: one route, resolved into everything the plugins and the plan
//! need (parents, listeners, backends, target groups, policies).

pub mod backends;
pub mod naming;
pub mod parents;
pub mod routes;

use std::collections::BTreeMap;

use kube::{Resource, ResourceExt};
use lattice_plugin_sdk::diagnostic;
use lattice_plugin_sdk::types::*;

pub use backends::{Target, TargetGroupIntent};
pub use parents::ListenerIntent;
pub use routes::RouteView;

use crate::config::ClusterConfig;
use crate::snapshot::Snapshot;

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
}

/// The service networks: every Gateway of ours.
///
/// A Gateway being deleted keeps its service network while live routes
/// still attach to it, as the Go controller does; then it goes.
pub fn service_networks(snapshot: &Snapshot) -> Vec<ServiceNetworkIntent> {
    // Only a Gateway being deleted needs to know what attaches to it.
    let deleting = snapshot
        .gateways
        .values()
        .any(|g| g.metadata.deletion_timestamp.is_some());
    let attached: std::collections::BTreeSet<(String, String)> = if deleting {
        route_views(snapshot)
            .iter()
            .filter(|v| !v.deleting)
            .flat_map(|v| parents::attachments(snapshot, v))
            .map(|a| a.gateway)
            .collect()
    } else {
        Default::default()
    };
    snapshot
        .gateways
        .iter()
        .filter(|(_, gw)| parents::is_ours(snapshot, gw))
        .filter(|(key, gw)| gw.metadata.deletion_timestamp.is_none() || attached.contains(*key))
        .map(|((ns, name), _)| {
            let id = ObjectRef {
                namespace: ns.clone(),
                name: name.clone(),
            };
            ServiceNetworkIntent {
                invalid_name: naming::check_name(naming::NameKind::ServiceNetwork, name).err(),
                name: name.clone(),
                auth: auth_target(snapshot, AuthTargetKind::ServiceNetwork, &id, "Gateway"),
                gateway: id,
            }
        })
        .collect()
}

/// Every route of every kind, in a stable order.
pub fn route_views(snapshot: &Snapshot) -> Vec<RouteView> {
    let mut out: Vec<RouteView> = Vec::with_capacity(snapshot.route_count());
    out.extend(snapshot.http_routes.values().map(routes::from_http));
    out.extend(snapshot.grpc_routes.values().map(routes::from_grpc));
    out.extend(snapshot.tls_routes.values().map(routes::from_tls));
    out
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
    let mut diagnostics = Vec::new();
    let mut listeners = Vec::new();
    let mut service_networks = Vec::new();
    for a in &attachments {
        match &a.refused {
            Some((reason, message)) => diagnostics.push(diagnostic(
                "Accepted",
                reason,
                format!("spec.parentRefs[{}]", a.parent_index),
                message.clone(),
            )),
            None => {
                listeners.extend(a.listeners.iter().cloned());
                service_networks.push(a.gateway.1.clone());
            }
        }
    }
    listeners.sort();
    listeners.dedup();
    if let Some(sn) = &cfg.default_service_network {
        service_networks.push(sn.clone());
    }
    service_networks.sort();
    service_networks.dedup();

    let service_name = naming::service_name(&view.id.name, &view.id.namespace, &view.annotations);
    let mut target_groups = BTreeMap::new();
    let mut rules = Vec::with_capacity(view.rules.len());
    for (ri, rule) in view.rules.iter().enumerate() {
        let mut backends = Vec::with_capacity(rule.backend_refs.len());
        for (bi, b) in rule.backend_refs.iter().enumerate() {
            let (backend, tg) = backends::resolve(
                snapshot,
                view,
                &service_name,
                b,
                format!("spec.rules[{ri}].backendRefs[{bi}]"),
            );
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

    let route = Route {
        kind: view.kind,
        id: view.id.clone(),
        hostnames: view.hostnames.clone(),
        annotations: view
            .annotations
            .iter()
            .map(|(k, v)| KeyValue {
                key: k.clone(),
                value: v.clone(),
            })
            .collect(),
        rules: view
            .rules
            .iter()
            .map(|r| RouteRule {
                name: r.name.clone(),
                matches: r.matches.clone(),
                filters: r.filters.clone(),
                backend_count: r.backend_refs.len() as u32,
            })
            .collect(),
    };
    if let Err(why) = naming::check_name(naming::NameKind::Service, &service_name) {
        let overridden = view
            .annotations
            .iter()
            .any(|(k, _)| k == naming::SERVICE_NAME_OVERRIDE);
        let field = if overridden {
            format!("metadata.annotations[{:?}]", naming::SERVICE_NAME_OVERRIDE)
        } else {
            "metadata.name".to_string()
        };
        diagnostics.push(diagnostic(
            "Accepted",
            "UnsupportedValue",
            field,
            format!("VPC Lattice service name {why}"),
        ));
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
        custom_domain_name: view.hostnames.first().cloned(),
        listeners,
        service_networks,
        route,
        rules,
        target_groups,
        auth,
        parents: attachments.iter().map(|a| a.parent_index).collect(),
        diagnostics,
    })
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
