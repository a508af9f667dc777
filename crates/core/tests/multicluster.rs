//! ServiceExport and ServiceImport as the Go controller reads them: an
//! export's target groups (ports, protocols, targets, tags), an import's
//! three ways of naming a group, and the bad references.

use lattice_core::index::Index;
use lattice_core::plan::{Action, ImportPlan, Plan, TargetGroupPlan};
use lattice_core::{ClusterConfig, build_plan};
use lattice_fuzz::stages::Native;
use serde_json::{Value, json};

fn cfg() -> ClusterConfig {
    ClusterConfig {
        cluster_name: "west".into(),
        vpc_id: "vpc-west".into(),
        ..ClusterConfig::default()
    }
}

fn plan(objects: Vec<Value>) -> Plan {
    let mut index = Index::default();
    for o in objects {
        index.apply(o).expect("a valid object");
    }
    build_plan(index.snapshot(), &cfg(), &Native)
}

fn service() -> Value {
    json!({"apiVersion":"v1","kind":"Service","metadata":{"name":"inventory","namespace":"store"},
        "spec":{"ports":[{"name":"http","port":80},{"name":"grpc","port":9090}]}})
}

fn slice() -> Value {
    json!({"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice",
        "metadata":{"name":"inventory-1","namespace":"store","labels":{"kubernetes.io/service-name":"inventory"}},
        "addressType":"IPv4",
        "ports":[{"name":"http","port":8080},{"name":"grpc","port":9091}],
        "endpoints":[{"addresses":["10.0.0.1"],"conditions":{"ready":true}},
                     {"addresses":["10.0.0.2"],"conditions":{"ready":false}}]})
}

fn export(annotations: Value, spec: Value) -> Value {
    json!({"apiVersion":"application-networking.k8s.aws/v1alpha1","kind":"ServiceExport",
        "metadata":{"name":"inventory","namespace":"store","annotations":annotations},"spec":spec})
}

fn exports(plan: &Plan) -> Vec<&TargetGroupPlan> {
    plan.target_groups
        .iter()
        .filter(|t| t.export.is_some())
        .collect()
}

#[test]
fn each_exported_port_is_a_group_with_its_route_types_protocol_and_ready_endpoints() {
    let spec =
        json!({"exportedPorts":[{"port":80,"routeType":"HTTP"},{"port":9090,"routeType":"GRPC"}]});
    let p = plan(vec![service(), slice(), export(json!({}), spec)]);
    let groups = exports(&p);
    assert_eq!(groups.len(), 2, "{:?}", p.diagnostics);
    let http = groups.iter().find(|g| g.port == 80).expect("port 80");
    assert_eq!(
        (http.protocol.as_str(), http.protocol_version.as_deref()),
        ("HTTP", Some("HTTP1"))
    );
    assert_eq!(http.name, "k8s-export-inventory-store-80-http-http1-west");
    assert_eq!(http.targets.len(), 1, "ready endpoints only");
    assert_eq!(
        (http.targets[0].ip.as_str(), http.targets[0].port),
        ("10.0.0.1", 8080)
    );
    let grpc = groups.iter().find(|g| g.port == 9090).expect("port 9090");
    assert_eq!(grpc.protocol_version.as_deref(), Some("GRPC"));
    assert_eq!(grpc.targets[0].port, 9091);
    assert!(http.routes.is_empty());
}

#[test]
fn the_legacy_export_is_port_80_with_the_annotated_ports_endpoints_and_its_tags() {
    let annotations = json!({"application-networking.k8s.aws/port":"9090",
        "application-networking.k8s.aws/tags":"team=stock, aws:owner=x"});
    let p = plan(vec![service(), slice(), export(annotations, json!({}))]);
    let [g] = exports(&p)[..] else {
        panic!("{:?}", p.target_groups)
    };
    assert_eq!(g.port, 80);
    assert_eq!(
        g.targets.iter().map(|t| t.port).collect::<Vec<_>>(),
        vec![9091]
    );
    assert_eq!(g.tags.get("team").map(String::as_str), Some("stock"));
    assert!(
        p.diagnostics
            .iter()
            .any(|d| d.object == "ServiceExport store/inventory" && d.field.contains("tags")),
        "{:?}",
        p.diagnostics
    );
}

#[test]
fn an_export_without_its_service_or_port_says_so_and_exports_nothing() {
    let p = plan(vec![export(json!({}), json!({}))]);
    assert!(exports(&p).is_empty());
    assert!(
        p.diagnostics.iter().any(|d| d.reason == "ServiceNotFound"),
        "{:?}",
        p.diagnostics
    );
    let spec = json!({"exportedPorts":[{"port":81,"routeType":"HTTP"}]});
    let p = plan(vec![service(), export(json!({}), spec)]);
    assert!(exports(&p).is_empty());
    let d = p
        .diagnostics
        .iter()
        .find(|d| d.reason == "PortNotFound")
        .expect("a diagnostic");
    assert_eq!(d.field, "spec.exportedPorts[0].port");
}

#[test]
fn a_service_name_annotation_exports_another_service() {
    let annotations = json!({"application-networking.k8s.aws/service-name":"inventory"});
    let mut e = export(annotations, json!({}));
    e["metadata"]["name"] = "stock".into();
    let p = plan(vec![service(), slice(), e]);
    let [g] = exports(&p)[..] else {
        panic!("{:?}", p.diagnostics)
    };
    assert_eq!(g.export.as_ref().map(|e| e.name.as_str()), Some("stock"));
    assert_eq!(g.backend, "store/inventory:80");
}

fn gateway_and_route(backends: Value) -> Vec<Value> {
    vec![
        json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"Gateway",
            "metadata":{"name":"mesh","namespace":"shop"},
            "spec":{"gatewayClassName":"amazon-vpc-lattice","listeners":[{"name":"http","port":80,"protocol":"HTTP"}]}}),
        json!({"apiVersion":"v1","kind":"Service","metadata":{"name":"inventory-v1","namespace":"shop"},
            "spec":{"ports":[{"port":80}]}}),
        json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute",
            "metadata":{"name":"inventory","namespace":"shop"},
            "spec":{"parentRefs":[{"name":"mesh"}],"rules":[{"backendRefs":backends}]}}),
    ]
}

fn import(name: &str, namespace: &str, annotations: Value) -> Value {
    json!({"apiVersion":"application-networking.k8s.aws/v1alpha1","kind":"ServiceImport",
        "metadata":{"name":name,"namespace":namespace,"annotations":annotations},
        "spec":{"type":"ClusterSetIP","ports":[{"port":80,"protocol":"TCP"}]}})
}

fn the_import(p: &Plan) -> &ImportPlan {
    let imports: Vec<&ImportPlan> = p
        .target_groups
        .iter()
        .filter_map(|t| t.import.as_deref())
        .collect();
    let [i] = imports[..] else {
        panic!("{:?} {:?}", p.target_groups, p.diagnostics)
    };
    i
}

#[test]
fn an_import_splits_a_rule_with_a_local_service_by_weight() {
    let backends = json!([{"name":"inventory-v1","port":80,"weight":80},
        {"group":"application-networking.k8s.aws","kind":"ServiceImport","name":"inventory-v2","weight":20}]);
    let mut objects = gateway_and_route(backends);
    objects.push(import("inventory-v2", "shop", json!({})));
    let p = plan(objects);
    let i = the_import(&p);
    assert_eq!(
        (i.export_namespace.as_str(), i.export_name.as_str()),
        ("shop", "inventory-v2")
    );
    assert_eq!(
        (
            i.cluster.as_ref(),
            i.vpc.as_ref(),
            i.target_group_arn.as_ref()
        ),
        (None, None, None)
    );
    let rule = &p.services[0].listeners[0].rules[0];
    let Action::Forward(ts) = &rule.action else {
        panic!("{rule:?}")
    };
    let weights: Vec<(&str, u32)> = ts
        .iter()
        .map(|t| (t.target_group.as_str(), t.weight))
        .collect();
    assert!(
        weights.contains(&("serviceimport/shop/inventory-v2", 20)),
        "{weights:?}"
    );
    assert!(weights.iter().any(|(_, w)| *w == 80));
}

#[test]
fn an_import_without_its_object_asks_for_the_namesake_export_as_go_does() {
    let backends = json!([{"group":"application-networking.k8s.aws","kind":"ServiceImport","name":"inventory-v2"}]);
    let p = plan(gateway_and_route(backends));
    assert_eq!(the_import(&p).export_name, "inventory-v2");
}

#[test]
fn import_annotations_name_the_export_its_cluster_and_vpc_or_an_arn() {
    let backends =
        json!([{"group":"application-networking.k8s.aws","kind":"ServiceImport","name":"inv"}]);
    let mut objects = gateway_and_route(backends.clone());
    objects.push(import(
        "inv",
        "shop",
        json!({
        "application-networking.k8s.aws/export-name":"inventory-v2",
        "application-networking.k8s.aws/aws-eks-cluster-name":"west",
        "application-networking.k8s.aws/aws-vpc":"vpc-west"}),
    ));
    let p = plan(objects);
    let i = the_import(&p);
    assert_eq!(i.export_name, "inventory-v2");
    assert_eq!(
        (i.cluster.as_deref(), i.vpc.as_deref()),
        (Some("west"), Some("vpc-west"))
    );

    let arn = "arn:aws:vpc-lattice:us-west-2:123456789012:targetgroup/tg-0abc";
    let mut objects = gateway_and_route(backends);
    objects.push(import(
        "inv",
        "shop",
        json!({"application-networking.k8s.aws/target-group-arn":arn}),
    ));
    assert_eq!(
        the_import(&plan(objects)).target_group_arn.as_deref(),
        Some(arn)
    );
}

fn resolved_refs(p: &Plan) -> Vec<(String, String)> {
    p.diagnostics
        .iter()
        .filter(|d| d.condition == "ResolvedRefs")
        .map(|d| (d.reason.clone(), d.message.clone()))
        .collect()
}

#[test]
fn bad_import_references_are_unresolved_with_the_gateway_api_reason() {
    let backends = json!([{"name":"inventory-v1","port":80},
        {"group":"application-networking.k8s.aws","kind":"ServiceImport","name":"inv"}]);
    // An ARN that is not a target group's.
    let mut objects = gateway_and_route(backends.clone());
    objects.push(import(
        "inv",
        "shop",
        json!({"application-networking.k8s.aws/target-group-arn":"tg-0abc"}),
    ));
    let refs = resolved_refs(&plan(objects));
    assert!(
        refs.iter().any(
            |(r, m)| r == "BackendNotFound" && m.contains("not a VPC Lattice target group ARN")
        ),
        "{refs:?}"
    );
    // The ARN and tag discovery together.
    let mut objects = gateway_and_route(backends);
    objects.push(import("inv", "shop", json!({
        "application-networking.k8s.aws/target-group-arn":"arn:aws:vpc-lattice:us-west-2:123456789012:targetgroup/tg-0abc",
        "application-networking.k8s.aws/aws-vpc":"vpc-west"})));
    let refs = resolved_refs(&plan(objects));
    assert!(
        refs.iter()
            .any(|(r, m)| r == "BackendNotFound" && m.contains("set one way")),
        "{refs:?}"
    );
}

#[test]
fn an_import_in_another_namespace_needs_a_reference_grant() {
    let backends = json!([{"group":"application-networking.k8s.aws","kind":"ServiceImport","name":"inv","namespace":"stock"}]);
    let mut objects = gateway_and_route(backends);
    objects.push(import("inv", "stock", json!({})));
    let p = plan(objects.clone());
    assert!(
        resolved_refs(&p)
            .iter()
            .any(|(r, _)| r == "RefNotPermitted"),
        "{:?}",
        p.diagnostics
    );
    objects.push(json!({"apiVersion":"gateway.networking.k8s.io/v1beta1","kind":"ReferenceGrant",
        "metadata":{"name":"imports","namespace":"stock"},
        "spec":{"from":[{"group":"gateway.networking.k8s.io","kind":"HTTPRoute","namespace":"shop"}],
                "to":[{"group":"application-networking.k8s.aws","kind":"ServiceImport"}]}}));
    let p = plan(objects);
    assert_eq!(the_import(&p).export_namespace, "stock");
    assert!(resolved_refs(&p).is_empty(), "{:?}", p.diagnostics);
}

#[test]
fn a_target_group_policy_on_the_export_sets_its_protocol_and_health_check() {
    let spec = json!({"exportedPorts":[{"port":80,"routeType":"HTTP"}]});
    let policy = json!({"apiVersion":"application-networking.k8s.aws/v1alpha1","kind":"TargetGroupPolicy",
        "metadata":{"name":"inv","namespace":"store"},
        "spec":{"targetRef":{"group":"application-networking.k8s.aws","kind":"ServiceExport","name":"inventory"},
            "protocolVersion":"HTTP2","healthCheck":{"path":"/healthz"}}});
    let p = plan(vec![service(), slice(), export(json!({}), spec), policy]);
    let [g] = exports(&p)[..] else {
        panic!("{:?}", p.target_groups)
    };
    assert_eq!(g.protocol_version.as_deref(), Some("HTTP2"));
    assert_eq!(
        g.health_check.as_ref().and_then(|h| h.path.as_deref()),
        Some("/healthz")
    );
}
