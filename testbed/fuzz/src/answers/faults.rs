//! The ways an answer goes wrong, and a plugin's own diagnostics.

use lattice_plugin_sdk::types::*;
use proptest::prelude::*;
use proptest::sample::select;

/// One way an answer goes wrong; each answer has none (half of them) or
/// one, so that both sides of every check are reached, and a refusal says
/// which check refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Fault {
    RuleIndex,
    MatchIndex,
    PriorityZero,
    PriorityHigh,
    PriorityTwice,
    TooManyRules,
    Method,
    Path,
    TooManyHeaders,
    Header,
    FixedCode,
    DefaultRule,
    UnknownTargetGroup,
    NoTargetGroups,
    TargetGroupTwice,
    TooManyTargetGroups,
    Weight,
    PolicyWithNone,
    AuthType,
    PolicyNotJson,
    PolicyNotObject,
    PolicyTooBig,
    TooManyDiagnostics,
    Reason,
    NoCondition,
    LongMessage,
    LongField,
}

/// With `on`, no fault half the time, else one of `faults`; without, none.
pub(super) fn fault(faults: &[Fault], on: bool) -> BoxedStrategy<Option<Fault>> {
    match on {
        true => prop_oneof![1 => Just(None), 1 => select(faults.to_vec()).prop_map(Some)].boxed(),
        false => Just(None).boxed(),
    }
}

pub(super) const DIAGNOSTIC_FAULTS: [Fault; 5] = [
    Fault::TooManyDiagnostics,
    Fault::Reason,
    Fault::NoCondition,
    Fault::LongMessage,
    Fault::LongField,
];

/// Applies a diagnostics fault; `false` if `f` is not one.
pub(super) fn break_diagnostics(ds: &mut Vec<Diagnostic>, f: Fault, bad: &str) -> bool {
    let d = diagnostic("UnsupportedValue", "spec.rules[0]");
    match f {
        Fault::TooManyDiagnostics => ds.extend(std::iter::repeat_n(d, 65)),
        Fault::Reason => ds.push(Diagnostic {
            reason: bad.into(),
            ..d
        }),
        Fault::NoCondition => ds.push(Diagnostic {
            condition: String::new(),
            ..d
        }),
        Fault::LongMessage => ds.push(Diagnostic {
            message: "m".repeat(1025),
            ..d
        }),
        Fault::LongField => ds.push(Diagnostic {
            field: "f".repeat(257),
            ..d
        }),
        _ => return false,
    }
    true
}

fn diagnostic(reason: &str, field: &str) -> Diagnostic {
    lattice_plugin_sdk::diagnostic("Accepted", reason, field, "fuzzed")
}

/// A plugin's own sound diagnostics: a few, some about IAMAuthPolicies.
pub(super) fn diagnostics() -> impl Strategy<Value = Vec<Diagnostic>> {
    let condition = select(vec!["Accepted", "ResolvedRefs", "PartiallyInvalid"]);
    let reason = select(vec![
        "UnsupportedValue",
        "BackendNotFound",
        "Invalid",
        "Ref_Not:Permitted,x",
    ]);
    let field = select(vec![
        "",
        "spec.rules[0]",
        "spec.rules[1].matches[0].path",
        "policies[0].spec.policy",
        "policies[9].spec.policy",
        "policies[x]",
    ]);
    let d = (condition, reason, "\\PC{0,40}", field)
        .prop_map(|(c, r, message, f)| lattice_plugin_sdk::diagnostic(c, r, f, message));
    prop::collection::vec(d, 0..3)
}

/// Reasons no Kubernetes condition can carry.
pub(super) fn bad_reason() -> impl Strategy<Value = String> {
    select(vec![
        String::new(),
        "not a reason!".into(),
        "Ünï".into(),
        "Trailing,".into(),
        "1st".into(),
        "R".repeat(1025),
    ])
}

pub(super) fn code() -> impl Strategy<Value = u16> {
    select(vec![404u16, 500])
}
