//! Service networks this cluster did not create, and those ServiceNetwork
//! objects declare.

use super::*;

fn declared(name: &str) -> DeclaredServiceNetwork {
    DeclaredServiceNetwork {
        name: name.into(),
        tags: Default::default(),
    }
}

fn operations(d: &crate::diff::Diff) -> Vec<&'static str> {
    d.ops.iter().map(|o| o.kind.operation()).collect()
}

#[test]
fn an_untagged_network_a_gateway_uses_is_never_tagged_nor_its_auth_reset() {
    let plan = mk_plan(1);
    let mut obs = converged(&plan);
    obs.service_networks[0].owner = Owner::Untagged;
    // Its owner set AWS_IAM; the plan's NONE is only the default.
    obs.service_networks[0].auth_type = Some("AWS_IAM".into());
    for adoption in [false, true] {
        let opts = DiffOptions {
            allow_adoption: adoption,
            ..opts()
        };
        let d = diff(&obs, &plan, &cfg(), &opts);
        assert_eq!(operations(&d), Vec::<&str>::new(), "adoption {adoption}");
        assert!(d.diagnostics.is_empty(), "{:?}", d.diagnostics);
    }
}

#[test]
fn an_iam_auth_policy_applies_to_an_untagged_network_without_tagging_it() {
    let mut plan = mk_plan(1);
    plan.service_networks[0].auth_type = "AWS_IAM".into();
    plan.service_networks[0].auth_policy = Some(r#"{"Statement":[]}"#.into());
    let mut obs = converged(&plan);
    obs.service_networks[0].owner = Owner::Untagged;
    obs.service_networks[0].auth_type = Some("NONE".into());
    obs.service_networks[0].auth_policy = Some(None);
    let d = diff(&obs, &plan, &cfg(), &opts());
    assert_eq!(operations(&d), ["UpdateServiceNetwork", "PutAuthPolicy"]);
}

#[test]
fn an_untagged_network_is_never_deleted() {
    let plan = mk_plan(1);
    let mut obs = converged(&plan);
    obs.service_networks[0].owner = Owner::Untagged;
    let d = diff(&obs, &Plan::default(), &cfg(), &opts());
    assert!(ops_named(&d.ops, "DeleteServiceNetwork").is_empty());
    assert!(ops_named(&d.ops, "DeleteVpcAssociation").is_empty());
}

#[test]
fn a_declared_network_is_created_without_a_vpc_association() {
    let plan = Plan {
        declared_service_networks: vec![declared("shared")],
        ..Plan::default()
    };
    let d = diff(&Observed::default(), &plan, &cfg(), &opts());
    assert_eq!(operations(&d), ["CreateServiceNetwork"]);
}

#[test]
fn a_declared_untagged_network_is_adopted_and_another_owners_is_refused() {
    let plan = Plan {
        declared_service_networks: vec![declared("sn-0-name")],
        ..Plan::default()
    };
    let mut obs = Observed::default();
    obs.service_networks.push(ObsServiceNetwork {
        id: "sn-0".into(),
        arn: "arn:sn-0".into(),
        name: "sn-0-name".into(),
        owner: Owner::Untagged,
        auth_type: None,
        auth_policy: None,
        vpc_association_count: 0,
        service_association_count: 0,
        tags: Some(Default::default()),
    });
    let d = diff(&obs, &plan, &cfg(), &opts());
    assert_eq!(operations(&d), ["TagResource"]);
    // With the object's user tags: claimed, then tagged with them.
    let mut tagged = plan.clone();
    tagged.declared_service_networks[0].tags = [("team".to_string(), "net".to_string())].into();
    let d = diff(&obs, &tagged, &cfg(), &opts());
    assert_eq!(operations(&d), ["TagResource", "TagResource"]);
    assert_eq!(d.ops[1].deps, [0]);
    obs.service_networks[0].owner = Owner::Other("1/other/vpc-9".into());
    let d = diff(&obs, &plan, &cfg(), &opts());
    assert_eq!(operations(&d), Vec::<&str>::new());
    assert_eq!(d.diagnostics.len(), 1);
    assert_eq!(d.diagnostics[0].reason, "Conflicted");
    assert_eq!(d.diagnostics[0].resource.name, "sn-0-name");
}

#[test]
fn a_declared_network_outlives_its_gateway_and_goes_with_its_object() {
    let plan = mk_plan(1);
    let obs = converged(&plan);
    let name = plan.service_networks[0].name.clone();
    let only_declared = Plan {
        declared_service_networks: vec![declared(&name)],
        ..Plan::default()
    };
    let d = diff(&obs, &only_declared, &cfg(), &opts());
    assert!(ops_named(&d.ops, "DeleteServiceNetwork").is_empty());
    let d = diff(&obs, &Plan::default(), &cfg(), &opts());
    assert_eq!(ops_named(&d.ops, "DeleteServiceNetwork").len(), 1);
}
