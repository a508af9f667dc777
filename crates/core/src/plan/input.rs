//! What a plan is made from: routes and Gateways of ours, resolved.

use std::collections::HashMap;

use crate::config::ClusterConfig;
use crate::index::{self, Dirty, RouteKey};
use crate::model::{self, RouteIntent, ServiceNetworkIntent};
use crate::snapshot::Snapshot;

/// Resolved inputs of a plan.
pub struct PlanInput {
    /// Routes with a parent Gateway of ours.
    pub routes: Vec<RouteIntent>,
    /// Gateways of ours (each the default network under the override).
    pub service_networks: Vec<ServiceNetworkIntent>,
}

impl PlanInput {
    /// Resolves every route and Gateway in the snapshot.
    pub fn from_snapshot(snapshot: &Snapshot, cfg: &ClusterConfig) -> Self {
        let views = model::route_views(snapshot);
        let routes = views
            .iter()
            .filter_map(|v| model::resolve_route(snapshot, cfg, v))
            .collect();
        PlanInput {
            routes,
            // The views are at hand: a Gateway being deleted needs them.
            service_networks: model::with_override(
                model::service_networks_of(snapshot, Some(&views), |_| true),
                cfg,
            ),
        }
    }

    /// Resolves only the given routes and Gateways: what an index change
    /// made dirty. Routes that no longer exist are simply absent.
    pub fn for_changes(snapshot: &Snapshot, cfg: &ClusterConfig, dirty: &Dirty) -> Self {
        let routes = dirty
            .routes
            .iter()
            .filter_map(|rk| index::route_view(snapshot, rk))
            .filter_map(|v| model::resolve_route(snapshot, cfg, &v))
            .collect();
        let service_networks = model::with_override(
            model::service_networks_of(snapshot, None, |key| dirty.gateways.contains(key)),
            cfg,
        );
        PlanInput {
            routes,
            service_networks,
        }
    }

    /// What status and finalizers read of the input once planning is done.
    /// The resolved routes (several KB each, 74 MB at 10,000 routes) go,
    /// so that they are not held through the apply.
    pub fn attached(self) -> Attached {
        Attached {
            routes: self
                .routes
                .into_iter()
                .map(|r| (RouteKey::for_route(r.kind, &r.id), r.parents))
                .collect(),
            service_networks: self.service_networks,
        }
    }
}

/// What a plan's input attached: the routes it planned, each with the
/// parents of ours it attaches to, and the Gateways of ours.
#[derive(Clone, Debug, Default)]
pub struct Attached {
    /// Each planned route's indices into `spec.parentRefs` that name
    /// Gateways of ours: the parents whose status this controller writes.
    pub routes: HashMap<RouteKey, Vec<usize>>,
    /// Gateways of ours (each the default network under the override).
    pub service_networks: Vec<ServiceNetworkIntent>,
}
