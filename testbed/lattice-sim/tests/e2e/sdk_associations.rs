//! aws-sdk-vpclattice against lattice-sim: associations, auth and resource policies,
//! access log subscriptions, tags, pagination, idempotency, async status and quotas.

use crate::common;

use aws_sdk_vpclattice::types::*;
use common::{client, code, start, start_with};
use lattice_sim::{Quotas, SimConfig};
use std::time::Duration;

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*"}]}"#;

#[tokio::test]
async fn associations_link_services_and_vpcs_and_block_deletes() {
    let sim = start().await;
    let c = client(&sim.url());
    let sn = c
        .create_service_network()
        .name("mesh")
        .send()
        .await
        .expect("sn");
    let sn_id = sn.id().expect("sn id");
    let svc = c.create_service().name("cart").send().await.expect("svc");
    let svc_id = svc.id().expect("svc id");
    let a = c
        .create_service_network_service_association()
        .service_network_identifier(sn_id)
        .service_identifier(svc.arn().expect("arn"))
        .send()
        .await
        .expect("snsa");
    let a_id = a.id().expect("snsa id");
    assert!(a_id.starts_with("snsa-"));
    assert_eq!(
        a.status(),
        Some(&ServiceNetworkServiceAssociationStatus::Active)
    );
    let dup = c
        .create_service_network_service_association()
        .service_network_identifier(sn_id)
        .service_identifier(svc_id)
        .send()
        .await;
    assert_eq!(code(&dup), "ConflictException");
    let got = c
        .get_service_network_service_association()
        .service_network_service_association_identifier(a_id)
        .send()
        .await
        .expect("get snsa");
    assert_eq!(got.service_name(), Some("cart"));
    assert_eq!(got.service_network_name(), Some("mesh"));
    let v = c
        .create_service_network_vpc_association()
        .service_network_identifier(sn_id)
        .vpc_identifier("vpc-0123456789abcdef0")
        .security_group_ids("sg-0123456789abcdef0")
        .send()
        .await
        .expect("snva");
    let v_id = v.id().expect("snva id");
    assert!(v_id.starts_with("snva-") && v_id.len() == 22);
    let up = c
        .update_service_network_vpc_association()
        .service_network_vpc_association_identifier(v_id)
        .security_group_ids("sg-0123456789abcdef1")
        .send()
        .await
        .expect("update snva");
    assert_eq!(
        up.security_group_ids(),
        ["sg-0123456789abcdef1".to_string()]
    );
    let g = c
        .get_service_network_service_association()
        .service_network_service_association_identifier(a_id)
        .send()
        .await;
    assert!(g.is_ok());
    let gv = c
        .get_service_network_vpc_association()
        .service_network_vpc_association_identifier(v_id)
        .send()
        .await;
    assert_eq!(
        gv.expect("get snva").vpc_id(),
        Some("vpc-0123456789abcdef0")
    );
    let counts = c
        .get_service_network()
        .service_network_identifier(sn_id)
        .send()
        .await
        .expect("get sn");
    assert_eq!(
        (
            counts.number_of_associated_services(),
            counts.number_of_associated_vpcs()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(
        code(
            &c.delete_service_network()
                .service_network_identifier(sn_id)
                .send()
                .await
        ),
        "ConflictException"
    );
    assert_eq!(
        code(&c.delete_service().service_identifier(svc_id).send().await),
        "ConflictException"
    );
    let listed = c
        .list_service_network_service_associations()
        .service_network_identifier(sn_id)
        .send()
        .await;
    assert_eq!(listed.expect("list snsa").items().len(), 1);
    let listed = c
        .list_service_network_vpc_associations()
        .service_network_identifier(sn_id)
        .send()
        .await;
    assert_eq!(listed.expect("list snva").items().len(), 1);
    c.delete_service_network_service_association()
        .service_network_service_association_identifier(a_id)
        .send()
        .await
        .expect("del snsa");
    c.delete_service_network_vpc_association()
        .service_network_vpc_association_identifier(v_id)
        .send()
        .await
        .expect("del snva");
    c.delete_service()
        .service_identifier(svc_id)
        .send()
        .await
        .expect("del svc");
    c.delete_service_network()
        .service_network_identifier(sn_id)
        .send()
        .await
        .expect("del sn");
}

#[tokio::test]
async fn auth_and_resource_policies_round_trip() {
    let sim = start().await;
    let c = client(&sim.url());
    let svc = c
        .create_service()
        .name("secure")
        .auth_type(AuthType::AwsIam)
        .send()
        .await
        .expect("svc");
    let svc_id = svc.id().expect("id");
    assert_eq!(
        code(&c.get_auth_policy().resource_identifier(svc_id).send().await),
        "ResourceNotFoundException"
    );
    let put = c
        .put_auth_policy()
        .resource_identifier(svc_id)
        .policy(POLICY)
        .send()
        .await
        .expect("put");
    assert_eq!(put.state(), Some(&AuthPolicyState::Active));
    let got = c
        .get_auth_policy()
        .resource_identifier(svc.arn().expect("arn"))
        .send()
        .await
        .expect("get");
    assert_eq!(got.policy(), Some(POLICY));
    assert_eq!(
        code(
            &c.put_auth_policy()
                .resource_identifier(svc_id)
                .policy("not json")
                .send()
                .await
        ),
        "ValidationException"
    );
    c.delete_auth_policy()
        .resource_identifier(svc_id)
        .send()
        .await
        .expect("delete");
    assert_eq!(
        code(&c.get_auth_policy().resource_identifier(svc_id).send().await),
        "ResourceNotFoundException"
    );
    let arn = svc.arn().expect("arn");
    c.put_resource_policy()
        .resource_arn(arn)
        .policy(POLICY)
        .send()
        .await
        .expect("put rp");
    assert_eq!(
        c.get_resource_policy()
            .resource_arn(arn)
            .send()
            .await
            .expect("get rp")
            .policy(),
        Some(POLICY)
    );
    c.delete_resource_policy()
        .resource_arn(arn)
        .send()
        .await
        .expect("del rp");
    assert_eq!(
        code(&c.get_resource_policy().resource_arn(arn).send().await),
        "ResourceNotFoundException"
    );
}

#[tokio::test]
async fn access_log_subscriptions_allow_one_per_destination_type() {
    let sim = start().await;
    let c = client(&sim.url());
    let sn = c
        .create_service_network()
        .name("logged")
        .send()
        .await
        .expect("sn");
    let sn_id = sn.id().expect("id");
    let s3 = "arn:aws:s3:::lattice-logs";
    let a = c
        .create_access_log_subscription()
        .resource_identifier(sn_id)
        .destination_arn(s3)
        .send()
        .await
        .expect("als");
    assert!(a.id().starts_with("als-"));
    assert_eq!(a.resource_arn(), sn.arn().expect("arn"));
    let dup = c
        .create_access_log_subscription()
        .resource_identifier(sn_id)
        .destination_arn("arn:aws:s3:::other-bucket")
        .send()
        .await;
    assert_eq!(code(&dup), "ConflictException");
    let logs = "arn:aws:logs:us-west-2:111122223333:log-group:lattice";
    c.create_access_log_subscription()
        .resource_identifier(sn_id)
        .destination_arn(logs)
        .send()
        .await
        .expect("logs als");
    let up = c
        .update_access_log_subscription()
        .access_log_subscription_identifier(a.id())
        .destination_arn("arn:aws:s3:::new-bucket")
        .send()
        .await
        .expect("update");
    assert_eq!(up.destination_arn(), "arn:aws:s3:::new-bucket");
    let got = c
        .get_access_log_subscription()
        .access_log_subscription_identifier(a.arn())
        .send()
        .await
        .expect("get");
    assert_eq!(got.destination_arn(), "arn:aws:s3:::new-bucket");
    let list = c
        .list_access_log_subscriptions()
        .resource_identifier(sn_id)
        .send()
        .await
        .expect("list");
    assert_eq!(list.items().len(), 2);
    c.delete_access_log_subscription()
        .access_log_subscription_identifier(a.id())
        .send()
        .await
        .expect("delete");
    let gone = c
        .get_access_log_subscription()
        .access_log_subscription_identifier(a.id())
        .send()
        .await;
    assert_eq!(code(&gone), "ResourceNotFoundException");
}

#[tokio::test]
async fn tags_are_added_listed_and_removed_by_arn() {
    let sim = start().await;
    let c = client(&sim.url());
    let svc = c
        .create_service()
        .name("tagged")
        .tags("a", "1")
        .send()
        .await
        .expect("svc");
    let arn = svc.arn().expect("arn");
    c.tag_resource()
        .resource_arn(arn)
        .tags("b", "2")
        .tags("c", "3")
        .send()
        .await
        .expect("tag");
    c.untag_resource()
        .resource_arn(arn)
        .tag_keys("a")
        .tag_keys("c")
        .send()
        .await
        .expect("untag");
    let tags = c
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .expect("list");
    let keys: Vec<&String> = tags.tags().map(|t| t.keys().collect()).unwrap_or_default();
    assert_eq!(keys, ["b"]);
    let missing = c
        .list_tags_for_resource()
        .resource_arn("arn:aws:vpc-lattice:us-west-2:111122223333:service/svc-0123456789abcdef0")
        .send()
        .await;
    assert_eq!(code(&missing), "ResourceNotFoundException");
    let mut too_many = c.create_service().name("overtagged");
    for i in 0..51 {
        too_many = too_many.tags(format!("k{i}"), "v");
    }
    assert_eq!(
        code(&too_many.send().await),
        "ValidationException",
        "51 tags exceed the quota of 50"
    );
}

#[tokio::test]
async fn list_calls_paginate_with_max_results_and_next_token() {
    let sim = start_with(SimConfig {
        quotas: Quotas::unlimited(),
        ..SimConfig::default()
    })
    .await;
    let c = client(&sim.url());
    for i in 0..7 {
        c.create_service()
            .name(format!("page-{i}"))
            .send()
            .await
            .expect("svc");
    }
    let first = c
        .list_services()
        .max_results(3)
        .send()
        .await
        .expect("page 1");
    assert_eq!(first.items().len(), 3);
    assert!(first.next_token().is_some());
    let all: Vec<ServiceSummary> = c
        .list_services()
        .max_results(3)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("paginate");
    let names: Vec<&str> = all.iter().filter_map(|s| s.name()).collect();
    assert_eq!(
        names,
        [
            "page-0", "page-1", "page-2", "page-3", "page-4", "page-5", "page-6"
        ]
    );
    assert_eq!(
        code(&c.list_services().max_results(101).send().await),
        "ValidationException"
    );
    assert_eq!(
        code(&c.list_services().next_token("bogus").send().await),
        "ValidationException"
    );
}

#[tokio::test]
async fn client_token_makes_creates_idempotent() {
    let sim = start().await;
    let c = client(&sim.url());
    let a = c
        .create_service()
        .name("once")
        .client_token("tok-1")
        .send()
        .await
        .expect("first");
    let b = c
        .create_service()
        .name("once")
        .client_token("tok-1")
        .send()
        .await
        .expect("retry");
    assert_eq!(a.id(), b.id());
    let other = c
        .create_service()
        .name("twice")
        .client_token("tok-1")
        .send()
        .await;
    assert_eq!(code(&other), "ConflictException");
    assert_eq!(
        c.list_services().send().await.expect("list").items().len(),
        1
    );
}

#[tokio::test]
async fn status_moves_from_create_in_progress_to_active_after_the_delay() {
    let sim = start_with(SimConfig {
        status_delay: Duration::from_millis(300),
        ..SimConfig::default()
    })
    .await;
    let c = client(&sim.url());
    let svc = c.create_service().name("slow").send().await.expect("svc");
    assert_eq!(svc.status(), Some(&ServiceStatus::CreateInProgress));
    tokio::time::sleep(Duration::from_millis(350)).await;
    let got = c
        .get_service()
        .service_identifier(svc.id().expect("id"))
        .send()
        .await
        .expect("get");
    assert_eq!(got.status(), Some(&ServiceStatus::Active));
}

#[tokio::test]
async fn quotas_default_to_aws_limits_and_can_be_changed() {
    let sim = start().await;
    let c = client(&sim.url());
    for i in 0..10 {
        c.create_service_network()
            .name(format!("net-{i}"))
            .send()
            .await
            .expect("within quota");
    }
    let over = c.create_service_network().name("net-10").send().await;
    assert_eq!(code(&over), "ServiceQuotaExceededException");
    sim.set_quotas(Quotas {
        service_networks: 11,
        ..Quotas::default()
    });
    c.create_service_network()
        .name("net-10")
        .send()
        .await
        .expect("raised quota");
}
