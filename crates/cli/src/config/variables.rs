//! Every environment variable `run` reads, in one table: `run --help`
//! prints it, and a test holds README's configuration table and
//! `deploy/controller` (the ConfigMap and the Deployment) to it.

/// One variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Variable {
    /// Its name.
    pub name: &'static str,
    /// Its default, `required`, or where it comes from when unset.
    pub default: &'static str,
    /// The `run` flag that overrides it, if any.
    pub flag: Option<&'static str>,
    /// Whether the AWS Gateway API Controller reads it under the same name.
    pub go: bool,
    /// What it sets.
    pub meaning: &'static str,
}

const fn var(
    name: &'static str,
    default: &'static str,
    flag: Option<&'static str>,
    go: bool,
    meaning: &'static str,
) -> Variable {
    Variable {
        name,
        default,
        flag,
        go,
        meaning,
    }
}

/// What `run` reads, in the order `run --help` lists it.
pub const VARIABLES: &[Variable] = &[
    var(
        "CLUSTER_NAME",
        "required",
        Some("--cluster-name"),
        true,
        "the cluster's name: ManagedBy tag and Lattice names",
    ),
    var(
        "CLUSTER_VPC_ID",
        "EC2 instance metadata",
        Some("--cluster-vpc-id"),
        true,
        "the cluster's VPC: target groups, the service network association, ManagedBy",
    ),
    var(
        "REGION",
        "EC2 instance metadata",
        Some("--region"),
        true,
        "the AWS region of VPC Lattice",
    ),
    var(
        "AWS_ACCOUNT_ID",
        "EC2 instance metadata",
        Some("--aws-account-id"),
        true,
        "the AWS account: ManagedBy tag",
    ),
    var(
        "DEFAULT_SERVICE_NETWORK",
        "(none)",
        Some("--default-service-network"),
        true,
        "a service network found or created and joined to the cluster VPC, before any Gateway's",
    ),
    var(
        "ENABLE_SERVICE_NETWORK_OVERRIDE",
        "false",
        None,
        true,
        "true: every Gateway stands for DEFAULT_SERVICE_NETWORK (when set), so each route's service joins it and no other",
    ),
    var(
        "LATTICE_ENDPOINT",
        "(the AWS endpoint)",
        Some("--lattice-endpoint"),
        true,
        "a VPC Lattice endpoint URL",
    ),
    var(
        "LOG_LEVEL",
        "info",
        None,
        true,
        "a level or a tracing filter (lattice_controller=debug,info)",
    ),
    var(
        "LOG_FORMAT",
        "text",
        None,
        false,
        "log lines as text or json",
    ),
    var(
        "ROUTE_MAX_CONCURRENT_RECONCILES",
        "20",
        Some("--max-concurrent-reconciles"),
        true,
        "Kubernetes writes in flight at once (1 to 1000)",
    ),
    var(
        "RECONCILE_DEFAULT_RESYNC_SECONDS",
        "600",
        Some("--resync-seconds"),
        true,
        "period of the full resync against VPC Lattice: 0 turns it off, else at least 60",
    ),
    var(
        "REFERENCE_GRANT_POLICY",
        "require",
        Some("--reference-grant-policy"),
        false,
        "require: a backend in another namespace needs a ReferenceGrant there; ignore: it does not, as in the Go controller (for a migration)",
    ),
    var(
        "ADMIN_LISTEN",
        "0.0.0.0:8080",
        None,
        false,
        "address of /healthz, /readyz and /metrics",
    ),
    var(
        "LATTICE_READS_PER_SECOND",
        "50",
        Some("--lattice-reads-per-second"),
        false,
        "sustained VPC Lattice Get/List calls per second, bursting to twice that (0: no limit)",
    ),
    var(
        "LATTICE_WRITES_PER_SECOND",
        "10",
        Some("--lattice-writes-per-second"),
        false,
        "sustained VPC Lattice writes per second, bursting to twice that (0: no limit)",
    ),
    var(
        "LATTICE_MAX_CONCURRENT_CALLS",
        "16",
        Some("--lattice-max-concurrent-calls"),
        false,
        "VPC Lattice calls in flight at once (1 to 1000)",
    ),
    var(
        "LATTICE_HOST_CACHE_DIR",
        "(the user cache directory)",
        Some("--cache-dir"),
        false,
        "compiled plugins and pulled components; must be writable",
    ),
    var(
        "POD_NAMESPACE",
        "default",
        None,
        false,
        "namespace of the leader Lease and of cluster plugins' pull secrets",
    ),
    var(
        "HOSTNAME",
        "lattice-host",
        None,
        false,
        "this replica's name, in the Lease and on Events",
    ),
    var(
        "LEADER_LEASE_DURATION_SECONDS",
        "15",
        None,
        false,
        "how long the leader Lease holds unrenewed (3 to 3600): the longest a follower waits to take over",
    ),
];

/// The section `run --help` ends with.
pub fn help() -> String {
    let width = VARIABLES.iter().map(|v| v.name.len()).max().unwrap_or(0);
    let mut out = String::from(
        "Environment (the AWS Gateway API Controller's names; an empty value is unset;\n\
         layers: defaults < --config FILE (the same keys in lower case) < environment < flags):\n",
    );
    for v in VARIABLES {
        let flag = v.flag.map(|f| format!("; flag {f}")).unwrap_or_default();
        let ours = if v.go { "" } else { "; lattice-host's own" };
        out.push_str(&format!(
            "  {:width$}  {}\n  {:width$}    default: {}{flag}{ours}\n",
            v.name, v.meaning, "", v.default,
        ));
    }
    out.push_str(
        "REGION, AWS_ACCOUNT_ID and CLUSTER_VPC_ID, when unset, come from EC2 instance\n\
         metadata (IMDSv2 at AWS_EC2_METADATA_SERVICE_ENDPOINT, else http://169.254.169.254;\n\
         AWS_EC2_METADATA_DISABLED=true turns it off); without it `run` names what to set.\n\
         AWS credentials come from the AWS SDK's default chain: environment, profile,\n\
         web identity (IRSA), container endpoint (EKS Pod Identity), instance metadata.",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variable_the_settings_read_is_in_the_table() {
        for key in super::super::ENV_KEYS
            .iter()
            .chain(super::super::OWN_ENV_KEYS)
        {
            assert!(
                VARIABLES.iter().any(|v| v.name == *key),
                "{key} is read but not in VARIABLES"
            );
        }
    }

    #[test]
    fn the_help_names_every_variable_and_its_default() {
        let help = help();
        for v in VARIABLES {
            assert!(help.contains(v.name) && help.contains(v.default), "{v:?}");
        }
    }
}
