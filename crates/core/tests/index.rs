//! The index: which routes and Gateways each watch event makes dirty.

use lattice_core::index::{Dirty, Index, RouteKey};
use lattice_plugin_sdk::types::RouteKind;
use serde_json::{Value, json};

fn rk(name: &str) -> RouteKey {
    RouteKey {
        kind: RouteKind::Http,
        namespace: "app".into(),
        name: name.into(),
    }
}

fn routes(d: &Dirty) -> Vec<String> {
    d.routes.iter().map(|r| r.name.clone()).collect()
}

fn mk_route(name: &str, gateway: &str, backends: Value) -> Value {
    json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":name,"namespace":"app"},
        "spec":{"parentRefs":[{"name":gateway}],"rules":[{"backendRefs":backends}]}})
}

fn mk_service(ns: &str, name: &str) -> Value {
    json!({"apiVersion":"v1","kind":"Service","metadata":{"name":name,"namespace":ns},"spec":{"ports":[{"port":80}]}})
}

/// `mk_service` with another port: a change planning reads.
fn changed_service(ns: &str, name: &str) -> Value {
    json!({"apiVersion":"v1","kind":"Service","metadata":{"name":name,"namespace":ns},"spec":{"ports":[{"port":8080}]}})
}

fn mk_slice(name: &str, service: &str, ip: &str) -> Value {
    json!({"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice",
        "metadata":{"name":name,"namespace":"app","labels":{"kubernetes.io/service-name":service}},
        "addressType":"IPv4","endpoints":[{"addresses":[ip]}]})
}

fn index() -> Index {
    let mut ix = Index::default();
    ix.apply(mk_service("app", "web")).unwrap();
    ix.apply(mk_service("app", "api")).unwrap();
    ix.apply(mk_route("a", "mesh", json!([{"name":"web","port":80}])))
        .unwrap();
    ix.apply(mk_route("b", "mesh", json!([{"name":"api","port":80}])))
        .unwrap();
    ix.apply(mk_route(
        "c",
        "other",
        json!([{"name":"web","port":80},{"name":"db","namespace":"data","port":5432}]),
    ))
    .unwrap();
    ix
}

fn gateways(d: &Dirty) -> Vec<&str> {
    d.gateways.iter().map(|g| g.1.as_str()).collect()
}

#[test]
fn a_route_change_dirties_only_that_route_and_not_its_gateways() {
    let mut ix = index();
    let d = ix
        .apply(mk_route(
            "a",
            "mesh",
            json!([{"name":"web","port":80,"weight":5}]),
        ))
        .unwrap();
    assert_eq!(routes(&d), vec!["a"]);
    // Its attachment is unchanged: the Gateway's status stays as it was.
    assert!(d.gateways.is_empty(), "{:?}", d.gateways);
}

#[test]
fn a_route_that_moves_or_renames_its_hosts_dirties_its_gateways() {
    let mut ix = index();
    let moved = ix
        .apply(mk_route("a", "other", json!([{"name":"web","port":80}])))
        .unwrap();
    assert_eq!(routes(&moved), vec!["a"]);
    assert_eq!(gateways(&moved), vec!["mesh", "other"]);

    let mut hosts = mk_route("a", "other", json!([{"name":"web","port":80}]));
    hosts["spec"]["hostnames"] = json!(["a.example.com"]);
    let renamed = ix.apply(hosts).unwrap();
    assert_eq!(gateways(&renamed), vec!["other"]);

    let gone = ix.delete("gateway.networking.k8s.io/v1", "HTTPRoute", "app", "a");
    assert_eq!(gateways(&gone), vec!["other"]);
}

#[test]
fn a_service_change_dirties_the_routes_that_use_it() {
    let mut ix = index();
    assert_eq!(
        routes(&ix.apply(changed_service("app", "web")).unwrap()),
        vec!["a", "c"]
    );
    assert_eq!(
        routes(&ix.apply(changed_service("app", "api")).unwrap()),
        vec!["b"]
    );
    assert!(
        ix.apply(mk_service("app", "unused"))
            .unwrap()
            .routes
            .is_empty()
    );
}

#[test]
fn endpoint_slices_dirty_their_service_routes_even_when_relabelled() {
    let mut ix = index();
    assert_eq!(
        routes(&ix.apply(mk_slice("web-1", "web", "10.0.0.1")).unwrap()),
        vec!["a", "c"]
    );
    // Moved from web to api: both sides change.
    assert_eq!(
        routes(&ix.apply(mk_slice("web-1", "api", "10.0.0.1")).unwrap()),
        vec!["a", "b", "c"]
    );
    assert_eq!(ix.snapshot().endpoint_slices.len(), 1);
    assert_eq!(
        routes(&ix.delete("discovery.k8s.io/v1", "EndpointSlice", "app", "web-1")),
        vec!["b"]
    );
    assert!(ix.snapshot().endpoint_slices.is_empty());
}

#[test]
fn a_gateway_change_dirties_its_routes_and_itself() {
    let mut ix = index();
    let d = ix
        .apply(json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"Gateway","metadata":{"name":"mesh","namespace":"app"},
            "spec":{"gatewayClassName":"amazon-vpc-lattice","listeners":[]}}))
        .unwrap();
    assert_eq!(routes(&d), vec!["a", "b"]);
    assert!(
        d.gateways
            .contains(&("app".to_string(), "mesh".to_string()))
    );
}

#[test]
fn a_reference_grant_dirties_routes_that_cross_into_its_namespace() {
    let mut ix = index();
    let d = ix
        .apply(json!({"apiVersion":"gateway.networking.k8s.io/v1beta1","kind":"ReferenceGrant","metadata":{"name":"g","namespace":"data"},
            "spec":{"from":[{"group":"gateway.networking.k8s.io","kind":"HTTPRoute","namespace":"app"}],"to":[{"group":"","kind":"Service"}]}}))
        .unwrap();
    assert_eq!(routes(&d), vec!["c"]);
}

#[test]
fn a_policy_dirties_its_old_and_new_targets() {
    let mut ix = index();
    let policy = |target: &str| {
        json!({"apiVersion":"application-networking.k8s.aws/v1alpha1","kind":"IAMAuthPolicy",
        "metadata":{"name":"p","namespace":"app"},
        "spec":{"targetRef":{"group":"gateway.networking.k8s.io","kind":"HTTPRoute","name":target},"policy":"{}"}})
    };
    assert_eq!(routes(&ix.apply(policy("a")).unwrap()), vec!["a"]);
    assert_eq!(routes(&ix.apply(policy("b")).unwrap()), vec!["a", "b"]);
    assert_eq!(
        routes(&ix.delete(
            "application-networking.k8s.aws/v1alpha1",
            "IAMAuthPolicy",
            "app",
            "p"
        )),
        vec!["b"]
    );
}

#[test]
fn a_deleted_route_leaves_the_graph() {
    let mut ix = index();
    assert_eq!(
        routes(&ix.delete("gateway.networking.k8s.io/v1", "HTTPRoute", "app", "a")),
        vec!["a"]
    );
    assert_eq!(
        routes(&ix.apply(changed_service("app", "web")).unwrap()),
        vec!["c"]
    );
    assert_eq!(
        ix.routes_of_gateway(&("app".into(), "mesh".into())),
        [rk("b")].into_iter().collect()
    );
}

#[test]
fn kinds_the_plan_does_not_read_dirty_nothing() {
    let mut ix = index();
    let d = ix
        .apply(
            json!({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","namespace":"app"}}),
        )
        .unwrap();
    assert!(d.is_empty());
}

#[test]
fn only_dirty_routes_are_replanned() {
    use lattice_core::plan::PlanInput;
    let mut ix = index();
    ix.apply(json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"Gateway","metadata":{"name":"mesh","namespace":"app"},
        "spec":{"gatewayClassName":"amazon-vpc-lattice","listeners":[{"name":"http","port":80,"protocol":"HTTP"}]}})).unwrap();
    let d = ix.apply(changed_service("app", "api")).unwrap();
    let input = PlanInput::for_changes(ix.snapshot(), &lattice_core::ClusterConfig::default(), &d);
    let planned: Vec<&str> = input.routes.iter().map(|r| r.id.name.as_str()).collect();
    assert_eq!(planned, vec!["b"]);
    assert!(input.service_networks.is_empty());
}

#[test]
fn our_own_writes_coming_back_through_the_watch_dirty_nothing() {
    let mut ix = index();
    let mut route = mk_route("a", "mesh", json!([{"name":"web","port":80}]));
    route["metadata"]["resourceVersion"] = json!("99");
    route["metadata"]["finalizers"] = json!(["application-networking.k8s.aws/resources"]);
    route["metadata"]["annotations"] = json!({
        "application-networking.k8s.aws/lattice-service-arn": "arn:aws:vpc-lattice:us-west-2:1:service/svc-1"
    });
    route["status"] = json!({"parents": []});
    assert!(ix.apply(route.clone()).unwrap().is_empty());
    // The new version is kept all the same: the status writer reads it.
    let kept = ix
        .snapshot()
        .http_routes
        .get(&("app".to_string(), "a".to_string()))
        .and_then(|r| r.meta().resource_version.clone());
    assert_eq!(kept.as_deref(), Some("99"));
    // An annotation that is an input is a change.
    route["metadata"]["annotations"]["application-networking.k8s.aws/rule-0-priority"] = json!("7");
    assert_eq!(routes(&ix.apply(route).unwrap()), vec!["a"]);
}
