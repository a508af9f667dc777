//! Who asked for what: every request that addresses a resource, recorded as
//! RBAC sees it — the user, the verb (`get`, `list`, `watch`, `create`,
//! `update`, `patch`, `delete`, `deletecollection`), the API group, the
//! resource, the subresource, the namespace and the object's name — and
//! counted. Off unless [`SimOptions::record_requests`](crate::SimOptions)
//! is set, so long-running servers do not grow a log.
//!
//! kube-apiserver authorizes each request from these attributes before any
//! handler runs, so the log holds refused and failed requests too. There is
//! no authentication here: a bearer token is taken as the user's name, and a
//! request without one is `system:anonymous`. Discovery and OpenAPI
//! documents (non-resource URLs) are not recorded.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use http::Method;
use serde::Serialize;

use crate::router::ResourcePath;

/// One kind of request, as an RBAC rule would have to grant it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ApiRequest {
    /// The bearer token, taken as the user's name; `system:anonymous` without one.
    pub user: String,
    /// The RBAC verb.
    pub verb: String,
    /// API group (`""` for core).
    pub group: String,
    /// Plural resource name.
    pub resource: String,
    /// Subresource (`status`, `finalize`), or `""`.
    pub subresource: String,
    /// Namespace of a namespaced request; `None` for a cluster-wide one or a
    /// cluster-scoped resource.
    pub namespace: Option<String>,
    /// The object's name (what RBAC's `resourceNames` match); `None` for a
    /// collection.
    pub name: Option<String>,
}

/// The RBAC verb of a request on a resource path.
pub fn verb(method: &Method, path: &ResourcePath, query: &HashMap<String, String>) -> &'static str {
    let watching = path.legacy_watch || query.get("watch").is_some_and(|w| w == "true" || w == "1");
    match (method, path.name.is_some()) {
        (&Method::GET | &Method::HEAD, _) if watching => "watch",
        (&Method::GET | &Method::HEAD, true) => "get",
        (&Method::GET | &Method::HEAD, false) => "list",
        (&Method::POST, _) => "create",
        (&Method::PUT, _) => "update",
        (&Method::PATCH, _) => "patch",
        (&Method::DELETE, true) => "delete",
        (&Method::DELETE, false) => "deletecollection",
        _ => "unknown",
    }
}

/// The user a request authenticates as: its bearer token, else anonymous.
pub fn user(authorization: &str) -> String {
    authorization
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or("system:anonymous")
        .to_string()
}

/// The recorded requests of one server, counted.
#[derive(Debug, Default)]
pub struct Audit(Mutex<BTreeMap<ApiRequest, u64>>);

impl Audit {
    /// Counts one request.
    pub fn record(&self, request: ApiRequest) {
        *self.lock().entry(request).or_default() += 1;
    }

    /// Every kind of request so far, with how many were made.
    pub fn snapshot(&self) -> BTreeMap<ApiRequest, u64> {
        self.lock().clone()
    }

    /// Forgets what was recorded.
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<ApiRequest, u64>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The request `method` on `path` makes, for the audit log.
pub fn request(
    method: &Method,
    path: &ResourcePath,
    query: &HashMap<String, String>,
    authorization: &str,
) -> ApiRequest {
    ApiRequest {
        user: user(authorization),
        verb: verb(method, path, query).to_string(),
        group: path.group.clone(),
        resource: path.plural.clone(),
        subresource: path.subresource.clone().unwrap_or_default(),
        namespace: path.namespace.clone(),
        name: path.name.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::router::{Route, route};

    fn verb_of(method: Method, uri: &str) -> (String, String, String) {
        let (path, q) = uri.split_once('?').unwrap_or((uri, ""));
        let Route::Resource(p) = route(path) else {
            panic!("{uri} is not a resource path")
        };
        let query = crate::http_util::parse_query(Some(q));
        let r = request(&method, &p, &query, "");
        (r.verb, r.resource, r.subresource)
    }

    #[test]
    fn methods_paths_and_queries_become_rbac_verbs() {
        let v = |m, u| verb_of(m, u).0;
        assert_eq!(v(Method::GET, "/api/v1/namespaces/a/pods/p"), "get");
        assert_eq!(v(Method::GET, "/api/v1/pods"), "list");
        assert_eq!(v(Method::GET, "/api/v1/pods?watch=true"), "watch");
        assert_eq!(v(Method::GET, "/api/v1/pods?watch=1"), "watch");
        assert_eq!(v(Method::GET, "/api/v1/pods?watch=false"), "list");
        assert_eq!(v(Method::GET, "/api/v1/watch/namespaces/a/pods/p"), "watch");
        assert_eq!(v(Method::POST, "/api/v1/namespaces/a/pods"), "create");
        assert_eq!(v(Method::PUT, "/api/v1/namespaces/a/pods/p"), "update");
        assert_eq!(v(Method::PATCH, "/api/v1/namespaces/a/pods/p"), "patch");
        assert_eq!(v(Method::DELETE, "/api/v1/namespaces/a/pods/p"), "delete");
        assert_eq!(
            v(Method::DELETE, "/api/v1/namespaces/a/pods"),
            "deletecollection"
        );
    }

    #[test]
    fn subresources_and_namespace_status_are_told_apart() {
        assert_eq!(
            verb_of(
                Method::PATCH,
                "/apis/gateway.networking.k8s.io/v1/namespaces/a/httproutes/r/status"
            ),
            ("patch".into(), "httproutes".into(), "status".into())
        );
        assert_eq!(
            verb_of(Method::PUT, "/api/v1/namespaces/a/finalize"),
            ("update".into(), "namespaces".into(), "finalize".into())
        );
    }

    #[test]
    fn a_bearer_token_names_the_user() {
        assert_eq!(user("Bearer controller"), "controller");
        assert_eq!(user(""), "system:anonymous");
        assert_eq!(user("Basic eDp5"), "system:anonymous");
    }
}
