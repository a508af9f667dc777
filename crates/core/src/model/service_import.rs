//! ServiceImport backendRefs, resolved as the Go controller resolves them
//! (`model_build_rule.go`): the import's `target-group-arn` annotation
//! names any target group (EC2, ECS, Lambda, ALB, another cluster's);
//! otherwise the group is the one some cluster exported under the
//! `export-name` annotation (else the import's name) in the import's
//! namespace, narrowed by the `aws-eks-cluster-name` and `aws-vpc`
//! annotations. The ServiceImport object itself is optional, as there.
//!
//! Lattice is not read here: the plan carries how to find the group
//! ([`ImportPlan`]) and the applier finds it, or drops it from the
//! forwards with `ResolvedRefs=False` on the route.

use kube::ResourceExt;
use lattice_plugin_sdk::types::{Backend, Resolution};

use super::backends::{TargetGroupIntent, not_permitted, permitted};
use super::routes::{BackendRef, RouteView};
use crate::config::ReferenceGrantPolicy;
use crate::plan::ImportPlan;
use crate::snapshot::Snapshot;

/// The annotation naming a target group by ARN.
pub const TARGET_GROUP_ARN: &str = "application-networking.k8s.aws/target-group-arn";
/// The annotation naming the export, when it is not the import's namesake.
pub const EXPORT_NAME: &str = "application-networking.k8s.aws/export-name";
/// The annotation narrowing the export to one VPC.
pub const AWS_VPC: &str = "application-networking.k8s.aws/aws-vpc";
/// The annotation narrowing the export to one cluster.
pub const AWS_EKS_CLUSTER_NAME: &str = "application-networking.k8s.aws/aws-eks-cluster-name";

/// The groups a ServiceImport backendRef may name it by: the Go
/// controller's, and the Multi-Cluster Services API's.
pub const GROUPS: &[&str] = &["application-networking.k8s.aws", "multicluster.x-k8s.io"];

/// The key the plan's forwards use for an import: never a Lattice name
/// (those have no `/`), so it cannot meet one.
pub fn key(namespace: &str, name: &str) -> String {
    format!("serviceimport/{namespace}/{name}")
}

/// Whether a backendRef names a ServiceImport.
pub fn is_service_import(group: &str, kind: &str) -> bool {
    kind == "ServiceImport" && GROUPS.contains(&group)
}

/// Resolves a ServiceImport backendRef: `out` gets the key, or says why
/// there is none (another namespace's import needs a ReferenceGrant to
/// ServiceImport in the backendRef's group).
pub(crate) fn resolve(
    snapshot: &Snapshot,
    grants: ReferenceGrantPolicy,
    route: &RouteView,
    b: &BackendRef,
    mut out: Backend,
) -> (Backend, Option<TargetGroupIntent>) {
    if !permitted(snapshot, grants, route, b, &b.group, "ServiceImport") {
        out.resolution = Resolution::NotPermitted;
        out.display = not_permitted(&out.display, route, b);
        return (out, None);
    }
    let import = match lookup(snapshot, b) {
        Ok(i) => i,
        Err(why) => {
            out.resolution = Resolution::NotFound;
            out.display = format!("{} ({why})", out.display);
            return (out, None);
        }
    };
    let name = key(&b.namespace, &b.name);
    out.target_group = name.clone();
    let tg = TargetGroupIntent {
        name,
        backend: format!("{}/{}", b.namespace, b.name),
        port: 0,
        protocol: String::new(),
        protocol_version: None,
        targets: vec![],
        health_check: None,
        import: Some(import),
        lambda: None,
    };
    (out, Some(tg))
}

/// How to find the group, from the import's annotations, or why they
/// cannot be read.
fn lookup(snapshot: &Snapshot, b: &BackendRef) -> Result<ImportPlan, String> {
    let si = snapshot
        .service_imports
        .get(&(b.namespace.clone(), b.name.clone()));
    let annotation = |k: &str| {
        let v = si.and_then(|si| si.annotations().get(k))?.trim();
        (!v.is_empty()).then(|| v.to_string())
    };
    let arn = annotation(TARGET_GROUP_ARN);
    let export_name = annotation(EXPORT_NAME);
    let (cluster, vpc) = (annotation(AWS_EKS_CLUSTER_NAME), annotation(AWS_VPC));
    if let Some(arn) = &arn {
        if export_name.is_some() || cluster.is_some() || vpc.is_some() {
            return Err(format!(
                "the ServiceImport sets {TARGET_GROUP_ARN} together with {EXPORT_NAME}, {AWS_EKS_CLUSTER_NAME} or {AWS_VPC}; set one way of finding the target group"
            ));
        }
        target_group_id(arn).ok_or_else(|| {
            format!("{TARGET_GROUP_ARN}: {arn:?} is not a VPC Lattice target group ARN")
        })?;
    }
    Ok(ImportPlan {
        service_import: format!("{}/{}", b.namespace, b.name),
        target_group_arn: arn,
        export_namespace: b.namespace.clone(),
        export_name: export_name.unwrap_or_else(|| b.name.clone()),
        cluster,
        vpc,
    })
}

/// The id in a target group ARN,
/// `arn:<partition>:vpc-lattice:<region>:<account>:targetgroup/<id>`.
pub fn target_group_id(arn: &str) -> Option<&str> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts[..] else {
        return None;
    };
    let id = resource.strip_prefix("targetgroup/")?;
    let plain =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let ok = prefix == "arn"
        && plain(partition)
        && service == "vpc-lattice"
        && plain(region)
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && id.starts_with("tg-")
        && plain(id);
    ok.then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_group_arns_are_read_as_lattice_writes_them() {
        let arn = "arn:aws:vpc-lattice:us-west-2:123456789012:targetgroup/tg-0123456789abcdef0";
        assert_eq!(target_group_id(arn), Some("tg-0123456789abcdef0"));
        for bad in [
            "tg-0123456789abcdef0",
            "arn:aws:vpc-lattice:us-west-2:123456789012:service/svc-1",
            "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/tg-1",
            "arn:aws:vpc-lattice:us-west-2:1234:targetgroup/tg-1",
            "arn:aws:vpc-lattice:us-west-2:123456789012:targetgroup/",
        ] {
            assert_eq!(target_group_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn import_keys_can_never_be_lattice_names() {
        let k = key("default", "inventory");
        assert_eq!(k, "serviceimport/default/inventory");
        let lattice =
            crate::model::naming::check_name(crate::model::naming::NameKind::TargetGroup, &k);
        assert!(lattice.is_err());
    }
}
