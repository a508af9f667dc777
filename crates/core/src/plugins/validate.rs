//! What the CRD schema checks, checked again in Rust: the API server refuses
//! such objects, but offline manifests and objects written before a schema
//! change reach the index unchecked. The first problem found is reported,
//! naming its field as the API server would (`spec.source.oci`).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use thiserror::Error;

use crate::crds::plugins::{
    ClusterLatticePluginSpec, LatticePluginSpec, PluginLimits, PluginSource, PluginSpec,
    PluginTargetRef,
};
use crate::kinds::{self, GATEWAY_GROUP};

/// Why a plugin object cannot be used.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("{field}: {message}")]
pub struct Invalid {
    /// The offending field, e.g. `spec.source.oci`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> Invalid {
    Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// Checks a ClusterLatticePlugin's spec; its ConfigMap source must name a
/// namespace.
pub fn cluster_plugin(spec: &ClusterLatticePluginSpec) -> Result<(), Invalid> {
    common(&spec.plugin)?;
    if let Some(cm) = &spec.plugin.source.config_map
        && cm.namespace.as_deref().is_none_or(str::is_empty)
    {
        return Err(invalid(
            "spec.source.configMap.namespace",
            "required for a ClusterLatticePlugin",
        ));
    }
    spec.namespace_selector.as_ref().map_or(Ok(()), selector)
}

/// Checks a LatticePlugin's spec; its `targetRefs` must name route kinds.
pub fn lattice_plugin(spec: &LatticePluginSpec) -> Result<(), Invalid> {
    common(&spec.plugin)?;
    spec.target_refs
        .iter()
        .enumerate()
        .try_for_each(|(i, r)| target_ref(i, r))
}

fn common(spec: &PluginSpec) -> Result<(), Invalid> {
    source(&spec.source)?;
    // The pin is the component's digest; an OCI reference's digest is its
    // manifest's, so the two differ for every source and are not compared.
    if spec.sha256.as_deref().is_some_and(|sha| !is_sha256(sha)) {
        return Err(invalid("spec.sha256", "must be 64 lowercase hex digits"));
    }
    spec.limits.as_ref().map_or(Ok(()), limits)
}

fn source(s: &PluginSource) -> Result<(), Invalid> {
    let set = [s.config_map.is_some(), s.oci.is_some(), s.file.is_some()];
    if set.iter().filter(|x| **x).count() != 1 {
        return Err(invalid(
            "spec.source",
            "exactly one of configMap, oci or file must be set",
        ));
    }
    if let Some(cm) = &s.config_map {
        if cm.name.is_empty() {
            return Err(invalid("spec.source.configMap.name", "must not be empty"));
        }
        if cm.key.is_empty() {
            return Err(invalid("spec.source.configMap.key", "must not be empty"));
        }
    }
    if s.oci.as_deref().is_some_and(|r| oci_digest(r).is_none()) {
        return Err(invalid(
            "spec.source.oci",
            "must be pinned by digest: <reference>@sha256:<64 lowercase hex>",
        ));
    }
    if s.file.as_deref().is_some_and(|f| !f.starts_with('/')) {
        return Err(invalid("spec.source.file", "must be an absolute path"));
    }
    Ok(())
}

/// The digest an OCI reference is pinned by, if it is.
pub fn oci_digest(reference: &str) -> Option<&str> {
    let (name, digest) = reference.split_once("@sha256:")?;
    (!name.is_empty() && is_sha256(digest)).then_some(digest)
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn limits(l: &PluginLimits) -> Result<(), Invalid> {
    let out = |v: Option<u32>, max| v.is_some_and(|v| v == 0 || v > max);
    if out(l.timeout_ms, 10_000) {
        return Err(invalid("spec.limits.timeoutMs", "must be 1 to 10000"));
    }
    if out(l.memory_mib, 4096) {
        return Err(invalid("spec.limits.memoryMiB", "must be 1 to 4096"));
    }
    Ok(())
}

fn selector(s: &LabelSelector) -> Result<(), Invalid> {
    for (i, r) in s.match_expressions.iter().flatten().enumerate() {
        let field = format!("spec.namespaceSelector.matchExpressions[{i}]");
        let values = r.values.as_deref().unwrap_or_default();
        match r.operator.as_str() {
            "In" | "NotIn" if values.is_empty() => {
                return Err(invalid(
                    format!("{field}.values"),
                    "must be non-empty for In and NotIn",
                ));
            }
            "Exists" | "DoesNotExist" if !values.is_empty() => {
                return Err(invalid(
                    format!("{field}.values"),
                    "must be empty for Exists and DoesNotExist",
                ));
            }
            "In" | "NotIn" | "Exists" | "DoesNotExist" => {}
            other => {
                return Err(invalid(
                    format!("{field}.operator"),
                    format!(
                        "unknown operator {other:?}: expected In, NotIn, Exists or DoesNotExist"
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn target_ref(i: usize, r: &PluginTargetRef) -> Result<(), Invalid> {
    if r.group != GATEWAY_GROUP {
        return Err(invalid(
            format!("spec.targetRefs[{i}].group"),
            format!("must be {GATEWAY_GROUP}"),
        ));
    }
    if kinds::find(GATEWAY_GROUP, &r.kind)
        .and_then(|k| k.as_route())
        .is_none()
    {
        return Err(invalid(
            format!("spec.targetRefs[{i}].kind"),
            "must be HTTPRoute, GRPCRoute or TLSRoute",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const DIGEST: &str = "0f3c4e5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70";

    fn lp(spec: serde_json::Value) -> LatticePluginSpec {
        serde_json::from_value(spec).unwrap()
    }

    fn clp(spec: serde_json::Value) -> ClusterLatticePluginSpec {
        serde_json::from_value(spec).unwrap()
    }

    fn field(r: Result<(), Invalid>) -> String {
        r.unwrap_err().field
    }

    #[test]
    fn a_plugin_from_a_pinned_oci_ref_with_its_sha256_is_valid() {
        let oci = format!("registry.example.com/p@sha256:{DIGEST}");
        let spec = lp(
            json!({"stage":"weighting","source":{"oci":oci},"sha256":DIGEST,
            "limits":{"timeoutMs":100,"memoryMiB":64}}),
        );
        assert_eq!(lattice_plugin(&spec), Ok(()));
    }

    #[test]
    fn two_sources_or_none_are_invalid_at_spec_source() {
        let two = lp(
            json!({"stage":"auth","source":{"file":"/p.wasm","configMap":{"name":"p","key":"k"}}}),
        );
        assert_eq!(field(lattice_plugin(&two)), "spec.source");
        let none = lp(json!({"stage":"auth","source":{}}));
        assert_eq!(field(lattice_plugin(&none)), "spec.source");
    }

    #[test]
    fn an_oci_ref_without_a_digest_and_a_relative_file_are_invalid() {
        let tagged = lp(json!({"stage":"auth","source":{"oci":"registry.example.com/p:v1"}}));
        assert_eq!(field(lattice_plugin(&tagged)), "spec.source.oci");
        let relative = lp(json!({"stage":"auth","source":{"file":"p.wasm"}}));
        assert_eq!(field(lattice_plugin(&relative)), "spec.source.file");
    }

    #[test]
    fn a_sha256_that_is_not_hex_is_invalid_and_may_differ_from_the_manifest_digest() {
        let bad = lp(json!({"stage":"auth","source":{"file":"/p.wasm"},"sha256":"ABC"}));
        assert_eq!(field(lattice_plugin(&bad)), "spec.sha256");
        // The pin is the component's digest, the reference's is the manifest's.
        let component = "1".repeat(64);
        let oci = format!("r/p@sha256:{DIGEST}");
        let pinned = lp(json!({"stage":"auth","source":{"oci":oci},"sha256":component}));
        assert_eq!(lattice_plugin(&pinned), Ok(()));
    }

    #[test]
    fn a_cluster_plugin_config_map_without_a_namespace_is_invalid() {
        let spec = clp(json!({"stage":"mapping","source":{"configMap":{"name":"m","key":"k"}}}));
        assert_eq!(
            field(cluster_plugin(&spec)),
            "spec.source.configMap.namespace"
        );
    }

    #[test]
    fn limits_out_of_range_name_their_field() {
        let slow = lp(json!({"stage":"auth","source":{"file":"/p"},"limits":{"timeoutMs":0}}));
        assert_eq!(field(lattice_plugin(&slow)), "spec.limits.timeoutMs");
        let big = lp(json!({"stage":"auth","source":{"file":"/p"},"limits":{"memoryMiB":5000}}));
        assert_eq!(field(lattice_plugin(&big)), "spec.limits.memoryMiB");
    }

    #[test]
    fn a_selector_with_an_unknown_operator_or_misplaced_values_is_invalid() {
        let sel = |op: &str, values: serde_json::Value| {
            clp(json!({"stage":"auth","source":{"file":"/p"},
                "namespaceSelector":{"matchExpressions":[{"key":"k","operator":op,"values":values}]}}))
        };
        let f = |s| field(cluster_plugin(&s));
        assert_eq!(
            f(sel("Gt", json!(["1"]))),
            "spec.namespaceSelector.matchExpressions[0].operator"
        );
        assert_eq!(
            f(sel("In", json!([]))),
            "spec.namespaceSelector.matchExpressions[0].values"
        );
        assert_eq!(
            f(sel("Exists", json!(["x"]))),
            "spec.namespaceSelector.matchExpressions[0].values"
        );
    }

    #[test]
    fn a_target_ref_to_something_other_than_a_route_is_invalid() {
        let spec = lp(json!({"stage":"auth","source":{"file":"/p"},
            "targetRefs":[{"group":"gateway.networking.k8s.io","kind":"HTTPRoute","name":"a"},
                          {"group":"gateway.networking.k8s.io","kind":"Gateway","name":"g"}]}));
        assert_eq!(field(lattice_plugin(&spec)), "spec.targetRefs[1].kind");
    }
}
