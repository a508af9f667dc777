//! What the status writer is asked to write, computed in core: the merge of
//! our `status.parents` entries with other controllers', and which Gateway,
//! GatewayClass and route statuses changed at all.

use std::collections::BTreeSet;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use lattice_core::index::{Index, RouteKey};
use lattice_core::plan::{Plan, PlanInput};
use lattice_core::status::{
    ApplyOutcome, StatusTarget, desired_parents, gateway_statuses, route_statuses,
};
use lattice_core::{ClusterConfig, config::CONTROLLER_NAME};
use lattice_plugin_sdk::types::RouteKind;
use serde_json::{Value, json};

fn now() -> Time {
    Time("2026-01-01T00:00:00Z".parse().expect("a timestamp"))
}

fn mk_index(route_status: Value) -> Index {
    let mut index = Index::default();
    for o in [
        json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"GatewayClass",
            "metadata":{"name":"amazon-vpc-lattice","generation":1},
            "spec":{"controllerName": CONTROLLER_NAME}}),
        json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"Gateway",
            "metadata":{"name":"mesh","namespace":"app","generation":1},
            "spec":{"gatewayClassName":"amazon-vpc-lattice",
                "listeners":[{"name":"http","port":80,"protocol":"HTTP"}]}}),
        json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute",
            "metadata":{"name":"r","namespace":"app","generation":2},
            "spec":{"parentRefs":[{"name":"mesh"}],"rules":[{}]},
            "status": route_status}),
    ] {
        index.apply(o).expect("a valid object");
    }
    index
}

fn route() -> RouteKey {
    RouteKey {
        kind: RouteKind::Http,
        namespace: "app".into(),
        name: "r".into(),
    }
}

fn statuses(index: &Index, outcome: ApplyOutcome) -> Vec<(RouteKey, Vec<Value>)> {
    let input = PlanInput::from_snapshot(index.snapshot(), &ClusterConfig::default());
    let routes: BTreeSet<RouteKey> = [route()].into();
    let outcome = move |_: &RouteKey| outcome.clone();
    route_statuses(
        index.snapshot(),
        &routes,
        &input.attached(),
        &Plan::default(),
        &outcome,
        &now(),
    )
}

#[test]
fn other_controllers_parent_entries_are_kept_and_ours_added() {
    let theirs =
        json!({"parentRef":{"name":"other"},"controllerName":"example.com/other","conditions":[]});
    let index = mk_index(json!({"parents":[theirs]}));
    let out = statuses(&index, ApplyOutcome::Programmed);
    assert_eq!(out.len(), 1, "{out:?}");
    let parents = &out[0].1;
    assert_eq!(parents.len(), 2, "{parents:?}");
    assert_eq!(parents[0], theirs);
    assert_eq!(parents[1]["controllerName"], CONTROLLER_NAME);
    assert_eq!(parents[1]["parentRef"]["name"], "mesh");
}

#[test]
fn an_unchanged_route_status_is_not_written_again() {
    let index = mk_index(json!({"parents": []}));
    let first = statuses(&index, ApplyOutcome::Programmed);
    let written = json!({"parents": first[0].1});
    let index = mk_index(written);
    assert!(statuses(&index, ApplyOutcome::Programmed).is_empty());
    // A different outcome is a change.
    assert_eq!(
        statuses(&index, ApplyOutcome::Failed("boom".into())).len(),
        1
    );
}

#[test]
fn desired_parents_is_none_when_the_route_has_no_parent_of_ours_now_or_before() {
    let index = mk_index(json!({"parents": []}));
    let view = lattice_core::index::route_view(index.snapshot(), &route()).expect("a view");
    let current = json!({"status":{"parents":[]}});
    assert_eq!(
        desired_parents(&current, &view, None, &[], &ApplyOutcome::Pending, &now()),
        None
    );
}

#[test]
fn gateway_and_class_statuses_are_written_only_when_they_change() {
    let index = mk_index(json!({"parents": []}));
    let input = PlanInput::from_snapshot(index.snapshot(), &ClusterConfig::default());
    let gateways: BTreeSet<_> = [("app".to_string(), "mesh".to_string())].into();
    let out = gateway_statuses(
        &index,
        &gateways,
        &input.service_networks,
        &ApplyOutcome::Programmed,
        &now(),
    );
    let targets: Vec<_> = out.iter().map(|p| p.target.clone()).collect();
    assert_eq!(
        targets,
        [
            StatusTarget::GatewayClass("amazon-vpc-lattice".into()),
            StatusTarget::Gateway(("app".into(), "mesh".into())),
        ]
    );
    let gw = &out[1].status;
    assert_eq!(gw["listeners"][0]["attachedRoutes"], 1);
    // Written back, neither changes again.
    let mut index = index;
    for p in &out {
        let (kind, ns, name) = match &p.target {
            StatusTarget::GatewayClass(n) => ("GatewayClass", None, n.clone()),
            StatusTarget::Gateway((ns, n)) => ("Gateway", Some(ns.clone()), n.clone()),
            other => panic!("no policy here: {other:?}"),
        };
        let mut obj = match kind {
            "GatewayClass" => serde_json::to_value(&index.snapshot().gateway_classes[&name]),
            _ => serde_json::to_value(
                &index.snapshot().gateways[&(ns.clone().unwrap_or_default(), name.clone())],
            ),
        }
        .expect("serialisable");
        obj["apiVersion"] = "gateway.networking.k8s.io/v1".into();
        obj["kind"] = kind.into();
        obj["status"] = p.status.clone();
        index.apply(obj).expect("a valid object");
    }
    let again = gateway_statuses(
        &index,
        &gateways,
        &input.service_networks,
        &ApplyOutcome::Programmed,
        &now(),
    );
    assert!(again.is_empty(), "{again:?}");
}

#[test]
fn what_an_input_attached_is_each_planned_route_with_its_parents_of_ours_and_the_gateways() {
    let mut index = mk_index(json!({"parents": []}));
    index
        .apply(
            json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute",
            "metadata":{"name":"elsewhere","namespace":"app"},
            "spec":{"parentRefs":[{"name":"not-ours"}],"rules":[{}]}}),
        )
        .expect("a valid object");
    let attached = PlanInput::from_snapshot(index.snapshot(), &ClusterConfig::default()).attached();
    assert_eq!(attached.routes.len(), 1, "{:?}", attached.routes);
    assert_eq!(attached.routes.get(&route()), Some(&vec![0]));
    let gateways: Vec<&str> = attached
        .service_networks
        .iter()
        .map(|n| n.gateway.name.as_str())
        .collect();
    assert_eq!(gateways, vec!["mesh"]);
}
