//! `DEFAULT_SERVICE_NETWORK`: found or created and joined to the cluster
//! VPC first, as the Go controller does at start; never pruned; one
//! network however many Gateways stand for it under the override.

use super::*;
use crate::ops::Key;

fn with_default(name: &str) -> ClusterConfig {
    ClusterConfig {
        default_service_network: Some(name.into()),
        ..cfg()
    }
}

fn operations(d: &crate::diff::Diff) -> Vec<&'static str> {
    d.ops.iter().map(|o| o.kind.operation()).collect()
}

#[test]
fn a_missing_default_network_is_created_and_joined_before_any_gateways() {
    let plan = mk_plan(1);
    let mut obs = converged(&plan);
    obs.vpc_associations.clear();
    let d = diff(&obs, &plan, &with_default("shared"), &opts());
    deps_point_backwards(&d.ops);
    assert_eq!(
        operations(&d),
        vec!["CreateServiceNetwork", "CreateServiceNetworkVpcAssociation"]
    );
    assert!(matches!(
        &d.ops[0].kind,
        OpKind::CreateServiceNetwork { name, auth_type, .. } if name == "shared" && auth_type == "NONE"
    ));
    assert!(matches!(
        &d.ops[1].kind,
        OpKind::CreateVpcAssociation { service_network: Key::ServiceNetwork(n), .. } if n == "shared"
    ));
    assert_eq!(d.ops[1].deps, vec![0]);
    // The Gateway's network cannot join the VPC as well: said so.
    assert!(
        d.diagnostics.iter().any(|x| x.reason == "InUse"),
        "{:?}",
        d.diagnostics
    );
}

#[test]
fn an_existing_default_network_is_joined_and_otherwise_left_alone() {
    let plan = mk_plan(1);
    let mut obs = converged(&plan);
    obs.vpc_associations.clear();
    let mut other = obs.service_networks[0].clone();
    other.name = "shared".into();
    other.auth_type = Some("AWS_IAM".into());
    other.owner = Owner::Other("someone/else/vpc-1".into());
    obs.service_networks.push(other);
    let d = diff(&obs, &plan, &with_default("shared"), &opts());
    assert_eq!(operations(&d), vec!["CreateServiceNetworkVpcAssociation"]);
}

#[test]
fn the_default_network_is_never_pruned() {
    let plan = mk_plan(1);
    let mut obs = converged(&plan);
    let mut ours = obs.service_networks[0].clone();
    ours.name = "shared".into();
    ours.id = "sn-shared".into();
    ours.service_association_count = 0;
    obs.service_networks.push(ours);
    obs.vpc_associations[0].service_network = "shared".into();
    let d = diff(&obs, &plan, &with_default("shared"), &opts());
    assert!(
        ops_named(&d.ops, "DeleteServiceNetwork").is_empty(),
        "{:?}",
        operations(&d)
    );
    let d = diff(&obs, &plan, &cfg(), &opts());
    assert_eq!(ops_named(&d.ops, "DeleteServiceNetwork").len(), 1);
}

#[test]
fn a_scoped_pass_leaves_the_default_network_alone() {
    let plan = Plan {
        service_networks: vec![],
        ..mk_plan(1)
    };
    let mut obs = converged(&plan);
    obs.vpc_associations.clear();
    let scoped = DiffOptions {
        scoped: true,
        ..opts()
    };
    let d = diff(&obs, &plan, &with_default("shared"), &scoped);
    assert!(
        !operations(&d).iter().any(|o| o.contains("ServiceNetwork")),
        "{:?}",
        operations(&d)
    );
}

#[test]
fn gateways_that_stand_for_one_network_make_it_once() {
    let mut plan = mk_plan(1);
    let mut second = plan.service_networks[0].clone();
    second.gateway = "bench/other".into();
    second.auth_type = "AWS_IAM".into();
    plan.service_networks.push(second);
    let name = plan.service_networks[0].name.clone();
    let d = diff(&Observed::default(), &plan, &with_default(&name), &opts());
    deps_point_backwards(&d.ops);
    assert_eq!(ops_named(&d.ops, "CreateServiceNetwork").len(), 1);
    assert!(matches!(
        &ops_named(&d.ops, "CreateServiceNetwork")[0].kind,
        OpKind::CreateServiceNetwork { auth_type, .. } if auth_type == "NONE"
    ));
    assert_eq!(
        ops_named(&d.ops, "CreateServiceNetworkVpcAssociation").len(),
        1
    );
}
