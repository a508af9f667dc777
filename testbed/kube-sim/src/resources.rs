//! The description of one served resource (group, version, kind, plural, scope, ...)
//! and the table of built-in kinds.

use serde_json::Value;

/// A column that `kubectl get` shows for a resource.
#[derive(Debug, Clone, PartialEq)]
pub struct PrinterColumn {
    /// Column header.
    pub name: String,
    /// OpenAPI type (`string`, `integer`, `date`, ...).
    pub type_: String,
    /// JSONPath of the value, relative to the object (e.g. `.spec.hostnames`).
    pub json_path: String,
    /// Priority; 0 is shown by default, higher only with `-o wide`.
    pub priority: i64,
}

/// One resource served at one group/version.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceType {
    /// API group; empty for the core group.
    pub group: String,
    /// Version, e.g. `v1`.
    pub version: String,
    /// Kind, e.g. `HTTPRoute`.
    pub kind: String,
    /// Plural resource name, e.g. `httproutes`.
    pub plural: String,
    /// Singular resource name, e.g. `httproute`.
    pub singular: String,
    /// Whether the resource lives in namespaces.
    pub namespaced: bool,
    /// Short names (`svc`, `cm`, ...).
    pub short_names: Vec<String>,
    /// Categories (`all`, `gateway-api`, ...).
    pub categories: Vec<String>,
    /// Whether a `/status` subresource is served.
    pub status_subresource: bool,
    /// Whether `metadata.generation` is maintained.
    pub has_generation: bool,
    /// Whether this is a custom resource (strategic merge patch is refused).
    pub custom: bool,
    /// Whether a PUT of a missing object creates it.
    pub create_on_update: bool,
    /// The rule object names follow.
    pub name_rule: NameRule,
    /// Extra columns for `kubectl get`.
    pub printer_columns: Vec<PrinterColumn>,
    /// The OpenAPI v3 schema of the kind, if known (CRDs).
    pub schema: Option<Value>,
}

/// How kube-apiserver validates the names of a kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameRule {
    /// A DNS-1123 subdomain: most kinds.
    Subdomain,
    /// A DNS-1123 label: Namespace.
    Label,
    /// A DNS-1035 label, which starts with a letter: Service.
    Dns1035Label,
    /// Anything usable as a URL path segment: the RBAC kinds (`system:auth-delegator`).
    PathSegment,
}

impl ResourceType {
    /// `group/version`, or `version` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The storage key shared by every version of the resource: `plural.group`.
    pub fn storage_key(&self) -> String {
        // events.k8s.io Events are core Events seen another way: one storage.
        if crate::convert::is_event(self) {
            return "events".into();
        }
        crate::status::qualified(&self.group, &self.plural)
    }

    /// The URL prefix of the group/version: `/api/v1` or `/apis/{g}/{v}`.
    pub fn gv_prefix(&self) -> String {
        if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        }
    }

    fn builtin(group: &str, version: &str, kind: &str, plural: &str, namespaced: bool) -> Self {
        Self {
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
            plural: plural.into(),
            singular: kind.to_ascii_lowercase(),
            namespaced,
            short_names: vec![],
            categories: vec![],
            status_subresource: false,
            has_generation: false,
            custom: false,
            create_on_update: false,
            name_rule: NameRule::Subdomain,
            printer_columns: vec![],
            schema: None,
        }
    }

    fn short(mut self, names: &[&str]) -> Self {
        self.short_names = names.iter().map(|s| s.to_string()).collect();
        self
    }

    fn with_status(mut self) -> Self {
        self.status_subresource = true;
        self
    }
}

/// The built-in resources every kube-sim serves.
pub fn builtins() -> Vec<ResourceType> {
    let mut ns = ResourceType::builtin("", "v1", "Namespace", "namespaces", false)
        .short(&["ns"])
        .with_status();
    ns.name_rule = NameRule::Label;
    let mut svc = ResourceType::builtin("", "v1", "Service", "services", true)
        .short(&["svc"])
        .with_status();
    svc.name_rule = NameRule::Dns1035Label;
    svc.categories = vec!["all".into()];
    let mut pod = ResourceType::builtin("", "v1", "Pod", "pods", true)
        .short(&["po"])
        .with_status();
    pod.categories = vec!["all".into()];
    let mut lease = ResourceType::builtin("coordination.k8s.io", "v1", "Lease", "leases", true);
    lease.create_on_update = true;
    let mut ev = ResourceType::builtin("", "v1", "Event", "events", true).short(&["ev"]);
    ev.create_on_update = true;
    let mut ev2 =
        ResourceType::builtin("events.k8s.io", "v1", "Event", "events", true).short(&["ev"]);
    ev2.create_on_update = true;
    let mut crd = ResourceType::builtin(
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        false,
    )
    .short(&["crd", "crds"])
    .with_status();
    crd.has_generation = true;
    crd.categories = vec!["api-extensions".into()];
    let adm = "admissionregistration.k8s.io";
    let mut vap = ResourceType::builtin(
        adm,
        "v1",
        "ValidatingAdmissionPolicy",
        "validatingadmissionpolicies",
        false,
    )
    .with_status();
    vap.has_generation = true;
    let mut vapb = ResourceType::builtin(
        adm,
        "v1",
        "ValidatingAdmissionPolicyBinding",
        "validatingadmissionpolicybindings",
        false,
    );
    vapb.has_generation = true;
    let workload = |kind: &str, plural: &str, short: &[&str]| {
        let mut t = ResourceType::builtin("apps", "v1", kind, plural, true)
            .short(short)
            .with_status();
        t.has_generation = true;
        t.categories = vec!["all".into()];
        t
    };
    let rbac = |kind: &str, plural: &str, namespaced: bool| {
        let mut t =
            ResourceType::builtin("rbac.authorization.k8s.io", "v1", kind, plural, namespaced);
        t.name_rule = NameRule::PathSegment;
        t
    };
    // Stored only, as the apps kinds are: kubectl's default `apply --prune` list looks
    // each of these up, and fails when one is not served.
    let stored = |group: &str, kind: &str, plural: &str, namespaced: bool, short: &[&str]| {
        let mut t = ResourceType::builtin(group, "v1", kind, plural, namespaced)
            .short(short)
            .with_status();
        t.has_generation = !matches!(kind, "PersistentVolumeClaim" | "PersistentVolume" | "Node");
        if matches!(kind, "ReplicationController" | "Job" | "CronJob") {
            t.categories = vec!["all".into()];
        }
        t
    };
    vec![
        stored(
            "",
            "PersistentVolumeClaim",
            "persistentvolumeclaims",
            true,
            &["pvc"],
        ),
        stored("", "PersistentVolume", "persistentvolumes", false, &["pv"]),
        stored("", "Node", "nodes", false, &["no"]),
        stored(
            "",
            "ReplicationController",
            "replicationcontrollers",
            true,
            &["rc"],
        ),
        stored("batch", "Job", "jobs", true, &[]),
        stored("batch", "CronJob", "cronjobs", true, &["cj"]),
        stored("networking.k8s.io", "Ingress", "ingresses", true, &["ing"]),
        stored(
            "policy",
            "PodDisruptionBudget",
            "poddisruptionbudgets",
            true,
            &["pdb"],
        ),
        workload("Deployment", "deployments", &["deploy"]),
        workload("ReplicaSet", "replicasets", &["rs"]),
        workload("StatefulSet", "statefulsets", &["sts"]),
        workload("DaemonSet", "daemonsets", &["ds"]),
        rbac("Role", "roles", true),
        rbac("RoleBinding", "rolebindings", true),
        rbac("ClusterRole", "clusterroles", false),
        rbac("ClusterRoleBinding", "clusterrolebindings", false),
        ns,
        svc,
        pod,
        ResourceType::builtin("", "v1", "ConfigMap", "configmaps", true).short(&["cm"]),
        ResourceType::builtin("", "v1", "Secret", "secrets", true),
        ResourceType::builtin("", "v1", "Endpoints", "endpoints", true).short(&["ep"]),
        ResourceType::builtin("", "v1", "ServiceAccount", "serviceaccounts", true).short(&["sa"]),
        ev,
        ResourceType::builtin(
            "discovery.k8s.io",
            "v1",
            "EndpointSlice",
            "endpointslices",
            true,
        ),
        lease,
        ev2,
        crd,
        vap,
        vapb,
    ]
}
