//! Issue 12: least privilege, proven by recording. The controller runs one
//! representative scenario ([`scenario`]) against kube-sim and lattice-sim;
//! then deploy/'s RBAC must allow every Kubernetes request it made and
//! grant nothing it never asked for, and deploy/iam-policy.json must allow
//! every VPC Lattice operation it called and no action it never needed.

mod rbac;
mod scenario;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde_yaml::Value;

use crate::cli::root;
use rbac::{Attrs, Grant};
use scenario::Recorded;

/// The scenario, run once for both tests.
fn recorded() -> &'static Recorded {
    static RECORDED: OnceLock<Recorded> = OnceLock::new();
    RECORDED.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
            .block_on(scenario::run())
    })
}

/// deploy/ as `kubectl apply -k deploy/` would send it.
fn rendered() -> Vec<Value> {
    let out = std::process::Command::new("kubectl")
        .args(["kustomize", "deploy"])
        .current_dir(root())
        .output()
        .expect("kubectl runs (scripts/setup --test installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_yaml::Deserializer::from_slice(&out.stdout)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .filter(|v: &Value| !v.is_null())
        .collect()
}

fn attrs(r: &kube_sim::ApiRequest) -> Attrs {
    Attrs {
        verb: r.verb.clone(),
        group: r.group.clone(),
        resource: if r.subresource.is_empty() {
            r.resource.clone()
        } else {
            format!("{}/{}", r.resource, r.subresource)
        },
        namespace: r.namespace.clone(),
        name: r.name.clone(),
    }
}

fn shown(g: &Grant) -> String {
    format!(
        "{} in {}: {:?} {:?} {:?}{}",
        g.role,
        g.scope.as_deref().unwrap_or("the cluster"),
        g.groups,
        g.resources,
        g.verbs,
        if g.names.is_empty() {
            String::new()
        } else {
            format!(" names {:?}", g.names)
        }
    )
}

#[test]
fn deploy_rbac_grants_exactly_what_the_controller_asks_kubernetes_for() {
    let recorded = recorded();
    let requests: Vec<Attrs> = recorded.kube.keys().map(attrs).collect();
    // The scenario reached every path worth granting.
    let kinds: BTreeSet<(&str, &str, &str)> = requests
        .iter()
        .map(|a| (a.verb.as_str(), a.group.as_str(), a.resource.as_str()))
        .collect();
    for must in [
        ("patch", "gateway.networking.k8s.io", "tlsroutes/status"),
        ("patch", "lattice-host.io", "latticeplugins/status"),
        (
            "patch",
            "application-networking.k8s.aws",
            "targetgrouppolicies/status",
        ),
        (
            "patch",
            "application-networking.k8s.aws",
            "iamauthpolicies/status",
        ),
        (
            "patch",
            "application-networking.k8s.aws",
            "vpcassociationpolicies/status",
        ),
        (
            "patch",
            "application-networking.k8s.aws",
            "accesslogpolicies/status",
        ),
        (
            "patch",
            "application-networking.k8s.aws",
            "servicenetworks/status",
        ),
        ("patch", "application-networking.k8s.aws", "servicenetworks"),
        ("patch", "application-networking.k8s.aws", "iamauthpolicies"),
        (
            "patch",
            "application-networking.k8s.aws",
            "vpcassociationpolicies",
        ),
        (
            "patch",
            "application-networking.k8s.aws",
            "accesslogpolicies",
        ),
        ("get", "", "secrets"),
        ("update", "coordination.k8s.io", "leases"),
        ("create", "events.k8s.io", "events"),
    ] {
        assert!(kinds.contains(&must), "the scenario never made {must:?}");
    }
    let sa = scenario::USER
        .strip_prefix("system:serviceaccount:")
        .and_then(|s| s.split_once(':'))
        .expect("a service account user");
    let grants = rbac::grants(&rendered(), sa.0, sa.1);
    assert!(!grants.is_empty(), "nothing in deploy/ is bound to {sa:?}");

    let denied: Vec<&Attrs> = requests
        .iter()
        .filter(|a| !grants.iter().any(|g| g.allows(a)))
        .collect();
    assert!(
        denied.is_empty(),
        "deploy/ does not grant what the controller asked for:\n{denied:#?}"
    );
    let unused: Vec<String> = grants
        .iter()
        .flat_map(Grant::atoms)
        .filter(|atom| !requests.iter().any(|a| atom.allows(a)))
        .map(|g| shown(&g))
        .collect();
    assert!(
        unused.is_empty(),
        "deploy/ grants what the controller never asked for:\n{}",
        unused.join("\n")
    );
    // Secrets: read in the controller's own namespace only.
    assert!(
        requests
            .iter()
            .filter(|a| a.resource == "secrets")
            .all(|a| a.verb == "get" && a.namespace.as_deref() == Some(scenario::NAMESPACE)),
        "{requests:#?}"
    );
}

/// The IAM actions one VPC Lattice operation needs, as the Service
/// Authorization Reference maps them ("API operations defined by Amazon VPC
/// Lattice"): BatchUpdateRule is authorized as UpdateRule, and a create
/// that tags (the applier tags everything it creates with ManagedBy) also
/// needs TagResource.
fn actions_of(operation: &str) -> Vec<String> {
    let own = match operation {
        "BatchUpdateRule" => "UpdateRule",
        other => other,
    };
    let mut out = vec![format!("vpc-lattice:{own}")];
    if operation.starts_with("Create") {
        out.push("vpc-lattice:TagResource".into());
    }
    out
}

/// Actions of other services that VPC Lattice checks on the caller's
/// behalf, with where that is documented. Not callable here: listed so
/// the policy holds them on purpose and nothing else.
const DEPENDENCIES: &[(&str, &str)] = &[
    (
        "ec2:DescribeVpcs",
        "CreateServiceNetworkVpcAssociation and CreateTargetGroup validate the VPC (VPC Lattice User Guide, API permissions)",
    ),
    (
        "ec2:DescribeSecurityGroups",
        "CreateServiceNetworkVpcAssociation (VPC Lattice User Guide, API permissions)",
    ),
    (
        "ec2:DescribeSubnets",
        "RegisterTargets of IP targets; the Go controller's recommended policy grants it too",
    ),
    (
        "iam:CreateServiceLinkedRole",
        "the first VPC Lattice resource of an account creates AWSServiceRoleForVpcLattice",
    ),
    (
        "logs:CreateLogDelivery",
        "an access log subscription is a CloudWatch vended log delivery (VPC Lattice User Guide, access logs, IAM permissions)",
    ),
    ("logs:GetLogDelivery", "as logs:CreateLogDelivery"),
    ("logs:UpdateLogDelivery", "UpdateAccessLogSubscription"),
    ("logs:DeleteLogDelivery", "DeleteAccessLogSubscription"),
    ("logs:ListLogDeliveries", "as logs:CreateLogDelivery"),
    (
        "s3:GetBucketPolicy",
        "an S3 destination's bucket policy is read and extended for log delivery (CloudWatch Logs, logs sent to Amazon S3)",
    ),
    ("s3:PutBucketPolicy", "as s3:GetBucketPolicy"),
    (
        "logs:DescribeLogGroups",
        "a CloudWatch Logs destination's resource policy is read and extended (CloudWatch Logs, logs sent to CloudWatch Logs)",
    ),
    ("logs:DescribeResourcePolicies", "as logs:DescribeLogGroups"),
    ("logs:PutResourcePolicy", "as logs:DescribeLogGroups"),
    (
        "firehose:TagDeliveryStream",
        "a Firehose destination is tagged LogDeliveryEnabled (CloudWatch Logs, logs sent to Firehose)",
    ),
];

#[test]
fn the_iam_policy_allows_exactly_the_vpc_lattice_actions_the_controller_calls() {
    let called: BTreeMap<&String, &u64> = recorded().lattice.iter().collect();
    // The scenario reached every write the applier can make.
    for op in [
        "CreateServiceNetwork",
        "UpdateServiceNetwork",
        "DeleteServiceNetwork",
        "CreateServiceNetworkVpcAssociation",
        "UpdateServiceNetworkVpcAssociation",
        "DeleteServiceNetworkVpcAssociation",
        "CreateService",
        "UpdateService",
        "DeleteService",
        "CreateServiceNetworkServiceAssociation",
        "DeleteServiceNetworkServiceAssociation",
        "CreateListener",
        "UpdateListener",
        "DeleteListener",
        "CreateRule",
        "UpdateRule",
        "BatchUpdateRule",
        "DeleteRule",
        "CreateTargetGroup",
        "UpdateTargetGroup",
        "DeleteTargetGroup",
        "RegisterTargets",
        "DeregisterTargets",
        "PutAuthPolicy",
        "DeleteAuthPolicy",
        "TagResource",
        "UntagResource",
        "CreateAccessLogSubscription",
        "UpdateAccessLogSubscription",
        "DeleteAccessLogSubscription",
        "ListAccessLogSubscriptions",
    ] {
        assert!(
            called.contains_key(&op.to_string()),
            "never called {op}: {called:?}"
        );
    }
    assert!(
        !called.contains_key(&"UnknownOperation".to_string()),
        "{called:?}"
    );
    let needed: BTreeSet<String> = called.keys().flat_map(|op| actions_of(op)).collect();

    let text = std::fs::read_to_string(root().join("deploy/iam-policy.json")).unwrap();
    let policy: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(policy["Version"], "2012-10-17");
    let mut allowed = BTreeSet::new();
    for st in policy["Statement"].as_array().expect("statements") {
        assert_eq!(st["Effect"], "Allow", "{st}");
        match &st["Action"] {
            serde_json::Value::String(a) => {
                allowed.insert(a.clone());
            }
            serde_json::Value::Array(a) => {
                allowed.extend(a.iter().map(|x| x.as_str().unwrap().to_string()))
            }
            other => panic!("Action {other}"),
        }
    }
    assert!(
        allowed.iter().all(|a| !a.contains('*')),
        "no wildcards: {allowed:?}"
    );
    let lattice: BTreeSet<String> = allowed
        .iter()
        .filter(|a| a.starts_with("vpc-lattice:"))
        .cloned()
        .collect();
    let missing: Vec<&String> = needed.difference(&lattice).collect();
    let unused: Vec<&String> = lattice.difference(&needed).collect();
    assert!(
        missing.is_empty() && unused.is_empty(),
        "deploy/iam-policy.json: missing {missing:?}, never needed {unused:?} (called: {called:?})"
    );
    let others: BTreeSet<&str> = allowed
        .iter()
        .filter(|a| !a.starts_with("vpc-lattice:"))
        .map(String::as_str)
        .collect();
    let documented: BTreeSet<&str> = DEPENDENCIES.iter().map(|(a, _)| *a).collect();
    assert_eq!(others, documented);
}
