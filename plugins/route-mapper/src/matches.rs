//! Gateway API matches to Lattice `HttpMatch`es.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use crate::Settings;
use lattice_plugin_sdk::types::*;
use lattice_plugin_sdk::{diagnostic, limits};

/// Lattice allows at most this many header matches per rule.
pub const MAX_HEADER_MATCHES: usize = limits::MAX_HEADER_MATCHES;

/// A match for everything: prefix `/`.
pub fn match_all(settings: &Settings) -> LatticeMatch {
    LatticeMatch {
        method: None,
        path: Some(prefix("/", settings)),
        headers: vec![],
    }
}

fn prefix(value: &str, settings: &Settings) -> LatticePathMatch {
    LatticePathMatch {
        path_type: LatticePathType::Prefix,
        value: value.to_string(),
        case_sensitive: settings.case_sensitive,
    }
}

/// Where a match sits in its route; field paths are built only when a
/// diagnostic needs one, since formatting dominates the happy path.
#[derive(Clone, Copy)]
pub struct At {
    /// Rule index.
    pub rule: usize,
    /// Match index.
    pub r#match: usize,
}

impl core::fmt::Display for At {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "spec.rules[{}].matches[{}]", self.rule, self.r#match)
    }
}

/// Translates one match, or explains at `field` why Lattice cannot express it.
pub fn translate(
    settings: &Settings,
    m: &RouteMatch,
    field: At,
    diags: &mut Vec<Diagnostic>,
) -> Option<LatticeMatch> {
    match m {
        RouteMatch::Http(h) => translate_http(settings, h, field, diags),
        RouteMatch::Grpc(g) => translate_grpc(settings, g, field, diags),
    }
}

fn unsupported(
    diags: &mut Vec<Diagnostic>,
    field: String,
    message: String,
) -> Option<LatticeMatch> {
    diags.push(diagnostic(
        "PartiallyInvalid",
        "UnsupportedValue",
        field,
        format!("{message}; this match is not programmed"),
    ));
    None
}

fn translate_http(
    settings: &Settings,
    h: &HttpMatch,
    field: At,
    diags: &mut Vec<Diagnostic>,
) -> Option<LatticeMatch> {
    if let Some(p) = &h.path
        && p.match_type != MatchType::RegularExpression
        && let Err(why) = limits::path(&p.value)
    {
        return unsupported(diags, format!("{field}.path.value"), why);
    }
    let path = match &h.path {
        None => prefix("/", settings),
        Some(p) => match p.match_type {
            MatchType::Exact => LatticePathMatch {
                path_type: LatticePathType::Exact,
                value: p.value.clone(),
                case_sensitive: settings.case_sensitive,
            },
            MatchType::PathPrefix => prefix(&p.value, settings),
            MatchType::RegularExpression => {
                return unsupported(
                    diags,
                    format!("{field}.path.type"),
                    format!(
                        "path type RegularExpression ({:?}) is not supported by VPC Lattice",
                        p.value
                    ),
                );
            }
        },
    };
    if !h.query_params.is_empty() {
        return unsupported(
            diags,
            format!("{field}.queryParams"),
            "query parameter matches are not supported by VPC Lattice".into(),
        );
    }
    let headers = headers(&h.headers, field, diags)?;
    Some(LatticeMatch {
        method: h.method.clone(),
        path: Some(path),
        headers,
    })
}

fn translate_grpc(
    settings: &Settings,
    g: &GrpcMatch,
    field: At,
    diags: &mut Vec<Diagnostic>,
) -> Option<LatticeMatch> {
    if g.match_type == MatchType::RegularExpression {
        return unsupported(
            diags,
            format!("{field}.method.type"),
            "gRPC method match type RegularExpression is not supported by VPC Lattice".into(),
        );
    }
    let path = match (&g.service, &g.method) {
        (Some(s), Some(m)) => LatticePathMatch {
            path_type: LatticePathType::Exact,
            value: format!("/{s}/{m}"),
            case_sensitive: true,
        },
        (Some(s), None) => LatticePathMatch {
            case_sensitive: true,
            ..prefix(&format!("/{s}/"), settings)
        },
        (None, None) => prefix("/", settings),
        (None, Some(_)) => {
            return unsupported(
                diags,
                format!("{field}.method.service"),
                "a gRPC method match needs a service: VPC Lattice matches the path /service/method"
                    .into(),
            );
        }
    };
    // Service and method become the path: Lattice's alphabet applies.
    if let Err(why) = limits::path(&path.value) {
        return unsupported(diags, format!("{field}.method"), why);
    }
    let headers = headers(&g.headers, field, diags)?;
    Some(LatticeMatch {
        // gRPC is always POST over HTTP/2.
        method: Some("POST".into()),
        path: Some(path),
        headers,
    })
}

fn headers(
    hs: &[HeaderMatch],
    field: At,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<LatticeHeaderMatch>> {
    if hs.len() > MAX_HEADER_MATCHES {
        unsupported(
            diags,
            format!("{field}.headers"),
            format!(
                "{} header matches given; VPC Lattice allows at most {MAX_HEADER_MATCHES} per rule",
                hs.len()
            ),
        );
        return None;
    }
    let mut out = Vec::with_capacity(hs.len());
    for (i, h) in hs.iter().enumerate() {
        if h.match_type != MatchType::Exact {
            unsupported(
                diags,
                format!("{field}.headers[{i}].type"),
                format!(
                    "header match type for {:?} is not Exact, and VPC Lattice supports no regular expressions",
                    h.name
                ),
            );
            return None;
        }
        if let Err(why) = limits::header(&h.name, &h.value) {
            unsupported(diags, format!("{field}.headers[{i}]"), why);
            return None;
        }
        out.push(LatticeHeaderMatch {
            name: h.name.clone(),
            header_type: LatticeHeaderType::Exact,
            value: h.value.clone(),
            case_sensitive: true,
        });
    }
    Some(out)
}
