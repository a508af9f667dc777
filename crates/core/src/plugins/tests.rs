//! The choice of plugin and the verdicts, rule by rule.

use lattice_plugin_sdk::types::RouteKind;
use serde_json::{Value, json};

use super::*;
use crate::crds::PluginStage::{Auth, Weighting};
use crate::index::RouteKey;
use crate::snapshot::Snapshot;

/// A ClusterLatticePlugin created at second `created` of the day.
fn mk_clp(name: &str, stage: &str, created: u32, extra: Value) -> Value {
    let mut spec = json!({"stage":stage,"source":{"file":"/p.wasm"}});
    merge(&mut spec, extra);
    json!({"apiVersion":"lattice-host.io/v1alpha1","kind":"ClusterLatticePlugin",
        "metadata":{"name":name,"creationTimestamp":at(created)},"spec":spec})
}

/// A LatticePlugin in `ns` created at second `created`, naming `targets`
/// (HTTPRoutes).
fn mk_lp(ns: &str, name: &str, stage: &str, created: u32, targets: &[&str]) -> Value {
    let refs: Vec<Value> = targets
        .iter()
        .map(|t| json!({"group":"gateway.networking.k8s.io","kind":"HTTPRoute","name":t}))
        .collect();
    json!({"apiVersion":"lattice-host.io/v1alpha1","kind":"LatticePlugin",
        "metadata":{"name":name,"namespace":ns,"creationTimestamp":at(created)},
        "spec":{"stage":stage,"source":{"configMap":{"name":name,"key":"p.wasm"}},"targetRefs":refs}})
}

fn mk_ns(name: &str, team: &str) -> Value {
    json!({"apiVersion":"v1","kind":"Namespace","metadata":{"name":name,"labels":{"team":team}}})
}

fn at(second: u32) -> String {
    format!("2024-01-01T00:00:{second:02}Z")
}

fn merge(into: &mut Value, extra: Value) {
    if let (Some(a), Value::Object(b)) = (into.as_object_mut(), extra) {
        a.extend(b);
    }
}

fn snapshot(objects: Vec<Value>) -> Snapshot {
    let mut s = Snapshot::default();
    for o in objects {
        assert!(s.add_manifest(o).unwrap());
    }
    s
}

fn route(ns: &str, name: &str) -> RouteKey {
    RouteKey {
        kind: RouteKind::Http,
        namespace: ns.into(),
        name: name.into(),
    }
}

fn cluster(name: &str) -> Choice {
    Choice::Cluster(name.into())
}

fn local(ns: &str, name: &str) -> Choice {
    Choice::Namespaced((ns.into(), name.into()))
}

/// An open cluster plugin of `weighting` that delegates.
fn delegating() -> Value {
    mk_clp(
        "open",
        "weighting",
        0,
        json!({"allowNamespaceOverride":true}),
    )
}

#[test]
fn without_plugin_objects_the_built_in_default_decides() {
    let s = snapshot(vec![]);
    assert_eq!(choose(&s, &route("app", "r"), Weighting), Choice::Default);
}

#[test]
fn a_targeted_plugin_beats_a_namespace_wide_one_which_beats_the_cluster_plugin() {
    let s = snapshot(vec![
        delegating(),
        mk_lp("app", "wide", "weighting", 1, &[]),
        mk_lp("app", "narrow", "weighting", 2, &["r"]),
    ]);
    assert_eq!(
        choose(&s, &route("app", "r"), Weighting),
        local("app", "narrow")
    );
    assert_eq!(
        choose(&s, &route("app", "other"), Weighting),
        local("app", "wide")
    );
    assert_eq!(
        choose(&s, &route("elsewhere", "r"), Weighting),
        cluster("open")
    );
}

#[test]
fn a_plugin_decides_only_its_stage() {
    let s = snapshot(vec![
        delegating(),
        mk_lp("app", "wide", "weighting", 1, &[]),
    ]);
    assert_eq!(choose(&s, &route("app", "r"), Auth), Choice::Default);
}

#[test]
fn a_target_ref_names_a_route_by_kind_as_well_as_name() {
    let s = snapshot(vec![
        delegating(),
        mk_lp("app", "narrow", "weighting", 1, &["r"]),
    ]);
    let grpc = RouteKey {
        kind: RouteKind::Grpc,
        ..route("app", "r")
    };
    assert_eq!(choose(&s, &grpc, Weighting), cluster("open"));
}

#[test]
fn a_namespaced_plugin_does_not_count_unless_the_cluster_plugin_delegates() {
    let closed = mk_clp("closed", "weighting", 0, json!({}));
    let s = snapshot(vec![closed, mk_lp("app", "wide", "weighting", 1, &[])]);
    assert_eq!(choose(&s, &route("app", "r"), Weighting), cluster("closed"));
    let v = &verdicts(&s).namespaced[&("app".into(), "wide".into())];
    assert_eq!(v.reason, Reason::NotDelegated);
    assert!(v.message.contains("closed"), "{}", v.message);
}

#[test]
fn a_namespaced_plugin_without_any_cluster_plugin_of_its_stage_is_not_delegated() {
    let s = snapshot(vec![mk_lp("app", "wide", "weighting", 1, &[])]);
    assert_eq!(choose(&s, &route("app", "r"), Weighting), Choice::Default);
    let v = &verdicts(&s).namespaced[&("app".into(), "wide".into())];
    assert_eq!(v.reason, Reason::NotDelegated);
}

#[test]
fn delegation_comes_from_the_cluster_plugin_that_applies_to_the_namespace() {
    let books_open = mk_clp(
        "books",
        "weighting",
        0,
        json!({"allowNamespaceOverride":true,"namespaceSelector":{"matchLabels":{"team":"books"}}}),
    );
    let rest_closed = mk_clp("rest", "weighting", 1, json!({}));
    let s = snapshot(vec![
        books_open,
        rest_closed,
        mk_ns("app", "books"),
        mk_ns("shop", "music"),
        mk_lp("app", "a", "weighting", 2, &[]),
        mk_lp("shop", "s", "weighting", 2, &[]),
    ]);
    assert_eq!(choose(&s, &route("app", "r"), Weighting), local("app", "a"));
    assert_eq!(choose(&s, &route("shop", "r"), Weighting), cluster("rest"));
}

#[test]
fn a_cluster_plugin_applies_only_where_its_selector_matches_the_namespace_labels() {
    let sel = json!({"namespaceSelector":{"matchExpressions":[{"key":"team","operator":"In","values":["books"]}]}});
    let s = snapshot(vec![
        mk_clp("books", "auth", 0, sel),
        mk_ns("app", "books"),
        mk_ns("shop", "music"),
    ]);
    assert_eq!(choose(&s, &route("app", "r"), Auth), cluster("books"));
    assert_eq!(choose(&s, &route("shop", "r"), Auth), Choice::Default);
}

#[test]
fn a_namespace_the_snapshot_does_not_hold_still_has_its_name_label() {
    let sel = json!({"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"app"}}});
    let s = snapshot(vec![mk_clp("app-only", "auth", 0, sel)]);
    assert_eq!(choose(&s, &route("app", "r"), Auth), cluster("app-only"));
    assert_eq!(choose(&s, &route("shop", "r"), Auth), Choice::Default);
}

#[test]
fn among_equal_cluster_plugins_the_oldest_wins_and_the_other_is_conflicted() {
    let s = snapshot(vec![
        mk_clp("young", "auth", 5, json!({})),
        mk_clp("old", "auth", 1, json!({})),
        mk_ns("app", "books"),
    ]);
    assert_eq!(choose(&s, &route("app", "r"), Auth), cluster("old"));
    let v = verdicts(&s);
    assert!(v.cluster["old"].accepted());
    assert_eq!(v.cluster["young"].reason, Reason::Conflicted);
    assert!(v.cluster["young"].message.contains("old"));
}

#[test]
fn a_cluster_plugin_shadowed_in_some_namespaces_only_stays_accepted() {
    let books = json!({"namespaceSelector":{"matchLabels":{"team":"books"}}});
    let s = snapshot(vec![
        mk_clp("books", "auth", 1, books),
        mk_clp("all", "auth", 2, json!({})),
        mk_ns("app", "books"),
        mk_ns("shop", "music"),
    ]);
    assert_eq!(choose(&s, &route("app", "r"), Auth), cluster("books"));
    assert_eq!(choose(&s, &route("shop", "r"), Auth), cluster("all"));
    let v = &verdicts(&s).cluster["all"];
    assert!(v.accepted());
    assert_eq!(
        v.message,
        "older ClusterLatticePlugin books decides namespace app"
    );
}

#[test]
fn equal_ages_are_broken_by_name() {
    let s = snapshot(vec![
        delegating(),
        mk_lp("app", "b", "weighting", 3, &[]),
        mk_lp("app", "a", "weighting", 3, &[]),
    ]);
    assert_eq!(choose(&s, &route("app", "r"), Weighting), local("app", "a"));
    let v = verdicts(&s);
    assert!(v.namespaced[&("app".into(), "a".into())].accepted());
    assert_eq!(
        v.namespaced[&("app".into(), "b".into())].reason,
        Reason::Conflicted
    );
}

#[test]
fn a_targeted_plugin_beaten_on_every_route_it_names_is_conflicted() {
    let s = snapshot(vec![
        delegating(),
        mk_lp("app", "first", "weighting", 1, &["r", "q"]),
        mk_lp("app", "second", "weighting", 2, &["r"]),
        mk_lp("app", "third", "weighting", 3, &["r", "z"]),
    ]);
    let v = verdicts(&s);
    let second = &v.namespaced[&("app".into(), "second".into())];
    assert_eq!(second.reason, Reason::Conflicted);
    assert_eq!(second.message, "older LatticePlugin first decides route r");
    assert!(v.namespaced[&("app".into(), "third".into())].accepted());
    assert_eq!(
        choose(&s, &route("app", "z"), Weighting),
        local("app", "third")
    );
}

#[test]
fn an_invalid_plugin_object_never_decides_and_its_verdict_names_the_field() {
    let mut two_sources = mk_clp("two", "auth", 0, json!({}));
    two_sources["spec"]["source"]["oci"] = json!("r/p:latest");
    let s = snapshot(vec![two_sources]);
    assert_eq!(choose(&s, &route("app", "r"), Auth), Choice::Default);
    let v = &verdicts(&s).cluster["two"];
    assert_eq!(v.reason, Reason::Invalid);
    assert!(v.message.starts_with("spec.source:"), "{}", v.message);
}

#[test]
fn deleting_the_deciding_plugin_returns_the_route_to_the_next_most_specific() {
    let mut s = snapshot(vec![
        delegating(),
        mk_lp("app", "wide", "weighting", 1, &[]),
        mk_lp("app", "narrow", "weighting", 2, &["r"]),
    ]);
    let r = route("app", "r");
    assert_eq!(choose(&s, &r, Weighting), local("app", "narrow"));
    s.lattice_plugins.remove(&("app".into(), "narrow".into()));
    assert_eq!(choose(&s, &r, Weighting), local("app", "wide"));
    s.lattice_plugins.remove(&("app".into(), "wide".into()));
    assert_eq!(choose(&s, &r, Weighting), cluster("open"));
    s.cluster_lattice_plugins.remove("open");
    assert_eq!(choose(&s, &r, Weighting), Choice::Default);
}

#[test]
fn a_plugin_object_without_a_timestamp_counts_as_oldest() {
    let mut undated = mk_clp("z-undated", "auth", 0, json!({}));
    undated["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("creationTimestamp");
    let s = snapshot(vec![mk_clp("a-dated", "auth", 0, json!({})), undated]);
    assert_eq!(choose(&s, &route("app", "r"), Auth), cluster("z-undated"));
}

#[test]
fn a_plugin_object_not_serving_yet_leaves_its_routes_to_the_next_most_specific() {
    let s = snapshot(vec![
        delegating(),
        mk_lp("app", "wide", "weighting", 1, &[]),
        mk_lp("app", "narrow", "weighting", 2, &["r"]),
    ]);
    let r = route("app", "r");
    assert_eq!(
        candidates(&s, &r, Weighting),
        vec![
            local("app", "narrow"),
            local("app", "wide"),
            cluster("open"),
            Choice::Default
        ]
    );
    let only_cluster = |c: &Choice| *c == cluster("open");
    assert_eq!(
        choose_live(&s, &r, Weighting, only_cluster),
        cluster("open")
    );
    assert_eq!(choose_live(&s, &r, Weighting, |_| false), Choice::Default);
}

#[test]
fn a_service_network_is_decided_by_the_cluster_plugin_never_a_namespaced_one() {
    let s = snapshot(vec![
        mk_clp("gate", "auth", 0, json!({"allowNamespaceOverride":true})),
        mk_lp("app", "mine", "auth", 1, &[]),
    ]);
    assert_eq!(
        choose_for_network(&s, "app", Auth, |_| true),
        cluster("gate")
    );
    assert_eq!(
        choose_for_network(&s, "app", Auth, |_| false),
        Choice::Default
    );
    assert_eq!(
        choose_for_network(&s, "app", Weighting, |_| true),
        Choice::Default
    );
}
