use super::*;
use lattice_plugin_sdk::testing::*;

fn weigh(backends: Vec<Backend>) -> WeightingResult {
    lattice_plugin_sdk::weigh_rules::<WeightedForward>("", &[rule_backends(backends)]).remove(0)
}

fn forward(r: &WeightingResult) -> Vec<(String, u32)> {
    match &r.action {
        WeightedAction::Forward(ts) => ts
            .iter()
            .map(|t| (t.target_group.clone(), t.weight))
            .collect(),
        other => panic!("expected forward, got {other:?}"),
    }
}

#[test]
fn weight_defaults_to_one() {
    let r = weigh(vec![backend("a", None), backend("b", None)]);
    assert_eq!(forward(&r), vec![("a".into(), 1), ("b".into(), 1)]);
}

#[test]
fn weights_within_range_are_kept_as_given() {
    let r = weigh(vec![
        backend("stable", Some(90)),
        backend("canary", Some(10)),
    ]);
    assert_eq!(
        forward(&r),
        vec![("stable".into(), 90), ("canary".into(), 10)]
    );
}

#[test]
fn large_weights_are_scaled_keeping_ratios() {
    let r = weigh(vec![
        backend("a", Some(3000)),
        backend("b", Some(1000)),
        backend("c", Some(2000)),
    ]);
    assert_eq!(
        forward(&r),
        vec![("a".into(), 999), ("b".into(), 333), ("c".into(), 666)]
    );
}

#[test]
fn largest_remainder_rounding_keeps_the_total() {
    // 1000:1000:1000 → 999 each (exact); 2000:1001:1001 → sum stays round(4002*999/2000).
    let s = scale(&[2000, 1001, 1001], 999);
    assert_eq!(s[0], 999);
    assert_eq!(
        s.iter().map(|&x| x as u64).sum::<u64>(),
        (4002u64 * 999 + 1000) / 2000
    );
    assert!(s.iter().all(|&x| x <= 999));
}

#[test]
fn tiny_nonzero_weights_keep_some_traffic() {
    assert_eq!(scale(&[1_000_000, 1], 999), vec![999, 1]);
    assert_eq!(scale(&[1_000_000, 0], 999), vec![999, 0]);
}

#[test]
fn duplicate_backends_merge_into_one_target_group() {
    let r = weigh(vec![
        backend("a", Some(1)),
        backend("a", Some(2)),
        backend("b", Some(1)),
    ]);
    assert_eq!(forward(&r), vec![("a".into(), 3), ("b".into(), 1)]);
}

#[test]
fn more_than_ten_target_groups_is_a_diagnostic_and_a_500() {
    let bs = (0..11).map(|i| backend(&format!("tg{i}"), None)).collect();
    let r = weigh(bs);
    assert_eq!(r.action, WeightedAction::FixedResponse(500));
    assert_eq!(r.diagnostics[0].field, "spec.rules[0].backendRefs");
    let ten = weigh((0..10).map(|i| backend(&format!("tg{i}"), None)).collect());
    assert_eq!(forward(&ten).len(), 10);
}

#[test]
fn unresolved_backends_are_left_out_with_their_reasons() {
    let r = weigh(vec![
        backend("ok", Some(5)),
        unresolved("Service default/missing:80", Resolution::NotFound),
        unresolved("ConfigMap default/cm", Resolution::InvalidKind),
        unresolved("Service other/x:80", Resolution::NotPermitted),
    ]);
    assert_eq!(forward(&r), vec![("ok".into(), 5)]);
    let reasons: Vec<_> = r
        .diagnostics
        .iter()
        .map(|d| (d.condition.as_str(), d.reason.as_str(), d.field.as_str()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            (
                "ResolvedRefs",
                "BackendNotFound",
                "spec.rules[0].backendRefs[1]"
            ),
            (
                "ResolvedRefs",
                "InvalidKind",
                "spec.rules[0].backendRefs[2]"
            ),
            (
                "ResolvedRefs",
                "RefNotPermitted",
                "spec.rules[0].backendRefs[3]"
            ),
        ]
    );
}

#[test]
fn rule_with_no_valid_backend_answers_500() {
    let r = weigh(vec![unresolved(
        "Service default/missing:80",
        Resolution::NotFound,
    )]);
    assert_eq!(r.action, WeightedAction::FixedResponse(500));
    let empty = weigh(vec![]);
    assert_eq!(empty.action, WeightedAction::FixedResponse(500));
}

#[test]
fn all_zero_weights_answer_500() {
    let r = weigh(vec![backend("a", Some(0)), backend("b", Some(0))]);
    assert_eq!(r.action, WeightedAction::FixedResponse(500));
}
