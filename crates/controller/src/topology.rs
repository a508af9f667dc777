//! What the controller holds, for people to look at: the desired VPC
//! Lattice state (service networks, services, listeners, rules with the
//! plugins that decided them, target groups and targets) and each route's
//! conditions as the cluster has them.
//!
//! It is built on request by the run loop, also while a pass waits on
//! Lattice, so looking costs nothing when nobody looks. The desired state
//! changes all at once when a pass has planned, so it never shows half a
//! plan; the routes' conditions are the cluster's as last watched.

use lattice_core::index::Index;
use lattice_core::plan::{KeptRoute, ServiceNetworkPlan, ServicePlan, TargetGroupPlan};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

use crate::Controller;

/// The topology at one moment.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Topology {
    /// Changes whenever the controller's view changes: a watch event or a
    /// pass. Equal versions show the same topology.
    pub version: u64,
    /// Service networks, one per Gateway of ours.
    pub service_networks: Vec<ServiceNetworkPlan>,
    /// Services with their listeners and rules.
    pub services: Vec<ServicePlan>,
    /// Target groups with their targets.
    pub target_groups: Vec<TargetGroupPlan>,
    /// Routes a failing plugin holds as VPC Lattice has them.
    pub kept: Vec<KeptRoute>,
    /// Every route and its conditions.
    pub routes: Vec<RouteConditions>,
}

/// One route and the conditions its status holds.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteConditions {
    /// `HTTPRoute`, `GRPCRoute` or `TLSRoute`.
    pub kind: String,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// `status.parents[*].conditions`, each with its parent.
    pub conditions: Vec<Condition>,
}

/// One condition of one parent of a route.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// The parent Gateway, `namespace/name`.
    pub parent: String,
    /// Type.
    pub r#type: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    /// Reason.
    pub reason: String,
    /// Message.
    pub message: String,
}

/// Asks the running controller for its topology.
#[derive(Clone, Debug)]
pub struct TopologySource {
    requests: mpsc::Sender<oneshot::Sender<Topology>>,
}

impl TopologySource {
    /// The topology now; `None` once the controller has stopped.
    pub async fn get(&self) -> Option<Topology> {
        let (tx, rx) = oneshot::channel();
        self.requests.send(tx).await.ok()?;
        rx.await.ok()
    }
}

/// The run loop's end of [`TopologySource`].
pub(crate) type Requests = mpsc::Receiver<oneshot::Sender<Topology>>;

/// A source and the receiver the run loop answers from.
pub(crate) fn channel() -> (TopologySource, Requests) {
    let (requests, rx) = mpsc::channel(16);
    (TopologySource { requests }, rx)
}

impl Controller {
    /// Builds the topology from the index and the desired state.
    pub(crate) fn topology(&self, index: &Index, version: u64) -> Topology {
        let plan = self
            .desired
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .plan();
        let snapshot = index.snapshot();
        let routes = index
            .all_routes()
            .routes
            .into_iter()
            .map(|key| {
                let status = snapshot.route_json(&key).unwrap_or_default();
                RouteConditions {
                    kind: key.kind.kind_name().into(),
                    conditions: conditions(&status),
                    namespace: key.namespace,
                    name: key.name,
                }
            })
            .collect();
        Topology {
            version,
            service_networks: plan.service_networks,
            services: plan.services,
            target_groups: plan.target_groups,
            kept: plan.kept,
            routes,
        }
    }
}

/// The conditions of every parent in a route's status.
fn conditions(route: &serde_json::Value) -> Vec<Condition> {
    let text = |v: &serde_json::Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
    let parents = route
        .pointer("/status/parents")
        .and_then(|p| p.as_array())
        .cloned()
        .unwrap_or_default();
    parents
        .iter()
        .flat_map(|p| {
            let parent = format!(
                "{}/{}",
                p.pointer("/parentRef/namespace")
                    .and_then(|n| n.as_str())
                    .or_else(|| route
                        .pointer("/metadata/namespace")
                        .and_then(|n| n.as_str()))
                    .unwrap_or_default(),
                p.pointer("/parentRef/name")
                    .and_then(|n| n.as_str())
                    .unwrap_or_default()
            );
            let cs = p["conditions"].as_array().cloned().unwrap_or_default();
            cs.into_iter()
                .map(|c| Condition {
                    parent: parent.clone(),
                    r#type: text(&c, "type"),
                    status: text(&c, "status"),
                    reason: text(&c, "reason"),
                    message: text(&c, "message"),
                })
                .collect::<Vec<_>>()
        })
        .collect()
}
