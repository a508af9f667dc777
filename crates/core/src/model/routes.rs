//! HTTPRoute, GRPCRoute and TLSRoute, normalised into one [`RouteView`].
//!
//! The three kinds differ only in their match and filter types; everything
//! downstream (parents, backends, the plugin input) works on the view.

use gateway_api::grpcroutes::{
    GrpcRoute, GrpcRouteRulesMatchesHeadersType, GrpcRouteRulesMatchesMethodType,
};
use gateway_api::httproutes::{
    HttpRoute, HttpRouteRulesMatchesHeadersType, HttpRouteRulesMatchesPathType,
};
use gateway_api::tlsroutes::TlsRoute;
use kube::ResourceExt;
use lattice_plugin_sdk::types::{
    GrpcMatch, HeaderMatch, HttpMatch, KeyValue, MatchType, ObjectRef, PathMatch, Route,
    RouteFilter, RouteKind, RouteMatch, RouteRule,
};
use serde::Serialize;

/// A `parentRefs[i]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParentRef {
    /// `group`, defaulted to `gateway.networking.k8s.io`.
    pub group: String,
    /// `kind`, defaulted to `Gateway`.
    pub kind: String,
    /// Namespace, defaulted to the route's.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// `sectionName`: a listener name.
    pub section_name: Option<String>,
    /// `port`: a listener port.
    pub port: Option<i32>,
}

/// A `backendRefs[i]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackendRef {
    /// `group`; empty for core.
    pub group: String,
    /// `kind`, defaulted to `Service`.
    pub kind: String,
    /// Namespace, defaulted to the route's.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Port.
    pub port: Option<i32>,
    /// Weight; `None` means 1.
    pub weight: Option<i32>,
}

/// One `rules[i]`.
#[derive(Clone, Debug, Default)]
pub struct RuleView {
    /// Optional rule name.
    pub name: Option<String>,
    /// Matches, in the plugin contract's shape.
    pub matches: Vec<RouteMatch>,
    /// Rule filters and backendRef filters, with their field paths.
    pub filters: Vec<RouteFilter>,
    /// Backend references.
    pub backend_refs: Vec<BackendRef>,
}

/// A route of any kind.
#[derive(Clone, Debug)]
pub struct RouteView {
    /// Kind.
    pub kind: RouteKind,
    /// Namespace and name.
    pub id: ObjectRef,
    /// Annotations, sorted by key.
    pub annotations: Vec<(String, String)>,
    /// `metadata.generation`.
    pub generation: Option<i64>,
    /// `metadata.deletionTimestamp` is set: the route is going away.
    pub deleting: bool,
    /// `spec.hostnames`.
    pub hostnames: Vec<String>,
    /// `spec.parentRefs`.
    pub parent_refs: Vec<ParentRef>,
    /// `spec.rules`.
    pub rules: Vec<RuleView>,
}

fn base<K: ResourceExt>(kind: RouteKind, o: &K) -> RouteView {
    RouteView {
        kind,
        id: ObjectRef {
            namespace: o.namespace().unwrap_or_else(|| "default".into()),
            name: o.name_any(),
        },
        // BTreeMap iteration is already sorted by key.
        annotations: o
            .annotations()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        generation: o.meta().generation,
        deleting: o.meta().deletion_timestamp.is_some(),
        hostnames: vec![],
        parent_refs: vec![],
        rules: vec![],
    }
}

fn parent(
    ns: &str,
    group: &Option<String>,
    kind: &Option<String>,
    namespace: &Option<String>,
    name: &str,
    section: &Option<String>,
    port: Option<i32>,
) -> ParentRef {
    ParentRef {
        group: group
            .clone()
            .unwrap_or_else(|| crate::kinds::GATEWAY_GROUP.into()),
        kind: kind.clone().unwrap_or_else(|| "Gateway".into()),
        namespace: namespace.clone().unwrap_or_else(|| ns.to_string()),
        name: name.to_string(),
        section_name: section.clone(),
        port,
    }
}

fn backend(
    ns: &str,
    group: &Option<String>,
    kind: &Option<String>,
    namespace: &Option<String>,
    name: &str,
    port: Option<i32>,
    weight: Option<i32>,
) -> BackendRef {
    BackendRef {
        group: group.clone().unwrap_or_default(),
        kind: kind.clone().unwrap_or_else(|| "Service".into()),
        namespace: namespace.clone().unwrap_or_else(|| ns.to_string()),
        name: name.to_string(),
        port,
        weight,
    }
}

/// The wire name of a filter type enum, e.g. `URLRewrite`.
fn type_name<T: Serialize>(t: &T) -> String {
    serde_json::to_value(t)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "Unknown".into())
}

fn filter(kind: String, field: String) -> RouteFilter {
    RouteFilter { kind, field }
}

fn header_type(regex: bool) -> MatchType {
    if regex {
        MatchType::RegularExpression
    } else {
        MatchType::Exact
    }
}

/// parentRefs of any route kind: the generated types differ, their fields do not.
macro_rules! parent_refs {
    ($ns:expr, $refs:expr) => {
        $refs
            .iter()
            .flatten()
            .map(|p| {
                parent(
                    $ns,
                    &p.group,
                    &p.kind,
                    &p.namespace,
                    &p.name,
                    &p.section_name,
                    p.port,
                )
            })
            .collect()
    };
}

/// Rule filters, and backendRefs with their own filters, of HTTP and gRPC rules.
macro_rules! filters_and_backends {
    ($rv:expr, $ri:expr, $ns:expr, $rule:expr) => {
        for (fi, f) in $rule.filters.iter().flatten().enumerate() {
            let field = format!("spec.rules[{}].filters[{fi}]", $ri);
            $rv.filters.push(filter(type_name(&f.r#type), field));
        }
        for (bi, b) in $rule.backend_refs.iter().flatten().enumerate() {
            for (fi, f) in b.filters.iter().flatten().enumerate() {
                let field = format!("spec.rules[{}].backendRefs[{bi}].filters[{fi}]", $ri);
                $rv.filters.push(filter(type_name(&f.r#type), field));
            }
            $rv.backend_refs.push(backend(
                $ns,
                &b.group,
                &b.kind,
                &b.namespace,
                &b.name,
                b.port,
                b.weight,
            ));
        }
    };
}

/// Normalises an HTTPRoute.
pub fn from_http(r: &HttpRoute) -> RouteView {
    let mut v = base(RouteKind::Http, r);
    let ns = v.id.namespace.clone();
    v.hostnames = r.spec.hostnames.clone().unwrap_or_default();
    v.parent_refs = parent_refs!(&ns, r.spec.parent_refs);
    for (ri, rule) in r.spec.rules.iter().flatten().enumerate() {
        let mut rv = RuleView {
            name: rule.name.clone(),
            ..Default::default()
        };
        for m in rule.matches.iter().flatten() {
            let path = m.path.as_ref().map(|p| PathMatch {
                match_type: match p.r#type {
                    Some(HttpRouteRulesMatchesPathType::Exact) => MatchType::Exact,
                    Some(HttpRouteRulesMatchesPathType::RegularExpression) => {
                        MatchType::RegularExpression
                    }
                    Some(HttpRouteRulesMatchesPathType::PathPrefix) | None => MatchType::PathPrefix,
                },
                value: p.value.clone().unwrap_or_else(|| "/".into()),
            });
            rv.matches.push(RouteMatch::Http(HttpMatch {
                path,
                headers: m
                    .headers
                    .iter()
                    .flatten()
                    .map(|h| HeaderMatch {
                        match_type: header_type(
                            h.r#type == Some(HttpRouteRulesMatchesHeadersType::RegularExpression),
                        ),
                        name: h.name.clone(),
                        value: h.value.clone(),
                    })
                    .collect(),
                query_params: m
                    .query_params
                    .iter()
                    .flatten()
                    .map(|q| HeaderMatch {
                        match_type: MatchType::Exact,
                        name: q.name.clone(),
                        value: q.value.clone(),
                    })
                    .collect(),
                method: m.method.as_ref().map(type_name),
            }));
        }
        filters_and_backends!(rv, ri, &ns, rule);
        v.rules.push(rv);
    }
    v
}

/// Normalises a GRPCRoute.
pub fn from_grpc(r: &GrpcRoute) -> RouteView {
    let mut v = base(RouteKind::Grpc, r);
    let ns = v.id.namespace.clone();
    v.hostnames = r.spec.hostnames.clone().unwrap_or_default();
    v.parent_refs = parent_refs!(&ns, r.spec.parent_refs);
    for (ri, rule) in r.spec.rules.iter().flatten().enumerate() {
        let mut rv = RuleView {
            name: rule.name.clone(),
            ..Default::default()
        };
        for m in rule.matches.iter().flatten() {
            let method = m.method.as_ref();
            rv.matches.push(RouteMatch::Grpc(GrpcMatch {
                match_type: header_type(
                    method.and_then(|m| m.r#type.as_ref())
                        == Some(&GrpcRouteRulesMatchesMethodType::RegularExpression),
                ),
                service: method.and_then(|m| m.service.clone()),
                method: method.and_then(|m| m.method.clone()),
                headers: m
                    .headers
                    .iter()
                    .flatten()
                    .map(|h| HeaderMatch {
                        match_type: header_type(
                            h.r#type == Some(GrpcRouteRulesMatchesHeadersType::RegularExpression),
                        ),
                        name: h.name.clone(),
                        value: h.value.clone(),
                    })
                    .collect(),
            }));
        }
        filters_and_backends!(rv, ri, &ns, rule);
        v.rules.push(rv);
    }
    v
}

/// Normalises a TLSRoute.
pub fn from_tls(r: &TlsRoute) -> RouteView {
    let mut v = base(RouteKind::Tls, r);
    let ns = v.id.namespace.clone();
    v.hostnames = r.spec.hostnames.clone();
    v.parent_refs = parent_refs!(&ns, r.spec.parent_refs);
    for rule in &r.spec.rules {
        v.rules.push(RuleView {
            name: rule.name.clone(),
            backend_refs: rule
                .backend_refs
                .iter()
                .map(|b| {
                    backend(
                        &ns,
                        &b.group,
                        &b.kind,
                        &b.namespace,
                        &b.name,
                        b.port,
                        b.weight,
                    )
                })
                .collect(),
            ..Default::default()
        });
    }
    v
}

/// The mapping stage's input: the route as the plugin contract shapes it.
pub(crate) fn plugin_route(view: &RouteView) -> Route {
    Route {
        kind: view.kind,
        id: view.id.clone(),
        hostnames: view.hostnames.clone(),
        annotations: view
            .annotations
            .iter()
            .map(|(k, v)| KeyValue {
                key: k.clone(),
                value: v.clone(),
            })
            .collect(),
        rules: view
            .rules
            .iter()
            .map(|r| RouteRule {
                name: r.name.clone(),
                matches: r.matches.clone(),
                filters: r.filters.clone(),
                backend_count: r.backend_refs.len() as u32,
            })
            .collect(),
    }
}
