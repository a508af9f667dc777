//! `LambdaTarget` (namespaced, group `lattice-host.io`): an AWS Lambda
//! function that a route's backendRef names directly
//! (`group: lattice-host.io, kind: LambdaTarget`). It becomes a VPC Lattice
//! target group of type `LAMBDA` whose one target is the function.

// `printcolumn(.., type_ = "string", ..)` repeats per column: kube's syntax,
// not a duplicated attribute.
#![allow(clippy::duplicated_attributes)]

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The object's kind, as a backendRef names it.
pub const KIND: &str = "LambdaTarget";

/// What Lattice hands the function: the `lambdaEventStructureVersion` of
/// its target group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum EventStructureVersion {
    /// The first event structure.
    V1,
    /// The second event structure (multi-value headers and query strings).
    V2,
}

impl EventStructureVersion {
    /// The name Lattice's API uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1 => "V1",
            Self::V2 => "V2",
        }
    }
}

/// `lattice-host.io/v1alpha1` LambdaTarget: a Lambda function as a route
/// backend.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "lattice-host.io",
    version = "v1alpha1",
    kind = "LambdaTarget",
    doc = "A Lambda function that a route's backendRef names: a VPC Lattice LAMBDA target group.",
    plural = "lambdatargets",
    category = "lattice-host",
    namespaced,
    derive = "PartialEq",
    printcolumn(name = "Function", type_ = "string", json_path = ".spec.functionArn"),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct LambdaTargetSpec {
    /// The function:
    /// `arn:<partition>:lambda:<region>:<account>:function:<name>[:<version or alias>]`.
    /// Lattice invokes it in the target group's account and Region only.
    #[schemars(pattern(
        r"^arn:[a-z0-9-]+:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]{1,128})?$"
    ))]
    pub function_arn: String,
    /// The event structure Lattice sends the function, `V1` or `V2`;
    /// Lattice's default (`V1`) when absent. Lattice cannot change it on an
    /// existing target group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_structure_version: Option<EventStructureVersion>,
}

/// Whether `arn` is a Lambda function ARN, optionally qualified by a
/// version or alias: what the CRD's pattern admits, checked again because
/// the offline `plan` reads manifests no API server validated.
pub fn is_function_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.split(':').collect();
    let (fixed, qualifier) = match parts.len() {
        7 => (&parts[..], None),
        8 => (&parts[..7], Some(parts[7])),
        _ => return false,
    };
    let lower = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    let word = |s: &str, max: usize, extra: &[u8]| {
        (1..=max).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-".contains(&b) || extra.contains(&b))
    };
    fixed[0] == "arn"
        && lower(fixed[1])
        && fixed[2] == "lambda"
        && lower(fixed[3])
        && fixed[4].len() == 12
        && fixed[4].bytes().all(|b| b.is_ascii_digit())
        && fixed[5] == "function"
        && word(fixed[6], 64, b"")
        && qualifier.is_none_or(|q| word(q, 128, b"$"))
}

#[cfg(test)]
mod tests {
    use super::is_function_arn;

    #[test]
    fn function_arns_with_or_without_a_qualifier_are_accepted() {
        for arn in [
            "arn:aws:lambda:us-west-2:123456789012:function:books",
            "arn:aws-cn:lambda:cn-north-1:123456789012:function:my_fn-2:live",
            "arn:aws:lambda:us-west-2:123456789012:function:books:$LATEST",
            "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:f:7",
        ] {
            assert!(is_function_arn(arn), "{arn}");
        }
    }

    #[test]
    fn anything_else_is_not_a_function_arn() {
        for arn in [
            "",
            "books",
            "arn:aws:lambda:us-west-2:123456789012:layer:books",
            "arn:aws:s3:::bucket",
            "arn:aws:lambda:us-west-2:12345:function:books",
            "arn:aws:lambda:us-west-2:123456789012:function:",
            "arn:aws:lambda:us-west-2:123456789012:function:bo/oks",
            "arn:aws:lambda:us-west-2:123456789012:function:books:live:extra",
            "arn:aws:lambda:us-west-2:123456789012:function:books:",
            "arn:AWS:lambda:us-west-2:123456789012:function:books",
        ] {
            assert!(!is_function_arn(arn), "{arn}");
        }
    }
}
