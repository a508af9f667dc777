//! The status of the Go controller's policies (IAMAuthPolicy,
//! TargetGroupPolicy, VpcAssociationPolicy and AccessLogPolicy), as the Gateway API's policy attachment pattern
//! (GEP-713) words it: one `Accepted` condition, `False` with `Invalid`,
//! `TargetNotFound` or `Conflicted` (an older policy of the same kind
//! targets the same object), else `True`.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::Resource;
use kube::ResourceExt;
use serde_json::{Value, json};

use super::gateway::{StatusPatch, StatusTarget};
use super::{cond, conditions_at, keep_times, without_times};
use crate::crds::PolicyTargetReference;
use crate::kinds::target_group_policy::{self, targeted_service};
use crate::kinds::vpc_association_policy as vap;
use crate::kinds::{self, GATEWAY_GROUP};
use crate::model::access_log_policy as alp;
use crate::model::target_group_policy as tgp;
use crate::snapshot::{Key, Snapshot};

/// The status patches of every policy whose status changed.
pub fn policy_statuses(snapshot: &Snapshot, now: &Time) -> Vec<StatusPatch> {
    let mut out = Vec::new();
    for (key, p) in &snapshot.target_group_policies {
        let accepted = target_group_policy_accepted(snapshot, key, p);
        push_if_changed(
            &mut out,
            target_group_policy::ID.kind,
            key,
            p,
            accepted,
            now,
        );
    }
    for (key, p) in &snapshot.iam_auth_policies {
        let accepted = iam_auth_policy_accepted(snapshot, key, &p.spec.target_ref, p);
        push_if_changed(&mut out, "IAMAuthPolicy", key, p, accepted, now);
    }
    for (key, p) in &snapshot.vpc_association_policies {
        let accepted = vpc_association_policy_accepted(snapshot, key, p);
        push_if_changed(&mut out, vap::ID.kind, key, p, accepted, now);
    }
    for (key, p) in &snapshot.access_log_policies {
        let accepted = access_log_policy_accepted(snapshot, key, p);
        push_if_changed(&mut out, "AccessLogPolicy", key, p, accepted, now);
    }
    out
}

fn vpc_association_policy_accepted(
    snapshot: &Snapshot,
    key: &Key,
    p: &crate::crds::VpcAssociationPolicy,
) -> Condition {
    if let Some(why) = crate::model::vpc_association_policy::invalid(p) {
        return refused("Invalid", why);
    }
    let t = &p.spec.target_ref;
    let Some(gateway) = vap::targeted_gateway(t, key) else {
        return refused(
            "Invalid",
            format!(
                "spec.targetRef: a VpcAssociationPolicy targets a Gateway of its own namespace, not {}/{}",
                t.group, t.kind
            ),
        );
    };
    if !snapshot.gateways.contains_key(&gateway) {
        let why = format!("Gateway {}/{} does not exist", gateway.0, gateway.1);
        return refused("TargetNotFound", why);
    }
    match crate::model::vpc_association_policy::for_gateway(snapshot, &gateway) {
        Some((winner, _)) if winner != key => refused(
            "Conflicted",
            format!(
                "VpcAssociationPolicy {}/{} is older and decides Gateway {}'s VPC association already",
                winner.0, winner.1, gateway.1
            ),
        ),
        _ => accepted_tagged(
            "the policy decides the cluster VPC's association with the Gateway's service network",
            p.meta(),
        ),
    }
}

fn push_if_changed<K: kube::Resource + serde::Serialize>(
    out: &mut Vec<StatusPatch>,
    kind: &'static str,
    key: &Key,
    policy: &K,
    accepted: Condition,
    now: &Time,
) {
    let current = serde_json::to_value(policy).unwrap_or_default();
    let mut cs = vec![accepted];
    keep_times(
        &mut cs,
        &conditions_at(&current, "/status/conditions"),
        policy.meta().generation,
        now,
    );
    let status = json!({ "conditions": cs });
    let old = current.get("status").cloned().unwrap_or(Value::Null);
    if without_times(&old) != without_times(&status) {
        out.push(StatusPatch {
            target: StatusTarget::Policy(kind, key.clone()),
            status,
        });
    }
}

fn accepted(message: &str) -> Condition {
    cond("Accepted", true, "Accepted", message.into())
}

/// `Accepted`, saying which entries of the policy's tags annotation were
/// left out, if any: a bad tag does not stop the policy.
fn accepted_tagged(
    message: &str,
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
) -> Condition {
    match crate::model::tags::problems_of(meta) {
        Some(why) => accepted(&format!("{message}; {why}")),
        None => accepted(message),
    }
}

fn refused(reason: &str, message: String) -> Condition {
    cond("Accepted", false, reason, message)
}

fn target_group_policy_accepted(
    snapshot: &Snapshot,
    key: &Key,
    p: &crate::crds::TargetGroupPolicy,
) -> Condition {
    if let Some(why) = tgp::invalid(p) {
        return refused("Invalid", why);
    }
    let t = &p.spec.target_ref;
    if let Some(export) = crate::model::service_export::targets_export(p, key) {
        return export_policy_accepted(snapshot, key, &export);
    }
    let Some(service) = targeted_service(t, key) else {
        return refused(
            "Invalid",
            format!(
                "spec.targetRef: {}/{} in this namespace is not a target here; a TargetGroupPolicy targets a Service or a ServiceExport of its own namespace",
                t.group, t.kind
            ),
        );
    };
    if !snapshot.services.contains_key(&service) {
        let why = format!("Service {}/{} does not exist", service.0, service.1);
        return refused("TargetNotFound", why);
    }
    match tgp::for_service(snapshot, &service) {
        Some(winner) if winner.name_any() != key.1 => refused(
            "Conflicted",
            format!(
                "TargetGroupPolicy {}/{} is older and configures Service {} already",
                service.0,
                winner.name_any(),
                service.1
            ),
        ),
        _ => accepted("the policy configures the Service's VPC Lattice target groups"),
    }
}

/// A TargetGroupPolicy on a ServiceExport: its exported groups.
fn export_policy_accepted(snapshot: &Snapshot, key: &Key, export: &Key) -> Condition {
    if !snapshot.service_exports.contains_key(export) {
        let why = format!("ServiceExport {}/{} does not exist", export.0, export.1);
        return refused("TargetNotFound", why);
    }
    match crate::model::service_export::policy_for(snapshot, export) {
        Some(winner) if winner.name_any() != key.1 => refused(
            "Conflicted",
            format!(
                "TargetGroupPolicy {}/{} is older and configures ServiceExport {} already",
                export.0,
                winner.name_any(),
                export.1
            ),
        ),
        _ => accepted("the policy configures the ServiceExport's VPC Lattice target groups"),
    }
}

fn iam_auth_policy_accepted(
    snapshot: &Snapshot,
    key: &Key,
    t: &PolicyTargetReference,
    p: &crate::crds::IAMAuthPolicy,
) -> Condition {
    let target = (
        t.namespace.clone().unwrap_or_else(|| key.0.clone()),
        t.name.clone(),
    );
    // Lattice takes no auth policy on a TLS passthrough service.
    if t.group != GATEWAY_GROUP || t.kind == "TLSRoute" {
        return unsupported_target(t);
    }
    let Some(exists) = gateway_or_route_exists(snapshot, &t.kind, &target) else {
        return unsupported_target(t);
    };
    if !exists {
        let why = format!("{} {}/{} does not exist", t.kind, target.0, target.1);
        return refused("TargetNotFound", why);
    }
    let older = snapshot.iam_auth_policies.iter().find(|(k, other)| {
        let o = &other.spec.target_ref;
        *k != key
            && (o.group.as_str(), o.kind.as_str(), o.name.as_str())
                == (t.group.as_str(), t.kind.as_str(), t.name.as_str())
            && o.namespace.clone().unwrap_or_else(|| k.0.clone()) == target.0
            && crate::model::age(Some(other.meta()), *k) < crate::model::age(Some(p.meta()), key)
    });
    match older {
        Some((k, _)) => refused(
            "Conflicted",
            format!(
                "IAMAuthPolicy {}/{} is older and sets the auth policy of {} {} already",
                k.0, k.1, t.kind, t.name
            ),
        ),
        None => accepted("the policy is VPC Lattice's auth policy for its target"),
    }
}

/// Whether the Gateway or route of `kind` named `target` exists; `None`
/// when `kind` is neither.
fn gateway_or_route_exists(snapshot: &Snapshot, kind: &str, target: &Key) -> Option<bool> {
    if kind == "Gateway" {
        return Some(snapshot.gateways.contains_key(target));
    }
    let route = kinds::find(GATEWAY_GROUP, kind)?.as_route()?;
    Some(route.meta(snapshot, target).is_some())
}

fn unsupported_target(t: &PolicyTargetReference) -> Condition {
    refused(
        "Invalid",
        format!(
            "spec.targetRef: an IAMAuthPolicy targets a Gateway, HTTPRoute or GRPCRoute, not {}/{}",
            t.group, t.kind
        ),
    )
}

/// As the Go controller judges an AccessLogPolicy: `Invalid` for a target
/// or destination it cannot take, `TargetNotFound`, `Conflicted` when an
/// older policy logs the same target to the same destination type.
fn access_log_policy_accepted(
    snapshot: &Snapshot,
    key: &Key,
    p: &crate::crds::AccessLogPolicy,
) -> Condition {
    if let Some(why) = alp::invalid(p, key) {
        return refused("Invalid", why);
    }
    let t = &p.spec.target_ref;
    let target = (key.0.clone(), t.name.clone());
    if !gateway_or_route_exists(snapshot, &t.kind, &target).unwrap_or(false) {
        let why = format!("{} {}/{} does not exist", t.kind, target.0, target.1);
        return refused("TargetNotFound", why);
    }
    match alp::winner_over(snapshot, key) {
        Some(w) => refused(
            "Conflicted",
            format!(
                "AccessLogPolicy {}/{} is older and logs {} {} to a destination of the same type already",
                w.0, w.1, t.kind, t.name
            ),
        ),
        None => accepted_tagged(
            "the policy is a VPC Lattice access log subscription of its target",
            p.meta(),
        ),
    }
}
