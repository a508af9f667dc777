//! The model and the plan, driven through the default plugins linked
//! natively (the same logic the WASM components run).

use lattice_core::plan::FailurePolicy;
use lattice_core::plan::{Action, Plan};
use lattice_core::{ClusterConfig, Snapshot, StageError, Stages, build_plan};
use lattice_plugin_sdk::types::*;
use serde_json::{Value, json};

/// The settings that change how routes resolve.
#[path = "model/settings.rs"]
mod settings;

// The built-in plugins, linked natively.
use lattice_fuzz::stages::Native;

fn mk_gateway(listeners: Value) -> Value {
    json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"Gateway",
        "metadata":{"name":"mesh","namespace":"app"},
        "spec":{"gatewayClassName":"amazon-vpc-lattice","listeners":listeners}})
}

fn http_listener() -> Value {
    json!([{"name":"http","port":80,"protocol":"HTTP"}])
}

fn mk_service(ns: &str, name: &str, port: i32, ips: &[&str]) -> Vec<Value> {
    vec![
        json!({"apiVersion":"v1","kind":"Service","metadata":{"name":name,"namespace":ns},
            "spec":{"ports":[{"name":"http","port":port}]}}),
        json!({"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice",
            "metadata":{"name":format!("{name}-x"),"namespace":ns,"labels":{"kubernetes.io/service-name":name}},
            "addressType":"IPv4","ports":[{"name":"http","port":port + 1000}],
            "endpoints": ips.iter().enumerate().map(|(i, ip)| json!({"addresses":[ip],"conditions":{"ready": i != 2}})).collect::<Vec<_>>()}),
    ]
}

fn mk_route(kind: &str, name: &str, spec: Value) -> Value {
    json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":kind,"metadata":{"name":name,"namespace":"app"},"spec":spec})
}

fn plan_of(objects: Vec<Value>) -> Plan {
    plan_with(objects, &ClusterConfig::default())
}

fn plan_with(objects: Vec<Value>, cfg: &ClusterConfig) -> Plan {
    let mut s = Snapshot::default();
    for o in objects {
        s.add_manifest(o).expect("valid manifest");
    }
    build_plan(&s, cfg, &Native)
}

fn base() -> Vec<Value> {
    let mut v = vec![mk_gateway(http_listener())];
    v.extend(mk_service(
        "app",
        "web",
        8080,
        &["10.0.0.1", "10.0.0.2", "10.0.0.3"],
    ));
    v
}

fn reasons(plan: &Plan) -> Vec<(String, String, String)> {
    plan.diagnostics
        .iter()
        .map(|d| (d.object.clone(), d.reason.clone(), d.field.clone()))
        .collect()
}

#[test]
fn route_becomes_one_service_named_as_the_go_controller_names_it() {
    let mut objs = base();
    objs.push(mk_route(
        "HTTPRoute",
        "storefront-with-a-long-name",
        json!({"parentRefs":[{"name":"mesh"}],
        "rules":[{"backendRefs":[{"name":"web","port":8080}]}]}),
    ));
    let plan = plan_of(objs);
    assert_eq!(plan.services.len(), 1);
    assert_eq!(plan.services[0].name, "storefront-with-a-lo-app");
    assert_eq!(plan.services[0].route, "app/storefront-with-a-long-name");
    assert_eq!(plan.services[0].service_networks, vec!["mesh".to_string()]);
    assert_eq!(plan.service_networks[0].name, "mesh");
}

#[test]
fn listeners_come_from_the_parent_gateway() {
    let mut objs = vec![mk_gateway(
        json!([{"name":"http","port":80,"protocol":"HTTP"},{"name":"https","port":443,"protocol":"HTTPS"}]),
    )];
    objs.extend(mk_service("app", "web", 8080, &["10.0.0.1"]));
    objs.push(mk_route("HTTPRoute", "r", json!({"parentRefs":[{"name":"mesh"}],"rules":[{"backendRefs":[{"name":"web","port":8080}]}]})));
    objs.push(mk_route("HTTPRoute", "only-https", json!({"parentRefs":[{"name":"mesh","sectionName":"https"}],"rules":[{"backendRefs":[{"name":"web","port":8080}]}]})));
    let plan = plan_of(objs);
    let ports = |name: &str| -> Vec<(i32, String)> {
        plan.services
            .iter()
            .find(|s| s.route == format!("app/{name}"))
            .unwrap()
            .listeners
            .iter()
            .map(|l| (l.port, l.protocol.clone()))
            .collect()
    };
    assert_eq!(ports("r"), vec![(80, "HTTP".into()), (443, "HTTPS".into())]);
    assert_eq!(ports("only-https"), vec![(443, "HTTPS".into())]);
}

#[test]
fn service_port_becomes_an_ip_target_group_with_ready_endpoints() {
    let mut objs = base();
    objs.push(mk_route("HTTPRoute", "r", json!({"parentRefs":[{"name":"mesh"}],"rules":[{"backendRefs":[{"name":"web","port":8080}]}]})));
    let plan = plan_of(objs);
    let tg = &plan.target_groups[0];
    assert_eq!(tg.backend, "app/web:8080");
    assert_eq!(
        (tg.protocol.as_str(), tg.protocol_version.as_deref()),
        ("HTTP", Some("HTTP1"))
    );
    // The third endpoint is not ready; targets use the EndpointSlice port.
    let targets: Vec<(String, i32)> = tg.targets.iter().map(|t| (t.ip.clone(), t.port)).collect();
    assert_eq!(
        targets,
        vec![("10.0.0.1".into(), 9080), ("10.0.0.2".into(), 9080)]
    );
}

#[test]
fn a_route_splitting_between_a_service_and_a_lambda_target_forwards_to_an_ip_and_a_lambda_group() {
    let mut objs = base();
    let arn = "arn:aws:lambda:us-west-2:123456789012:function:web-next";
    objs.push(
        json!({"apiVersion":"lattice-host.io/v1alpha1","kind":"LambdaTarget",
        "metadata":{"name":"web-next","namespace":"app"},
        "spec":{"functionArn":arn,"eventStructureVersion":"V2"}}),
    );
    objs.push(mk_route(
        "HTTPRoute",
        "r",
        json!({"parentRefs":[{"name":"mesh"}],"rules":[{"backendRefs":[
        {"name":"web","port":8080,"weight":80},
        {"group":"lattice-host.io","kind":"LambdaTarget","name":"web-next","weight":20}]}]}),
    ));
    let plan = plan_of(objs);
    assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
    let lambda_group = "k8s-r-app-web-next-app-lambda";
    let Action::Forward(ts) = &plan.services[0].listeners[0].rules[0].action else {
        panic!("{:?}", plan.services[0].listeners[0].rules[0].action)
    };
    let weights: Vec<(&str, u32)> = ts
        .iter()
        .map(|t| (t.target_group.as_str(), t.weight))
        .collect();
    assert_eq!(
        weights,
        vec![
            ("k8s-r-app-web-app-8080-http-http1", 80),
            (lambda_group, 20)
        ]
    );
    let tg = plan
        .target_groups
        .iter()
        .find(|t| t.name == lambda_group)
        .expect("the LAMBDA group is planned");
    let lambda = tg.lambda.as_ref().expect("a LAMBDA group");
    assert_eq!(lambda.function_arn, arn);
    assert_eq!(lambda.event_structure_version.as_deref(), Some("V2"));
    assert_eq!((tg.port, tg.protocol.as_str()), (0, ""));
    assert!(tg.targets.is_empty() && tg.protocol_version.is_none());
    assert_eq!(tg.routes, vec!["app/r".to_string()]);
    // As `plan -o json` writes it; an IP group has no `lambda` field.
    let json = serde_json::to_value(&plan).unwrap();
    let groups = json["targetGroups"].as_array().unwrap();
    let written = groups.iter().find(|g| g["name"] == lambda_group).unwrap();
    assert_eq!(
        written["lambda"],
        json!({"functionArn": arn, "eventStructureVersion": "V2"})
    );
    let ip = groups.iter().find(|g| g["name"] != lambda_group).unwrap();
    assert!(ip.get("lambda").is_none(), "{ip}");
}

#[test]
fn a_missing_lambda_target_is_backend_not_found() {
    let mut objs = base();
    objs.push(mk_route(
        "HTTPRoute",
        "r",
        json!({"parentRefs":[{"name":"mesh"}],"rules":[{"backendRefs":[
        {"name":"web","port":8080},
        {"group":"lattice-host.io","kind":"LambdaTarget","name":"gone"}]}]}),
    ));
    let plan = plan_of(objs);
    assert!(reasons(&plan).contains(&(
        "HTTPRoute app/r".into(),
        "BackendNotFound".into(),
        "spec.rules[0].backendRefs[1]".into()
    )));
    assert_eq!(plan.target_groups.len(), 1);
    assert!(plan.target_groups[0].lambda.is_none());
}

#[test]
fn two_routes_to_one_service_get_a_target_group_each() {
    // Lattice lets a target group serve one service only.
    let mut objs = base();
    for name in ["a", "b"] {
        objs.push(mk_route("HTTPRoute", name, json!({"parentRefs":[{"name":"mesh"}],"rules":[{"backendRefs":[{"name":"web","port":8080}]}]})));
    }
    let plan = plan_of(objs);
    let names: Vec<(&str, &[String])> = plan
        .target_groups
        .iter()
        .map(|t| (t.name.as_str(), t.routes.as_slice()))
        .collect();
    assert_eq!(
        names,
        vec![
            (
                "k8s-a-app-web-app-8080-http-http1",
                &["app/a".to_string()][..]
            ),
            (
                "k8s-b-app-web-app-8080-http-http1",
                &["app/b".to_string()][..]
            ),
        ]
    );
    for s in &plan.services {
        let Action::Forward(ws) = &s.listeners[0].rules[0].action else {
            panic!("{s:?}");
        };
        assert!(
            ws[0].target_group.starts_with(&format!("k8s-{}-", s.name)),
            "{s:?}"
        );
    }
}

#[test]
fn every_rule_records_its_origin() {
    let mut objs = base();
    objs.push(mk_route("HTTPRoute", "r", json!({"parentRefs":[{"name":"mesh"}],"rules":[
        {"matches":[{"path":{"type":"PathPrefix","value":"/a"}},{"path":{"type":"PathPrefix","value":"/b"}}],"backendRefs":[{"name":"web","port":8080}]}]})));
    let plan = plan_of(objs);
    let rules = &plan.services[0].listeners[0].rules;
    assert_eq!(rules.len(), 2);
    for r in rules {
        assert_eq!(r.origin.rule_index, 0);
        assert_eq!(&*r.origin.plugin, "mapping@native");
        assert_eq!(r.origin.weighting.as_deref(), Some("weighting@native"));
    }
    let mut mi: Vec<_> = rules.iter().map(|r| r.origin.match_index).collect();
    mi.sort();
    assert_eq!(mi, vec![Some(0), Some(1)]);
}

#[test]
fn cross_namespace_backend_needs_a_reference_grant() {
    let mut objs = base();
    objs.extend(mk_service("other", "api", 80, &["10.1.0.1"]));
    objs.push(mk_route("HTTPRoute", "r", json!({"parentRefs":[{"name":"mesh"}],"rules":[{"backendRefs":[{"name":"api","namespace":"other","port":80}]}]})));
    let plan = plan_of(objs.clone());
    assert_eq!(
        plan.services[0].listeners[0].rules[0].action,
        Action::FixedResponse(500)
    );
    assert!(reasons(&plan).contains(&(
        "HTTPRoute app/r".into(),
        "RefNotPermitted".into(),
        "spec.rules[0].backendRefs[0]".into()
    )));

    objs.push(json!({"apiVersion":"gateway.networking.k8s.io/v1beta1","kind":"ReferenceGrant",
        "metadata":{"name":"allow-app","namespace":"other"},
        "spec":{"from":[{"group":"gateway.networking.k8s.io","kind":"HTTPRoute","namespace":"app"}],"to":[{"group":"","kind":"Service"}]}}));
    let plan = plan_of(objs);
    assert!(matches!(
        plan.services[0].listeners[0].rules[0].action,
        Action::Forward(_)
    ));
    assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
}

#[test]
fn missing_service_and_wrong_kind_are_resolved_refs_reasons() {
    let mut objs = base();
    objs.push(mk_route("HTTPRoute", "r", json!({"parentRefs":[{"name":"mesh"}],"rules":[{"backendRefs":[
        {"name":"web","port":8080},{"name":"nope","port":80},{"name":"cm","kind":"ConfigMap","group":""}]}]})));
    let plan = plan_of(objs);
    let r = reasons(&plan);
    assert!(r.contains(&(
        "HTTPRoute app/r".into(),
        "BackendNotFound".into(),
        "spec.rules[0].backendRefs[1]".into()
    )));
    assert!(r.contains(&(
        "HTTPRoute app/r".into(),
        "InvalidKind".into(),
        "spec.rules[0].backendRefs[2]".into()
    )));
    let Action::Forward(ts) = &plan.services[0].listeners[0].rules[0].action else {
        panic!()
    };
    assert_eq!(ts.len(), 1);
}

#[test]
fn routes_of_other_controllers_are_left_alone() {
    let mut objs = base();
    objs.push(json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"GatewayClass","metadata":{"name":"other"},"spec":{"controllerName":"example.com/other"}}));
    objs.push(json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"Gateway","metadata":{"name":"theirs","namespace":"app"},
        "spec":{"gatewayClassName":"other","listeners":[{"name":"http","port":80,"protocol":"HTTP"}]}}));
    objs.push(mk_route("HTTPRoute", "r", json!({"parentRefs":[{"name":"theirs"}],"rules":[{"backendRefs":[{"name":"web","port":8080}]}]})));
    let plan = plan_of(objs);
    assert!(plan.services.is_empty());
    assert!(plan.diagnostics.is_empty());
    assert_eq!(plan.service_networks.len(), 1);
}

#[test]
fn grpc_route_on_an_http_listener_is_not_allowed() {
    let mut objs = base();
    objs.push(mk_route("GRPCRoute", "g", json!({"parentRefs":[{"name":"mesh"}],"rules":[{"backendRefs":[{"name":"web","port":8080}]}]})));
    let plan = plan_of(objs);
    assert!(plan.services.is_empty());
    assert_eq!(
        reasons(&plan),
        vec![(
            "GRPCRoute app/g".into(),
            "NotAllowedByListeners".into(),
            "spec.parentRefs[0]".into()
        )]
    );
}

#[test]
fn tls_route_becomes_a_passthrough_listener_forwarding_by_default() {
    let mut objs = vec![mk_gateway(
        json!([{"name":"tls","port":443,"protocol":"TLS","tls":{"mode":"Passthrough"}}]),
    )];
    objs.extend(mk_service("app", "db", 5432, &["10.0.0.9"]));
    objs.push(mk_route(
        "TLSRoute",
        "db",
        json!({"parentRefs":[{"name":"mesh"}],"hostnames":["db.example.com"],
        "rules":[{"backendRefs":[{"name":"db","port":5432}]}]}),
    ));
    let plan = plan_of(objs);
    let s = &plan.services[0];
    assert_eq!(s.custom_domain_name.as_deref(), Some("db.example.com"));
    assert_eq!(s.listeners[0].protocol, "TLS_PASSTHROUGH");
    assert!(s.listeners[0].rules.is_empty());
    assert!(matches!(s.listeners[0].default_action, Action::Forward(_)));
    assert_eq!(plan.target_groups[0].protocol, "TCP");
    assert_eq!(
        (s.auth_type.as_str(), s.auth_policy.as_deref()),
        ("NONE", None)
    );
    assert_eq!(plan.target_groups[0].protocol_version, None);
}

#[test]
fn iam_auth_policies_attach_to_gateway_and_route() {
    let mut objs = base();
    objs.push(mk_route("HTTPRoute", "r", json!({"parentRefs":[{"name":"mesh"}],"rules":[{"backendRefs":[{"name":"web","port":8080}]}]})));
    let policy = |name: &str, kind: &str, target: &str, ts: &str| {
        json!({"apiVersion":"application-networking.k8s.aws/v1alpha1","kind":"IAMAuthPolicy",
        "metadata":{"name":name,"namespace":"app","creationTimestamp":ts},
        "spec":{"targetRef":{"group":"gateway.networking.k8s.io","kind":kind,"name":target},"policy":"{\"Statement\":[]}"}})
    };
    objs.push(policy("net", "Gateway", "mesh", "2024-01-01T00:00:00Z"));
    objs.push(policy("svc-old", "HTTPRoute", "r", "2024-01-01T00:00:00Z"));
    objs.push(policy("svc-new", "HTTPRoute", "r", "2025-01-01T00:00:00Z"));
    let plan = plan_of(objs);
    assert_eq!(plan.service_networks[0].auth_type, "AWS_IAM");
    assert_eq!(plan.services[0].auth_type, "AWS_IAM");
    assert_eq!(
        plan.services[0].auth_policy.as_deref(),
        Some("{\"Statement\":[]}")
    );
    assert_eq!(
        reasons(&plan),
        vec![(
            "IAMAuthPolicy app/svc-new".into(),
            "Conflicted".into(),
            "spec.targetRef".into()
        )]
    );
}

#[test]
fn one_bad_route_leaves_the_others_planned() {
    let mut objs = base();
    objs.push(mk_route("HTTPRoute", "bad", json!({"parentRefs":[{"name":"mesh"}],"rules":[
        {"matches":[{"path":{"type":"RegularExpression","value":"/v[0-9]"}}],"backendRefs":[{"name":"web","port":8080}]}]})));
    objs.push(mk_route("HTTPRoute", "good", json!({"parentRefs":[{"name":"mesh"}],"rules":[{"backendRefs":[{"name":"web","port":8080}]}]})));
    let plan = plan_of(objs);
    let good = plan
        .services
        .iter()
        .find(|s| s.route == "app/good")
        .unwrap();
    assert_eq!(good.listeners[0].rules.len(), 1);
    let bad = plan.services.iter().find(|s| s.route == "app/bad").unwrap();
    assert!(bad.listeners[0].rules.is_empty());
    assert_eq!(
        reasons(&plan),
        vec![(
            "HTTPRoute app/bad".into(),
            "UnsupportedValue".into(),
            "spec.rules[0].matches[0].path.type".into()
        )]
    );
}

#[test]
fn the_same_snapshot_always_gives_the_same_plan() {
    let mut objs = base();
    for i in 0..5 {
        objs.push(mk_route("HTTPRoute", &format!("r{i}"), json!({"parentRefs":[{"name":"mesh"}],"rules":[{"backendRefs":[{"name":"web","port":8080}]}]})));
    }
    assert_eq!(plan_of(objs.clone()), plan_of(objs));
}

#[test]
fn names_lattice_would_reject_are_diagnostics_not_plans() {
    let mut objs = base();
    objs.push(json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute",
        "metadata":{"name":"r","namespace":"app","annotations":{"application-networking.k8s.aws/service-name-override":"svc-Bad_Name"}},
        "spec":{"parentRefs":[{"name":"mesh"}],"rules":[{"backendRefs":[{"name":"web","port":8080}]}]}}));
    objs.push(mk_route("HTTPRoute", "svc-reserved", json!({"parentRefs":[{"name":"mesh"}],"rules":[{"backendRefs":[{"name":"web","port":8080}]}]})));
    objs.push(json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"Gateway",
        "metadata":{"name":"a-gateway-name-that-is-far-too-long-for-a-vpc-lattice-service-network","namespace":"app"},
        "spec":{"gatewayClassName":"amazon-vpc-lattice","listeners":[{"name":"http","port":80,"protocol":"HTTP"}]}}));
    let plan = plan_of(objs);
    assert!(plan.services.is_empty(), "{:?}", plan.services);
    let r = reasons(&plan);
    assert!(
        r.contains(&(
            "HTTPRoute app/r".into(),
            "UnsupportedValue".into(),
            "metadata.annotations[\"application-networking.k8s.aws/service-name-override\"]".into()
        )),
        "{r:?}"
    );
    assert!(
        r.contains(&(
            "HTTPRoute app/svc-reserved".into(),
            "UnsupportedValue".into(),
            "metadata.name".into()
        )),
        "{r:?}"
    );
    assert!(
        r.iter()
            .any(|(o, _, _)| o.starts_with("Gateway app/a-gateway-name")),
        "{r:?}"
    );
    assert_eq!(plan.service_networks.len(), 1);
}

/// Native stages whose auth plugin always fails.
struct BrokenAuth;

impl Stages for BrokenAuth {
    fn provenance(&self, stage: Stage) -> String {
        Native.provenance(stage)
    }
    fn map(&self, routes: &[Route]) -> Result<Vec<MappingResult>, StageError> {
        Native.map(routes)
    }
    fn weigh(&self, rules: &[RuleBackends]) -> Result<Vec<WeightingResult>, StageError> {
        Native.weigh(rules)
    }
    fn failure_policy(&self, _: Stage) -> FailurePolicy {
        FailurePolicy::FailClosed
    }
    fn auth(&self, _: &[AuthTarget]) -> Result<Vec<AuthResult>, StageError> {
        Err(StageError {
            plugin: "auth@native".into(),
            message: "trapped".into(),
        })
    }
}

#[test]
fn a_failed_auth_plugin_fails_closed() {
    let mut s = Snapshot::default();
    for o in base() {
        s.add_manifest(o).unwrap();
    }
    s.add_manifest(mk_route("HTTPRoute", "r", json!({"parentRefs":[{"name":"mesh"}],"rules":[{"backendRefs":[{"name":"web","port":8080}]}]}))).unwrap();
    let plan = build_plan(&s, &ClusterConfig::default(), &BrokenAuth);
    assert_eq!(
        (
            plan.services[0].auth_type.as_str(),
            plan.services[0].auth_policy.as_deref()
        ),
        ("AWS_IAM", None)
    );
    assert_eq!(plan.service_networks[0].auth_type, "AWS_IAM");
    assert!(reasons(&plan).contains(&(
        "HTTPRoute app/r".into(),
        "PluginFailed".into(),
        String::new()
    )));
}

fn snapshot_of(objects: Vec<Value>) -> Snapshot {
    let mut s = Snapshot::default();
    for o in objects {
        s.add_manifest(o).expect("valid manifest");
    }
    s
}

fn deleting(mut o: Value) -> Value {
    o["metadata"]["deletionTimestamp"] = json!("2024-01-01T00:00:00Z");
    o["metadata"]["finalizers"] = json!(["application-networking.k8s.aws/resources"]);
    o
}

fn network_names(s: &Snapshot) -> Vec<String> {
    lattice_core::model::service_networks(s)
        .into_iter()
        .map(|sn| sn.name)
        .collect()
}

#[test]
fn a_gateway_being_deleted_keeps_its_service_network_while_a_live_route_attaches() {
    let route = mk_route(
        "HTTPRoute",
        "r",
        json!({"parentRefs":[{"name":"mesh"}],"rules":[{"backendRefs":[{"name":"web","port":8080}]}]}),
    );
    let gateway = deleting(mk_gateway(http_listener()));

    let attached = snapshot_of(vec![gateway.clone(), route.clone()]);
    assert_eq!(network_names(&attached), vec!["mesh".to_string()]);
    let planned = build_plan(&attached, &ClusterConfig::default(), &Native);
    assert_eq!(planned.service_networks.len(), 1);

    let route_going_too = snapshot_of(vec![gateway.clone(), deleting(route)]);
    assert!(network_names(&route_going_too).is_empty());
    assert!(network_names(&snapshot_of(vec![gateway])).is_empty());
}

#[test]
fn changed_gateways_get_the_service_networks_a_whole_pass_would_give_them() {
    use lattice_core::index::Dirty;
    use lattice_core::plan::PlanInput;
    let other = |name: &str| {
        let mut g = mk_gateway(http_listener());
        g["metadata"]["name"] = json!(name);
        g
    };
    let s = snapshot_of(vec![
        mk_gateway(http_listener()),
        deleting(other("going")),
        other("Not_A_Lattice_Name"),
        other("quiet"),
        mk_route(
            "HTTPRoute",
            "r",
            json!({"parentRefs":[{"name":"going"}],"rules":[]}),
        ),
    ]);
    let dirty = Dirty {
        gateways: [
            ("app".to_string(), "going".to_string()),
            ("app".to_string(), "Not_A_Lattice_Name".to_string()),
            ("app".to_string(), "no-such-gateway".to_string()),
        ]
        .into(),
        ..Default::default()
    };
    let changed = PlanInput::for_changes(&s, &ClusterConfig::default(), &dirty);
    let whole: Vec<String> = lattice_core::model::service_networks(&s)
        .into_iter()
        .filter(|sn| {
            dirty
                .gateways
                .contains(&(sn.gateway.namespace.clone(), sn.gateway.name.clone()))
        })
        .map(|sn| format!("{sn:?}"))
        .collect();
    let got: Vec<String> = changed
        .service_networks
        .iter()
        .map(|sn| format!("{sn:?}"))
        .collect();
    assert_eq!(got, whole);
    let names: Vec<&str> = changed
        .service_networks
        .iter()
        .map(|sn| sn.name.as_str())
        .collect();
    assert_eq!(names, vec!["Not_A_Lattice_Name", "going"]);
}

#[test]
fn the_standalone_annotation_keeps_a_service_out_of_every_service_network() {
    let spec = json!({"parentRefs":[{"name":"mesh"}],"rules":[{"backendRefs":[{"name":"web","port":8080}]}]});
    let with = |route: Option<&str>, gateway: Option<&str>| {
        let mut objs = base();
        if let Some(v) = gateway {
            objs[0]["metadata"]["annotations"] =
                json!({"application-networking.k8s.aws/standalone": v});
        }
        let mut r = mk_route("HTTPRoute", "r", spec.clone());
        if let Some(v) = route {
            r["metadata"]["annotations"] = json!({"application-networking.k8s.aws/standalone": v});
        }
        objs.push(r);
        plan_of(objs)
    };
    let networks = |p: &Plan| p.services[0].service_networks.clone();
    assert_eq!(networks(&with(None, None)), vec!["mesh"]);
    assert!(networks(&with(Some("true"), None)).is_empty());
    assert!(networks(&with(None, Some("TRUE"))).is_empty());
    // The route's own value wins over its Gateway's.
    assert_eq!(networks(&with(Some("false"), Some("true"))), vec!["mesh"]);
    // A value that is neither is read as false, and said so.
    let odd = with(Some("yes"), None);
    assert_eq!(networks(&odd), vec!["mesh"]);
    assert!(
        reasons(&odd)
            .iter()
            .any(|(_, reason, field)| reason == "UnsupportedValue" && field.contains("standalone")),
        "{:?}",
        reasons(&odd)
    );
}
