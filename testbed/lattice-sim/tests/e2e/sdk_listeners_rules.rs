//! aws-sdk-vpclattice against lattice-sim: listeners and rules, including BatchUpdateRule
//! and the validation and conflict rules Lattice applies to them.

use crate::common;

use aws_sdk_vpclattice::types::*;
use common::{client, code, code_msg, forward, ip_config, prefix, start};

#[tokio::test]
async fn listener_rules_enforce_ports_priorities_and_limits() {
    let sim = start().await;
    let c = client(&sim.url());
    let svc = c.create_service().name("web").send().await.expect("svc");
    let svc_id = svc.id().expect("id");
    let tg = c
        .create_target_group()
        .name("web-tg")
        .r#type(TargetGroupType::Ip)
        .config(ip_config())
        .send()
        .await
        .expect("tg");
    let tg_id = tg.id().expect("tg id");
    let l = c
        .create_listener()
        .service_identifier(svc_id)
        .name("http")
        .protocol(ListenerProtocol::Http)
        .default_action(forward(&[(tg_id, 1)]))
        .send()
        .await
        .expect("listener");
    assert_eq!(l.port(), Some(80));
    let lid = l.id().expect("listener id");
    assert!(lid.starts_with("listener-"));
    let dup_port = c
        .create_listener()
        .service_identifier(svc_id)
        .name("other")
        .protocol(ListenerProtocol::Http)
        .port(80)
        .default_action(forward(&[(tg_id, 1)]))
        .send()
        .await;
    assert_eq!(code(&dup_port), "ConflictException");
    let r1 = c
        .create_rule()
        .service_identifier(svc_id)
        .listener_identifier(lid)
        .name("api")
        .priority(10)
        .r#match(prefix("/api"))
        .action(forward(&[(tg_id, 100)]))
        .send()
        .await
        .expect("rule");
    assert!(r1.id().expect("rule id").starts_with("rule-"));
    let dup_prio = c
        .create_rule()
        .service_identifier(svc_id)
        .listener_identifier(lid)
        .name("api2")
        .priority(10)
        .r#match(prefix("/b"))
        .action(forward(&[(tg_id, 1)]))
        .send()
        .await;
    assert_eq!(code(&dup_prio), "ConflictException");
    let bad_prio = c
        .create_rule()
        .service_identifier(svc_id)
        .listener_identifier(lid)
        .name("xx1")
        .priority(2001)
        .r#match(prefix("/c"))
        .action(forward(&[(tg_id, 1)]))
        .send()
        .await;
    let (c1, m1) = code_msg(&bad_prio);
    assert!(
        c1 == "ValidationException" && m1.contains("priority"),
        "{c1}: {m1}"
    );
    let bad_weight = c
        .create_rule()
        .service_identifier(svc_id)
        .listener_identifier(lid)
        .name("xx2")
        .priority(11)
        .r#match(prefix("/d"))
        .action(forward(&[(tg_id, 1000)]))
        .send()
        .await;
    let (c2, m2) = code_msg(&bad_weight);
    assert!(
        c2 == "ValidationException" && m2.contains("weight"),
        "{c2}: {m2}"
    );
    let eleven: Vec<(&str, i32)> = (0..11).map(|_| (tg_id, 1)).collect();
    let too_many = c
        .create_rule()
        .service_identifier(svc_id)
        .listener_identifier(lid)
        .name("xx3")
        .priority(12)
        .r#match(prefix("/e"))
        .action(forward(&eleven))
        .send()
        .await;
    let (c3, m3) = code_msg(&too_many);
    assert!(
        c3 == "ValidationException" && m3.contains("targetGroups"),
        "{c3}: {m3}"
    );
    let hm = HeaderMatch::builder()
        .name("x")
        .r#match(HeaderMatchType::Exact("1".into()))
        .build()
        .expect("hm");
    let six = RuleMatch::HttpMatch(
        HttpMatch::builder()
            .set_header_matches(Some(vec![hm; 6]))
            .build(),
    );
    let six_headers = c
        .create_rule()
        .service_identifier(svc_id)
        .listener_identifier(lid)
        .name("xx4")
        .priority(13)
        .r#match(six)
        .action(forward(&[(tg_id, 1)]))
        .send()
        .await;
    let err = six_headers.expect_err("six header matches");
    let field_list = err.into_service_error();
    let CreateRuleErrorKind::ValidationException(v) = field_list else {
        panic!("not a validation error")
    };
    assert!(
        v.field_list()
            .iter()
            .any(|f| f.name().contains("headerMatches"))
    );
    let rules = c
        .list_rules()
        .service_identifier(svc_id)
        .listener_identifier(lid)
        .send()
        .await
        .expect("rules");
    assert_eq!(rules.items().len(), 2, "default rule + api");
    assert!(rules.items().iter().any(|r| r.is_default() == Some(true)));
    let in_use = c
        .delete_target_group()
        .target_group_identifier(tg_id)
        .send()
        .await;
    assert_eq!(code(&in_use), "ConflictException");
    let svc_in_use = c
        .get_target_group()
        .target_group_identifier(tg_id)
        .send()
        .await
        .expect("tg get");
    assert_eq!(
        svc_in_use.service_arns(),
        [svc.arn().expect("arn").to_string()]
    );
}

type CreateRuleErrorKind = aws_sdk_vpclattice::operation::create_rule::CreateRuleError;

#[tokio::test]
async fn batch_update_rule_swaps_priorities_in_one_call() {
    let sim = start().await;
    let c = client(&sim.url());
    let svc_id = c
        .create_service()
        .name("swap")
        .send()
        .await
        .expect("svc")
        .id()
        .expect("id")
        .to_string();
    let tg = c
        .create_target_group()
        .name("swap-tg")
        .r#type(TargetGroupType::Ip)
        .config(ip_config())
        .send()
        .await
        .expect("tg");
    let tg_id = tg.id().expect("tg");
    let l = c
        .create_listener()
        .service_identifier(&svc_id)
        .name("http")
        .protocol(ListenerProtocol::Http)
        .default_action(RuleAction::FixedResponse(
            FixedResponseAction::builder()
                .status_code(404)
                .build()
                .expect("fr"),
        ))
        .send()
        .await
        .expect("listener");
    let lid = l.id().expect("lid");
    let mk = |name: &'static str, p: i32, path: &'static str| {
        c.create_rule()
            .service_identifier(&svc_id)
            .listener_identifier(lid)
            .name(name)
            .priority(p)
            .r#match(prefix(path))
            .action(forward(&[(tg_id, 1)]))
            .send()
    };
    let a = mk("aaa", 1, "/a")
        .await
        .expect("a")
        .id()
        .expect("a")
        .to_string();
    let b = mk("bbb", 2, "/b")
        .await
        .expect("b")
        .id()
        .expect("b")
        .to_string();
    let swap = c
        .batch_update_rule()
        .service_identifier(&svc_id)
        .listener_identifier(lid)
        .rules(
            RuleUpdate::builder()
                .rule_identifier(&a)
                .priority(2)
                .build()
                .expect("ru"),
        )
        .rules(
            RuleUpdate::builder()
                .rule_identifier(&b)
                .priority(1)
                .build()
                .expect("ru"),
        )
        .send()
        .await
        .expect("batch");
    assert_eq!(swap.successful().len(), 2);
    assert!(swap.unsuccessful().is_empty());
    let got = c
        .get_rule()
        .service_identifier(&svc_id)
        .listener_identifier(lid)
        .rule_identifier(&a)
        .send()
        .await
        .expect("get");
    assert_eq!(got.priority(), Some(2));
    let clash = c
        .update_rule()
        .service_identifier(&svc_id)
        .listener_identifier(lid)
        .rule_identifier(&a)
        .priority(1)
        .send()
        .await;
    assert_eq!(code(&clash), "ConflictException");
    let missing = c
        .batch_update_rule()
        .service_identifier(&svc_id)
        .listener_identifier(lid)
        .rules(
            RuleUpdate::builder()
                .rule_identifier("rule-0123456789abcdef0")
                .priority(7)
                .build()
                .expect("ru"),
        )
        .send()
        .await
        .expect("batch with unknown rule");
    assert_eq!(missing.unsuccessful().len(), 1);
    let up = c
        .update_listener()
        .service_identifier(&svc_id)
        .listener_identifier(lid)
        .default_action(forward(&[(tg_id, 5)]))
        .send()
        .await
        .expect("update listener");
    assert!(matches!(up.default_action(), Some(RuleAction::Forward(_))));
    c.delete_rule()
        .service_identifier(&svc_id)
        .listener_identifier(lid)
        .rule_identifier(&b)
        .send()
        .await
        .expect("del rule");
    let l2 = c
        .get_listener()
        .service_identifier(&svc_id)
        .listener_identifier(lid)
        .send()
        .await
        .expect("get listener");
    assert_eq!(l2.name(), Some("http"));
    assert_eq!(
        c.list_listeners()
            .service_identifier(&svc_id)
            .send()
            .await
            .expect("ll")
            .items()
            .len(),
        1
    );
    c.delete_listener()
        .service_identifier(&svc_id)
        .listener_identifier(lid)
        .send()
        .await
        .expect("del listener");
    let gone = c
        .get_rule()
        .service_identifier(&svc_id)
        .listener_identifier(lid)
        .rule_identifier(&a)
        .send()
        .await;
    assert_eq!(code(&gone), "ResourceNotFoundException");
}

#[tokio::test]
async fn deleting_a_service_takes_its_listeners_and_rules_and_frees_its_name() {
    let sim = start().await;
    let c = client(&sim.url());
    let svc = c
        .create_service()
        .name("gone-soon")
        .send()
        .await
        .expect("svc");
    let svc_id = svc.id().expect("id");
    let tg = c
        .create_target_group()
        .name("gone-tg")
        .r#type(TargetGroupType::Ip)
        .config(ip_config())
        .send()
        .await
        .expect("tg");
    let tg_id = tg.id().expect("tg");
    let l = c
        .create_listener()
        .service_identifier(svc_id)
        .name("http")
        .protocol(ListenerProtocol::Http)
        .default_action(forward(&[(tg_id, 1)]))
        .send()
        .await
        .expect("listener");
    c.create_rule()
        .service_identifier(svc_id)
        .listener_identifier(l.id().expect("lid"))
        .name("one")
        .priority(1)
        .r#match(prefix("/one"))
        .action(forward(&[(tg_id, 1)]))
        .send()
        .await
        .expect("rule");
    c.delete_service()
        .service_identifier(svc_id)
        .send()
        .await
        .expect("delete");
    let dump = sim.state_dump();
    assert_eq!(dump["listeners"].as_object().map(|m| m.len()), Some(0));
    assert_eq!(dump["rules"].as_object().map(|m| m.len()), Some(0));
    assert_eq!(
        dump["tags"].as_object().map(|m| m.len()),
        Some(1),
        "only the target group's tags remain"
    );
    c.delete_target_group()
        .target_group_identifier(tg_id)
        .send()
        .await
        .expect("tg no longer in use");
    c.create_service()
        .name("gone-soon")
        .send()
        .await
        .expect("name is free again");
}

#[tokio::test]
async fn a_target_group_serves_one_service_and_tls_listeners_take_no_rules() {
    let sim = start().await;
    let c = client(&sim.url());
    let a = c.create_service().name("svc-one-a").send().await;
    assert_eq!(
        code(&a),
        "ValidationException",
        "the svc- prefix is reserved"
    );
    let a = c.create_service().name("one-a").send().await.expect("a");
    let b = c.create_service().name("one-b").send().await.expect("b");
    let tg = c
        .create_target_group()
        .name("shared")
        .r#type(TargetGroupType::Ip)
        .config(ip_config())
        .send()
        .await
        .expect("tg");
    let tg_id = tg.id().expect("tg");
    let listener = |svc: String, proto: ListenerProtocol| {
        c.create_listener()
            .service_identifier(svc)
            .name("main")
            .protocol(proto)
            .default_action(forward(&[(tg_id, 1)]))
            .send()
    };
    let la = listener(a.id().expect("a").into(), ListenerProtocol::TlsPassthrough)
        .await
        .expect("tls listener");
    assert_eq!(la.port(), Some(443));
    let lb = listener(b.id().expect("b").into(), ListenerProtocol::Http).await;
    assert_eq!(code(&lb), "ConflictException");
    let rule = c
        .create_rule()
        .service_identifier(a.id().expect("a"))
        .listener_identifier(la.id().expect("lid"))
        .name("nope")
        .priority(1)
        .r#match(prefix("/"))
        .action(forward(&[(tg_id, 1)]))
        .send()
        .await;
    assert_eq!(code(&rule), "ValidationException");
}
