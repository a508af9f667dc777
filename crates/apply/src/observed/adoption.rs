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

use std::collections::HashMap;

use lattice_core::ClusterConfig;
use lattice_core::plan::{Action, Plan};

use super::lists::TargetGroupSummary;
use crate::cache::{Cache, Location};

const TAG: &str = "application-networking.k8s.aws/";

/// What the Go controller's tags say a target group is for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GoIdentity {
    /// `ClusterName`.
    pub cluster: String,
    /// `ServiceNamespace` and `ServiceName`: the backend Service.
    pub service: (String, String),
    /// `RouteNamespace` and `RouteName`.
    pub route: (String, String),
    /// `SourceTypeKey`: `HTTPRoute`, `GRPCRoute` or `TLSRoute`.
    pub source: String,
    /// `ProtocolVersion`: `HTTP1`, `HTTP2`, `GRPC`, or empty for TCP.
    pub protocol_version: String,
}

impl GoIdentity {
    /// The identity in a route target group's tags, if it has one.
    pub fn from_tags<'t>(tags: impl Iterator<Item = (&'t str, &'t str)>) -> Option<Self> {
        let tags: HashMap<&str, &str> = tags
            .filter_map(|(k, v)| Some((k.strip_prefix(TAG)?, v)))
            .collect();
        let get = |k: &str| tags.get(k).map(|v| v.to_string());
        let source = get("SourceTypeKey")?;
        if !["HTTPRoute", "GRPCRoute", "TLSRoute"].contains(&source.as_str()) {
            return None;
        }
        Some(GoIdentity {
            cluster: get("ClusterName")?,
            service: (get("ServiceNamespace")?, get("ServiceName")?),
            route: (get("RouteNamespace")?, get("RouteName")?),
            source,
            protocol_version: get("ProtocolVersion").unwrap_or_default(),
        })
    }
}

/// The Go identity each plan target group stands for, with its protocol.
fn wanted(plan: &Plan, cfg: &ClusterConfig) -> HashMap<(GoIdentity, String), String> {
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
            route: (rns.into(), rname.into()),
            source: kind.to_string(),
            protocol_version: tg.protocol_version.clone().unwrap_or_default(),
        };
        out.insert((id, tg.protocol.clone()), tg.name.clone());
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
        let Some(id) = cache.go_target_groups.get(&g.s.arn) else {
            continue;
        };
        if g.vpc.as_deref().is_some_and(|v| v != cfg.vpc_id) {
            continue;
        }
        let key = (id.clone(), g.protocol.clone().unwrap_or_default());
        let Some(name) = wanted.remove(&key) else {
            continue;
        };
        g.s.name = name;
        // Go's groups listen on port 80 whatever the Service's port; every
        // target carries its own port, so the group's is not compared.
        g.port = None;
        let at = Location {
            id: g.s.id.clone(),
            arn: g.s.arn.clone(),
        };
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
        // An exported group is not a route's.
        let export = tags.map(|(k, v)| (k, if v == "HTTPRoute" { "ServiceExport" } else { v }));
        assert_eq!(GoIdentity::from_tags(export.into_iter()), None);
    }

    #[test]
    fn a_backend_names_its_service() {
        assert_eq!(
            backend_service("store/books:8080"),
            Some(("store".into(), "books".into()))
        );
    }
}
