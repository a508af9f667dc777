//! The index: watch events in, the routes and Gateways whose inputs changed out.
//!
//! It keeps the [`Snapshot`] plus a dependency graph (route → Services,
//! Gateways, grant namespaces; policies → their targets), so a change to one
//! Service re-plans only the routes that use it. It does no I/O: the
//! controller feeds it with `apply`, `delete` and `reset` from its watches,
//! and tests drive it the same way.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{Hash, Hasher};

use lattice_plugin_sdk::types::RouteKind;
use serde_json::Value;

use crate::model::{self, RouteView};
use crate::snapshot::{Key, ManifestError, Snapshot};

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
}

impl Dirty {
    /// Adds another change's work.
    pub fn merge(&mut self, other: Dirty) {
        self.routes.extend(other.routes);
        self.gateways.extend(other.gateways);
    }
    /// Nothing to do.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty() && self.gateways.is_empty()
    }
}

/// The normalised view of a route, whatever its kind.
pub fn route_view(snapshot: &Snapshot, rk: &RouteKey) -> Option<RouteView> {
    let k = (rk.namespace.clone(), rk.name.clone());
    match rk.kind {
        RouteKind::Http => snapshot.http_routes.get(&k).map(model::routes::from_http),
        RouteKind::Grpc => snapshot.grpc_routes.get(&k).map(model::routes::from_grpc),
        RouteKind::Tls => snapshot.tls_routes.get(&k).map(model::routes::from_tls),
    }
}

/// What one route reads besides itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Deps {
    services: BTreeSet<Key>,
    gateways: BTreeSet<Key>,
    grant_namespaces: BTreeSet<String>,
}

/// Typed state plus the dependency graph.
#[derive(Debug, Default)]
pub struct Index {
    snapshot: Snapshot,
    deps: BTreeMap<RouteKey, Deps>,
    by_service: BTreeMap<Key, BTreeSet<RouteKey>>,
    by_gateway: BTreeMap<Key, BTreeSet<RouteKey>>,
    by_grant_namespace: BTreeMap<String, BTreeSet<RouteKey>>,
    /// Per object, a hash of what planning reads (see [`fingerprint`]).
    fingerprints: HashMap<(String, String, Key), u64>,
}

/// Annotations the controller writes on routes: outputs, not inputs.
pub const OUTPUT_ANNOTATIONS: [&str; 2] = [
    "application-networking.k8s.aws/lattice-service-arn",
    "application-networking.k8s.aws/lattice-assigned-domain-name",
];

/// A hash of an object without what planning never reads: `status`, and the
/// metadata that writes of status, finalizers or output annotations change.
/// Our own writes then come back through the watch without re-planning. It
/// hashes in place: every watch event goes through here.
fn fingerprint(obj: &Value) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    hash_value(obj, &mut h, Level::Root);
    h.finish()
}

/// Where in the object a value sits, for what [`fingerprint`] leaves out.
#[derive(Clone, Copy)]
enum Level {
    Root,
    Metadata,
    Annotations,
    Inner,
}

fn hash_value(v: &Value, h: &mut impl Hasher, level: Level) {
    match v {
        Value::Object(m) => {
            h.write_u8(b'{');
            for (k, x) in m {
                let next = match (level, k.as_str()) {
                    (Level::Root, "status") => continue,
                    (Level::Root, "metadata") => Level::Metadata,
                    (
                        Level::Metadata,
                        "resourceVersion" | "managedFields" | "finalizers" | "generation",
                    ) => continue,
                    // Only output annotations is as good as none.
                    (Level::Metadata, "annotations")
                        if x.as_object().is_some_and(|a| {
                            a.keys().all(|k| OUTPUT_ANNOTATIONS.contains(&k.as_str()))
                        }) =>
                    {
                        continue;
                    }
                    (Level::Metadata, "annotations") => Level::Annotations,
                    (Level::Annotations, k) if OUTPUT_ANNOTATIONS.contains(&k) => continue,
                    _ => Level::Inner,
                };
                k.hash(h);
                hash_value(x, h, next);
            }
            h.write_u8(b'}');
        }
        Value::Array(items) => {
            h.write_u8(b'[');
            h.write_usize(items.len());
            for x in items {
                hash_value(x, h, Level::Inner);
            }
        }
        Value::String(s) => {
            h.write_u8(b's');
            s.hash(h);
        }
        Value::Number(n) => {
            h.write_u8(b'n');
            match n.as_i64() {
                Some(i) => i.hash(h),
                None => n.as_f64().unwrap_or_default().to_bits().hash(h),
            }
        }
        Value::Bool(b) => b.hash(h),
        Value::Null => h.write_u8(0),
    }
}

fn kind_of(v: &Value) -> (String, String) {
    let api = v.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let group = api
        .rsplit_once('/')
        .map(|(g, _)| g)
        .unwrap_or("")
        .to_string();
    let kind = v
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    (group, kind)
}

fn key_of(v: &Value) -> Key {
    let s = |p: &str| {
        v.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let ns = s("/metadata/namespace");
    (
        if ns.is_empty() { "default".into() } else { ns },
        s("/metadata/name"),
    )
}

fn route_kind(group: &str, kind: &str) -> Option<RouteKind> {
    match (group, kind) {
        ("gateway.networking.k8s.io", "HTTPRoute") => Some(RouteKind::Http),
        ("gateway.networking.k8s.io", "GRPCRoute") => Some(RouteKind::Grpc),
        ("gateway.networking.k8s.io", "TLSRoute") => Some(RouteKind::Tls),
        _ => None,
    }
}

impl Index {
    /// The current state.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// Adds or replaces an object (a watch `Applied` event).
    pub fn apply(&mut self, obj: Value) -> Result<Dirty, ManifestError> {
        let (group, kind) = kind_of(&obj);
        let key = key_of(&obj);
        let print = fingerprint(&obj);
        let id = (group.clone(), kind.clone(), key.clone());
        if self.fingerprints.get(&id) == Some(&print) {
            // Only status or bookkeeping changed: keep the new version (the
            // status writer compares against it) and plan nothing.
            self.snapshot.add_manifest(obj)?;
            return Ok(Dirty::default());
        }
        let mut dirty = self.affected(&group, &kind, &key);
        if (group.as_str(), kind.as_str()) == ("discovery.k8s.io", "EndpointSlice") {
            // It may have been relabelled to another Service: file it afresh.
            for ((ns, _), slices) in self.snapshot.endpoint_slices.iter_mut() {
                if ns == &key.0 {
                    slices.remove(&key.1);
                }
            }
        }
        if !self.snapshot.add_manifest(obj)? {
            return Ok(Dirty::default());
        }
        self.fingerprints.insert(id, print);
        dirty.merge(self.after_change(&group, &kind, &key));
        Ok(dirty)
    }

    /// Removes an object (a watch `Deleted` event).
    pub fn delete(&mut self, api_version: &str, kind: &str, namespace: &str, name: &str) -> Dirty {
        let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
        let key: Key = (namespace.to_string(), name.to_string());
        self.fingerprints
            .remove(&(group.to_string(), kind.to_string(), key.clone()));
        let dirty = self.affected(group, kind, &key);
        let s = &mut self.snapshot;
        match (group, kind) {
            ("gateway.networking.k8s.io", "GatewayClass") => {
                s.gateway_classes.remove(name);
            }
            ("gateway.networking.k8s.io", "Gateway") => {
                s.gateways.remove(&key);
            }
            ("gateway.networking.k8s.io", "HTTPRoute") => {
                s.http_routes.remove(&key);
            }
            ("gateway.networking.k8s.io", "GRPCRoute") => {
                s.grpc_routes.remove(&key);
            }
            ("gateway.networking.k8s.io", "TLSRoute") => {
                s.tls_routes.remove(&key);
            }
            ("gateway.networking.k8s.io", "ReferenceGrant") => {
                s.reference_grants.remove(&key);
            }
            ("", "Service") => {
                s.services.remove(&key);
            }
            ("discovery.k8s.io", "EndpointSlice") => {
                for slices in s.endpoint_slices.values_mut() {
                    slices.remove(name);
                }
                s.endpoint_slices
                    .retain(|(ns, _), slices| ns != namespace || !slices.is_empty());
            }
            ("application-networking.k8s.aws", "IAMAuthPolicy") => {
                s.iam_auth_policies.remove(&key);
            }
            _ => {}
        }
        if let Some(rk) = route_kind(group, kind) {
            self.forget(&RouteKey {
                kind: rk,
                namespace: key.0,
                name: key.1,
            });
        }
        dirty
    }

    /// What an object's current version (before a change) affects.
    fn affected(&self, group: &str, kind: &str, key: &Key) -> Dirty {
        let mut d = Dirty::default();
        let s = &self.snapshot;
        let routes_of =
            |m: &BTreeMap<Key, BTreeSet<RouteKey>>, k: &Key| m.get(k).cloned().unwrap_or_default();
        match (group, kind) {
            ("gateway.networking.k8s.io", "GatewayClass") => {
                for (gk, gw) in &s.gateways {
                    if gw.spec.gateway_class_name == key.1 {
                        d.gateways.insert(gk.clone());
                        d.routes.extend(routes_of(&self.by_gateway, gk));
                    }
                }
            }
            ("gateway.networking.k8s.io", "Gateway") => {
                d.gateways.insert(key.clone());
                d.routes.extend(routes_of(&self.by_gateway, key));
            }
            ("gateway.networking.k8s.io", "ReferenceGrant") => {
                d.routes.extend(
                    self.by_grant_namespace
                        .get(&key.0)
                        .cloned()
                        .unwrap_or_default(),
                );
            }
            ("", "Service") => d.routes.extend(routes_of(&self.by_service, key)),
            ("discovery.k8s.io", "EndpointSlice") => {
                // The slice's Service, as it was labelled before the change.
                for ((ns, svc), slices) in &s.endpoint_slices {
                    if ns == &key.0 && slices.contains_key(&key.1) {
                        d.routes
                            .extend(routes_of(&self.by_service, &(ns.clone(), svc.clone())));
                    }
                }
            }
            ("application-networking.k8s.aws", "IAMAuthPolicy") => {
                if let Some(p) = s.iam_auth_policies.get(key) {
                    let t = &p.spec.target_ref;
                    let ns = t.namespace.clone().unwrap_or_else(|| key.0.clone());
                    match t.kind.as_str() {
                        "Gateway" => {
                            d.gateways.insert((ns, t.name.clone()));
                        }
                        k => {
                            if let Some(rk) = route_kind("gateway.networking.k8s.io", k) {
                                d.routes.insert(RouteKey {
                                    kind: rk,
                                    namespace: ns,
                                    name: t.name.clone(),
                                });
                            }
                        }
                    }
                }
            }
            (g, k) => {
                if let Some(rk) = route_kind(g, k) {
                    let rk = RouteKey {
                        kind: rk,
                        namespace: key.0.clone(),
                        name: key.1.clone(),
                    };
                    if let Some(deps) = self.deps.get(&rk) {
                        d.gateways.extend(deps.gateways.iter().cloned());
                    }
                    d.routes.insert(rk);
                }
            }
        }
        d
    }

    /// Updates the graph after an object changed and reports what its new
    /// version affects.
    fn after_change(&mut self, group: &str, kind: &str, key: &Key) -> Dirty {
        if let Some(rk) = route_kind(group, kind) {
            let rk = RouteKey {
                kind: rk,
                namespace: key.0.clone(),
                name: key.1.clone(),
            };
            self.track(&rk);
        }
        if (group, kind) == ("discovery.k8s.io", "EndpointSlice") {
            // A relabelled slice may have moved between Services.
            self.snapshot
                .endpoint_slices
                .retain(|_, slices| !slices.is_empty());
        }
        self.affected(group, kind, key)
    }

    /// Records a route's dependencies in the reverse maps.
    fn track(&mut self, rk: &RouteKey) {
        self.forget(rk);
        let Some(view) = route_view(&self.snapshot, rk) else {
            return;
        };
        let mut deps = Deps::default();
        for p in &view.parent_refs {
            deps.gateways.insert((p.namespace.clone(), p.name.clone()));
        }
        for b in view.rules.iter().flat_map(|r| &r.backend_refs) {
            deps.services.insert((b.namespace.clone(), b.name.clone()));
            if b.namespace != rk.namespace {
                deps.grant_namespaces.insert(b.namespace.clone());
            }
        }
        for k in &deps.services {
            self.by_service
                .entry(k.clone())
                .or_default()
                .insert(rk.clone());
        }
        for k in &deps.gateways {
            self.by_gateway
                .entry(k.clone())
                .or_default()
                .insert(rk.clone());
        }
        for ns in &deps.grant_namespaces {
            self.by_grant_namespace
                .entry(ns.clone())
                .or_default()
                .insert(rk.clone());
        }
        self.deps.insert(rk.clone(), deps);
    }

    fn forget(&mut self, rk: &RouteKey) {
        let Some(old) = self.deps.remove(rk) else {
            return;
        };
        let drop_from = |m: &mut BTreeMap<Key, BTreeSet<RouteKey>>, k: &Key| {
            if let Some(set) = m.get_mut(k) {
                set.remove(rk);
                if set.is_empty() {
                    m.remove(k);
                }
            }
        };
        for k in &old.services {
            drop_from(&mut self.by_service, k);
        }
        for k in &old.gateways {
            drop_from(&mut self.by_gateway, k);
        }
        for ns in &old.grant_namespaces {
            if let Some(set) = self.by_grant_namespace.get_mut(ns) {
                set.remove(rk);
            }
        }
    }

    /// Keys of every object of one kind, for reconciling a re-list: keys the
    /// re-list did not return were deleted while the watch was down.
    pub fn keys(&self, group: &str, kind: &str) -> Vec<Key> {
        let s = &self.snapshot;
        match (group, kind) {
            ("gateway.networking.k8s.io", "GatewayClass") => s
                .gateway_classes
                .keys()
                .map(|n| ("default".to_string(), n.clone()))
                .collect(),
            ("gateway.networking.k8s.io", "Gateway") => s.gateways.keys().cloned().collect(),
            ("gateway.networking.k8s.io", "HTTPRoute") => s.http_routes.keys().cloned().collect(),
            ("gateway.networking.k8s.io", "GRPCRoute") => s.grpc_routes.keys().cloned().collect(),
            ("gateway.networking.k8s.io", "TLSRoute") => s.tls_routes.keys().cloned().collect(),
            ("gateway.networking.k8s.io", "ReferenceGrant") => {
                s.reference_grants.keys().cloned().collect()
            }
            ("", "Service") => s.services.keys().cloned().collect(),
            ("discovery.k8s.io", "EndpointSlice") => s
                .endpoint_slices
                .iter()
                .flat_map(|((ns, _), slices)| slices.keys().map(move |n| (ns.clone(), n.clone())))
                .collect(),
            ("application-networking.k8s.aws", "IAMAuthPolicy") => {
                s.iam_auth_policies.keys().cloned().collect()
            }
            _ => vec![],
        }
    }

    /// Every route, for a full resync.
    pub fn all_routes(&self) -> Dirty {
        let s = &self.snapshot;
        let mut d = Dirty::default();
        let mut add = |kind: RouteKind, keys: Vec<&Key>| {
            d.routes.extend(keys.into_iter().map(|(ns, name)| RouteKey {
                kind,
                namespace: ns.clone(),
                name: name.clone(),
            }))
        };
        add(RouteKind::Http, s.http_routes.keys().collect());
        add(RouteKind::Grpc, s.grpc_routes.keys().collect());
        add(RouteKind::Tls, s.tls_routes.keys().collect());
        d.gateways.extend(s.gateways.keys().cloned());
        d
    }

    /// Routes attached to a Gateway (its listeners' `attachedRoutes`).
    pub fn routes_of_gateway(&self, gateway: &Key) -> BTreeSet<RouteKey> {
        self.by_gateway.get(gateway).cloned().unwrap_or_default()
    }
}
