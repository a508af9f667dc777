//! Target groups the Go controller (`aws-application-networking-k8s`)
//! made, adopted by their tags rather than recognised by name.
//!
//! Go names a route's target group `k8s-<namespace>-<service>-<10 random
//! letters>` and finds it again by its tags (`target_group_manager.go`,
//! `findTargetGroup`): `ClusterName`, `ServiceName`, `ServiceNamespace`,
//! `SourceTypeKey` (the route kind), `ProtocolVersion`, `RouteName` and
//! `RouteNamespace`, all under `application-networking.k8s.aws/`. A group
//! with the tags a plan group stands for, in this cluster's VPC, with the
//! plan's protocol, is that group: it is observed under the plan's name, so
//! rules keep forwarding to it and nothing is created or deleted.
//!
//! A ServiceExport's group carries `SourceTypeKey: ServiceExport`, the
//! export's name and namespace, and no route; this cluster's is adopted the
//! same way (matched on its port too), and every cluster's is what a
//! ServiceImport finds (`observed::imports`).

use std::collections::HashMap;

use lattice_core::ClusterConfig;
use lattice_core::plan::{Action, Plan, TargetGroupPlan};

use super::lists::TargetGroupSummary;
use crate::cache::Cache;

const TAG: &str = "application-networking.k8s.aws/";

/// What the Go controller's tags say a target group is for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GoIdentity {
    /// `ClusterName`.
    pub cluster: String,
    /// `ServiceNamespace` and `ServiceName`: the backend Service, or the
    /// ServiceExport.
    pub service: (String, String),
    /// `RouteNamespace` and `RouteName`; none for an exported group.
    pub route: Option<(String, String)>,
    /// `SourceTypeKey`: `HTTPRoute`, `GRPCRoute`, `TLSRoute` or
    /// `ServiceExport`.
    pub source: String,
    /// `ProtocolVersion`: `HTTP1`, `HTTP2`, `GRPC`, or empty for TCP.
    pub protocol_version: String,
}

/// The `SourceTypeKey` of a ServiceExport's group.
pub const SERVICE_EXPORT: &str = "ServiceExport";

/// The tag that says what a group is for: without it, no import (this
/// controller's or the Go controller's) takes a group for an export.
pub const SOURCE_TYPE_TAG: &str = "application-networking.k8s.aws/SourceTypeKey";

impl GoIdentity {
    /// The identity in a route's or an export's target group tags, if it
    /// has one.
    pub fn from_tags<'t>(tags: impl Iterator<Item = (&'t str, &'t str)>) -> Option<Self> {
        let tags: HashMap<&str, &str> = tags
            .filter_map(|(k, v)| Some((k.strip_prefix(TAG)?, v)))
            .collect();
        let get = |k: &str| tags.get(k).map(|v| v.to_string());
        let source = get("SourceTypeKey")?;
        let route = match source.as_str() {
            "HTTPRoute" | "GRPCRoute" | "TLSRoute" => {
                Some((get("RouteNamespace")?, get("RouteName")?))
            }
            SERVICE_EXPORT => None,
            _ => return None,
        };
        Some(GoIdentity {
            cluster: get("ClusterName")?,
            service: (get("ServiceNamespace")?, get("ServiceName")?),
            route,
            source,
            protocol_version: get("ProtocolVersion").unwrap_or_default(),
        })
    }

    /// The tags that say it, as the Go controller writes them.
    pub fn tags(&self) -> Vec<(String, String)> {
        let mut out = vec![
            (format!("{TAG}ClusterName"), self.cluster.clone()),
            (format!("{TAG}ServiceNamespace"), self.service.0.clone()),
            (format!("{TAG}ServiceName"), self.service.1.clone()),
            (SOURCE_TYPE_TAG.to_string(), self.source.clone()),
            (
                format!("{TAG}ProtocolVersion"),
                self.protocol_version.clone(),
            ),
        ];
        if let Some((ns, name)) = &self.route {
            out.push((format!("{TAG}RouteNamespace"), ns.clone()));
            out.push((format!("{TAG}RouteName"), name.clone()));
        }
        out
    }

    /// The identity of a ServiceExport's group of this cluster.
    pub fn of_export(tg: &TargetGroupPlan, cfg: &ClusterConfig) -> Option<Self> {
        let e = tg.export.as_ref()?;
        Some(GoIdentity {
            cluster: cfg.cluster_name.clone(),
            service: (e.namespace.clone(), e.name.clone()),
            route: None,
            source: SERVICE_EXPORT.into(),
            protocol_version: tg.protocol_version.clone().unwrap_or_default(),
        })
    }
}

/// A plan group's identity, protocol, and for an export its port (Go's
/// route groups listen on port 80 whatever the backend's; an export's on
/// the exported port, so that one export's ports are told apart).
type Wanted = (GoIdentity, String, Option<i32>);

/// The Go identity each plan target group stands for.
fn wanted(plan: &Plan, cfg: &ClusterConfig) -> HashMap<Wanted, String> {
    let mut kinds: HashMap<&str, &str> = HashMap::new();
    for s in &plan.services {
        let actions = s.listeners.iter().flat_map(|l| {
            let rules = l.rules.iter().map(|r| &r.action);
            std::iter::once(&l.default_action).chain(rules)
        });
        for a in actions {
            if let Action::Forward(w) = a {
                for t in w {
                    kinds.insert(t.target_group.as_str(), s.route_kind.as_str());
                }
            }
        }
    }
    let mut out = HashMap::new();
    // The Go controller has no LambdaTarget: nothing of its stands for one.
    for tg in plan.target_groups.iter().filter(|t| t.lambda.is_none()) {
        if let Some(id) = GoIdentity::of_export(tg, cfg) {
            out.insert((id, tg.protocol.clone(), Some(tg.port)), tg.name.clone());
            continue;
        }
        let (Some(kind), Some(route)) = (kinds.get(tg.name.as_str()), tg.routes.first()) else {
            continue;
        };
        let Some(service) = backend_service(&tg.backend) else {
            continue;
        };
        let Some((rns, rname)) = route.split_once('/') else {
            continue;
        };
        let id = GoIdentity {
            cluster: cfg.cluster_name.clone(),
            service,
            route: Some((rns.into(), rname.into())),
            source: kind.to_string(),
            protocol_version: tg.protocol_version.clone().unwrap_or_default(),
        };
        out.insert((id, tg.protocol.clone(), None), tg.name.clone());
    }
    out
}

/// `namespace/service:port` → `(namespace, service)`.
fn backend_service(backend: &str) -> Option<(String, String)> {
    let (ns, rest) = backend.split_once('/')?;
    let svc = rest.rsplit_once(':').map_or(rest, |(s, _)| s);
    Some((ns.into(), svc.into()))
}

/// Renames, in `groups`, each Go target group the plan stands for to the
/// plan's name (once each; a plan group that exists by name keeps it), and
/// remembers where it is under that name for scoped passes.
pub(super) fn adopt(
    groups: &mut [TargetGroupSummary],
    plan: &Plan,
    cfg: &ClusterConfig,
    cache: &mut Cache,
) {
    // Every pass comes here: without a Go group ever seen, no plan walk.
    if cache.go_target_groups.is_empty() {
        return;
    }
    let listed: std::collections::HashSet<&str> =
        groups.iter().map(|g| g.s.name.as_str()).collect();
    let mut wanted = wanted(plan, cfg);
    wanted.retain(|_, name| !listed.contains(name.as_str()));
    if wanted.is_empty() {
        return;
    }
    for g in groups.iter_mut() {
        let Some(id) = cache.go_target_groups.get(g.s.arn.as_str()) else {
            continue;
        };
        if g.vpc.as_deref().is_some_and(|v| v != cfg.vpc_id) {
            continue;
        }
        let port = (id.source == SERVICE_EXPORT).then_some(g.port).flatten();
        let key = (id.clone(), g.protocol.clone().unwrap_or_default(), port);
        let Some(name) = wanted.remove(&key) else {
            continue;
        };
        g.s.name = name;
        // Go's route groups listen on port 80 whatever the Service's port;
        // every target carries its own port, so the group's is not compared.
        if port.is_none() {
            g.port = None;
        }
        let at = cache.location(&g.s.id, &g.s.arn);
        cache.target_group_names.insert(&g.s.name, at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_groups_tags_name_its_backend_route_kind_and_version() {
        let tags = [
            ("application-networking.k8s.aws/ClusterName", "east"),
            ("application-networking.k8s.aws/ServiceName", "books"),
            ("application-networking.k8s.aws/ServiceNamespace", "store"),
            ("application-networking.k8s.aws/RouteName", "books"),
            ("application-networking.k8s.aws/RouteNamespace", "store"),
            ("application-networking.k8s.aws/SourceTypeKey", "HTTPRoute"),
            ("application-networking.k8s.aws/ProtocolVersion", "HTTP1"),
            ("application-networking.k8s.aws/ManagedBy", "1/east/vpc-1"),
        ];
        let id = GoIdentity::from_tags(tags.into_iter()).expect("an identity");
        assert_eq!(id.service, ("store".into(), "books".into()));
        assert_eq!(
            (id.source.as_str(), id.protocol_version.as_str()),
            ("HTTPRoute", "HTTP1")
        );
        // An exported group has no route.
        let export = tags.map(|(k, v)| (k, if v == "HTTPRoute" { "ServiceExport" } else { v }));
        let export = GoIdentity::from_tags(export.into_iter()).expect("an export");
        assert_eq!(
            (export.route, export.source.as_str()),
            (None, "ServiceExport")
        );
        let unknown = tags.map(|(k, v)| (k, if v == "HTTPRoute" { "Gateway" } else { v }));
        assert_eq!(GoIdentity::from_tags(unknown.into_iter()), None);
    }

    #[test]
    fn a_backend_names_its_service() {
        assert_eq!(
            backend_service("store/books:8080"),
            Some(("store".into(), "books".into()))
        );
    }
}
