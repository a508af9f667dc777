//! Rule changes: moves, content changes, obsolete rules and drift.

use super::*;

#[test]
fn swapped_priorities_become_one_batch_update() {
    let plan = mk_plan(1);
    let mut obs = converged(&plan);
    let rules = &mut obs.services[0].listeners[0].rules;
    rules[0].priority = 2;
    rules[1].priority = 1;
    let d = diff(&obs, &plan, &cfg(), &opts());
    assert_eq!(d.ops.len(), 1);
    let OpKind::BatchUpdateRule { changes, .. } = &d.ops[0].kind else {
        panic!("{:?}", d.ops)
    };
    assert_eq!(changes.len(), 2);
    assert!(
        changes
            .iter()
            .all(|c| c.r#match.is_none() && c.action.is_none())
    );
}

#[test]
fn a_changed_weight_is_one_update_rule_with_only_the_action() {
    let mut plan = mk_plan(1);
    let Action::Forward(w) = &mut plan.services[0].listeners[0].rules[2].action else {
        panic!()
    };
    w[0].weight = 50;
    w[1].weight = 50;
    let d = diff(&converged(&mk_plan(1)), &plan, &cfg(), &opts());
    assert_eq!(d.ops.len(), 1);
    let OpKind::UpdateRule { change, .. } = &d.ops[0].kind else {
        panic!("{:?}", d.ops)
    };
    assert!(change.priority.is_none() && change.r#match.is_none() && change.action.is_some());
}

#[test]
fn an_obsolete_rule_is_deleted_before_a_new_rule_takes_its_priority() {
    let mut plan = mk_plan(1);
    plan.services[0].listeners[0].rules[1].r#match.path = Some(PathMatchPlan {
        r#type: "exact".into(),
        value: "/new".into(),
        case_sensitive: true,
    });
    let d = diff(&converged(&mk_plan(1)), &plan, &cfg(), &opts());
    assert_eq!(
        d.ops.iter().map(|o| o.kind.operation()).collect::<Vec<_>>(),
        vec!["DeleteRule", "CreateRule"]
    );
    assert_eq!(d.ops[1].deps, vec![0]);
}

#[test]
fn a_drifted_rule_with_our_name_is_updated_in_place() {
    let plan = mk_plan(1);
    let mut obs = converged(&plan);
    obs.services[0].listeners[0].rules[0].r#match.method = Some("PUT".into());
    let d = diff(&obs, &plan, &cfg(), &opts());
    assert_eq!(d.ops.len(), 1);
    let OpKind::UpdateRule { change, .. } = &d.ops[0].kind else {
        panic!("{:?}", d.ops)
    };
    assert!(change.r#match.is_some());
}
