//! aws-sdk-vpclattice against lattice-sim: service networks, services, target groups and
//! targets.

use crate::common;

use aws_sdk_vpclattice::types::*;
use common::{client, code, ip_config, start};

#[tokio::test]
async fn service_network_lifecycle_uses_lattice_ids_and_rejects_duplicates() {
    let sim = start().await;
    let c = client(&sim.url());
    let sn = c
        .create_service_network()
        .name("sn-one")
        .auth_type(AuthType::AwsIam)
        .send()
        .await
        .expect("create");
    let id = sn.id().expect("id").to_string();
    assert!(id.starts_with("sn-") && id.len() == 20, "{id}");
    assert_eq!(
        sn.arn(),
        Some(format!("arn:aws:vpc-lattice:us-west-2:111122223333:servicenetwork/{id}").as_str())
    );
    let dup = c.create_service_network().name("sn-one").send().await;
    assert_eq!(code(&dup), "ConflictException");
    let got = c
        .get_service_network()
        .service_network_identifier(sn.arn().expect("arn"))
        .send()
        .await
        .expect("get");
    assert_eq!(got.auth_type(), Some(&AuthType::AwsIam));
    assert!(got.created_at().is_some());
    let up = c
        .update_service_network()
        .service_network_identifier(&id)
        .auth_type(AuthType::None)
        .send()
        .await;
    assert_eq!(up.expect("update").auth_type(), Some(&AuthType::None));
    let bad = c.create_service_network().name("Bad--Name").send().await;
    assert_eq!(code(&bad), "ValidationException");
    c.delete_service_network()
        .service_network_identifier(&id)
        .send()
        .await
        .expect("delete");
    let gone = c
        .get_service_network()
        .service_network_identifier(&id)
        .send()
        .await;
    assert_eq!(code(&gone), "ResourceNotFoundException");
    assert_eq!(sim.call_counts().get("CreateServiceNetwork"), Some(&3));
}

#[tokio::test]
async fn service_lifecycle_reports_status_dns_and_reserved_prefix() {
    let sim = start().await;
    let c = client(&sim.url());
    let svc = c
        .create_service()
        .name("checkout")
        .tags("team", "pay")
        .send()
        .await
        .expect("create");
    let id = svc.id().expect("id");
    assert!(id.starts_with("svc-") && id.len() == 21);
    assert_eq!(svc.status(), Some(&ServiceStatus::Active));
    assert!(
        svc.dns_entry()
            .and_then(|d| d.domain_name())
            .is_some_and(|d| d.contains("vpc-lattice-svcs.us-west-2"))
    );
    assert_eq!(
        code(&c.create_service().name("svc-reserved").send().await),
        "ValidationException"
    );
    let up = c
        .update_service()
        .service_identifier(id)
        .auth_type(AuthType::AwsIam)
        .send()
        .await
        .expect("update");
    assert_eq!(up.auth_type(), Some(&AuthType::AwsIam));
    let got = c
        .get_service()
        .service_identifier(id)
        .send()
        .await
        .expect("get");
    assert_eq!(got.name(), Some("checkout"));
    let listed = c.list_services().send().await.expect("list");
    assert_eq!(listed.items().len(), 1);
    let del = c
        .delete_service()
        .service_identifier(id)
        .send()
        .await
        .expect("delete");
    assert_eq!(del.status(), Some(&ServiceStatus::DeleteInProgress));
    assert_eq!(
        code(&c.get_service().service_identifier(id).send().await),
        "ResourceNotFoundException"
    );
}

#[tokio::test]
async fn targets_register_list_with_statuses_and_deregister() {
    let sim = start().await;
    let c = client(&sim.url());
    let tg = c
        .create_target_group()
        .name("pods")
        .r#type(TargetGroupType::Ip)
        .config(ip_config())
        .send()
        .await
        .expect("tg");
    let tg_id = tg.id().expect("tg");
    assert!(tg_id.starts_with("tg-") && tg_id.len() == 20);
    let reg = c
        .register_targets()
        .target_group_identifier(tg_id)
        .targets(Target::builder().id("10.0.0.1").build().expect("t"))
        .targets(
            Target::builder()
                .id("10.0.0.2")
                .port(9090)
                .build()
                .expect("t"),
        )
        .targets(Target::builder().id("not-an-ip").build().expect("t"))
        .send()
        .await
        .expect("register");
    assert_eq!(reg.successful().len(), 2);
    assert_eq!(reg.unsuccessful().len(), 1);
    let listed = c
        .list_targets()
        .target_group_identifier(tg_id)
        .send()
        .await
        .expect("list");
    assert_eq!(listed.items().len(), 2);
    assert!(
        listed
            .items()
            .iter()
            .all(|t| t.status() == Some(&TargetStatus::Unused))
    );
    assert!(listed.items().iter().any(|t| t.port() == Some(8080)));
    c.deregister_targets()
        .target_group_identifier(tg_id)
        .targets(
            Target::builder()
                .id("10.0.0.1")
                .port(8080)
                .build()
                .expect("t"),
        )
        .send()
        .await
        .expect("deregister");
    let after = c
        .list_targets()
        .target_group_identifier(tg_id)
        .send()
        .await
        .expect("list");
    assert_eq!(after.items().len(), 1);
    let hc = HealthCheckConfig::builder().enabled(false).build();
    let up = c
        .update_target_group()
        .target_group_identifier(tg_id)
        .health_check(hc)
        .send()
        .await
        .expect("update");
    assert_eq!(
        up.config()
            .and_then(|c| c.health_check())
            .and_then(|h| h.enabled()),
        Some(false)
    );
    let tgs = c
        .list_target_groups()
        .target_group_type(TargetGroupType::Ip)
        .send()
        .await
        .expect("list tgs");
    assert_eq!(tgs.items().len(), 1);
    c.delete_target_group()
        .target_group_identifier(tg_id)
        .send()
        .await
        .expect("delete");
    assert_eq!(
        code(
            &c.get_target_group()
                .target_group_identifier(tg_id)
                .send()
                .await
        ),
        "ResourceNotFoundException"
    );
}

#[tokio::test]
async fn a_tcp_target_group_keeps_the_health_check_it_is_given_over_http_only() {
    let sim = start().await;
    let c = client(&sim.url());
    let tcp = |hc: Option<HealthCheckConfig>| {
        TargetGroupConfig::builder()
            .port(8443)
            .protocol(TargetGroupProtocol::Tcp)
            .vpc_identifier("vpc-0123456789abcdef0")
            .set_health_check(hc)
            .build()
    };
    let bare = c
        .create_target_group()
        .name("tcp-bare")
        .r#type(TargetGroupType::Ip)
        .config(tcp(None))
        .send()
        .await
        .expect("create");
    assert!(bare.config().and_then(|c| c.health_check()).is_none());
    let over_tcp = HealthCheckConfig::builder()
        .protocol(TargetGroupProtocol::Tcp)
        .build();
    let refused = c
        .create_target_group()
        .name("tcp-refused")
        .r#type(TargetGroupType::Ip)
        .config(tcp(Some(over_tcp.clone())))
        .send()
        .await;
    assert_eq!(code(&refused), "ValidationException");
    let over_http = HealthCheckConfig::builder()
        .path("/ready")
        .matcher(Matcher::HttpCode("200-299".into()))
        .build();
    let made = c
        .create_target_group()
        .name("tcp-checked")
        .r#type(TargetGroupType::Ip)
        .config(tcp(Some(over_http)))
        .send()
        .await
        .expect("create");
    let got = c
        .get_target_group()
        .target_group_identifier(made.id().expect("id"))
        .send()
        .await
        .expect("get");
    let hc = got.config().and_then(|c| c.health_check()).expect("kept");
    assert_eq!(hc.path(), Some("/ready"));
    assert_eq!(hc.protocol(), Some(&TargetGroupProtocol::Http));
    assert_eq!(hc.matcher(), Some(&Matcher::HttpCode("200-299".into())));
    let update = c
        .update_target_group()
        .target_group_identifier(made.id().expect("id"))
        .health_check(over_tcp)
        .send()
        .await;
    assert_eq!(code(&update), "ValidationException");
}

/// Target groups live in a VPC (issue 13): two clusters whose pods share
/// addresses register them in groups of their own VPCs, each group holding
/// its own, and a list by VPC shows each VPC's only.
#[tokio::test]
async fn the_same_address_in_groups_of_two_vpcs_is_two_targets() {
    let sim = start().await;
    let c = client(&sim.url());
    let mut ids = vec![];
    for (name, vpc) in [
        ("east-inv", "vpc-0east000000000000"),
        ("west-inv", "vpc-0west000000000000"),
    ] {
        let config = TargetGroupConfig::builder()
            .port(80)
            .protocol(TargetGroupProtocol::Http)
            .vpc_identifier(vpc)
            .build();
        let tg = c
            .create_target_group()
            .name(name)
            .r#type(TargetGroupType::Ip)
            .config(config)
            .send()
            .await
            .expect("create");
        let id = tg.id().expect("id").to_string();
        let target = Target::builder()
            .id("10.0.1.11")
            .port(8090)
            .build()
            .expect("target");
        let r = c
            .register_targets()
            .target_group_identifier(&id)
            .targets(target)
            .send()
            .await
            .expect("register");
        assert_eq!(r.successful().len(), 1, "{r:?}");
        ids.push((id, vpc));
    }
    for (id, vpc) in &ids {
        let ts = c
            .list_targets()
            .target_group_identifier(id)
            .send()
            .await
            .expect("list");
        let held: Vec<_> = ts.items().iter().map(|t| (t.id(), t.port())).collect();
        assert_eq!(held, vec![(Some("10.0.1.11"), Some(8090))]);
        let in_vpc = c
            .list_target_groups()
            .vpc_identifier(*vpc)
            .send()
            .await
            .expect("list");
        let names: Vec<_> = in_vpc.items().iter().filter_map(|t| t.id()).collect();
        assert_eq!(names, vec![id.as_str()]);
    }
}
