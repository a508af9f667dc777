//! Just enough of Kubernetes RBAC to check deploy/ against recorded
//! requests: the rules bound to one service account (cluster-wide by a
//! ClusterRoleBinding, in one namespace by a RoleBinding), and whether a
//! request is allowed by them.

use serde_yaml::Value;

/// A rule and where it applies: `None` cluster-wide, else one namespace.
#[derive(Clone, Debug)]
pub struct Grant {
    /// Where the binding applies.
    pub scope: Option<String>,
    /// The Role or ClusterRole it comes from, for messages.
    pub role: String,
    pub groups: Vec<String>,
    pub resources: Vec<String>,
    pub verbs: Vec<String>,
    pub names: Vec<String>,
}

/// One request, as RBAC authorizes it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Attrs {
    pub verb: String,
    pub group: String,
    /// `resource` or `resource/subresource`.
    pub resource: String,
    pub namespace: Option<String>,
    pub name: Option<String>,
}

fn strings(v: &Value) -> Vec<String> {
    v.as_sequence()
        .map(|s| {
            s.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn str_of<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    let mut cur = v;
    for p in path {
        cur = &cur[*p];
    }
    cur.as_str().unwrap_or_default()
}

/// Every rule bound to the service account `namespace/name` in `docs`.
pub fn grants(docs: &[Value], namespace: &str, name: &str) -> Vec<Grant> {
    let subject_is_us = |b: &Value| {
        b["subjects"].as_sequence().is_some_and(|s| {
            s.iter().any(|x| {
                str_of(x, &["kind"]) == "ServiceAccount"
                    && str_of(x, &["name"]) == name
                    && str_of(x, &["namespace"]) == namespace
            })
        })
    };
    let role = |kind: &str, role_name: &str, ns: Option<&str>| {
        docs.iter().find(|d| {
            str_of(d, &["kind"]) == kind
                && str_of(d, &["metadata", "name"]) == role_name
                && (kind == "ClusterRole" || Some(str_of(d, &["metadata", "namespace"])) == ns)
        })
    };
    let mut out = Vec::new();
    for b in docs.iter().filter(|d| subject_is_us(d)) {
        let scope = match str_of(b, &["kind"]) {
            "ClusterRoleBinding" => None,
            "RoleBinding" => Some(str_of(b, &["metadata", "namespace"]).to_string()),
            _ => continue,
        };
        let (kind, role_name) = (
            str_of(b, &["roleRef", "kind"]),
            str_of(b, &["roleRef", "name"]),
        );
        let r = role(kind, role_name, scope.as_deref())
            .unwrap_or_else(|| panic!("{kind} {role_name} is bound but not defined"));
        for rule in r["rules"].as_sequence().into_iter().flatten() {
            out.push(Grant {
                scope: scope.clone(),
                role: format!("{kind} {role_name}"),
                groups: strings(&rule["apiGroups"]),
                resources: strings(&rule["resources"]),
                verbs: strings(&rule["verbs"]),
                names: strings(&rule["resourceNames"]),
            });
        }
    }
    out
}

impl Grant {
    /// Whether this rule allows `a` (no wildcards are used in deploy/, and
    /// a wildcard here would fail the test's "never used" check anyway).
    pub fn allows(&self, a: &Attrs) -> bool {
        let in_scope = match &self.scope {
            None => true,
            Some(ns) => a.namespace.as_deref() == Some(ns),
        };
        in_scope
            && self.groups.contains(&a.group)
            && self.resources.contains(&a.resource)
            && self.verbs.contains(&a.verb)
            && (self.names.is_empty() || a.name.as_ref().is_some_and(|n| self.names.contains(n)))
    }

    /// Each (group, resource, verb) this rule grants, one at a time, as a
    /// rule of its own.
    pub fn atoms(&self) -> Vec<Grant> {
        let mut out = Vec::new();
        for g in &self.groups {
            for r in &self.resources {
                for v in &self.verbs {
                    out.push(Grant {
                        groups: vec![g.clone()],
                        resources: vec![r.clone()],
                        verbs: vec![v.clone()],
                        ..self.clone()
                    });
                }
            }
        }
        out
    }
}
