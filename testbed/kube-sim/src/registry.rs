//! Which resources are served, at which group/versions.

use crate::resources::{ResourceType, builtins};

/// The set of served resources: built-ins plus whatever the applied CRDs define.
#[derive(Debug, Clone)]
pub struct Registry {
    types: Vec<ResourceType>,
}

impl Default for Registry {
    fn default() -> Self {
        Self { types: builtins() }
    }
}

impl Registry {
    /// The resource `plural` served at `group`/`version`.
    pub fn find(&self, group: &str, version: &str, plural: &str) -> Option<&ResourceType> {
        self.types
            .iter()
            .find(|t| t.group == group && t.version == version && t.plural == plural)
    }

    /// Any served version of the resource with storage key `plural.group`.
    pub fn find_by_key(&self, key: &str) -> Option<&ResourceType> {
        self.types.iter().find(|t| t.storage_key() == key)
    }

    /// Whether the group/version is served at all.
    pub fn has_group_version(&self, group: &str, version: &str) -> bool {
        self.types
            .iter()
            .any(|t| t.group == group && t.version == version)
    }

    /// Every resource served at `group`/`version`, in registration order.
    pub fn resources_in(&self, group: &str, version: &str) -> Vec<&ResourceType> {
        self.types
            .iter()
            .filter(|t| t.group == group && t.version == version)
            .collect()
    }

    /// Every named API group (not the core group) with its versions, the preferred one first.
    pub fn groups(&self) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for t in &self.types {
            if t.group.is_empty() {
                continue;
            }
            match out.iter_mut().find(|(g, _)| *g == t.group) {
                Some((_, vs)) => {
                    if !vs.contains(&t.version) {
                        vs.push(t.version.clone());
                    }
                }
                None => out.push((t.group.clone(), vec![t.version.clone()])),
            }
        }
        for (_, vs) in &mut out {
            vs.sort_by_key(|v| std::cmp::Reverse(version_priority(v)));
        }
        out
    }

    /// Every served resource type.
    pub fn all(&self) -> &[ResourceType] {
        &self.types
    }

    /// Replaces the resources of the CRD with storage key `key` by `types`.
    pub fn set_custom(&mut self, key: &str, types: Vec<ResourceType>) {
        self.remove_custom(key);
        self.types.extend(types);
    }

    /// Stops serving the custom resource with storage key `key`.
    pub fn remove_custom(&mut self, key: &str) {
        self.types.retain(|t| !(t.custom && t.storage_key() == key));
    }
}

/// Kubernetes version ordering: GA > beta > alpha, then by major and minor number.
/// Versions that do not look like `vN[alpha|beta]M` sort last.
pub fn version_priority(v: &str) -> (u8, u64, u64) {
    let Some(rest) = v.strip_prefix('v') else {
        return (0, 0, 0);
    };
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    let Ok(major) = digits.parse::<u64>() else {
        return (0, 0, 0);
    };
    let tail = &rest[digits.len()..];
    if tail.is_empty() {
        return (3, major, 0);
    }
    for (prefix, rank) in [("beta", 2u8), ("alpha", 1u8)] {
        if let Some(n) = tail.strip_prefix(prefix)
            && let Ok(minor) = n.parse::<u64>()
        {
            return (rank, major, minor);
        }
    }
    (0, 0, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ga_versions_are_preferred_over_beta_and_alpha() {
        let mut vs = vec!["v1alpha2", "v1", "v1beta1", "v2beta1", "foo"];
        vs.sort_by_key(|v| std::cmp::Reverse(version_priority(v)));
        assert_eq!(vs, vec!["v1", "v2beta1", "v1beta1", "v1alpha2", "foo"]);
    }

    #[test]
    fn builtin_kinds_are_found_by_group_version_and_plural() {
        let r = Registry::default();
        assert_eq!(
            r.find("", "v1", "services").map(|t| t.kind.as_str()),
            Some("Service")
        );
        assert_eq!(
            r.find("coordination.k8s.io", "v1", "leases")
                .map(|t| t.namespaced),
            Some(true)
        );
        assert!(r.find("", "v1", "nothings").is_none());
    }
}
