//! Plan types ↔ aws-sdk-vpclattice types for matches and actions.
//!
//! Actions read from Lattice name their target groups by id or ARN; the
//! observer maps them back to names with [`rename_action`].

use aws_sdk_vpclattice::types as t;
use lattice_core::plan::{Action, HeaderMatchPlan, MatchPlan, PathMatchPlan, WeightedTargetGroup};

/// A request could not be built from the plan (a required member was missing).
#[derive(Debug, thiserror::Error)]
#[error("cannot build the request: {0}")]
pub struct BuildError(pub String);

fn be(e: impl std::fmt::Display) -> BuildError {
    BuildError(e.to_string())
}

/// The SDK action for a plan action whose target groups are already ids.
pub fn to_sdk_action(a: &Action) -> Result<t::RuleAction, BuildError> {
    Ok(match a {
        Action::FixedResponse(code) => t::RuleAction::FixedResponse(
            t::FixedResponseAction::builder()
                .status_code(i32::from(*code))
                .build()
                .map_err(be)?,
        ),
        Action::Forward(tgs) => {
            let mut f = t::ForwardAction::builder();
            for w in tgs {
                f = f.target_groups(
                    t::WeightedTargetGroup::builder()
                        .target_group_identifier(&w.target_group)
                        .weight(w.weight as i32)
                        .build()
                        .map_err(be)?,
                );
            }
            t::RuleAction::Forward(f.build().map_err(be)?)
        }
    })
}

/// The plan action of an SDK action; target groups stay as Lattice gave them.
pub fn from_sdk_action(a: &t::RuleAction) -> Action {
    match a {
        t::RuleAction::FixedResponse(f) => {
            Action::FixedResponse(u16::try_from(f.status_code()).unwrap_or(0))
        }
        t::RuleAction::Forward(f) => Action::Forward(
            f.target_groups()
                .iter()
                .map(|w| WeightedTargetGroup {
                    target_group: w.target_group_identifier().to_string(),
                    weight: w.weight().unwrap_or(1).max(0) as u32,
                })
                .collect(),
        ),
        _ => Action::FixedResponse(0),
    }
}

/// Replace target group ids/ARNs by names (unknown ones stay as they are).
pub fn rename_action(a: &Action, name_of: impl Fn(&str) -> Option<String>) -> Action {
    match a {
        Action::FixedResponse(c) => Action::FixedResponse(*c),
        Action::Forward(tgs) => Action::Forward(
            tgs.iter()
                .map(|w| WeightedTargetGroup {
                    target_group: name_of(&w.target_group)
                        .unwrap_or_else(|| w.target_group.clone()),
                    weight: w.weight,
                })
                .collect(),
        ),
    }
}

/// The SDK match for a plan match.
pub fn to_sdk_match(m: &MatchPlan) -> Result<t::RuleMatch, BuildError> {
    let mut h = t::HttpMatch::builder();
    if let Some(method) = &m.method {
        h = h.method(method);
    }
    if let Some(p) = &m.path {
        let kind = if p.r#type == "exact" {
            t::PathMatchType::Exact(p.value.clone())
        } else {
            t::PathMatchType::Prefix(p.value.clone())
        };
        h = h.path_match(
            t::PathMatch::builder()
                .r#match(kind)
                .case_sensitive(p.case_sensitive)
                .build(),
        );
    }
    for hm in &m.headers {
        let kind = match hm.r#type.as_str() {
            "prefix" => t::HeaderMatchType::Prefix(hm.value.clone()),
            "contains" => t::HeaderMatchType::Contains(hm.value.clone()),
            _ => t::HeaderMatchType::Exact(hm.value.clone()),
        };
        h = h.header_matches(
            t::HeaderMatch::builder()
                .name(&hm.name)
                .r#match(kind)
                .case_sensitive(hm.case_sensitive)
                .build()
                .map_err(be)?,
        );
    }
    Ok(t::RuleMatch::HttpMatch(h.build()))
}

/// The plan match of an SDK match.
pub fn from_sdk_match(m: &t::RuleMatch) -> MatchPlan {
    let t::RuleMatch::HttpMatch(h) = m else {
        return MatchPlan::default();
    };
    MatchPlan {
        method: h.method().map(str::to_string),
        path: h.path_match().and_then(|p| {
            let (ty, v) = match p.r#match()? {
                t::PathMatchType::Exact(v) => ("exact", v),
                t::PathMatchType::Prefix(v) => ("prefix", v),
                _ => return None,
            };
            Some(PathMatchPlan {
                r#type: ty.into(),
                value: v.clone(),
                case_sensitive: p.case_sensitive().unwrap_or(false),
            })
        }),
        headers: h
            .header_matches()
            .iter()
            .filter_map(|hm| {
                let (ty, v) = match hm.r#match()? {
                    t::HeaderMatchType::Exact(v) => ("exact", v),
                    t::HeaderMatchType::Prefix(v) => ("prefix", v),
                    t::HeaderMatchType::Contains(v) => ("contains", v),
                    _ => return None,
                };
                Some(HeaderMatchPlan {
                    name: hm.name().to_string(),
                    r#type: ty.into(),
                    value: v.clone(),
                    case_sensitive: hm.case_sensitive().unwrap_or(false),
                })
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_and_actions_survive_a_round_trip_through_sdk_types() {
        let m = MatchPlan {
            method: Some("GET".into()),
            path: Some(PathMatchPlan {
                r#type: "prefix".into(),
                value: "/a".into(),
                case_sensitive: true,
            }),
            headers: vec![HeaderMatchPlan {
                name: "x".into(),
                r#type: "contains".into(),
                value: "y".into(),
                case_sensitive: false,
            }],
        };
        assert_eq!(from_sdk_match(&to_sdk_match(&m).unwrap()), m);
        let a = Action::Forward(vec![WeightedTargetGroup {
            target_group: "tg-1".into(),
            weight: 7,
        }]);
        assert_eq!(from_sdk_action(&to_sdk_action(&a).unwrap()), a);
        let f = Action::FixedResponse(404);
        assert_eq!(from_sdk_action(&to_sdk_action(&f).unwrap()), f);
    }
}
