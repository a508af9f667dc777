//! A snapshot of every object the plan reads, keyed for lookups.
//!
//! The controller fills it from watches; the offline `plan` fills it from
//! manifests through [`Snapshot::add_manifest`].

use std::collections::BTreeMap;

use gateway_api::gatewayclasses::GatewayClass;
use gateway_api::gateways::Gateway;
use gateway_api::grpcroutes::GrpcRoute;
use gateway_api::httproutes::HttpRoute;
use gateway_api::referencegrants::ReferenceGrant;
use gateway_api::tlsroutes::TlsRoute;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::ResourceExt;
use serde::de::DeserializeOwned;
use thiserror::Error;

use crate::crds::IAMAuthPolicy;

/// `(namespace, name)`; cluster-scoped objects use an empty namespace.
pub type Key = (String, String);

/// Every object the plan reads.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// GatewayClasses by name.
    pub gateway_classes: BTreeMap<String, GatewayClass>,
    /// Gateways.
    pub gateways: BTreeMap<Key, Gateway>,
    /// HTTPRoutes.
    pub http_routes: BTreeMap<Key, HttpRoute>,
    /// GRPCRoutes.
    pub grpc_routes: BTreeMap<Key, GrpcRoute>,
    /// TLSRoutes.
    pub tls_routes: BTreeMap<Key, TlsRoute>,
    /// ReferenceGrants.
    pub reference_grants: BTreeMap<Key, ReferenceGrant>,
    /// Services.
    pub services: BTreeMap<Key, Service>,
    /// EndpointSlices, grouped by the Service they belong to.
    pub endpoint_slices: BTreeMap<Key, BTreeMap<String, EndpointSlice>>,
    /// IAMAuthPolicies.
    pub iam_auth_policies: BTreeMap<Key, IAMAuthPolicy>,
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

/// The label that ties an EndpointSlice to its Service.
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

fn key<K: ResourceExt>(o: &K) -> Key {
    (
        o.namespace().unwrap_or_else(|| "default".into()),
        o.name_any(),
    )
}

impl Snapshot {
    /// Adds one decoded manifest. Kinds the plan does not read are ignored
    /// and reported as `Ok(false)`.
    pub fn add_manifest(&mut self, value: serde_json::Value) -> Result<bool, ManifestError> {
        let api_version = value
            .get("apiVersion")
            .and_then(|v| v.as_str())
            .ok_or(ManifestError::Missing("apiVersion"))?
            .to_string();
        let kind = value
            .get("kind")
            .and_then(|v| v.as_str())
            .ok_or(ManifestError::Missing("kind"))?
            .to_string();
        let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
        match (group, kind.as_str()) {
            ("gateway.networking.k8s.io", "GatewayClass") => {
                let o: GatewayClass = decode(&kind, value)?;
                self.gateway_classes.insert(o.name_any(), o);
            }
            ("gateway.networking.k8s.io", "Gateway") => self.insert_gateway(decode(&kind, value)?),
            ("gateway.networking.k8s.io", "HTTPRoute") => {
                let o: HttpRoute = decode(&kind, value)?;
                self.http_routes.insert(key(&o), o);
            }
            ("gateway.networking.k8s.io", "GRPCRoute") => {
                let o: GrpcRoute = decode(&kind, value)?;
                self.grpc_routes.insert(key(&o), o);
            }
            ("gateway.networking.k8s.io", "TLSRoute") => {
                let o: TlsRoute = decode(&kind, value)?;
                self.tls_routes.insert(key(&o), o);
            }
            ("gateway.networking.k8s.io", "ReferenceGrant") => {
                let o: ReferenceGrant = decode(&kind, value)?;
                self.reference_grants.insert(key(&o), o);
            }
            ("", "Service") => {
                let o: Service = decode(&kind, value)?;
                self.services.insert(key(&o), o);
            }
            ("discovery.k8s.io", "EndpointSlice") => {
                self.insert_endpoint_slice(decode(&kind, value)?)
            }
            ("application-networking.k8s.aws", "IAMAuthPolicy") => {
                let o: IAMAuthPolicy = decode(&kind, value)?;
                self.iam_auth_policies.insert(key(&o), o);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Adds or replaces a Gateway.
    pub fn insert_gateway(&mut self, gw: Gateway) {
        self.gateways.insert(key(&gw), gw);
    }

    /// Adds or replaces an EndpointSlice under its Service.
    pub fn insert_endpoint_slice(&mut self, es: EndpointSlice) {
        let ns = es.namespace().unwrap_or_else(|| "default".into());
        let svc = es
            .labels()
            .get(SERVICE_NAME_LABEL)
            .cloned()
            .unwrap_or_default();
        self.endpoint_slices
            .entry((ns, svc))
            .or_default()
            .insert(es.name_any(), es);
    }

    /// Number of routes of all kinds.
    pub fn route_count(&self) -> usize {
        self.http_routes.len() + self.grpc_routes.len() + self.tls_routes.len()
    }
}

fn decode<T: DeserializeOwned>(kind: &str, value: serde_json::Value) -> Result<T, ManifestError> {
    let name = value
        .pointer("/metadata/name")
        .and_then(|v| v.as_str())
        .unwrap_or("<unnamed>")
        .to_string();
    serde_json::from_value(value).map_err(|source| ManifestError::Invalid {
        kind: kind.to_string(),
        name,
        source,
    })
}
