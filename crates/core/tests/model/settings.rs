//! `DEFAULT_SERVICE_NETWORK`, `ENABLE_SERVICE_NETWORK_OVERRIDE` and
//! `REFERENCE_GRANT_POLICY`, as `ClusterConfig` carries them into the model.

use lattice_core::config::ReferenceGrantPolicy;

use super::*;

fn with_default(network: &str, override_on: bool) -> ClusterConfig {
    ClusterConfig {
        default_service_network: Some(network.into()),
        service_network_override: override_on,
        ..ClusterConfig::default()
    }
}

fn mk_named_gateway(name: &str) -> Value {
    let mut g = mk_gateway(http_listener());
    g["metadata"]["name"] = json!(name);
    g
}

/// `mesh` and `edge`, a route on each, and one on both.
fn two_gateways() -> Vec<Value> {
    let mut objs = base();
    objs.push(mk_named_gateway("edge"));
    for (route, parents) in [
        ("on-mesh", json!([{"name":"mesh"}])),
        ("on-edge", json!([{"name":"edge"}])),
        ("on-both", json!([{"name":"mesh"},{"name":"edge"}])),
    ] {
        objs.push(mk_route(
            "HTTPRoute",
            route,
            json!({"parentRefs":parents,"rules":[{"backendRefs":[{"name":"web","port":8080}]}]}),
        ));
    }
    objs
}

fn networks_of_services(plan: &Plan) -> Vec<(String, Vec<String>)> {
    plan.services
        .iter()
        .map(|s| (s.route.clone(), s.service_networks.clone()))
        .collect()
}

fn network_plans(plan: &Plan) -> Vec<(String, String)> {
    plan.service_networks
        .iter()
        .map(|n| (n.gateway.clone(), n.name.clone()))
        .collect()
}

#[test]
fn a_default_service_network_alone_is_not_joined_by_routes() {
    let plan = plan_with(two_gateways(), &with_default("shared", false));
    let want = |r: &str, n: &[&str]| (r.to_string(), n.iter().map(|s| s.to_string()).collect());
    assert_eq!(
        networks_of_services(&plan),
        vec![
            want("app/on-both", &["edge", "mesh"]),
            want("app/on-edge", &["edge"]),
            want("app/on-mesh", &["mesh"]),
        ]
    );
    let names: Vec<String> = plan
        .service_networks
        .iter()
        .map(|n| n.name.clone())
        .collect();
    assert_eq!(names, vec!["edge".to_string(), "mesh".to_string()]);
}

#[test]
fn under_the_override_every_gateway_stands_for_the_default_network() {
    let plan = plan_with(two_gateways(), &with_default("shared", true));
    for (route, networks) in networks_of_services(&plan) {
        assert_eq!(networks, vec!["shared".to_string()], "{route}");
    }
    assert_eq!(
        network_plans(&plan),
        vec![
            ("app/edge".to_string(), "shared".to_string()),
            ("app/mesh".to_string(), "shared".to_string()),
        ]
    );
    assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
}

#[test]
fn a_changed_gateway_stands_for_the_default_network_too() {
    use lattice_core::index::Dirty;
    use lattice_core::plan::PlanInput;
    let mut s = Snapshot::default();
    for o in two_gateways() {
        s.add_manifest(o).expect("valid manifest");
    }
    let dirty = Dirty {
        gateways: [("app".to_string(), "edge".to_string())].into(),
        ..Default::default()
    };
    let input = PlanInput::for_changes(&s, &with_default("shared", true), &dirty);
    let names: Vec<(&str, &str)> = input
        .service_networks
        .iter()
        .map(|n| (n.gateway.name.as_str(), n.name.as_str()))
        .collect();
    assert_eq!(names, vec![("edge", "shared")]);
}

#[test]
fn the_override_without_a_default_network_changes_nothing() {
    let cfg = ClusterConfig {
        service_network_override: true,
        ..ClusterConfig::default()
    };
    assert_eq!(
        plan_with(two_gateways(), &cfg),
        plan_of(two_gateways()),
        "the Go controller needs both settings for its override mode"
    );
}

#[test]
fn an_invalid_default_network_name_is_a_diagnostic_under_the_override() {
    let plan = plan_with(two_gateways(), &with_default("Not_Valid", true));
    assert!(
        reasons(&plan)
            .iter()
            .any(|(o, r, _)| o == "Gateway app/mesh" && r == "UnsupportedValue"),
        "{:?}",
        plan.diagnostics
    );
}

/// A route in `app` to Service `other/api`, with no ReferenceGrant.
fn cross_namespace() -> Vec<Value> {
    let mut objs = base();
    objs.extend(mk_service("other", "api", 80, &["10.1.0.1"]));
    objs.push(mk_route("HTTPRoute", "r", json!({"parentRefs":[{"name":"mesh"}],"rules":[{"backendRefs":[{"name":"api","namespace":"other","port":80}]}]})));
    objs
}

#[test]
fn a_missing_grant_is_named_with_the_setting_that_relaxes_it() {
    let plan = plan_of(cross_namespace());
    let d = plan
        .diagnostics
        .iter()
        .find(|d| d.reason == "RefNotPermitted")
        .expect("RefNotPermitted");
    assert_eq!(d.field, "spec.rules[0].backendRefs[0]");
    assert_eq!(
        d.message,
        "backend Service other/api:80 is in another namespace, and no ReferenceGrant in \
         namespace other allows HTTPRoute from namespace app to Service api \
         (REFERENCE_GRANT_POLICY=ignore resolves it without one)"
    );
}

#[test]
fn ignoring_grants_resolves_a_cross_namespace_backend_without_one() {
    let cfg = ClusterConfig {
        reference_grants: ReferenceGrantPolicy::Ignore,
        ..ClusterConfig::default()
    };
    let plan = plan_with(cross_namespace(), &cfg);
    assert!(matches!(
        plan.services[0].listeners[0].rules[0].action,
        Action::Forward(_)
    ));
    assert!(plan.diagnostics.is_empty(), "{:?}", plan.diagnostics);
    assert_eq!(plan.target_groups[0].backend, "other/api:80");
}

#[test]
fn the_grant_policy_reads_as_the_variable_is_written() {
    assert_eq!("Ignore".parse(), Ok(ReferenceGrantPolicy::Ignore));
    assert_eq!(" require ".parse(), Ok(ReferenceGrantPolicy::Require));
    let err = "off".parse::<ReferenceGrantPolicy>().unwrap_err();
    assert!(err.contains("require nor ignore"), "{err}");
}
