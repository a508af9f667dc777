//! ServiceExports' and ServiceImports' target groups: an import is used as
//! Lattice has it, or dropped from the forwards when it is missing; an
//! export carries its identity and loses it before it is deleted.

use super::*;

const KEY: &str = "serviceimport/bench/inventory";

/// One route whose `b` group is a ServiceImport's instead of a Service's.
fn with_import() -> (Plan, String) {
    let mut plan = mk_plan(1);
    let b = plan.target_groups[1].name.clone();
    let import = &mut plan.target_groups[1];
    import.name = KEY.into();
    import.targets.clear();
    import.import = Some(Box::new(ImportPlan {
        service_import: "bench/inventory".into(),
        target_group_arn: None,
        export_namespace: "bench".into(),
        export_name: "inventory".into(),
        cluster: Some("west".into()),
        vpc: None,
    }));
    for r in &mut plan.services[0].listeners[0].rules {
        if let Action::Forward(ts) = &mut r.action {
            for t in ts.iter_mut().filter(|t| t.target_group == b) {
                t.target_group = KEY.into();
            }
        }
    }
    (plan, b)
}

fn forwards(op: &Op) -> Option<&Action> {
    match &op.kind {
        OpKind::CreateRule { action, .. } => Some(action),
        _ => None,
    }
}

#[test]
fn a_found_import_is_forwarded_to_and_never_created_changed_or_deleted() {
    let (plan, _) = with_import();
    let mut obs = Observed::default();
    let mut found = obs_target_group(7, &plan.target_groups[1], "vpc-west");
    found.owner = Owner::Other("1/west/vpc-west".into());
    obs.target_groups.push(found);
    let d = diff(&obs, &plan, &cfg(), &opts());
    deps_point_backwards(&d.ops);
    assert_eq!(
        ops_named(&d.ops, "CreateTargetGroup").len(),
        1,
        "only the Service's"
    );
    for op in &d.ops {
        if let OpKind::RegisterTargets { target_group, .. } = &op.kind {
            assert_ne!(*target_group, crate::ops::Key::TargetGroup(KEY.into()));
        }
    }
    let split: Vec<&Action> = d.ops.iter().filter_map(forwards).collect();
    assert!(split.iter().any(|a| matches!(a, Action::Forward(ts) if ts.len() == 2 && ts.iter().any(|t| t.target_group == KEY))));
    assert!(d.diagnostics.is_empty(), "{:?}", d.diagnostics);
}

#[test]
fn a_missing_import_leaves_the_forwards_and_says_backend_not_found() {
    let (plan, _) = with_import();
    let d = diff(&Observed::default(), &plan, &cfg(), &opts());
    deps_point_backwards(&d.ops);
    let actions: Vec<&Action> = d.ops.iter().filter_map(forwards).collect();
    assert_eq!(actions.len(), 3);
    for a in &actions {
        assert!(!a.to_string().contains(KEY), "{a}");
    }
    // The rule that only forwarded to the import answers 500.
    assert!(actions.contains(&&Action::FixedResponse(500)));
    let [missing] = &d.diagnostics[..] else {
        panic!("{:?}", d.diagnostics)
    };
    assert_eq!(missing.reason, "BackendNotFound");
    assert_eq!(missing.resource.kind, ResourceKind::ImportedTargetGroup);
    assert_eq!(missing.resource.routes, vec!["bench/route-0".to_string()]);
    assert!(
        missing.message.contains("bench/inventory by cluster west"),
        "{}",
        missing.message
    );
}

#[test]
fn an_export_is_created_with_its_identity_and_untagged_before_it_is_deleted() {
    let mut plan = mk_plan(0);
    let mut export = mk_plan(1).target_groups.remove(0);
    export.name = "k8s-export-inventory-bench-8080-http-http1-east".into();
    export.routes.clear();
    export.export = Some(Box::new(ExportPlan {
        namespace: "bench".into(),
        name: "inventory".into(),
    }));
    plan.target_groups.push(export.clone());
    let d = diff(&Observed::default(), &plan, &cfg(), &opts());
    let create = &ops_named(&d.ops, "CreateTargetGroup")[0].kind;
    let id = create.identity().expect("an export's identity");
    assert_eq!(
        (id.source.as_str(), &id.service),
        ("ServiceExport", &("bench".into(), "inventory".into()))
    );
    assert_eq!(id.route, None);

    let mut obs = Observed::default();
    obs.target_groups
        .push(obs_target_group(3, &export, &cfg().vpc_id));
    let gone = diff(&obs, &mk_plan(0), &cfg(), &opts());
    let untag = index_of(
        &gone.ops,
        |k| matches!(k, OpKind::UntagResource { keys, .. } if keys == &["application-networking.k8s.aws/SourceTypeKey".to_string()]),
    );
    let delete = index_of(&gone.ops, |k| matches!(k, OpKind::DeleteTargetGroup { .. }));
    assert!(gone.ops[delete].deps.contains(&untag));
}
