//! Weighting answers: a forward action for a rule.

use std::collections::BTreeSet;

use lattice_plugin_sdk::limits::MAX_TARGET_GROUPS;
use lattice_plugin_sdk::types::*;
use proptest::prelude::*;
use proptest::sample::select;

use super::faults::{DIAGNOSTIC_FAULTS, Fault, bad_reason, break_diagnostics, code, diagnostics};

/// A weighting answer for `rule`: its own resolved target groups, or a
/// fixed response, sound or (when `faulty`) with one fault.
pub fn weighting(rule: &RuleBackends, faulty: bool) -> BoxedStrategy<WeightingResult> {
    let mut names: Vec<String> = rule
        .backends
        .iter()
        .filter(|b| b.resolution == Resolution::Resolved)
        .map(|b| b.target_group.clone())
        .collect();
    names.sort();
    names.dedup();
    let weights = prop::collection::vec(
        prop_oneof![Just(0u32), Just(999u32), 0..=999u32],
        names.len(),
    );
    // Faults of the forward action first: most rules forward.
    let forward_faults = [
        Fault::UnknownTargetGroup,
        Fault::TargetGroupTwice,
        Fault::TooManyTargetGroups,
        Fault::Weight,
    ];
    let other: Vec<Fault> = [Fault::NoTargetGroups, Fault::FixedCode]
        .into_iter()
        .chain(DIAGNOSTIC_FAULTS)
        .collect();
    let fault = match faulty {
        true => prop_oneof![
            1 => Just(None),
            4 => select(forward_faults.to_vec()).prop_map(Some),
            1 => select(other).prop_map(Some),
        ]
        .boxed(),
        false => Just(None).boxed(),
    };
    let over = prop_oneof![select(vec![1000u32, 1001]), 1000..=u32::MAX];
    let bad = (bad_reason(), over, any::<u16>());
    let n = names.len().min(MAX_TARGET_GROUPS);
    let all_names = names.clone();
    let picked = prop::sample::subsequence((0..n).collect::<Vec<_>>(), n.min(1)..=n);
    (
        weights,
        picked,
        prop::bool::weighted(0.2),
        code(),
        diagnostics(),
        fault,
        bad,
    )
        .prop_map(
            move |(weights, picked, fixed, c, diagnostics, fault, (reason, w, bad_code))| {
                let mut targets: Vec<WeightedTarget> = picked
                    .iter()
                    .map(|&i| WeightedTarget {
                        target_group: names[i].clone(),
                        weight: weights[i],
                    })
                    .collect();
                let mut action = match fixed || targets.is_empty() {
                    true => WeightedAction::FixedResponse(c),
                    false => WeightedAction::Forward(std::mem::take(&mut targets)),
                };
                let mut diagnostics = diagnostics;
                if let Some(f) = fault
                    && !break_diagnostics(&mut diagnostics, f, &reason)
                {
                    let unknown = WeightedTarget {
                        target_group: "k8s-not-a-backend-of-this-rule".into(),
                        weight: 1,
                    };
                    match (&mut action, f) {
                        (_, Fault::NoTargetGroups) => action = WeightedAction::Forward(vec![]),
                        (_, Fault::FixedCode) => {
                            action =
                                WeightedAction::FixedResponse(if matches!(bad_code, 404 | 500) {
                                    302
                                } else {
                                    bad_code
                                })
                        }
                        (WeightedAction::Forward(ts), Fault::UnknownTargetGroup) => {
                            ts.push(unknown)
                        }
                        (WeightedAction::Forward(ts), Fault::TargetGroupTwice) => {
                            ts.push(ts[0].clone())
                        }
                        (WeightedAction::Forward(ts), Fault::Weight) => ts[0].weight = w,
                        (WeightedAction::Forward(ts), Fault::TooManyTargetGroups) => {
                            // The rule's own groups first, then made-up ones.
                            let held: BTreeSet<String> =
                                ts.iter().map(|t| t.target_group.clone()).collect();
                            let known = all_names.iter().filter(|n| !held.contains(*n)).cloned();
                            let made_up = (0..).map(|i| format!("k8s-extra-{i}"));
                            let more = known.chain(made_up).map(|target_group| WeightedTarget {
                                target_group,
                                weight: 1,
                            });
                            let missing = (MAX_TARGET_GROUPS + 1).saturating_sub(ts.len());
                            ts.extend(more.take(missing));
                        }
                        _ => {}
                    }
                }
                WeightingResult {
                    action,
                    diagnostics,
                }
            },
        )
        .boxed()
}
