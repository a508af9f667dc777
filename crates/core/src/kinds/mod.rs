//! The watched kinds: one file per kind, and [`ALL`], the list of them.
//!
//! Each file says what its kind is (API identity and scope), how an object
//! is decoded into the [`Snapshot`] and found again, what a route depends on,
//! and what a change to an object dirties. The [`Index`](crate::index::Index),
//! [`Snapshot::add_manifest`] and the controller's watches all go through
//! [`ALL`], so a new kind is a new file here plus one line in [`ALL`].
//!
//! The route kinds share one implementation, [`RouteType`]: their files only
//! say where their objects live and how they become a [`RouteView`].

pub mod access_log_policy;
mod cluster_lattice_plugin;
pub(crate) mod endpoint_slice;
mod gateway;
mod gateway_class;
mod grpc_route;
mod http_route;
mod iam_auth_policy;
pub mod lambda_target;
mod lattice_plugin;
mod namespace;
mod packed;
mod reference_grant;
pub(crate) mod route;
mod service;
pub mod service_export;
mod service_import;
pub mod service_network;
pub mod target_group_policy;
#[cfg(test)]
mod testing;
mod tls_route;
pub mod vpc_association_policy;

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::core::{ApiResource, GroupVersionKind};
use lattice_plugin_sdk::types::RouteKind;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use access_log_policy::AccessLogPolicyKind;
pub use cluster_lattice_plugin::ClusterLatticePluginKind;
pub use endpoint_slice::{
    EndpointSliceKind, Endpoints, SERVICE_NAME_LABEL, SliceEndpoint, SlicePort,
};
pub use gateway::GatewayKind;
pub use gateway_class::GatewayClassKind;
pub use grpc_route::GrpcRouteKind;
pub use http_route::HttpRouteKind;
pub use iam_auth_policy::IamAuthPolicyKind;
pub use lambda_target::LambdaTargetKind;
pub use lattice_plugin::LatticePluginKind;
pub use namespace::NamespaceKind;
pub use packed::Packed;
pub use reference_grant::ReferenceGrantKind;
pub use route::{Deps, RouteType};
pub use service::{ServiceKind, ServicePort, ServicePorts};
pub use service_export::ServiceExportKind;
pub use service_import::ServiceImportKind;
pub use service_network::ServiceNetworkKind;
pub use target_group_policy::TargetGroupPolicyKind;
pub use tls_route::TlsRouteKind;
pub use vpc_association_policy::VpcAssociationPolicyKind;

use crate::index::{Dirty, Graph, RouteKey};
use crate::model::RouteView;
use crate::snapshot::{Key, ManifestError, Snapshot};

/// The Gateway API group.
pub const GATEWAY_GROUP: &str = "gateway.networking.k8s.io";
/// The Kubernetes core group (`v1`): empty.
pub const CORE_GROUP: &str = "";
/// The group of EndpointSlices.
pub const DISCOVERY_GROUP: &str = "discovery.k8s.io";
/// The group of the AWS Gateway API controller's policies.
pub const POLICY_GROUP: &str = "application-networking.k8s.aws";
/// The project's own group: plugin objects and LambdaTargets.
pub const PLUGIN_GROUP: &str = crate::crds::plugins::GROUP;

/// Every kind the index reads and the controller watches, in watch order.
/// A new kind is one more line here.
pub static ALL: &[&dyn Kind] = &[
    &GatewayClassKind,
    &GatewayKind,
    &HttpRouteKind,
    &GrpcRouteKind,
    &TlsRouteKind,
    &ReferenceGrantKind,
    &ServiceKind,
    &EndpointSliceKind,
    &IamAuthPolicyKind,
    &TargetGroupPolicyKind,
    &VpcAssociationPolicyKind,
    &NamespaceKind,
    &ClusterLatticePluginKind,
    &LatticePluginKind,
    &AccessLogPolicyKind,
    &ServiceNetworkKind,
    &ServiceExportKind,
    &ServiceImportKind,
    &LambdaTargetKind,
];

/// Where a kind's objects live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// In a namespace; keys are `(namespace, name)`.
    Namespaced,
    /// Cluster-wide; keys are `("", name)`.
    Cluster,
}

/// A kind's API identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identity {
    /// API group; empty for core.
    pub group: &'static str,
    /// Version served and watched.
    pub version: &'static str,
    /// Kind, e.g. `HTTPRoute`.
    pub kind: &'static str,
    /// Plural resource name, e.g. `httproutes`.
    pub plural: &'static str,
    /// Namespaced or cluster-scoped.
    pub scope: Scope,
}

impl Identity {
    /// `group/version`, or `version` alone for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The dynamic API resource a kube client watches and patches.
    pub fn api_resource(&self) -> ApiResource {
        let gvk = GroupVersionKind::gvk(self.group, self.version, self.kind);
        ApiResource::from_gvk_with_plural(&gvk, self.plural)
    }

    /// The key of an object of this kind. Cluster-scoped objects have an
    /// empty namespace whatever they say; namespaced objects without one are
    /// in `default`, as `kubectl` would put them.
    pub fn key(&self, namespace: Option<&str>, name: &str) -> Key {
        let ns = match self.scope {
            Scope::Cluster => "",
            Scope::Namespaced => namespace.unwrap_or("default"),
        };
        (ns.to_string(), name.to_string())
    }

    /// The key of an object given as JSON; the name falls back to
    /// `generateName`, as `ResourceExt::name_any` does.
    pub fn key_of(&self, object: &Value) -> Key {
        let s = |p: &str| object.pointer(p).and_then(Value::as_str);
        let name = s("/metadata/name")
            .or_else(|| s("/metadata/generateName"))
            .unwrap_or("");
        self.key(s("/metadata/namespace"), name)
    }
}

/// One watched kind: how its objects enter the [`Snapshot`] and what a
/// change to one of them makes dirty.
pub trait Kind: Sync {
    /// Group, version, kind, plural and scope.
    fn identity(&self) -> &'static Identity;
    /// Decodes `object` and adds or replaces it in the snapshot.
    fn insert(&self, snapshot: &mut Snapshot, object: Value) -> Result<(), ManifestError>;
    /// Removes the object with this key, if present.
    fn remove(&self, snapshot: &mut Snapshot, key: &Key);
    /// Keys of every object of this kind in the snapshot.
    fn keys(&self, snapshot: &Snapshot) -> Vec<Key>;
    /// What the object with this key affects, as it stands in `snapshot`
    /// and `graph`. The index asks before and after each change, so both
    /// the old and the new dependents are re-planned.
    fn dirties(&self, snapshot: &Snapshot, graph: &Graph, key: &Key) -> Dirty;
    /// The route operations, for a route kind.
    fn as_route(&self) -> Option<&dyn Route> {
        None
    }
}

/// What a route kind adds to [`Kind`]: the view planning reads, and its
/// object for status and events.
pub trait Route: Kind {
    /// HTTP, GRPC or TLS.
    fn route_kind(&self) -> RouteKind;
    /// The normalised view of the route with this key.
    fn view(&self, snapshot: &Snapshot, key: &Key) -> Option<RouteView>;
    /// The route's metadata.
    fn meta(&self, snapshot: &Snapshot, key: &Key) -> Option<ObjectMeta>;
    /// The route as JSON, to compare its status with the desired one.
    fn json(&self, snapshot: &Snapshot, key: &Key) -> Option<Value>;
    /// What the route with this key reads besides itself.
    fn depends_on(&self, snapshot: &Snapshot, key: &Key) -> Option<Deps>;
    /// Keys of the routes of this kind in `namespace`.
    fn keys_in(&self, snapshot: &Snapshot, namespace: &str) -> Vec<Key>;
}

/// The kind with this API group and kind name.
pub fn find(group: &str, kind: &str) -> Option<&'static dyn Kind> {
    ALL.iter()
        .copied()
        .find(|k| k.identity().group == group && k.identity().kind == kind)
}

/// The kind of a JSON object, from its `apiVersion` and `kind`: `None` for
/// kinds the plan does not read.
pub fn of_object(object: &Value) -> Result<Option<&'static dyn Kind>, ManifestError> {
    let field = |f: &'static str| {
        object
            .get(f)
            .and_then(Value::as_str)
            .ok_or(ManifestError::Missing(f))
    };
    let api_version = field("apiVersion")?;
    let kind = field("kind")?;
    Ok(find(group_of(api_version), kind))
}

/// The group of an `apiVersion`: `gateway.networking.k8s.io/v1` gives
/// `gateway.networking.k8s.io`, `v1` gives the core group.
pub fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or(CORE_GROUP, |(g, _)| g)
}

/// The route kind for a [`RouteKind`].
pub fn route(kind: RouteKind) -> &'static dyn Route {
    match kind {
        RouteKind::Http => &HttpRouteKind,
        RouteKind::Grpc => &GrpcRouteKind,
        RouteKind::Tls => &TlsRouteKind,
    }
}

/// Every route kind.
pub fn routes() -> impl Iterator<Item = &'static dyn Route> {
    ALL.iter().filter_map(|k| k.as_route())
}

/// Every route of every kind in `namespace`.
pub fn routes_in(snapshot: &Snapshot, namespace: &str) -> Dirty {
    let mut d = Dirty::default();
    for route in routes() {
        let keys = route.keys_in(snapshot, namespace);
        d.routes
            .extend(keys.iter().map(|k| RouteKey::new(route.route_kind(), k)));
    }
    d
}

/// Every route of every kind.
pub fn all_routes(snapshot: &Snapshot) -> Dirty {
    let mut d = Dirty::default();
    for route in routes() {
        let keys = route.keys(snapshot);
        d.routes
            .extend(keys.iter().map(|k| RouteKey::new(route.route_kind(), k)));
    }
    d
}

/// Decodes an object of a kind, naming it in the error.
fn decode<T: DeserializeOwned>(id: &Identity, object: Value) -> Result<T, ManifestError> {
    let invalid = invalid(id, &object);
    serde_json::from_value(object).map_err(invalid)
}

/// Packs an object of a kind (see [`Packed`]), naming it in the error.
fn pack<T: kube::Resource + DeserializeOwned>(
    id: &Identity,
    object: Value,
) -> Result<Packed<T>, ManifestError> {
    let invalid = invalid(id, &object);
    Packed::new(object).map_err(invalid)
}

/// The error for `object` not being of its kind, as serde says.
fn invalid(
    id: &Identity,
    object: &Value,
) -> impl FnOnce(serde_json::Error) -> ManifestError + use<> {
    let kind = id.kind.to_string();
    let name = object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("<unnamed>")
        .to_string();
    move |source| ManifestError::Invalid { kind, name, source }
}

/// An object whose CRD does not require `spec` (the Go controller's
/// ServiceNetwork, ServiceExport, ServiceImport), read as if it had an
/// empty one.
fn with_spec(mut object: Value) -> Value {
    if let Some(o) = object.as_object_mut() {
        o.entry("spec")
            .or_insert_with(|| Value::Object(Default::default()));
    }
    object
}

/// Decodes an object and files it under its key.
fn insert_keyed<T: DeserializeOwned>(
    id: &Identity,
    map: &mut BTreeMap<Key, T>,
    object: Value,
) -> Result<(), ManifestError> {
    let key = id.key_of(&object);
    map.insert(key, decode(id, object)?);
    Ok(())
}

#[cfg(test)]
mod tests;
