//! Turns a request path into what it addresses: a discovery document, or a
//! resource (collection, object, or subresource).

/// What a path addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `/`.
    Root,
    /// `/version`.
    Version,
    /// `/healthz`, `/livez`, `/readyz`.
    Health,
    /// `/api`.
    CoreVersions,
    /// `/apis`.
    Groups,
    /// `/apis/{group}`.
    Group(String),
    /// `/api/v1` or `/apis/{group}/{version}`.
    ResourceList(String, String),
    /// `/openapi/v2`.
    OpenApiV2,
    /// `/openapi/v3`.
    OpenApiV3Index,
    /// `/openapi/v3/api/v1` or `/openapi/v3/apis/{group}/{version}`.
    OpenApiV3(String, String),
    /// A resource path.
    Resource(ResourcePath),
    /// Anything else.
    Unknown,
}

/// A path under a group/version that names a resource.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResourcePath {
    /// API group ("" for core).
    pub group: String,
    /// Version.
    pub version: String,
    /// Namespace, if the path has one.
    pub namespace: Option<String>,
    /// Plural resource name.
    pub plural: String,
    /// Object name, if any.
    pub name: Option<String>,
    /// Subresource (`status`), if any.
    pub subresource: Option<String>,
    /// Whether the legacy `/watch/` prefix was used.
    pub legacy_watch: bool,
}

/// Parses a request path.
pub fn route(path: &str) -> Route {
    let segs: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(crate::http_util::percent_decode)
        .collect();
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    match s.as_slice() {
        [] => Route::Root,
        ["version"] => Route::Version,
        ["healthz" | "livez" | "readyz", ..] => Route::Health,
        ["api"] => Route::CoreVersions,
        ["apis"] => Route::Groups,
        ["apis", g] => Route::Group(g.to_string()),
        ["api", v] => Route::ResourceList(String::new(), v.to_string()),
        ["apis", g, v] => Route::ResourceList(g.to_string(), v.to_string()),
        ["openapi", "v2"] => Route::OpenApiV2,
        ["openapi", "v3"] => Route::OpenApiV3Index,
        ["openapi", "v3", "api", v] => Route::OpenApiV3(String::new(), v.to_string()),
        ["openapi", "v3", "apis", g, v] => Route::OpenApiV3(g.to_string(), v.to_string()),
        ["api", v, rest @ ..] => resource("", v, rest),
        ["apis", g, v, rest @ ..] => resource(g, v, rest),
        _ => Route::Unknown,
    }
}

/// `/api/v1/namespaces/{name}/status` addresses the Namespace itself.
fn namespace_subresource(group: &str, tail: &[&str]) -> bool {
    group.is_empty() && matches!(tail, ["status" | "finalize"])
}

fn resource(group: &str, version: &str, rest: &[&str]) -> Route {
    let (legacy_watch, rest) = match rest {
        ["watch", tail @ ..] => (true, tail),
        _ => (false, rest),
    };
    let (namespace, rest) = match rest {
        ["namespaces", ns, tail @ ..]
            if !tail.is_empty() && !namespace_subresource(group, tail) =>
        {
            (Some(ns.to_string()), tail)
        }
        _ => (None, rest),
    };
    let p = |plural: &str, name: Option<&str>, sub: Option<&str>| ResourcePath {
        group: group.into(),
        version: version.into(),
        namespace: namespace.clone(),
        plural: plural.into(),
        name: name.map(String::from),
        subresource: sub.map(String::from),
        legacy_watch,
    };
    match rest {
        [plural] => Route::Resource(p(plural, None, None)),
        [plural, name] => Route::Resource(p(plural, Some(name), None)),
        [plural, name, sub] => Route::Resource(p(plural, Some(name), Some(sub))),
        _ => Route::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaced_cluster_scoped_and_subresource_paths_are_told_apart() {
        let Route::Resource(r) =
            route("/apis/gateway.networking.k8s.io/v1/namespaces/ns1/httproutes/r1/status")
        else {
            panic!("resource")
        };
        assert_eq!(
            (r.namespace.as_deref(), r.plural.as_str()),
            (Some("ns1"), "httproutes")
        );
        assert_eq!(
            (r.name.as_deref(), r.subresource.as_deref()),
            (Some("r1"), Some("status"))
        );
        let Route::Resource(n) = route("/api/v1/namespaces/ns1") else {
            panic!("resource")
        };
        assert_eq!(
            (n.namespace, n.plural.as_str(), n.name.as_deref()),
            (None, "namespaces", Some("ns1"))
        );
        let Route::Resource(s) = route("/api/v1/namespaces/ns1/status") else {
            panic!("resource")
        };
        assert_eq!(s.subresource.as_deref(), Some("status"));
        let Route::Resource(w) = route("/api/v1/watch/namespaces/a/pods") else {
            panic!("resource")
        };
        assert!(w.legacy_watch);
        assert_eq!(
            route("/apis/x.io/v1"),
            Route::ResourceList("x.io".into(), "v1".into())
        );
        assert_eq!(route("/nothing/here"), Route::Unknown);
    }
}
