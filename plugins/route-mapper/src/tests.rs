use super::*;
use lattice_plugin_sdk::testing::*;

fn map(route: Route) -> MappingResult {
    lattice_plugin_sdk::map_routes::<RouteMapper>("", &[route]).remove(0)
}

fn path_of(r: &MappedRule) -> (LatticePathType, &str) {
    let p = r.r#match.path.as_ref().expect("path");
    (p.path_type, p.value.as_str())
}

fn by_priority(res: &MappingResult) -> Vec<(LatticePathType, &str)> {
    let mut rules: Vec<_> = res.rules.iter().collect();
    rules.sort_by_key(|r| r.priority);
    rules.into_iter().map(path_of).collect()
}

#[test]
fn exact_path_maps_to_exact_and_prefix_to_prefix() {
    let res = map(http_route("ns", "r")
        .rule(rule().matching(path_exact("/a")))
        .rule(rule().matching(path_prefix("/b")))
        .build());
    assert!(res.diagnostics.is_empty());
    let paths = by_priority(&res);
    assert_eq!(
        paths,
        vec![
            (LatticePathType::Exact, "/a"),
            (LatticePathType::Prefix, "/b")
        ]
    );
    assert!(
        res.rules
            .iter()
            .all(|r| r.r#match.path.as_ref().unwrap().case_sensitive)
    );
}

#[test]
fn case_sensitivity_comes_from_settings() {
    let route = http_route("ns", "r")
        .rule(rule().matching(path_prefix("/b")))
        .build();
    let res = lattice_plugin_sdk::map_routes::<RouteMapper>(r#"{"caseSensitive":false}"#, &[route])
        .remove(0);
    assert!(!res.rules[0].r#match.path.as_ref().unwrap().case_sensitive);
}

#[test]
fn unknown_settings_are_rejected() {
    assert!(
        lattice_plugin_sdk::parse_settings::<RouteMapper>(r#"{"caseSensitiv":false}"#).is_err()
    );
    assert!(lattice_plugin_sdk::parse_settings::<RouteMapper>("").is_ok());
}

#[test]
fn header_and_method_matches_map_to_exact_and_method() {
    let res = map(http_route("ns", "r")
        .rule(rule().matching(http_match(None, Some("GET"), &[("x-canary", "1")], &[])))
        .build());
    let m = &res.rules[0].r#match;
    assert_eq!(m.method.as_deref(), Some("GET"));
    assert_eq!(m.headers.len(), 1);
    assert_eq!(m.headers[0].header_type, LatticeHeaderType::Exact);
    assert_eq!(m.headers[0].value, "1");
    assert_eq!(path_of(&res.rules[0]), (LatticePathType::Prefix, "/"));
}

#[test]
fn rule_without_matches_maps_to_prefix_slash() {
    let res = map(http_route("ns", "r").rule(rule()).build());
    assert_eq!(res.rules.len(), 1);
    assert_eq!(res.rules[0].match_index, None);
    assert_eq!(path_of(&res.rules[0]), (LatticePathType::Prefix, "/"));
}

#[test]
fn rule_with_two_matches_becomes_two_lattice_rules_with_the_same_action() {
    let res = map(http_route("ns", "r")
        .rule(
            rule()
                .matching(path_prefix("/x"))
                .matching(path_prefix("/y")),
        )
        .build());
    assert_eq!(res.rules.len(), 2);
    assert!(
        res.rules
            .iter()
            .all(|r| r.rule_index == 0 && r.action == RuleAction::Forward)
    );
    let mut mi: Vec<_> = res.rules.iter().map(|r| r.match_index).collect();
    mi.sort();
    assert_eq!(mi, vec![Some(0), Some(1)]);
}

#[test]
fn priorities_follow_gateway_api_precedence_not_list_order() {
    let res = map(http_route("ns", "r")
        .rule(rule().matching(path_prefix("/")))
        .rule(rule().matching(path_prefix("/api")))
        .rule(rule().matching(http_match(
            Some((MatchType::PathPrefix, "/api")),
            Some("POST"),
            &[],
            &[],
        )))
        .rule(rule().matching(http_match(
            Some((MatchType::PathPrefix, "/api")),
            Some("POST"),
            &[("a", "1")],
            &[],
        )))
        .rule(rule().matching(path_exact("/api/health")))
        .rule(rule().matching(path_prefix("/api/v2")))
        .build());
    let mut rules = res.rules.clone();
    rules.sort_by_key(|r| r.priority);
    let order: Vec<u32> = rules.iter().map(|r| r.rule_index).collect();
    assert_eq!(order, vec![4, 5, 3, 2, 1, 0]);
}

#[test]
fn list_order_breaks_ties() {
    let res = map(http_route("ns", "r")
        .rule(rule().matching(path_prefix("/same")))
        .rule(rule().matching(path_prefix("/same")))
        .build());
    let p: Vec<_> = res
        .rules
        .iter()
        .map(|r| (r.rule_index, r.priority))
        .collect();
    assert!(p[0].1 < p[1].1, "{p:?}");
}

#[test]
fn priorities_are_unique_and_in_range() {
    let mut b = http_route("ns", "r");
    for i in 0..300 {
        b = b.rule(rule().matching(path_prefix(&format!("/p{}", i % 7))));
    }
    let res = map(b.build());
    let mut ps: Vec<u32> = res.rules.iter().map(|r| r.priority).collect();
    assert!(ps.iter().all(|p| (1..=2000).contains(p)));
    ps.sort();
    ps.dedup();
    assert_eq!(ps.len(), 300);
}

#[test]
fn adding_an_unrelated_rule_keeps_existing_priorities() {
    let base = http_route("ns", "r")
        .rule(rule().matching(path_prefix("/api")))
        .rule(rule().matching(path_exact("/login")));
    let before = map(base.clone().build());
    let after = map(base
        .rule(rule().matching(path_prefix("/static/assets")))
        .build());
    for r in &before.rules {
        let same = after
            .rules
            .iter()
            .find(|a| a.rule_index == r.rule_index)
            .unwrap();
        assert_eq!(same.priority, r.priority);
    }
}

#[test]
fn priority_annotation_overrides_precedence_with_the_go_controllers_numbers() {
    // The Go controller writes the number as the Lattice priority, and
    // Lattice evaluates the lowest first: `/api` (100) before `/api/v2`
    // (200), against Gateway API precedence. Unannotated rules follow, by
    // precedence (the exact path).
    let res = map(http_route("ns", "r")
        .annotation("application-networking.k8s.aws/rule-0-priority", "200")
        .annotation("application-networking.k8s.aws/rule-1-priority", "100")
        .rule(rule().matching(path_prefix("/api/v2")))
        .rule(rule().matching(path_prefix("/api")))
        .rule(rule().matching(path_exact("/exact")))
        .rule(rule().matching(path_prefix("/api/v3/long")))
        .build());
    let mut rules = res.rules.clone();
    rules.sort_by_key(|r| r.priority);
    assert_eq!(
        rules.iter().map(|r| r.rule_index).collect::<Vec<_>>(),
        vec![1, 0, 2, 3]
    );
}

#[test]
fn bad_priority_annotation_is_a_diagnostic() {
    let res = map(http_route("ns", "r")
        .annotation("application-networking.k8s.aws/rule-0-priority", "high")
        .rule(rule())
        .build());
    assert_eq!(res.rules.len(), 1);
    let d = with_reason(&res.diagnostics, "UnsupportedValue");
    assert_eq!(d.len(), 1);
    assert!(d[0].field.contains("rule-0-priority"));
}

#[test]
fn regex_path_is_unsupported_and_not_programmed() {
    let res = map(http_route("ns", "r")
        .rule(
            rule()
                .matching(http_path(MatchType::RegularExpression, "/v[0-9]+"))
                .matching(path_prefix("/ok")),
        )
        .build());
    assert_eq!(res.rules.len(), 1);
    assert_eq!(path_of(&res.rules[0]), (LatticePathType::Prefix, "/ok"));
    let d = with_reason(&res.diagnostics, "UnsupportedValue");
    assert_eq!(d[0].field, "spec.rules[0].matches[0].path.type");
}

#[test]
fn query_param_match_is_unsupported_and_not_programmed() {
    let res = map(http_route("ns", "r")
        .rule(rule().matching(http_match(
            Some((MatchType::PathPrefix, "/q")),
            None,
            &[],
            &[("v", "2")],
        )))
        .build());
    assert!(res.rules.is_empty());
    assert_eq!(
        res.diagnostics[0].field,
        "spec.rules[0].matches[0].queryParams"
    );
}

#[test]
fn more_than_five_header_matches_is_unsupported() {
    let hs: Vec<(String, String)> = (0..6).map(|i| (format!("h{i}"), "v".to_string())).collect();
    let hs: Vec<(&str, &str)> = hs.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let res = map(http_route("ns", "r")
        .rule(rule().matching(http_match(None, None, &hs, &[])))
        .build());
    assert!(res.rules.is_empty());
    assert_eq!(res.diagnostics[0].field, "spec.rules[0].matches[0].headers");
    assert_eq!(res.diagnostics[0].reason, "UnsupportedValue");
}

#[test]
fn five_header_matches_are_fine() {
    let hs: Vec<(String, String)> = (0..5).map(|i| (format!("h{i}"), "v".to_string())).collect();
    let hs: Vec<(&str, &str)> = hs.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let res = map(http_route("ns", "r")
        .rule(rule().matching(http_match(None, None, &hs, &[])))
        .build());
    assert_eq!(res.rules[0].r#match.headers.len(), 5);
    assert!(res.diagnostics.is_empty());
}

#[test]
fn filters_are_incompatible_and_the_rule_answers_500() {
    let res = map(http_route("ns", "r")
        .rule(
            rule()
                .matching(path_prefix("/f"))
                .filter("RequestHeaderModifier"),
        )
        .build());
    assert_eq!(res.rules.len(), 1);
    assert_eq!(res.rules[0].action, RuleAction::FixedResponse(500));
    let d = with_reason(&res.diagnostics, "IncompatibleFilters");
    assert_eq!(d[0].field, "spec.rules[0].filters[0]");
}

#[test]
fn grpc_service_and_method_map_to_exact_post() {
    let res = map(grpc_route("ns", "g")
        .rule(rule().matching(grpc_match(Some("pkg.Svc"), Some("Get"))))
        .build());
    let r = &res.rules[0];
    assert_eq!(r.r#match.method.as_deref(), Some("POST"));
    assert_eq!(path_of(r), (LatticePathType::Exact, "/pkg.Svc/Get"));
}

#[test]
fn grpc_service_alone_maps_to_prefix() {
    let res = map(grpc_route("ns", "g")
        .rule(rule().matching(grpc_match(Some("pkg.Svc"), None)))
        .build());
    assert_eq!(
        path_of(&res.rules[0]),
        (LatticePathType::Prefix, "/pkg.Svc/")
    );
}

#[test]
fn grpc_without_service_or_method_maps_to_prefix_slash() {
    let res = map(grpc_route("ns", "g")
        .rule(rule().matching(grpc_match(None, None)))
        .build());
    assert_eq!(path_of(&res.rules[0]), (LatticePathType::Prefix, "/"));
    assert_eq!(res.rules[0].r#match.method.as_deref(), Some("POST"));
}

#[test]
fn grpc_method_without_service_is_a_diagnostic() {
    let res = map(grpc_route("ns", "g")
        .rule(rule().matching(grpc_match(None, Some("Get"))))
        .build());
    assert!(res.rules.is_empty());
    assert_eq!(
        res.diagnostics[0].field,
        "spec.rules[0].matches[0].method.service"
    );
}

#[test]
fn tls_route_uses_its_rule_as_default_action() {
    let res = map(tls_route("ns", "t")
        .hostname("db.example.com")
        .rule(rule())
        .build());
    assert!(res.rules.is_empty());
    assert_eq!(res.default_rule, Some(0));
    assert!(res.diagnostics.is_empty());
}

#[test]
fn tls_route_without_hostname_is_not_programmed() {
    let res = map(tls_route("ns", "t").rule(rule()).build());
    assert_eq!(res.default_rule, None);
    assert_eq!(res.diagnostics[0].field, "spec.hostnames");
}

#[test]
fn tls_route_with_two_rules_uses_the_first() {
    let res = map(tls_route("ns", "t")
        .hostname("a.example.com")
        .rule(rule())
        .rule(rule())
        .build());
    assert_eq!(res.default_rule, Some(0));
    assert_eq!(res.diagnostics[0].field, "spec.rules[1]");
}
