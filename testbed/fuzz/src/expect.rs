//! What a plan must say about the answers a script gave: every refused or
//! failed answer is reported on its object, nothing else is, and every
//! accepted answer reaches the plan as it was given.

use std::collections::{BTreeMap, BTreeSet};

use lattice_core::plan::{Action, HeaderMatchPlan, MatchPlan, PathMatchPlan, Plan};
use lattice_plugin_sdk::types::*;

use crate::answers::{Script, route_key, rule_key, target_key};
use crate::judge;
use crate::stages::Asked;

/// How the host must take one answer.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Verdict {
    Accept,
    /// `PluginOutputInvalid`, and why.
    Refuse(String),
    /// `PluginFailed`: a trap, or the wrong number of answers.
    Fail,
}

/// One asked input: the object diagnostics name and the verdict.
fn verdict(script: &Script, asked: &Asked, kinds: &BTreeMap<String, &str>) -> (String, Verdict) {
    let (key, object, judged) = match asked {
        Asked::Mapping(r) => {
            let object = format!("{} {}", r.kind.kind_name(), r.id);
            (route_key(r), object, judge::mapping(r, &script.map(r)))
        }
        Asked::Weighting(rule) => {
            let kind = kinds.get(&rule.route.to_string()).copied().unwrap_or("?");
            let object = format!("{kind} {}", rule.route);
            (
                rule_key(rule),
                object,
                judge::weighting(rule, &script.weigh(rule)),
            )
        }
        Asked::Auth(t) => (target_key(t), target_key(t), judge::auth(&script.decide(t))),
    };
    let v = if script.trap.contains(&key) || script.miscount.contains(&key) {
        Verdict::Fail
    } else {
        judged.map_or_else(Verdict::Refuse, |()| Verdict::Accept)
    };
    (object, v)
}

/// Why `plan` misreports the answers `script` gave to what was `asked`, if it does.
pub fn answers_reported(script: &Script, asked: &[Asked], plan: &Plan) -> Result<(), String> {
    let kinds: BTreeMap<String, &str> = asked
        .iter()
        .filter_map(|a| match a {
            Asked::Mapping(r) => Some((r.id.to_string(), r.kind.kind_name())),
            _ => None,
        })
        .collect();
    let mut want: BTreeMap<(String, &str), Vec<String>> = BTreeMap::new();
    for a in asked {
        match verdict(script, a, &kinds) {
            (_, Verdict::Accept) => {}
            (o, Verdict::Refuse(why)) => want
                .entry((o, "PluginOutputInvalid"))
                .or_default()
                .push(why),
            (o, Verdict::Fail) => want
                .entry((o, "PluginFailed"))
                .or_default()
                .push("fails".into()),
        }
    }
    let got: BTreeSet<(String, &str)> = plan
        .diagnostics
        .iter()
        .filter_map(|d| {
            let reason = crate::lattice::PLUGIN_REASONS
                .into_iter()
                .find(|r| *r == d.reason)?;
            Some((d.object.clone(), reason))
        })
        .collect();
    if let Some(((object, reason), why)) = want.iter().find(|(k, _)| !got.contains(*k)) {
        return Err(format!(
            "no {reason} diagnostic on {object}, though: {why:?}"
        ));
    }
    if let Some((object, reason)) = got.iter().find(|k| !want.contains_key(*k)) {
        let ds: Vec<_> = plan
            .diagnostics
            .iter()
            .filter(|d| &d.object == object)
            .collect();
        return Err(format!(
            "{reason} on {object}, for an answer the judge accepts: {ds:#?}"
        ));
    }
    Ok(())
}

fn match_plan(m: &LatticeMatch) -> MatchPlan {
    MatchPlan {
        method: m.method.clone(),
        path: m.path.as_ref().map(|p| PathMatchPlan {
            r#type: match p.path_type {
                LatticePathType::Exact => "exact".into(),
                LatticePathType::Prefix => "prefix".into(),
            },
            value: p.value.clone(),
            case_sensitive: p.case_sensitive,
        }),
        headers: m
            .headers
            .iter()
            .map(|h| HeaderMatchPlan {
                name: h.name.clone(),
                r#type: match h.header_type {
                    LatticeHeaderType::Exact => "exact".into(),
                    LatticeHeaderType::Prefix => "prefix".into(),
                    LatticeHeaderType::Contains => "contains".into(),
                },
                value: h.value.clone(),
                case_sensitive: h.case_sensitive,
            })
            .collect(),
    }
}

/// Why an accepted answer does not reach `plan` as it was given, if one
/// does not: a service's rules are its route's mapped rules, a forwarding
/// rule does what its weighting said, and its auth is what auth decided.
pub fn accepted_answers_in_plan(
    script: &Script,
    asked: &[Asked],
    plan: &Plan,
) -> Result<(), String> {
    let ok = |a: &Asked| {
        let kinds = BTreeMap::new();
        verdict(script, a, &kinds).1 == Verdict::Accept
    };
    let mut routes: BTreeMap<String, &Route> = BTreeMap::new();
    let mut weighed: BTreeMap<String, WeightingResult> = BTreeMap::new();
    let mut decided: BTreeMap<String, AuthResult> = BTreeMap::new();
    for a in asked.iter().filter(|a| ok(a)) {
        match a {
            Asked::Mapping(r) => {
                routes.insert(format!("{} {}", r.kind.kind_name(), r.id), r);
            }
            Asked::Weighting(rule) => {
                weighed.insert(rule_key(rule), script.weigh(rule));
            }
            Asked::Auth(t) => {
                decided.insert(target_key(t), script.decide(t));
            }
        }
    }
    for s in &plan.services {
        let object = format!("{} {}", s.route_kind, s.route);
        let Some(route) = routes.get(&object) else {
            continue;
        };
        // A refusal elsewhere for this route may have put a fallback in place.
        if plan.diagnostics.iter().any(|d| {
            d.object == object
                && d.plugin.is_some()
                && crate::lattice::PLUGIN_REASONS.contains(&d.reason.as_str())
        }) {
            continue;
        }
        let m = script.map(route);
        let mut want: Vec<(u32, MatchPlan)> = m
            .rules
            .iter()
            .map(|r| (r.priority, match_plan(&r.r#match)))
            .collect();
        want.sort_by_key(|w| w.0);
        for l in s
            .listeners
            .iter()
            .filter(|l| l.protocol != "TLS_PASSTHROUGH")
        {
            let got: Vec<(u32, MatchPlan)> = l
                .rules
                .iter()
                .map(|r| (r.priority, r.r#match.clone()))
                .collect();
            if got != want {
                return Err(format!(
                    "{object}: listener {} has rules {got:?}, mapped {want:?}",
                    l.port
                ));
            }
            for r in &l.rules {
                let key = format!("{}#{}", route.id, r.origin.rule_index);
                let Some(w) = weighed.get(&key).filter(|_| r.origin.weighting.is_some()) else {
                    continue;
                };
                let want = match &w.action {
                    WeightedAction::FixedResponse(c) => Action::FixedResponse(*c),
                    WeightedAction::Forward(ts) => Action::Forward(
                        ts.iter()
                            .map(|t| lattice_core::plan::WeightedTargetGroup {
                                target_group: t.target_group.clone(),
                                weight: t.weight,
                            })
                            .collect(),
                    ),
                };
                if r.action != want {
                    return Err(format!(
                        "{object} rule {}: {} instead of {want}",
                        r.priority, r.action
                    ));
                }
            }
        }
        if let Some(a) = decided.get(&object)
            && (s.auth_type.as_str(), s.auth_policy.as_deref())
                != (a.auth_type.as_str(), a.policy.as_deref())
        {
            return Err(format!(
                "{object}: auth {} {:?}, decided {a:?}",
                s.auth_type, s.auth_policy
            ));
        }
    }
    for sn in &plan.service_networks {
        let object = format!("Gateway {}", sn.gateway);
        if let Some(a) = decided.get(&object)
            && (sn.auth_type.as_str(), sn.auth_policy.as_deref())
                != (a.auth_type.as_str(), a.policy.as_deref())
        {
            return Err(format!(
                "{object}: auth {} {:?}, decided {a:?}",
                sn.auth_type, sn.auth_policy
            ));
        }
    }
    Ok(())
}
