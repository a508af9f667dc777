//! Mapping answers: listener rules for a route.

use lattice_plugin_sdk::types::*;
use proptest::prelude::*;
use proptest::sample::select;

use super::faults::{
    DIAGNOSTIC_FAULTS, Fault, bad_reason, break_diagnostics, code, diagnostics, fault,
};

/// Paths Lattice accepts.
fn path_value() -> impl Strategy<Value = String> {
    "/[a-zA-Z0-9@:%_+.~#?&/=-]{0,60}"
}

fn lattice_match() -> impl Strategy<Value = LatticeMatch> {
    let method = prop_oneof![
        2 => Just(None),
        1 => select(vec!["GET", "POST", "PUT", "DELETE", "PATCH", "ABCDEFGHIJKLMNOP"]).prop_map(|m| Some(m.to_string())),
    ];
    let path = prop::option::of((path_value(), any::<bool>(), any::<bool>()).prop_map(
        |(value, exact, case_sensitive)| LatticePathMatch {
            path_type: if exact {
                LatticePathType::Exact
            } else {
                LatticePathType::Prefix
            },
            value,
            case_sensitive,
        },
    ));
    let header = (
        "[a-zA-Z0-9-]{1,100}",
        prop_oneof![
            "[ -~]{1,40}",
            "\\PC{1,50}".prop_filter("at most 200 bytes", |v: &String| v.len() <= 200)
        ],
        select(vec![
            LatticeHeaderType::Exact,
            LatticeHeaderType::Prefix,
            LatticeHeaderType::Contains,
        ]),
        any::<bool>(),
    )
        .prop_map(
            |(name, value, header_type, case_sensitive)| LatticeHeaderMatch {
                name,
                header_type,
                value,
                case_sensitive,
            },
        );
    (method, path, prop::collection::vec(header, 0..=5)).prop_map(|(method, path, headers)| {
        LatticeMatch {
            method,
            path,
            headers,
        }
    })
}

/// A mapping answer for `route`: sound, or (when `faulty`) with one fault.
pub fn mapping(route: &Route, faulty: bool) -> BoxedStrategy<MappingResult> {
    let route = route.clone();
    let rules = route.rules.len();
    let rule = (
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        any::<bool>(),
        lattice_match(),
        code(),
    );
    let drafts = prop::collection::vec(rule, 0..6);
    // Priorities: dense from 1, or spread over the whole range; all distinct.
    let spread = prop::collection::btree_set(1..=2000u32, 6);
    let faults = [
        Fault::RuleIndex,
        Fault::MatchIndex,
        Fault::PriorityZero,
        Fault::PriorityHigh,
        Fault::PriorityTwice,
        Fault::TooManyRules,
        Fault::Method,
        Fault::Path,
        Fault::TooManyHeaders,
        Fault::Header,
        Fault::FixedCode,
        Fault::DefaultRule,
    ];
    let all: Vec<Fault> = faults.into_iter().chain(DIAGNOSTIC_FAULTS).collect();
    let bad_method =
        select(vec!["", "get", "G ET", "GÉT", "ABCDEFGHIJKLMNOPQ"]).prop_map(String::from);
    let bad = (
        bad_reason(),
        any::<u32>(),
        any::<u16>(),
        bad_path(),
        bad_method,
    );
    (
        drafts,
        any::<bool>(),
        spread,
        any::<bool>(),
        diagnostics(),
        fault(&all, faulty),
        bad,
    )
        .prop_map(
            move |(drafts, dense, spread, with_default, diagnostics, fault, bad)| {
                let spread: Vec<u32> = spread.into_iter().collect();
                let mut out = MappingResult {
                    rules: Vec::new(),
                    default_rule: None,
                    diagnostics,
                };
                if rules > 0 {
                    for (i, (ri, mi, forward, r#match, code)) in drafts.into_iter().enumerate() {
                        let rule_index = ri.index(rules);
                        let matches = route.rules[rule_index].matches.len();
                        out.rules.push(MappedRule {
                            rule_index: rule_index as u32,
                            match_index: (matches > 0).then(|| mi.index(matches) as u32),
                            priority: if dense { i as u32 + 1 } else { spread[i] },
                            r#match,
                            action: if forward {
                                RuleAction::Forward
                            } else {
                                RuleAction::FixedResponse(code)
                            },
                        });
                    }
                    if route.kind == RouteKind::Tls && with_default {
                        out.default_rule = Some(0);
                    }
                }
                if let Some(f) = fault {
                    break_mapping(&mut out, &route, f, bad);
                }
                out
            },
        )
        .boxed()
}

/// Paths Lattice refuses.
fn bad_path() -> impl Strategy<Value = String> {
    select(vec![
        String::new(),
        "api".into(),
        "/a b".into(),
        "/ünï".into(),
        "/\n".into(),
        format!("/{}", "a".repeat(200)),
    ])
}

fn break_mapping(
    m: &mut MappingResult,
    route: &Route,
    f: Fault,
    (reason, n, c, path, method): (String, u32, u16, String, String),
) {
    if break_diagnostics(&mut m.diagnostics, f, &reason) {
        return;
    }
    let rules = route.rules.len() as u32;
    if f == Fault::DefaultRule {
        m.default_rule = Some(if route.kind == RouteKind::Tls {
            rules
        } else {
            0
        });
        return;
    }
    if f == Fault::TooManyRules && rules > 0 {
        let template = MappedRule {
            rule_index: 0,
            match_index: None,
            priority: 0,
            r#match: LatticeMatch::default(),
            action: RuleAction::Forward,
        };
        m.rules = (1..=2001)
            .map(|p| MappedRule {
                priority: p,
                ..template.clone()
            })
            .collect();
        return;
    }
    let prev = m.rules.first().map(|r| r.priority);
    let Some(r) = m.rules.last_mut() else { return };
    match f {
        // Just past the end half the time, anywhere past it otherwise.
        Fault::RuleIndex => r.rule_index = if n % 2 == 0 { rules } else { rules.max(n) },
        Fault::MatchIndex => {
            let matches = route.rules[r.rule_index as usize].matches.len() as u32;
            r.match_index = Some(if n % 2 == 0 { matches } else { matches.max(n) });
        }
        Fault::PriorityZero => r.priority = 0,
        Fault::PriorityHigh => r.priority = 2001.max(n),
        Fault::PriorityTwice => r.priority = prev.unwrap_or(r.priority),
        Fault::Method => r.r#match.method = Some(method),
        Fault::Path => {
            r.r#match.path = Some(LatticePathMatch {
                path_type: LatticePathType::Prefix,
                value: path,
                case_sensitive: true,
            })
        }
        Fault::TooManyHeaders => {
            let h = LatticeHeaderMatch {
                name: "x-h".into(),
                header_type: LatticeHeaderType::Exact,
                value: "v".into(),
                case_sensitive: true,
            };
            r.r#match.headers = vec![h; 6];
        }
        Fault::Header => r.r#match.headers.push(LatticeHeaderMatch {
            name: if n % 2 == 0 {
                String::new()
            } else {
                "n".repeat(101)
            },
            header_type: LatticeHeaderType::Exact,
            value: "v".into(),
            case_sensitive: true,
        }),
        Fault::FixedCode => {
            r.action = RuleAction::FixedResponse(if matches!(c, 404 | 500) { 200 } else { c })
        }
        _ => {}
    }
}
