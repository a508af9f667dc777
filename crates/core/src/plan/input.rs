//! What a plan is made from: routes and Gateways of ours, resolved.

use crate::config::ClusterConfig;
use crate::index::{self, Dirty};
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
}
