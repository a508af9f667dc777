//! User tags (the `application-networking.k8s.aws/tags` annotation's):
//! created with, then made to match with only what differs.

use super::*;

fn tags(pairs: &[(&str, &str)]) -> Tags {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// One synthetic route whose annotation says `want`, its groups too.
fn tagged_plan(want: &[(&str, &str)]) -> Plan {
    let mut plan = mk_plan(1);
    plan.services[0].tags = tags(want);
    for tg in &mut plan.target_groups {
        tg.tags = tags(want);
    }
    plan
}

/// `(operation, arn, tags added, keys removed)` of each tag operation.
fn tag_ops(ops: &[Op]) -> Vec<(&'static str, String, Tags, Vec<String>)> {
    ops.iter()
        .filter_map(|o| match &o.kind {
            OpKind::TagResource { arn, tags } => {
                Some(("TagResource", arn.clone(), tags.clone(), vec![]))
            }
            OpKind::UntagResource { arn, keys } => {
                Some(("UntagResource", arn.clone(), Tags::new(), keys.clone()))
            }
            _ => None,
        })
        .collect()
}

/// The ARNs of the service's parts and groups, as `converged` names them.
const PARTS: [&str; 7] = [
    "arn:snsa-0-bench",
    "arn:listener-0-0",
    "arn:rule-0-0-0",
    "arn:rule-0-0-1",
    "arn:rule-0-0-2",
    "arn:tg-0",
    "arn:tg-1",
];

#[test]
fn a_new_routes_resources_are_created_with_its_tags() {
    let plan = tagged_plan(&[("Team", "books")]);
    let d = diff(&Observed::default(), &plan, &cfg(), &opts());
    let want = tags(&[("Team", "books")]);
    let mut created = 0;
    for o in &d.ops {
        if let Some(t) = o.kind.create_tags() {
            if matches!(o.kind, OpKind::CreateServiceNetwork { .. }) {
                assert!(t.is_empty(), "a Gateway's network has no user tags");
                continue;
            }
            if matches!(o.kind, OpKind::CreateVpcAssociation { .. }) {
                continue;
            }
            assert_eq!(t, &want, "{}", o.kind.operation());
            created += 1;
        }
    }
    // Service, association, listener, 3 rules, 2 target groups.
    assert_eq!(created, 8);
    assert!(tag_ops(&d.ops).is_empty());
}

#[test]
fn a_converged_tagged_route_needs_no_operation() {
    let plan = tagged_plan(&[("Team", "books")]);
    let d = diff(&converged(&plan), &plan, &cfg(), &opts());
    assert!(d.ops.is_empty(), "{:?}", d.ops);
}

#[test]
fn a_changed_annotation_tags_and_untags_only_what_differs_on_every_resource() {
    let old = tagged_plan(&[("Team", "books"), ("Env", "dev"), ("Old", "x")]);
    let new = tagged_plan(&[("Team", "books"), ("Env", "prod"), ("Cost", "42")]);
    let d = diff(&converged(&old), &new, &cfg(), &opts());
    deps_point_backwards(&d.ops);
    let ops = tag_ops(&d.ops);
    let mut arns: Vec<&str> = PARTS.to_vec();
    arns.push("arn:svc-0");
    for arn in arns {
        let of: Vec<_> = ops.iter().filter(|o| o.1 == arn).collect();
        assert_eq!(of.len(), 2, "{arn}: {of:?}");
        assert_eq!(of[0].0, "UntagResource");
        assert_eq!(of[0].3, vec!["Old".to_string()]);
        assert_eq!(of[1].0, "TagResource");
        assert_eq!(of[1].2, tags(&[("Cost", "42"), ("Env", "prod")]));
    }
    assert_eq!(ops.len(), 16);
    // Nothing else is written.
    assert_eq!(d.ops.len(), 16, "{:?}", d.ops);
}

#[test]
fn the_services_tags_change_after_its_parts_tags() {
    let old = tagged_plan(&[("Team", "books")]);
    let new = tagged_plan(&[("Team", "maps")]);
    let d = diff(&converged(&old), &new, &cfg(), &opts());
    let svc = index_of(
        &d.ops,
        |k| matches!(k, OpKind::TagResource { arn, .. } if arn == "arn:svc-0"),
    );
    let parts: Vec<usize> = (0..d.ops.len())
        .filter(|&i| i != svc)
        .filter(|&i| {
            matches!(&d.ops[i].kind, OpKind::TagResource { arn, .. } if !arn.starts_with("arn:tg-"))
        })
        .collect();
    assert_eq!(parts.len(), 5, "association, listener, 3 rules");
    for p in parts {
        assert!(d.ops[svc].deps.contains(&p), "{p} not before the service's");
    }
}

#[test]
fn a_removed_annotation_untags_and_keeps_the_controllers_tags() {
    let old = tagged_plan(&[("Team", "books")]);
    let mut obs = converged(&old);
    // What the observer reads is user tags only; ManagedBy is not there to remove.
    obs.services[0]
        .tags
        .as_mut()
        .unwrap()
        .insert("aws:cloudformation:stack-name".into(), "s".into());
    let d = diff(&obs, &mk_plan(1), &cfg(), &opts());
    let ops = tag_ops(&d.ops);
    assert!(ops.iter().all(|o| o.0 == "UntagResource"), "{ops:?}");
    assert!(
        ops.iter().all(|o| o.3 == vec!["Team".to_string()]),
        "{ops:?}"
    );
    assert_eq!(ops.len(), PARTS.len() + 1);
}

#[test]
fn parts_whose_tags_were_not_read_are_left_alone() {
    let plan = tagged_plan(&[("Team", "books")]);
    let mut obs = converged(&plan);
    let s = &mut obs.services[0];
    s.listeners[0].tags = None;
    for r in &mut s.listeners[0].rules {
        r.tags = None;
    }
    s.associations[0].tags = None;
    let d = diff(&obs, &plan, &cfg(), &opts());
    assert!(d.ops.is_empty(), "{:?}", d.ops);
}

#[test]
fn a_service_that_is_not_ours_is_never_tagged() {
    let plan = tagged_plan(&[("Team", "books")]);
    let mut obs = converged(&mk_plan(1));
    obs.services[0].owner = Owner::Other("1/other/vpc".into());
    let d = diff(&obs, &plan, &cfg(), &opts());
    let svc_ops: Vec<_> = tag_ops(&d.ops)
        .into_iter()
        .filter(|o| !o.1.starts_with("arn:tg-"))
        .collect();
    assert!(svc_ops.is_empty(), "{svc_ops:?}");
}

#[test]
fn a_gateways_network_keeps_its_user_tags_and_a_declared_networks_get_them() {
    let plan = mk_plan(1);
    let mut obs = converged(&plan);
    obs.service_networks[0].tags = Some(tags(&[("ByHand", "yes")]));
    let d = diff(&obs, &plan, &cfg(), &opts());
    assert!(tag_ops(&d.ops).is_empty(), "{:?}", d.ops);
    // A ServiceNetwork object of the same name brings its tags.
    let mut planned = plan.clone();
    planned.declared_service_networks = vec![DeclaredServiceNetwork {
        name: plan.service_networks[0].name.clone(),
        tags: tags(&[("Team", "net")]),
    }];
    let d = diff(&obs, &planned, &cfg(), &opts());
    let ops = tag_ops(&d.ops);
    assert_eq!(ops.len(), 2, "{ops:?}");
    assert!(ops.iter().all(|o| o.1 == "arn:sn-0"));
}

#[test]
fn a_vpc_association_policys_tags_reach_our_association_only() {
    let mut plan = mk_plan(1);
    plan.service_networks[0].vpc_association = Some(VpcAssociationPlan {
        associate: true,
        security_group_ids: vec![],
        policy: "bench/p".into(),
        tags: tags(&[("Team", "net")]),
    });
    let mut obs = converged(&plan);
    let d = diff(&obs, &plan, &cfg(), &opts());
    let ops = tag_ops(&d.ops);
    assert_eq!(ops.len(), 1);
    assert_eq!(
        (ops[0].0, ops[0].1.as_str()),
        ("TagResource", "arn:snva-bench")
    );
    obs.vpc_associations[0].owner = Owner::Other("1/other/vpc".into());
    assert!(tag_ops(&diff(&obs, &plan, &cfg(), &opts()).ops).is_empty());
    // Created with them.
    obs.vpc_associations.clear();
    let d = diff(&obs, &plan, &cfg(), &opts());
    let create = d
        .ops
        .iter()
        .find(|o| matches!(o.kind, OpKind::CreateVpcAssociation { .. }))
        .unwrap();
    assert_eq!(create.kind.create_tags(), Some(&tags(&[("Team", "net")])));
}

#[test]
fn an_access_log_policys_tags_reach_its_subscription() {
    let mut plan = mk_plan(1);
    plan.services[0].access_logs = vec![AccessLogPlan {
        destination_arn: "arn:aws:s3:::logs".into(),
        policy: "bench/p".into(),
        tags: tags(&[("Audit", "yes")]),
    }];
    let mut obs = converged(&plan);
    let d = diff(&obs, &plan, &cfg(), &opts());
    let create = d
        .ops
        .iter()
        .find(|o| matches!(o.kind, OpKind::CreateAccessLogSubscription { .. }))
        .unwrap();
    assert_eq!(create.kind.create_tags(), Some(&tags(&[("Audit", "yes")])));
    obs.access_logs.push(ObsAccessLog {
        id: "als-1".into(),
        arn: "arn:als-1".into(),
        resource_id: "svc-0".into(),
        destination_arn: "arn:aws:s3:::logs".into(),
        ours: true,
        policy: Some("bench/p".into()),
        tags: Some(Tags::new()),
    });
    let d = diff(&obs, &plan, &cfg(), &opts());
    let ops = tag_ops(&d.ops);
    assert_eq!(d.ops.len(), 1, "{:?}", d.ops);
    assert_eq!((ops[0].0, ops[0].1.as_str()), ("TagResource", "arn:als-1"));
    assert!(matches!(&d.ops[0].kind, OpKind::TagResource { .. }));
}
