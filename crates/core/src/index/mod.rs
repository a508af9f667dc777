//! The index: watch events in, the routes and Gateways whose inputs changed out.
//!
//! It keeps the [`Snapshot`] plus a dependency [`Graph`] (route → Services,
//! Gateways, grant namespaces), so a change to one Service re-plans only the
//! routes that use it. What each kind depends on and dirties is in its file
//! under [`crate::kinds`]; the index only dispatches through
//! [`kinds::ALL`]. It does no I/O: the controller feeds it with `apply`,
//! `delete` and `relist` from its watches, and tests drive it the same way.

mod fingerprint;
mod graph;

use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};

use lattice_plugin_sdk::types::RouteKind;
use serde_json::Value;

pub use graph::Graph;

use crate::kinds::{self, Kind};
use crate::model::RouteView;
use crate::snapshot::{Key, ManifestError, Snapshot};
use fingerprint::{attachment, fingerprint};

/// A route of any kind.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RouteKey {
    /// Kind.
    pub kind: RouteKind,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl RouteKey {
    /// A route of `kind` with this `(namespace, name)`.
    pub fn new(kind: RouteKind, key: &Key) -> Self {
        RouteKey {
            kind,
            namespace: key.0.clone(),
            name: key.1.clone(),
        }
    }

    /// A route of `kind` at `id`.
    pub fn for_route(kind: RouteKind, id: &lattice_plugin_sdk::types::ObjectRef) -> Self {
        RouteKey {
            kind,
            namespace: id.namespace.clone(),
            name: id.name.clone(),
        }
    }

    /// Its `(namespace, name)`.
    pub fn key(&self) -> Key {
        (self.namespace.clone(), self.name.clone())
    }
}

impl std::fmt::Display for RouteKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}/{}",
            self.kind.kind_name(),
            self.namespace,
            self.name
        )
    }
}

/// What must be re-planned after a change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dirty {
    /// Routes whose plan may have changed.
    pub routes: BTreeSet<RouteKey>,
    /// Gateways whose service network or status may have changed.
    pub gateways: BTreeSet<Key>,
    /// GatewayClasses whose status may have changed, by name: a class is
    /// `Accepted` before any Gateway uses it.
    pub classes: BTreeSet<String>,
    /// Policies whose status may have changed, by kind and key: a policy
    /// that targets nothing still gets a status. ServiceExports and
    /// ServiceImports are here too, for the Go controller's finalizer on
    /// them to be removed.
    pub policies: BTreeSet<(String, Key)>,
    /// ServiceNetwork objects whose network or status may have changed, by
    /// name (cluster-scoped).
    pub service_networks: BTreeSet<String>,
    /// ServiceExports whose target groups may have changed.
    pub service_exports: BTreeSet<Key>,
}

impl Dirty {
    /// Adds another change's work.
    pub fn merge(&mut self, other: Dirty) {
        self.routes.extend(other.routes);
        self.gateways.extend(other.gateways);
        self.classes.extend(other.classes);
        self.policies.extend(other.policies);
        self.service_networks.extend(other.service_networks);
        self.service_exports.extend(other.service_exports);
    }
    /// Nothing to do.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
            && self.gateways.is_empty()
            && self.classes.is_empty()
            && self.policies.is_empty()
            && self.service_networks.is_empty()
            && self.service_exports.is_empty()
    }
}

/// The normalised view of a route, whatever its kind.
pub fn route_view(snapshot: &Snapshot, rk: &RouteKey) -> Option<RouteView> {
    kinds::route(rk.kind).view(snapshot, &rk.key())
}

/// Typed state plus the dependency graph.
#[derive(Clone, Debug, Default)]
pub struct Index {
    snapshot: Snapshot,
    graph: Graph,
    /// Per object (by its [`slot`]), a hash of what planning reads (see
    /// [`fingerprint`]).
    fingerprints: HashMap<u64, u64>,
    /// Per route (by its [`slot`]), a hash of what attaches it to Gateways
    /// (see [`attachment`]).
    attachments: HashMap<u64, u64>,
}

/// Annotations the controller writes: outputs, not inputs. On routes, the
/// service's ARN and domain name; on an AccessLogPolicy, its subscription's
/// ARN and the name of the object it targets (as the Go controller writes
/// them).
pub const OUTPUT_ANNOTATIONS: [&str; 4] = [
    "application-networking.k8s.aws/lattice-service-arn",
    "application-networking.k8s.aws/lattice-assigned-domain-name",
    ACCESS_LOG_SUBSCRIPTION_ANNOTATIONS[0],
    ACCESS_LOG_SUBSCRIPTION_ANNOTATIONS[1],
];

/// An AccessLogPolicy's output annotations: its subscription's ARN, and
/// the name of the Gateway or route it targets.
pub const ACCESS_LOG_SUBSCRIPTION_ANNOTATIONS: [&str; 2] = [
    "application-networking.k8s.aws/accessLogSubscription",
    "application-networking.k8s.aws/accessLogSubscriptionResourceName",
];

/// The fingerprint slot of an object: a hash of its group, kind and key.
/// A hash, not the key itself: at 10,000 routes the maps hold 50,000
/// objects, and a copy of each key was most of their memory. Two objects
/// whose slots collide share one entry: each one's event then meets the
/// other's fingerprint and re-plans, unless the two fingerprints are equal
/// too, as unlikely as the fingerprint collision the index already accepts.
fn slot(kind: &dyn Kind, key: &Key) -> u64 {
    let id = kind.identity();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (id.group, id.kind, key).hash(&mut h);
    h.finish()
}

impl Index {
    /// The current state.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// The dependency graph.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// Adds or replaces an object (a watch `Applied` event). Kinds the plan
    /// does not read dirty nothing.
    pub fn apply(&mut self, obj: Value) -> Result<Dirty, ManifestError> {
        let Some(kind) = kinds::of_object(&obj)? else {
            return Ok(Dirty::default());
        };
        let key = kind.identity().key_of(&obj);
        let print = fingerprint(&obj);
        let slot = slot(kind, &key);
        if self.fingerprints.get(&slot) == Some(&print) {
            // Only status or bookkeeping changed: keep the new version (the
            // status writer compares against it) and plan nothing.
            kind.insert(&mut self.snapshot, obj)?;
            return Ok(Dirty::default());
        }
        let attached = kind.as_route().map(|_| attachment(&obj));
        let same_attachment =
            attached.is_some() && self.attachments.get(&slot) == attached.as_ref();
        let mut dirty = kind.dirties(&self.snapshot, &self.graph, &key);
        kind.insert(&mut self.snapshot, obj)?;
        if let Some(route) = kind.as_route() {
            let rk = RouteKey::new(route.route_kind(), &key);
            match route.depends_on(&self.snapshot, &key) {
                Some(deps) => self.graph.track(&rk, deps),
                None => self.graph.forget(&rk),
            }
        }
        dirty.merge(kind.dirties(&self.snapshot, &self.graph, &key));
        if same_attachment {
            // A route's Gateways are dirty only for its attachment: at
            // 10,000 routes a Gateway's status counts them all.
            dirty.gateways.clear();
        }
        if let Some(a) = attached {
            self.attachments.insert(slot, a);
        }
        self.fingerprints.insert(slot, print);
        Ok(self.with_claimants(dirty))
    }

    /// `dirty`, plus the routes whose Lattice service name a dirty route
    /// shares: which of them holds the service may have changed (the
    /// holder's Gateway went, say), so all are judged again.
    fn with_claimants(&self, mut dirty: Dirty) -> Dirty {
        let s = &self.snapshot;
        let shared: Vec<RouteKey> = dirty
            .routes
            .iter()
            .filter_map(|rk| Some(kinds::route::service_name(&s.route_meta(rk)?, &rk.key())))
            .filter_map(|name| s.service_names.get(&name).filter(|c| c.len() > 1))
            .flatten()
            .cloned()
            .collect();
        dirty.routes.extend(shared);
        dirty
    }

    /// Removes an object (a watch `Deleted` event). The namespace of a
    /// cluster-scoped kind is ignored.
    pub fn delete(&mut self, api_version: &str, kind: &str, namespace: &str, name: &str) -> Dirty {
        let Some(kind) = kinds::find(kinds::group_of(api_version), kind) else {
            return Dirty::default();
        };
        let key = kind.identity().key(Some(namespace), name);
        self.remove(kind, &key)
    }

    /// Removes the object of `kind` with this key, as [`Index::delete`].
    pub fn remove(&mut self, kind: &dyn Kind, key: &Key) -> Dirty {
        self.fingerprints.remove(&slot(kind, key));
        self.attachments.remove(&slot(kind, key));
        let dirty = kind.dirties(&self.snapshot, &self.graph, key);
        kind.remove(&mut self.snapshot, key);
        if let Some(route) = kind.as_route() {
            self.graph.forget(&RouteKey::new(route.route_kind(), key));
        }
        self.with_claimants(dirty)
    }

    /// Keys of every object of one kind, for reconciling a re-list: keys the
    /// re-list did not return were deleted while the watch was down.
    /// Cluster-scoped kinds have keys `("", name)`.
    pub fn keys(&self, group: &str, kind: &str) -> Vec<Key> {
        kinds::find(group, kind).map_or_else(Vec::new, |k| k.keys(&self.snapshot))
    }

    /// Reconciles a re-list of one kind: removes every object of the kind
    /// that `listed` does not hold, as deleted while the watch was down.
    pub fn relist(&mut self, api_version: &str, kind: &str, listed: &BTreeSet<Key>) -> Dirty {
        let Some(kind) = kinds::find(kinds::group_of(api_version), kind) else {
            return Dirty::default();
        };
        let mut dirty = Dirty::default();
        for gone in kind.keys(&self.snapshot) {
            if !listed.contains(&gone) {
                dirty.merge(self.remove(kind, &gone));
            }
        }
        dirty
    }

    /// Every route and Gateway, for a full resync.
    pub fn all_routes(&self) -> Dirty {
        let s = &self.snapshot;
        let mut d = Dirty::default();
        for route in kinds::routes() {
            let keys = route.keys(s).into_iter();
            d.routes
                .extend(keys.map(|k| RouteKey::new(route.route_kind(), &k)));
        }
        d.gateways.extend(s.gateways.keys().cloned());
        d.service_networks
            .extend(s.service_networks.keys().cloned());
        d.service_exports.extend(s.service_exports.keys().cloned());
        d
    }

    /// Routes attached to a Gateway (its listeners' `attachedRoutes`).
    pub fn routes_of_gateway(&self, gateway: &Key) -> BTreeSet<RouteKey> {
        self.graph.routes_of_gateway(gateway)
    }
}
