//! Regressions, each named after the issue that found it. Issue 15's
//! ("bad input, fuzzed") were found by `tests/fuzzed`.

use lattice_core::plan::{Group, Plan, PlanInput, plan_groups};
use lattice_core::{ClusterConfig, Snapshot, StageError, Stages, build_plan};
use lattice_plugin_sdk::types::*;
use serde_json::{Value, json};

// The built-in plugins, linked natively.
use lattice_fuzz::stages::Native;

fn mk_gateway(name: &str, listeners: Value) -> Value {
    json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"Gateway",
        "metadata":{"name":name,"namespace":"app"},
        "spec":{"gatewayClassName":"amazon-vpc-lattice","listeners":listeners}})
}

fn mk_service(name: &str, port: i32) -> Value {
    json!({"apiVersion":"v1","kind":"Service","metadata":{"name":name,"namespace":"app"},
        "spec":{"ports":[{"name":"http","port":port}]}})
}

fn mk_slice(service: &str, port: i32, addresses: &[&str]) -> Value {
    json!({"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice",
        "metadata":{"name":format!("{service}-1"),"namespace":"app",
            "labels":{"kubernetes.io/service-name":service}},
        "addressType":"IPv4","ports":[{"name":"http","port":port}],
        "endpoints":[{"addresses":addresses}]})
}

fn mk_route(kind: &str, name: &str, spec: Value) -> Value {
    json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":kind,
        "metadata":{"name":name,"namespace":"app"},"spec":spec})
}

fn snapshot(objects: Vec<Value>) -> Snapshot {
    let mut s = Snapshot::default();
    for o in objects {
        s.add_manifest(o).expect("valid manifest");
    }
    s
}

fn plan_of(objects: Vec<Value>) -> Plan {
    build_plan(&snapshot(objects), &ClusterConfig::default(), &Native)
}

/// A mesh with an HTTP listener and Service `web` on 8080 with one endpoint.
fn base() -> Vec<Value> {
    vec![
        mk_gateway("mesh", json!([{"name":"http","port":80,"protocol":"HTTP"}])),
        mk_service("web", 8080),
        mk_slice("web", 9080, &["10.0.0.1"]),
    ]
}

fn route_to_web(parent: &str) -> Value {
    json!({"parentRefs":[{"name":parent}],"rules":[{"backendRefs":[{"name":"web","port":8080}]}]})
}

/// `(reason, field)` of the diagnostics on `object`.
fn reported(plan: &Plan, object: &str) -> Vec<(String, String)> {
    plan.diagnostics
        .iter()
        .filter(|d| d.object == object)
        .map(|d| (d.reason.clone(), d.field.clone()))
        .collect()
}

#[test]
fn issue_15_a_unicode_route_name_cut_at_twenty_bytes_plans_without_a_panic() {
    let mut objs = base();
    objs.push(mk_route(
        "HTTPRoute",
        "aaaaaaaaaaaaaaaaaaaé-books",
        route_to_web("mesh"),
    ));
    let plan = plan_of(objs);
    assert_eq!(plan.services[0].name, "aaaaaaaaaaaaaaaaaaa-app");
}

#[test]
fn issue_15_a_route_on_a_gateway_lattice_cannot_name_joins_no_service_network() {
    let mut objs = base();
    objs.push(mk_gateway(
        "gw",
        json!([{"name":"http","port":80,"protocol":"HTTP"}]),
    ));
    objs.push(mk_route("HTTPRoute", "books", route_to_web("gw")));
    let plan = plan_of(objs);
    assert!(plan.services.is_empty(), "{:?}", plan.services);
    assert!(
        reported(&plan, "Gateway app/gw")
            .contains(&("UnsupportedValue".into(), "metadata.name".into()))
    );
    assert_eq!(
        reported(&plan, "HTTPRoute app/books"),
        [(
            "UnsupportedValue".to_string(),
            "spec.parentRefs[0]".to_string()
        )]
    );
}

#[test]
fn issue_15_two_protocols_on_one_port_give_one_listener_and_say_why() {
    let listeners = json!([{"name":"http","port":80,"protocol":"HTTP"},{"name":"https","port":80,"protocol":"HTTPS"}]);
    let mut objs = base();
    objs[0] = mk_gateway("mesh", listeners);
    objs.push(mk_route("HTTPRoute", "books", route_to_web("mesh")));
    let plan = plan_of(objs);
    let ports: Vec<_> = plan.services[0]
        .listeners
        .iter()
        .map(|l| (l.port, l.protocol.as_str()))
        .collect();
    assert_eq!(ports, [(80, "HTTP")]);
    assert!(
        reported(&plan, "HTTPRoute app/books")
            .contains(&("UnsupportedValue".into(), "spec.parentRefs[0]".into())),
        "{:?}",
        plan.diagnostics
    );
}

#[test]
fn issue_15_a_listener_port_lattice_refuses_is_not_listened_on() {
    let mut objs = base();
    objs[0] = mk_gateway("mesh", json!([{"name":"http","port":0,"protocol":"HTTP"}]));
    objs.push(mk_route("HTTPRoute", "books", route_to_web("mesh")));
    let plan = plan_of(objs);
    assert!(plan.services.is_empty(), "{:?}", plan.services);
    assert_eq!(
        reported(&plan, "HTTPRoute app/books"),
        [(
            "NotAllowedByListeners".to_string(),
            "spec.parentRefs[0]".to_string()
        )]
    );
}

#[test]
fn issue_15_a_hostname_lattice_refuses_as_a_custom_domain_is_reported_at_it() {
    let mut objs = base();
    objs.push(mk_route(
        "HTTPRoute",
        "books",
        json!({"parentRefs":[{"name":"mesh"}],"hostnames":["ab"],"rules":[{"backendRefs":[{"name":"web","port":8080}]}]}),
    ));
    let plan = plan_of(objs);
    assert!(plan.services.is_empty(), "{:?}", plan.services);
    assert!(
        reported(&plan, "HTTPRoute app/books")
            .contains(&("UnsupportedValue".into(), "spec.hostnames[0]".into()))
    );
}

#[test]
fn issue_15_a_service_port_lattice_refuses_is_a_backend_not_found() {
    let mut objs = base();
    objs.push(mk_service("zero", 0));
    objs.push(mk_route(
        "HTTPRoute",
        "books",
        json!({"parentRefs":[{"name":"mesh"}],"rules":[{"backendRefs":[{"name":"zero","port":0}]}]}),
    ));
    let plan = plan_of(objs);
    assert!(plan.target_groups.is_empty(), "{:?}", plan.target_groups);
    assert!(reported(&plan, "HTTPRoute app/books").contains(&(
        "BackendNotFound".into(),
        "spec.rules[0].backendRefs[0]".into()
    )));
}

#[test]
fn issue_15_only_ip_addresses_on_valid_ports_become_targets() {
    let mut objs = vec![
        mk_gateway("mesh", json!([{"name":"http","port":80,"protocol":"HTTP"}])),
        mk_service("web", 8080),
        mk_slice(
            "web",
            9080,
            &["10.0.0.1", "web.example.com", "not-an-ip", "fd00::1"],
        ),
    ];
    let mut zero = mk_slice("web", 0, &["10.0.0.9"]);
    zero["metadata"]["name"] = json!("web-2");
    objs.push(zero);
    objs.push(mk_route("HTTPRoute", "books", route_to_web("mesh")));
    let plan = plan_of(objs);
    let targets: Vec<_> = plan.target_groups[0]
        .targets
        .iter()
        .map(|t| (t.ip.as_str(), t.port))
        .collect();
    assert_eq!(targets, [("10.0.0.1", 9080), ("fd00::1", 9080)]);
}

#[test]
fn issue_15_a_path_lattice_refuses_is_reported_at_the_match_not_blamed_on_the_plugin() {
    let mut objs = base();
    objs.push(mk_route(
        "HTTPRoute",
        "books",
        json!({"parentRefs":[{"name":"mesh"}],"rules":[{
            "matches":[{"path":{"type":"PathPrefix","value":"api"}},{"path":{"value":"/api"}},
                {"headers":[{"name":"x-env","value":""}]}],
            "backendRefs":[{"name":"web","port":8080}]}]}),
    ));
    let plan = plan_of(objs);
    assert!(plan.kept.is_empty(), "{:?}", plan.kept);
    let got = reported(&plan, "HTTPRoute app/books");
    assert!(
        got.contains(&(
            "UnsupportedValue".into(),
            "spec.rules[0].matches[0].path.value".into()
        )),
        "{got:?}"
    );
    assert!(
        got.contains(&(
            "UnsupportedValue".into(),
            "spec.rules[0].matches[2].headers[0]".into()
        )),
        "{got:?}"
    );
    // The valid match is programmed.
    let rules = &plan.services[0].listeners[0].rules;
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].origin.match_index, Some(1));
}

#[test]
fn issue_15_a_route_with_more_problems_than_an_answer_may_list_is_still_mapped() {
    let bad = json!({"path":{"type":"RegularExpression","value":".*"}});
    let mut matches = vec![bad; 100];
    matches.push(json!({"path":{"value":"/ok"}}));
    let mut objs = base();
    objs.push(mk_route(
        "HTTPRoute",
        "books",
        json!({"parentRefs":[{"name":"mesh"}],"rules":[{"matches":matches,"backendRefs":[{"name":"web","port":8080}]}]}),
    ));
    let plan = plan_of(objs);
    assert!(plan.kept.is_empty(), "{:?}", plan.kept);
    assert_eq!(plan.services[0].listeners[0].rules.len(), 1);
    let listed = reported(&plan, "HTTPRoute app/books");
    assert_eq!(listed.len(), lattice_plugin_sdk::limits::MAX_DIAGNOSTICS);
}

#[test]
fn issue_15_routes_of_two_kinds_with_one_name_plan_alike_however_grouped() {
    let mut objs = base();
    objs[0] = mk_gateway(
        "mesh",
        json!([{"name":"http","port":80,"protocol":"HTTP"},{"name":"https","port":443,"protocol":"HTTPS"}]),
    );
    objs.push(mk_route("HTTPRoute", "books", route_to_web("mesh")));
    objs.push(mk_route("GRPCRoute", "books", route_to_web("mesh")));
    let snap = snapshot(objs);
    let input = PlanInput::from_snapshot(&snap, &ClusterConfig::default());
    let group = |routes| Group {
        stages: &Native,
        routes,
        service_networks: &input.service_networks,
    };
    let (http, grpc) = input.routes.split_at(1);
    let together = plan_groups(&[group(&input.routes)]);
    let apart = plan_groups(&[group(grpc), group(http)]);
    // Service networks are planned once; compare the services.
    assert_eq!(together.services, apart.services);
}

/// The built-in plugins, whose auth answers carry a reason no Kubernetes
/// condition can.
struct UnwritableReason;

impl Stages for UnwritableReason {
    fn provenance(&self, stage: Stage) -> String {
        Native.provenance(stage)
    }
    fn map(&self, routes: &[Route]) -> Result<Vec<MappingResult>, StageError> {
        Native.map(routes)
    }
    fn weigh(&self, rules: &[RuleBackends]) -> Result<Vec<WeightingResult>, StageError> {
        Native.weigh(rules)
    }
    fn auth(&self, targets: &[AuthTarget]) -> Result<Vec<AuthResult>, StageError> {
        let mut answers = Native.auth(targets)?;
        for a in &mut answers {
            a.diagnostics.push(lattice_plugin_sdk::diagnostic(
                "Accepted",
                "not a reason!",
                "spec",
                "x",
            ));
        }
        Ok(answers)
    }
}

#[test]
fn issue_15_a_plugin_diagnostic_whose_reason_status_cannot_carry_is_refused() {
    let snap = snapshot(base());
    let plan = build_plan(&snap, &ClusterConfig::default(), &UnwritableReason);
    assert_eq!(
        reported(&plan, "Gateway app/mesh"),
        [("PluginOutputInvalid".to_string(), String::new())]
    );
    // Failed closed: AWS_IAM with no policy.
    assert_eq!(plan.service_networks[0].auth_type, "AWS_IAM");
    assert!(plan.diagnostics.iter().all(|d| d.reason != "not a reason!"));
}
