//! A native test harness: builders for stage inputs and checks on outputs.
//!
//! Plugin logic is plain Rust, so tests call [`crate::map_routes`] and
//! friends directly on the host target, with inputs built here:
//!
//! ```
//! use lattice_plugin_sdk::testing::*;
//! let route = http_route("default", "books")
//!     .rule(rule().matching(path_prefix("/api")).backends(1))
//!     .build();
//! assert_eq!(route.rules.len(), 1);
//! ```

use crate::types::*;

/// Builds a [`Route`].
#[derive(Clone, Debug)]
pub struct RouteBuilder(Route);

/// Starts an HTTPRoute.
pub fn http_route(namespace: &str, name: &str) -> RouteBuilder {
    route(RouteKind::Http, namespace, name)
}

/// Starts a GRPCRoute.
pub fn grpc_route(namespace: &str, name: &str) -> RouteBuilder {
    route(RouteKind::Grpc, namespace, name)
}

/// Starts a TLSRoute.
pub fn tls_route(namespace: &str, name: &str) -> RouteBuilder {
    route(RouteKind::Tls, namespace, name)
}

fn route(kind: RouteKind, namespace: &str, name: &str) -> RouteBuilder {
    RouteBuilder(Route {
        kind,
        id: ObjectRef {
            namespace: namespace.into(),
            name: name.into(),
        },
        hostnames: vec![],
        annotations: vec![],
        rules: vec![],
    })
}

impl RouteBuilder {
    /// Adds a hostname.
    pub fn hostname(mut self, h: &str) -> Self {
        self.0.hostnames.push(h.into());
        self
    }
    /// Adds an annotation, keeping them sorted by key.
    pub fn annotation(mut self, key: &str, value: &str) -> Self {
        self.0.annotations.push(KeyValue {
            key: key.into(),
            value: value.into(),
        });
        self.0.annotations.sort_by(|a, b| a.key.cmp(&b.key));
        self
    }
    /// Adds a rule.
    pub fn rule(mut self, rule: RuleBuilder) -> Self {
        self.0.rules.push(rule.0);
        self
    }
    /// The route.
    pub fn build(self) -> Route {
        self.0
    }
}

/// Builds a [`RouteRule`].
#[derive(Clone, Debug, Default)]
pub struct RuleBuilder(RouteRule);

/// Starts a rule with no matches, no filters and one backend.
pub fn rule() -> RuleBuilder {
    RuleBuilder(RouteRule {
        backend_count: 1,
        ..Default::default()
    })
}

impl RuleBuilder {
    /// Adds a match.
    pub fn matching(mut self, m: RouteMatch) -> Self {
        self.0.matches.push(m);
        self
    }
    /// Adds a filter of the given kind.
    pub fn filter(mut self, kind: &str) -> Self {
        let field = format!("spec.rules[0].filters[{}]", self.0.filters.len());
        self.0.filters.push(RouteFilter {
            kind: kind.into(),
            field,
        });
        self
    }
    /// Sets the number of backendRefs.
    pub fn backends(mut self, n: u32) -> Self {
        self.0.backend_count = n;
        self
    }
}

/// An HTTP match on a path prefix.
pub fn path_prefix(p: &str) -> RouteMatch {
    http_path(MatchType::PathPrefix, p)
}

/// An HTTP match on an exact path.
pub fn path_exact(p: &str) -> RouteMatch {
    http_path(MatchType::Exact, p)
}

/// An HTTP match on a path of the given type.
pub fn http_path(match_type: MatchType, p: &str) -> RouteMatch {
    RouteMatch::Http(HttpMatch {
        path: Some(PathMatch {
            match_type,
            value: p.into(),
        }),
        ..Default::default()
    })
}

/// An HTTP match built from parts.
pub fn http_match(
    path: Option<(MatchType, &str)>,
    method: Option<&str>,
    headers: &[(&str, &str)],
    query: &[(&str, &str)],
) -> RouteMatch {
    let pair = |(n, v): &(&str, &str)| HeaderMatch {
        match_type: MatchType::Exact,
        name: n.to_string(),
        value: v.to_string(),
    };
    RouteMatch::Http(HttpMatch {
        path: path.map(|(match_type, v)| PathMatch {
            match_type,
            value: v.into(),
        }),
        headers: headers.iter().map(pair).collect(),
        query_params: query.iter().map(pair).collect(),
        method: method.map(str::to_string),
    })
}

/// A gRPC match on an exact service and method.
pub fn grpc_match(service: Option<&str>, method: Option<&str>) -> RouteMatch {
    RouteMatch::Grpc(GrpcMatch {
        match_type: MatchType::Exact,
        service: service.map(str::to_string),
        method: method.map(str::to_string),
        headers: vec![],
    })
}

/// A resolved backend of the given target group and weight.
pub fn backend(target_group: &str, weight: Option<u32>) -> Backend {
    Backend {
        target_group: target_group.into(),
        display: format!("Service {target_group}"),
        weight,
        resolution: Resolution::Resolved,
        field: String::new(),
    }
}

/// An unresolved backend.
pub fn unresolved(display: &str, resolution: Resolution) -> Backend {
    Backend {
        target_group: String::new(),
        display: display.into(),
        weight: None,
        resolution,
        field: String::new(),
    }
}

/// One rule's backends, with field paths filled in.
pub fn rule_backends(mut backends: Vec<Backend>) -> RuleBackends {
    for (i, b) in backends.iter_mut().enumerate() {
        b.field = format!("spec.rules[0].backendRefs[{i}]");
    }
    RuleBackends {
        route: ObjectRef {
            namespace: "default".into(),
            name: "route".into(),
        },
        rule_index: 0,
        backends,
    }
}

/// The diagnostics with this reason.
pub fn with_reason<'a>(diags: &'a [Diagnostic], reason: &str) -> Vec<&'a Diagnostic> {
    diags.iter().filter(|d| d.reason == reason).collect()
}
