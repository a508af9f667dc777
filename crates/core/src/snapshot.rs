//! A snapshot of every object the plan reads, keyed for lookups.
//!
//! The controller fills it from watches; the offline `plan` fills it from
//! manifests through [`Snapshot::add_manifest`]. Which kinds there are, and
//! how each is decoded and keyed, is in [`crate::kinds`].

use std::collections::{BTreeMap, HashMap};

use gateway_api::gatewayclasses::GatewayClass;
use gateway_api::gateways::Gateway;
use gateway_api::grpcroutes::GrpcRoute;
use gateway_api::httproutes::HttpRoute;
use gateway_api::referencegrants::ReferenceGrant;
use gateway_api::tlsroutes::TlsRoute;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::ResourceExt;
use thiserror::Error;

use crate::crds::{
    AccessLogPolicy, ClusterLatticePlugin, IAMAuthPolicy, LambdaTarget, LatticePlugin,
    ServiceExport, ServiceImport, ServiceNetwork, TargetGroupPolicy, VpcAssociationPolicy,
};
use crate::index::RouteKey;
use crate::kinds::{self, Endpoints, GatewayKind, Kind, Packed, ServicePorts};

pub use crate::kinds::SERVICE_NAME_LABEL;

/// `(namespace, name)`; cluster-scoped objects use an empty namespace (see
/// [`kinds::Identity::key`]).
pub type Key = (String, String);

/// Every object the plan reads.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// GatewayClasses by name.
    pub gateway_classes: BTreeMap<String, GatewayClass>,
    /// Gateways.
    pub gateways: BTreeMap<Key, Gateway>,
    /// HTTPRoutes, packed as every route kind is (see [`Packed`]).
    pub http_routes: BTreeMap<Key, Packed<HttpRoute>>,
    /// GRPCRoutes.
    pub grpc_routes: BTreeMap<Key, Packed<GrpcRoute>>,
    /// TLSRoutes.
    pub tls_routes: BTreeMap<Key, Packed<TlsRoute>>,
    /// ReferenceGrants.
    pub reference_grants: BTreeMap<Key, ReferenceGrant>,
    /// Services: their ports, all the plan reads of them.
    pub services: BTreeMap<Key, ServicePorts>,
    /// EndpointSlices (what the plan reads of them), grouped by the Service
    /// they belong to, each under its name, sorted by name. A `Vec`: most
    /// Services have one slice, and a B-tree leaf holds room for eleven.
    pub endpoint_slices: BTreeMap<Key, Vec<(String, Endpoints)>>,
    /// The Service each EndpointSlice is filed under, by the slice's own key:
    /// an index over `endpoint_slices`, kept in step by the EndpointSlice
    /// kind, so that a slice event costs one lookup, not a walk of them all.
    pub endpoint_slice_services: HashMap<Key, String>,
    /// IAMAuthPolicies.
    pub iam_auth_policies: BTreeMap<Key, IAMAuthPolicy>,
    /// TargetGroupPolicies.
    pub target_group_policies: BTreeMap<Key, TargetGroupPolicy>,
    /// VpcAssociationPolicies.
    pub vpc_association_policies: BTreeMap<Key, VpcAssociationPolicy>,
    /// Namespaces by name: their labels decide which cluster plugins apply.
    pub namespaces: BTreeMap<String, Namespace>,
    /// ClusterLatticePlugins by name.
    pub cluster_lattice_plugins: BTreeMap<String, ClusterLatticePlugin>,
    /// LatticePlugins.
    pub lattice_plugins: BTreeMap<Key, LatticePlugin>,
    /// The routes of every kind whose Lattice service has each name: an
    /// index over the routes, kept in step by the route kinds, so that two
    /// routes whose shortened names collide are found in one lookup. A
    /// `Vec`: nearly every name has one route, and a B-tree leaf would
    /// hold room for eleven.
    pub service_names: HashMap<String, Vec<RouteKey>>,
    /// AccessLogPolicies.
    pub access_log_policies: BTreeMap<Key, AccessLogPolicy>,
    /// ServiceNetwork objects by name (cluster-scoped).
    pub service_networks: BTreeMap<String, ServiceNetwork>,
    /// ServiceExports.
    pub service_exports: BTreeMap<Key, ServiceExport>,
    /// ServiceImports.
    pub service_imports: BTreeMap<Key, ServiceImport>,
    /// LambdaTargets: Lambda functions that backendRefs name.
    pub lambda_targets: BTreeMap<Key, LambdaTarget>,
}

/// Why a manifest could not be added.
#[derive(Debug, Error)]
pub enum ManifestError {
    /// `apiVersion` or `kind` missing.
    #[error("missing {0}")]
    Missing(&'static str),
    /// The object does not fit its kind's schema.
    #[error("{kind} {name}: {source}")]
    Invalid {
        /// Kind.
        kind: String,
        /// Name, or `<unnamed>`.
        name: String,
        /// What serde said.
        source: serde_json::Error,
    },
}

impl Snapshot {
    /// Adds one decoded manifest. Kinds the plan does not read are ignored
    /// and reported as `Ok(false)`. Namespaced objects without a namespace
    /// go to `default`, as `kubectl apply` would put them.
    pub fn add_manifest(&mut self, value: serde_json::Value) -> Result<bool, ManifestError> {
        let Some(kind) = kinds::of_object(&value)? else {
            return Ok(false);
        };
        kind.insert(self, value)?;
        Ok(true)
    }

    /// Adds or replaces a Gateway.
    pub fn insert_gateway(&mut self, gw: Gateway) {
        let key = GatewayKind
            .identity()
            .key(gw.metadata.namespace.as_deref(), &gw.name_any());
        self.gateways.insert(key, gw);
    }

    /// Adds or replaces an EndpointSlice under its Service; a slice of the
    /// same name in its namespace goes, wherever it was filed.
    pub fn insert_endpoint_slice(&mut self, es: EndpointSlice) {
        kinds::endpoint_slice::file(self, es);
    }

    /// A route's metadata, whatever its kind (decoded: see `kinds::packed`).
    pub fn route_meta(&self, route: &RouteKey) -> Option<ObjectMeta> {
        kinds::route(route.kind).meta(self, &route.key())
    }

    /// A route as JSON, whatever its kind: what the status writer compares
    /// the desired status with.
    pub fn route_json(&self, route: &RouteKey) -> Option<serde_json::Value> {
        kinds::route(route.kind).json(self, &route.key())
    }

    /// Number of routes of all kinds.
    pub fn route_count(&self) -> usize {
        self.http_routes.len() + self.grpc_routes.len() + self.tls_routes.len()
    }
}
