//! A plugin object's status: which digest serves, for how many routes, and
//! why a newer version does not. Pure: the controller gathers the facts.
//!
//! - `Accepted`: the object ranks (see [`crate::plugins::verdicts`]) and its
//!   current spec's component was fetched, verified and loaded;
//! - `Ready`: a component of it serves routes (maybe an older one);
//! - `Blocked`: the safety gate held the current version back.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

use super::{cond, keep_times};
use crate::crds::plugins::PluginStatus;
use crate::plugins::Verdict;

/// How loading the object's current spec went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// Being fetched, verified and compiled.
    Loading,
    /// Refused: `reason` (`SourceUnavailable`, `DigestMismatch`,
    /// `InvalidComponent`) and what is wrong, where.
    Refused {
        /// The condition's reason.
        reason: String,
        /// What is wrong, naming the field or the component.
        message: String,
    },
    /// Loaded, but the safety gate held it back; the message has the counts.
    Blocked(String),
    /// Loaded and serving.
    Live,
}

/// What the controller knows about one plugin object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginFacts {
    /// The generation the attempt was made for.
    pub generation: Option<i64>,
    /// How loading that generation went; `None` before any attempt (an
    /// invalid spec is never loaded).
    pub attempt: Option<Attempt>,
    /// `sha256:…` of the component serving now, if one does.
    pub serving: Option<String>,
    /// Routes it decides now, over all of its stage's routes.
    pub routes: u32,
}

/// The status the object should have. Timestamps of unchanged conditions
/// are kept from `existing`.
pub fn plugin_status(
    verdict: &Verdict,
    facts: &PluginFacts,
    existing: &PluginStatus,
    now: &Time,
) -> PluginStatus {
    let mut conditions = vec![accepted(verdict, facts.attempt.as_ref()), ready(facts)];
    if let Some(b) = blocked(facts.attempt.as_ref()) {
        conditions.push(b);
    }
    keep_times(&mut conditions, &existing.conditions, facts.generation, now);
    PluginStatus {
        observed_generation: facts.generation,
        active_digest: facts.serving.clone(),
        routes: Some(facts.routes),
        conditions,
    }
}

fn accepted(verdict: &Verdict, attempt: Option<&Attempt>) -> Condition {
    if !verdict.accepted() {
        return cond(
            "Accepted",
            false,
            verdict.reason.as_str(),
            verdict.message.clone(),
        );
    }
    match attempt {
        Some(Attempt::Refused { reason, message }) => cond("Accepted", false, reason, message.clone()),
        None | Some(Attempt::Loading) => Condition {
            status: "Unknown".into(),
            ..cond(
                "Accepted",
                false,
                "Pending",
                "fetching, verifying and compiling the component".into(),
            )
        },
        Some(Attempt::Blocked(_) | Attempt::Live) => cond(
            "Accepted",
            true,
            "Accepted",
            "fetched, digest verified, a component of the right stage and world, importing nothing, settings valid".into(),
        ),
    }
}

fn ready(facts: &PluginFacts) -> Condition {
    match &facts.serving {
        Some(digest) => cond(
            "Ready",
            true,
            "Serving",
            format!("{digest} decides {} routes", facts.routes),
        ),
        None => cond(
            "Ready",
            false,
            "NotServing",
            "no version of this plugin serves yet; its routes keep the next most specific plugin"
                .into(),
        ),
    }
}

fn blocked(attempt: Option<&Attempt>) -> Option<Condition> {
    match attempt {
        Some(Attempt::Blocked(m)) => Some(cond("Blocked", true, "SafetyGate", m.clone())),
        Some(Attempt::Live) => Some(cond(
            "Blocked",
            false,
            "Passed",
            "the safety gate let this version go live".into(),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugins::Reason;

    fn accepted_verdict() -> Verdict {
        Verdict {
            reason: Reason::Accepted,
            message: String::new(),
        }
    }

    fn facts(attempt: Attempt, serving: Option<&str>) -> PluginFacts {
        PluginFacts {
            generation: Some(3),
            attempt: Some(attempt),
            serving: serving.map(str::to_string),
            routes: 7,
        }
    }

    fn find<'a>(s: &'a PluginStatus, t: &str) -> &'a Condition {
        s.conditions.iter().find(|c| c.type_ == t).expect(t)
    }

    #[test]
    fn a_refused_new_version_leaves_the_old_digest_ready() {
        let refused = Attempt::Refused {
            reason: "InvalidComponent".into(),
            message: "spec.source.configMap: not a WebAssembly component".into(),
        };
        let now = Time(Default::default());
        let s = plugin_status(
            &accepted_verdict(),
            &facts(refused, Some("sha256:old")),
            &PluginStatus::default(),
            &now,
        );
        assert_eq!(s.active_digest.as_deref(), Some("sha256:old"));
        assert_eq!(s.observed_generation, Some(3));
        let a = find(&s, "Accepted");
        assert_eq!(
            (a.status.as_str(), a.reason.as_str()),
            ("False", "InvalidComponent")
        );
        let r = find(&s, "Ready");
        assert_eq!(
            (r.status.as_str(), r.message.as_str()),
            ("True", "sha256:old decides 7 routes")
        );
        assert!(s.conditions.iter().all(|c| c.type_ != "Blocked"));
    }

    #[test]
    fn a_blocked_version_is_accepted_but_blocked_with_the_counts() {
        let now = Time(Default::default());
        let s = plugin_status(
            &accepted_verdict(),
            &facts(
                Attempt::Blocked("3 routes would fail; 0 allowed".into()),
                None,
            ),
            &PluginStatus::default(),
            &now,
        );
        assert_eq!(find(&s, "Accepted").status, "True");
        assert_eq!(find(&s, "Ready").status, "False");
        let b = find(&s, "Blocked");
        assert_eq!(
            (b.status.as_str(), b.message.as_str()),
            ("True", "3 routes would fail; 0 allowed")
        );
    }

    #[test]
    fn a_losing_rank_is_not_accepted_whatever_loaded() {
        let lost = Verdict {
            reason: Reason::Conflicted,
            message: "ClusterLatticePlugin a is older".into(),
        };
        let now = Time(Default::default());
        let s = plugin_status(
            &lost,
            &facts(Attempt::Live, None),
            &PluginStatus::default(),
            &now,
        );
        let a = find(&s, "Accepted");
        assert_eq!(
            (a.status.as_str(), a.reason.as_str()),
            ("False", "Conflicted")
        );
    }

    #[test]
    fn a_loading_version_is_unknown_not_false() {
        let now = Time(Default::default());
        let s = plugin_status(
            &accepted_verdict(),
            &facts(Attempt::Loading, None),
            &PluginStatus::default(),
            &now,
        );
        assert_eq!(find(&s, "Accepted").status, "Unknown");
    }
}
