//! CustomResourceDefinitions generated from Rust types: the project's own
//! (checked in under `deploy/crds/`) and the Gateway API standard kinds the
//! embedded demo installs, derived from the `gateway-api` crate.

use std::collections::BTreeMap;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;

/// The project's CRDs: the AWS controller's policies it reads, then its
/// own plugin objects and LambdaTargets.
pub fn project() -> Vec<CustomResourceDefinition> {
    vec![
        super::IAMAuthPolicy::crd(),
        super::TargetGroupPolicy::crd(),
        super::VpcAssociationPolicy::crd(),
        super::AccessLogPolicy::crd(),
        super::service_network::crd(),
        super::service_export::crd(),
        super::service_import::crd(),
        super::ClusterLatticePlugin::crd(),
        super::LatticePlugin::crd(),
        super::LambdaTarget::crd(),
    ]
}

/// The project's CRDs by API group, as checked in: one file per group,
/// `deploy/crds/<group>.yaml`.
pub fn project_by_group() -> BTreeMap<String, Vec<CustomResourceDefinition>> {
    let mut groups: BTreeMap<String, Vec<CustomResourceDefinition>> = BTreeMap::new();
    for crd in project() {
        groups.entry(crd.spec.group.clone()).or_default().push(crd);
    }
    groups
}

/// The Gateway API kinds the controller reads, dressed as the upstream standard
/// install has them: short names, the `gateway-api` category, printer columns, and
/// `v1beta1` still served where v1.5 serves it, so `kubectl get gtw` and manifests
/// written against `v1beta1` work in the demo as on a cluster.
pub fn gateway_api() -> Vec<CustomResourceDefinition> {
    const AGE: (&str, &str, &str, i32) = ("Age", "date", ".metadata.creationTimestamp", 0);
    const HOSTNAMES: (&str, &str, &str, i32) = ("Hostnames", "string", ".spec.hostnames", 0);
    vec![
        as_installed(
            gateway_api::gatewayclasses::GatewayClass::crd(),
            &["gc"],
            &[
                ("Controller", "string", ".spec.controllerName", 0),
                (
                    "Accepted",
                    "string",
                    r#".status.conditions[?(@.type=="Accepted")].status"#,
                    0,
                ),
                AGE,
                ("Description", "string", ".spec.description", 1),
            ],
            true,
        ),
        as_installed(
            gateway_api::gateways::Gateway::crd(),
            &["gtw"],
            &[
                ("Class", "string", ".spec.gatewayClassName", 0),
                ("Address", "string", ".status.addresses[*].value", 0),
                (
                    "Programmed",
                    "string",
                    r#".status.conditions[?(@.type=="Programmed")].status"#,
                    0,
                ),
                AGE,
            ],
            true,
        ),
        as_installed(
            gateway_api::httproutes::HttpRoute::crd(),
            &[],
            &[HOSTNAMES, AGE],
            true,
        ),
        as_installed(
            gateway_api::grpcroutes::GrpcRoute::crd(),
            &[],
            &[HOSTNAMES, AGE],
            false,
        ),
        as_installed(gateway_api::tlsroutes::TlsRoute::crd(), &[], &[AGE], false),
        as_installed(
            gateway_api::referencegrants::ReferenceGrant::crd(),
            &["refgrant"],
            &[AGE],
            true,
        ),
    ]
}

/// A generated CRD with the upstream install's names, columns and served `v1beta1`.
fn as_installed(
    mut crd: CustomResourceDefinition,
    short_names: &[&str],
    columns: &[(&str, &str, &str, i32)],
    serve_v1beta1: bool,
) -> CustomResourceDefinition {
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceColumnDefinition;
    let names = &mut crd.spec.names;
    if !short_names.is_empty() {
        names.short_names = Some(short_names.iter().map(|s| s.to_string()).collect());
    }
    names.categories = Some(vec!["gateway-api".into()]);
    let columns: Vec<CustomResourceColumnDefinition> = columns
        .iter()
        .map(
            |(name, type_, path, priority)| CustomResourceColumnDefinition {
                name: name.to_string(),
                type_: type_.to_string(),
                json_path: path.to_string(),
                priority: (*priority > 0).then_some(*priority),
                ..Default::default()
            },
        )
        .collect();
    for v in &mut crd.spec.versions {
        v.additional_printer_columns = Some(columns.clone());
    }
    if serve_v1beta1 && let Some(v1) = crd.spec.versions.first().cloned() {
        let mut beta = v1;
        beta.name = "v1beta1".into();
        beta.storage = false;
        crd.spec.versions.push(beta);
    }
    crd
}

/// CRDs as multi-document YAML.
pub fn to_yaml(crds: &[CustomResourceDefinition]) -> Result<String, serde_yaml::Error> {
    let mut out =
        String::from("# Generated by `lattice-host crds` from the Rust types; do not edit.\n");
    for crd in crds {
        out.push_str("---\n");
        out.push_str(&serde_yaml::to_string(crd)?);
    }
    Ok(out)
}
