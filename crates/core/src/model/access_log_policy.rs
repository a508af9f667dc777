//! AccessLogPolicy: which policies give a service network or a service its
//! access log destinations. As in the Go controller, a target has at most
//! one destination of each type (S3, CloudWatch Logs, Firehose; VPC Lattice
//! refuses a second); when two policies want the same type the oldest
//! wins and the others are `Conflicted` (see
//! [`crate::status::policy_statuses`]).

use crate::crds::AccessLogPolicy;
use crate::kinds::GATEWAY_GROUP;
use crate::model::age;
use crate::plan::AccessLogPlan;
use crate::snapshot::{Key, Snapshot};
use kube::Resource;

/// The destination types VPC Lattice logs to, by ARN prefix.
const DESTINATIONS: [(&str, &str); 3] = [
    ("arn:aws:s3:::", "S3"),
    ("arn:aws:logs:", "CloudWatch Logs"),
    ("arn:aws:firehose:", "Firehose"),
];

/// The kinds a policy may target.
const TARGET_KINDS: [&str; 3] = ["Gateway", "HTTPRoute", "GRPCRoute"];

/// The destination type of an ARN, if VPC Lattice logs to it. The
/// partition may be other than `aws` (`aws-cn`, `aws-us-gov`).
pub fn destination_type(arn: &str) -> Option<&'static str> {
    let (partition, rest) = arn.strip_prefix("arn:")?.split_once(':')?;
    let normal = format!("arn:aws:{rest}");
    (!partition.is_empty())
        .then(|| DESTINATIONS.iter().find(|(p, _)| normal.starts_with(p)))
        .flatten()
        .map(|(_, t)| *t)
}

/// Why the policy cannot be acted on whatever else exists, if it cannot:
/// its target is not a Gateway, HTTPRoute or GRPCRoute of its own
/// namespace, or its destination is not one VPC Lattice logs to.
pub fn invalid(p: &AccessLogPolicy, key: &Key) -> Option<String> {
    let t = &p.spec.target_ref;
    if t.group != GATEWAY_GROUP || !TARGET_KINDS.contains(&t.kind.as_str()) {
        return Some(format!(
            "spec.targetRef: an AccessLogPolicy targets a Gateway, HTTPRoute or GRPCRoute, not {}/{}",
            t.group, t.kind
        ));
    }
    if t.namespace.as_ref().is_some_and(|ns| ns != &key.0) {
        return Some(
            "spec.targetRef.namespace: the target must be in the policy's namespace".into(),
        );
    }
    destination_type(&p.spec.destination_arn).is_none().then(|| {
        format!(
            "spec.destinationArn: {:?} is not an S3 bucket, CloudWatch Logs group or Firehose delivery stream",
            p.spec.destination_arn
        )
    })
}

/// Whether the policy `key` targets the `kind` object `target`.
fn targets(p: &AccessLogPolicy, key: &Key, kind: &str, target: &Key) -> bool {
    let t = &p.spec.target_ref;
    key.0 == target.0 && t.kind == kind && t.name == target.1
}

/// The older valid policy on the same target with the same destination
/// type that wins over `key`, if one does.
pub fn winner_over<'a>(snapshot: &'a Snapshot, key: &Key) -> Option<&'a Key> {
    let p = snapshot.access_log_policies.get(key)?;
    let t = &p.spec.target_ref;
    let target = (key.0.clone(), t.name.clone());
    let kind = destination_type(&p.spec.destination_arn);
    snapshot
        .access_log_policies
        .iter()
        .filter(|(k, o)| targets(o, k, &t.kind, &target) && invalid(o, k).is_none())
        .filter(|(_, o)| destination_type(&o.spec.destination_arn) == kind)
        .min_by_key(|(k, o)| age(Some(o.meta()), *k))
        .map(|(k, _)| k)
        .filter(|k| *k != key)
}

/// The access logs of the `kind` object (`Gateway`, `HTTPRoute`,
/// `GRPCRoute`) `target`: the winning policy of each destination type, in
/// a stable order.
pub fn for_target(snapshot: &Snapshot, kind: &str, target: &Key) -> Vec<AccessLogPlan> {
    if snapshot.access_log_policies.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<AccessLogPlan> = snapshot
        .access_log_policies
        .iter()
        .filter(|(k, p)| targets(p, k, kind, target) && invalid(p, k).is_none())
        .filter(|(k, _)| winner_over(snapshot, k).is_none())
        .map(|(k, p)| AccessLogPlan {
            destination_arn: p.spec.destination_arn.clone(),
            policy: format!("{}/{}", k.0, k.1),
            tags: super::tags::of_object(p.meta()),
        })
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::destination_type;

    #[test]
    fn destination_types_are_read_from_the_arn_in_any_partition() {
        assert_eq!(destination_type("arn:aws:s3:::b"), Some("S3"));
        assert_eq!(
            destination_type("arn:aws-cn:logs:cn-north-1:1:log-group:g:*"),
            Some("CloudWatch Logs")
        );
        assert_eq!(
            destination_type("arn:aws:firehose:us-west-2:1:deliverystream/s"),
            Some("Firehose")
        );
        assert_eq!(destination_type("arn:aws:sqs:us-west-2:1:q"), None);
        assert_eq!(destination_type("bucket"), None);
    }
}
