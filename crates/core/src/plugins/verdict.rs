//! Whether each plugin object is accepted, and why not: the `Accepted`
//! condition the status writer will put on it. Pure, from the snapshot
//! alone, by the same rules as [`super::choose`].

use std::collections::{BTreeMap, BTreeSet};

use super::select::{applies, cluster_winner, labels_of, targeted_winner, wide_winner};
use super::validate;
use crate::crds::plugins::{ClusterLatticePlugin, LatticePlugin};
use crate::index::RouteKey;
use crate::kinds::{self, GATEWAY_GROUP};
use crate::snapshot::{Key, Snapshot};

/// The reason of a plugin object's `Accepted` condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    /// It decides (or may decide) the routes it names or selects.
    Accepted,
    /// A LatticePlugin where no cluster plugin of its stage allows
    /// namespace overrides.
    NotDelegated,
    /// Older plugin objects of the same rank decide everything it would.
    Conflicted,
    /// Its spec cannot be used; the message names the field.
    Invalid,
}

impl Reason {
    /// The reason as written in the condition.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Accepted => "Accepted",
            Reason::NotDelegated => "NotDelegated",
            Reason::Conflicted => "Conflicted",
            Reason::Invalid => "Invalid",
        }
    }
}

/// One plugin object's acceptance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Why.
    pub reason: Reason,
    /// For people: what it lost to, or what is wrong.
    pub message: String,
}

impl Verdict {
    fn new(reason: Reason, message: impl Into<String>) -> Self {
        Verdict {
            reason,
            message: message.into(),
        }
    }

    /// Whether the `Accepted` condition is `True`.
    pub fn accepted(&self) -> bool {
        self.reason == Reason::Accepted
    }
}

/// Every plugin object's verdict.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdicts {
    /// ClusterLatticePlugins by name.
    pub cluster: BTreeMap<String, Verdict>,
    /// LatticePlugins by `(namespace, name)`.
    pub namespaced: BTreeMap<Key, Verdict>,
}

/// The verdict of every plugin object in the snapshot.
pub fn verdicts(snapshot: &Snapshot) -> Verdicts {
    let known = known_namespaces(snapshot);
    let cluster = snapshot.cluster_lattice_plugins.iter();
    let namespaced = snapshot.lattice_plugins.iter();
    Verdicts {
        cluster: cluster
            .map(|(n, p)| (n.clone(), cluster_verdict(snapshot, &known, n, p)))
            .collect(),
        namespaced: namespaced
            .map(|(k, p)| (k.clone(), namespaced_verdict(snapshot, k, p)))
            .collect(),
    }
}

/// Namespaces a cluster plugin could decide: those the snapshot holds, and
/// those of its routes and LatticePlugins (offline manifests may hold no
/// Namespace objects).
fn known_namespaces(snapshot: &Snapshot) -> BTreeSet<String> {
    let mut known: BTreeSet<String> = snapshot.namespaces.keys().cloned().collect();
    known.extend(snapshot.lattice_plugins.keys().map(|k| k.0.clone()));
    for route in kinds::routes() {
        known.extend(route.keys(snapshot).into_iter().map(|k| k.0));
    }
    known
}

/// Accepted unless invalid, or every known namespace it selects is decided
/// by an older cluster plugin of its stage.
fn cluster_verdict(
    snapshot: &Snapshot,
    known: &BTreeSet<String>,
    name: &str,
    plugin: &ClusterLatticePlugin,
) -> Verdict {
    if let Err(e) = validate::cluster_plugin(&plugin.spec) {
        return Verdict::new(Reason::Invalid, e.to_string());
    }
    let stage = plugin.spec.plugin.stage;
    let mut lost: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut won = false;
    for ns in known {
        if !applies(plugin, stage, &labels_of(snapshot, ns)) {
            continue;
        }
        match cluster_winner(snapshot, ns, stage) {
            Some((w, _)) if w != name => lost.entry(w.as_str()).or_default().push(ns),
            _ => won = true,
        }
    }
    let losses = describe(&lost, "ClusterLatticePlugin", "namespace");
    match (won, lost.is_empty()) {
        (false, false) => Verdict::new(Reason::Conflicted, losses),
        (true, false) => Verdict::new(Reason::Accepted, losses),
        _ => Verdict::new(Reason::Accepted, ""),
    }
}

/// "older ClusterLatticePlugin a decides namespace x, y", one clause per winner.
fn describe(lost: &BTreeMap<&str, Vec<&str>>, kind: &str, what: &str) -> String {
    let clauses: Vec<String> = lost
        .iter()
        .map(|(w, items)| format!("older {kind} {w} decides {what} {}", items.join(", ")))
        .collect();
    clauses.join("; ")
}

/// Accepted unless invalid, not delegated, or beaten everywhere by older
/// LatticePlugins of the same rank.
fn namespaced_verdict(snapshot: &Snapshot, key: &Key, plugin: &LatticePlugin) -> Verdict {
    if let Err(e) = validate::lattice_plugin(&plugin.spec) {
        return Verdict::new(Reason::Invalid, e.to_string());
    }
    let stage = plugin.spec.plugin.stage;
    let ns = key.0.as_str();
    match cluster_winner(snapshot, ns, stage) {
        None => {
            let why = format!(
                "no ClusterLatticePlugin of stage {} applies to namespace {ns}",
                stage.as_str()
            );
            return Verdict::new(Reason::NotDelegated, why);
        }
        Some((c, p)) if !p.spec.allow_namespace_override => {
            let why = format!("ClusterLatticePlugin {c} does not set allowNamespaceOverride");
            return Verdict::new(Reason::NotDelegated, why);
        }
        Some(_) => {}
    }
    if plugin.spec.target_refs.is_empty() {
        return wide_verdict(snapshot, key, stage);
    }
    targeted_verdict(snapshot, key, plugin)
}

/// A namespace-wide LatticePlugin: the oldest of its stage wins.
fn wide_verdict(snapshot: &Snapshot, key: &Key, stage: crate::crds::PluginStage) -> Verdict {
    match wide_winner(snapshot, &key.0, stage) {
        Some(w) if w != key => Verdict::new(
            Reason::Conflicted,
            format!("older LatticePlugin {} decides namespace {}", w.1, key.0),
        ),
        _ => Verdict::new(Reason::Accepted, ""),
    }
}

/// A LatticePlugin with `targetRefs`: route by route, the oldest naming it wins.
fn targeted_verdict(snapshot: &Snapshot, key: &Key, plugin: &LatticePlugin) -> Verdict {
    let stage = plugin.spec.plugin.stage;
    let mut lost: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut won = false;
    for r in &plugin.spec.target_refs {
        let Some(route) = kinds::find(GATEWAY_GROUP, &r.kind).and_then(|k| k.as_route()) else {
            continue;
        };
        let rk = RouteKey::new(route.route_kind(), &(key.0.clone(), r.name.clone()));
        match targeted_winner(snapshot, &rk, stage) {
            Some(w) if w != key => lost.entry(w.1.as_str()).or_default().push(&r.name),
            _ => won = true,
        }
    }
    let losses = describe(&lost, "LatticePlugin", "route");
    match (won, lost.is_empty()) {
        (false, false) => Verdict::new(Reason::Conflicted, losses),
        (true, false) => Verdict::new(Reason::Accepted, losses),
        _ => Verdict::new(Reason::Accepted, ""),
    }
}
