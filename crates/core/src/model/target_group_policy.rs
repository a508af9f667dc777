//! TargetGroupPolicy: which policy decides a Service's target groups, and
//! what it makes of them. The oldest valid policy targeting a Service
//! wins (the Gateway API's policy attachment rule); the others are
//! `Conflicted` in their status (see [`crate::status::policy_statuses`]).

use kube::Resource;
use lattice_plugin_sdk::types::RouteKind;

use super::age;
use crate::crds::{HealthCheckConfig, TargetGroupPolicy};
use crate::kinds::target_group_policy::targeted_service;
use crate::plan::HealthCheckPlan;
use crate::snapshot::{Key, Snapshot};

/// The policy that decides the target groups of Service `service`.
pub fn for_service<'a>(snapshot: &'a Snapshot, service: &Key) -> Option<&'a TargetGroupPolicy> {
    snapshot
        .target_group_policies
        .iter()
        .filter(|(k, p)| targeted_service(&p.spec.target_ref, k).as_ref() == Some(service))
        .filter(|(_, p)| invalid(p).is_none())
        .min_by_key(|(k, p)| age(Some(p.meta()), *k))
        .map(|(_, p)| p)
}

/// Why VPC Lattice cannot take the policy, if it cannot.
pub fn invalid(p: &TargetGroupPolicy) -> Option<String> {
    let s = &p.spec;
    if let Some(proto) = s
        .protocol
        .as_deref()
        .filter(|v| !["HTTP", "HTTPS", "TCP"].contains(v))
    {
        return Some(format!(
            "spec.protocol: {proto:?} is not HTTP, HTTPS or TCP"
        ));
    }
    let version = s.protocol_version.as_deref();
    if let Some(v) = version.filter(|v| !["HTTP1", "HTTP2", "GRPC"].contains(v)) {
        return Some(format!(
            "spec.protocolVersion: {v:?} is not HTTP1, HTTP2 or GRPC"
        ));
    }
    if s.protocol.as_deref() == Some("TCP") && version.is_some() {
        return Some("spec.protocolVersion: a TCP target group has no protocol version".into());
    }
    s.health_check.as_ref().and_then(health_check_invalid)
}

/// Lattice's limits on a health check, for manifests that reach the plan
/// without the CRD's schema (the offline `plan`).
fn health_check_invalid(h: &HealthCheckConfig) -> Option<String> {
    let ranges = [
        ("intervalSeconds", h.interval_seconds, 5, 300),
        ("timeoutSeconds", h.timeout_seconds, 1, 120),
        ("healthyThresholdCount", h.healthy_threshold_count, 2, 10),
        (
            "unhealthyThresholdCount",
            h.unhealthy_threshold_count,
            2,
            10,
        ),
        ("port", h.port, 1, 65535),
    ];
    ranges.iter().find_map(|(field, v, min, max)| {
        let v = (*v)?;
        (!(*min..=*max).contains(&v))
            .then(|| format!("spec.healthCheck.{field}: {v} is not between {min} and {max}"))
    })
}

/// The target group protocol and version for a backend of a `kind` route,
/// under `policy`. A TLSRoute's groups are TCP and a GRPCRoute's speak
/// gRPC whatever the policy says, as in the Go controller; TCP is for
/// TLSRoute backends only (Lattice forwards HTTP listeners to HTTP groups).
pub fn protocol(kind: RouteKind, policy: Option<&TargetGroupPolicy>) -> (String, Option<String>) {
    let spec = policy.map(|p| &p.spec);
    let http = spec
        .and_then(|s| s.protocol.as_deref())
        .filter(|p| *p != "TCP")
        .unwrap_or("HTTP");
    match kind {
        RouteKind::Tls => ("TCP".into(), None),
        RouteKind::Grpc => (http.into(), Some("GRPC".into())),
        RouteKind::Http => {
            let version = spec
                .and_then(|s| s.protocol_version.as_deref())
                .unwrap_or("HTTP1");
            (http.into(), Some(version.into()))
        }
    }
}

/// The health check the policy asks for.
pub fn health_check(policy: Option<&TargetGroupPolicy>) -> Option<HealthCheckPlan> {
    let h = policy?.spec.health_check.as_ref()?;
    let int = |v: Option<i64>| v.and_then(|v| i32::try_from(v).ok());
    Some(HealthCheckPlan {
        enabled: h.enabled,
        protocol: h.protocol.map(|p| serde_text(&p)),
        protocol_version: h.protocol_version.map(|v| serde_text(&v)),
        port: int(h.port),
        path: h.path.clone(),
        health_check_interval_seconds: int(h.interval_seconds),
        health_check_timeout_seconds: int(h.timeout_seconds),
        healthy_threshold_count: int(h.healthy_threshold_count),
        unhealthy_threshold_count: int(h.unhealthy_threshold_count),
        http_code: h.status_match.clone(),
    })
}

/// An enum's text as its manifest spells it.
fn serde_text(v: &impl serde::Serialize) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
