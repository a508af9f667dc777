//! Which plugin decides one stage of one route: the most specific accepted
//! plugin object, or the built-in default.
//!
//! In order:
//! 1. a LatticePlugin in the route's namespace whose `targetRefs` name it;
//! 2. a LatticePlugin in the route's namespace without `targetRefs`;
//! 3. a ClusterLatticePlugin whose `namespaceSelector` matches the route's
//!    namespace (no selector: every namespace);
//! 4. the built-in plugin of the stage.
//!
//! LatticePlugins count only where the ClusterLatticePlugin of their stage
//! that applies to the namespace says `allowNamespaceOverride: true`. Where
//! no cluster plugin of the stage applies, none delegates, so the namespace
//! keeps the built-in default: taking a stage over is a cluster operator's
//! grant, never a default. Among plugins of one rank, the oldest
//! (`metadata.creationTimestamp`, then namespace and name) wins; an object
//! without a timestamp (an offline manifest) counts as oldest. Invalid
//! objects (see [`super::validate`]) never count.

use std::borrow::Cow;
use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};

use super::{selector, validate};
use crate::crds::plugins::{ClusterLatticePlugin, LatticePlugin, PluginStage};
use crate::index::RouteKey;
use crate::kinds::GATEWAY_GROUP;
use crate::snapshot::{Key, Snapshot};

/// The label the API server puts on every namespace, naming it; assumed
/// for namespaces the snapshot does not hold (offline manifests).
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// Which plugin decides one stage of one route.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Choice {
    /// The built-in plugin of the stage.
    Default,
    /// The ClusterLatticePlugin with this name.
    Cluster(String),
    /// The LatticePlugin with this `(namespace, name)`.
    Namespaced(Key),
}

impl std::fmt::Display for Choice {
    /// `ClusterLatticePlugin name`, `LatticePlugin namespace/name`, or the
    /// built-in plugin: how messages and Events name a plugin object.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Choice::Default => f.write_str("the built-in plugin"),
            Choice::Cluster(n) => write!(f, "ClusterLatticePlugin {n}"),
            Choice::Namespaced((ns, n)) => write!(f, "LatticePlugin {ns}/{n}"),
        }
    }
}

/// A plugin object's spec, and the namespace its ConfigMap and pull secret
/// are read from: its own for a LatticePlugin, `own_namespace` (the
/// controller's) for a ClusterLatticePlugin. `None` for the default or an
/// object the snapshot does not hold.
pub fn spec_of<'a>(
    snapshot: &'a Snapshot,
    choice: &Choice,
    own_namespace: &str,
) -> Option<(&'a crate::crds::plugins::PluginSpec, String)> {
    match choice {
        Choice::Default => None,
        Choice::Cluster(n) => {
            let p = snapshot.cluster_lattice_plugins.get(n)?;
            Some((&p.spec.plugin, own_namespace.to_string()))
        }
        Choice::Namespaced(k) => {
            let p = snapshot.lattice_plugins.get(k)?;
            Some((&p.spec.plugin, k.0.clone()))
        }
    }
}

/// The plugin that decides `stage` for `route`, were every plugin object
/// serving: the first of [`candidates`].
pub fn choose(snapshot: &Snapshot, route: &RouteKey, stage: PluginStage) -> Choice {
    choose_live(snapshot, route, stage, |_| true)
}

/// The plugin that decides `stage` for `route` now: the first candidate
/// that `live` says is serving. A plugin object whose component is not
/// loaded yet (or was never accepted) leaves its routes to the next most
/// specific plugin, so nothing changes hands before it can serve.
pub fn choose_live(
    snapshot: &Snapshot,
    route: &RouteKey,
    stage: PluginStage,
    live: impl Fn(&Choice) -> bool,
) -> Choice {
    candidates(snapshot, route, stage)
        .into_iter()
        .find(|c| *c == Choice::Default || live(c))
        .unwrap_or(Choice::Default)
}

/// Every plugin that may decide `stage` for `route`, most specific first,
/// ending with the built-in default.
pub fn candidates(snapshot: &Snapshot, route: &RouteKey, stage: PluginStage) -> Vec<Choice> {
    let ns = route.namespace.as_str();
    let Some((cluster, plugin)) = cluster_winner(snapshot, ns, stage) else {
        return vec![Choice::Default];
    };
    let mut out = Vec::with_capacity(4);
    if plugin.spec.allow_namespace_override {
        let targeted = targeted_winner(snapshot, route, stage);
        let wide = wide_winner(snapshot, ns, stage);
        out.extend(
            [targeted, wide]
                .into_iter()
                .flatten()
                .cloned()
                .map(Choice::Namespaced),
        );
    }
    out.extend([Choice::Cluster(cluster.clone()), Choice::Default]);
    out
}

/// The plugin that decides `stage` (auth, in practice) for the service
/// network of a Gateway in `namespace`: the cluster plugin that applies
/// there, when `live`, else the built-in default. LatticePlugins never
/// decide a service network: it is shared by every namespace's routes.
pub fn choose_for_network(
    snapshot: &Snapshot,
    namespace: &str,
    stage: PluginStage,
    live: impl Fn(&Choice) -> bool,
) -> Choice {
    match cluster_winner(snapshot, namespace, stage) {
        Some((name, _)) if live(&Choice::Cluster(name.clone())) => Choice::Cluster(name.clone()),
        _ => Choice::Default,
    }
}

/// Age order: creation time, then namespace and name.
type Age<'a> = (Option<&'a Time>, Option<&'a str>, Option<&'a str>);

fn age(meta: &ObjectMeta) -> Age<'_> {
    (
        meta.creation_timestamp.as_ref(),
        meta.namespace.as_deref(),
        meta.name.as_deref(),
    )
}

/// A namespace's labels, with the name label the API server adds.
pub(super) fn labels_of<'a>(snapshot: &'a Snapshot, ns: &str) -> Cow<'a, BTreeMap<String, String>> {
    let held = snapshot
        .namespaces
        .get(ns)
        .and_then(|n| n.metadata.labels.as_ref());
    match held {
        Some(l) if l.contains_key(NAMESPACE_NAME_LABEL) => Cow::Borrowed(l),
        other => {
            let mut l = other.cloned().unwrap_or_default();
            l.insert(NAMESPACE_NAME_LABEL.into(), ns.into());
            Cow::Owned(l)
        }
    }
}

/// Whether a valid cluster plugin of `stage` applies to a namespace with
/// these labels.
pub(super) fn applies(
    plugin: &ClusterLatticePlugin,
    stage: PluginStage,
    labels: &BTreeMap<String, String>,
) -> bool {
    plugin.spec.plugin.stage == stage
        && validate::cluster_plugin(&plugin.spec).is_ok()
        && plugin
            .spec
            .namespace_selector
            .as_ref()
            .is_none_or(|s| selector::matches(s, labels))
}

/// The oldest valid cluster plugin of `stage` applying to namespace `ns`.
pub(super) fn cluster_winner<'a>(
    snapshot: &'a Snapshot,
    ns: &str,
    stage: PluginStage,
) -> Option<(&'a String, &'a ClusterLatticePlugin)> {
    let labels = labels_of(snapshot, ns);
    snapshot
        .cluster_lattice_plugins
        .iter()
        .filter(|(_, p)| applies(p, stage, &labels))
        .min_by_key(|(_, p)| age(&p.metadata))
}

/// The valid LatticePlugins of `stage` in namespace `ns`.
pub(super) fn local_candidates<'a>(
    snapshot: &'a Snapshot,
    ns: &str,
    stage: PluginStage,
) -> impl Iterator<Item = (&'a Key, &'a LatticePlugin)> {
    snapshot
        .lattice_plugins
        .range((ns.to_string(), String::new())..)
        .take_while(move |(k, _)| k.0 == *ns)
        .filter(move |(_, p)| {
            p.spec.plugin.stage == stage && validate::lattice_plugin(&p.spec).is_ok()
        })
}

/// Whether a plugin's `targetRefs` name the route.
pub(super) fn targets(plugin: &LatticePlugin, route: &RouteKey) -> bool {
    plugin.spec.target_refs.iter().any(|r| {
        r.group == GATEWAY_GROUP && r.kind == route.kind.kind_name() && r.name == route.name
    })
}

/// The oldest LatticePlugin of `stage` whose `targetRefs` name the route.
pub(super) fn targeted_winner<'a>(
    snapshot: &'a Snapshot,
    route: &RouteKey,
    stage: PluginStage,
) -> Option<&'a Key> {
    local_candidates(snapshot, &route.namespace, stage)
        .filter(|(_, p)| targets(p, route))
        .min_by_key(|(_, p)| age(&p.metadata))
        .map(|(k, _)| k)
}

/// The oldest LatticePlugin of `stage` in `ns` without `targetRefs`.
pub(super) fn wide_winner<'a>(
    snapshot: &'a Snapshot,
    ns: &str,
    stage: PluginStage,
) -> Option<&'a Key> {
    local_candidates(snapshot, ns, stage)
        .filter(|(_, p)| p.spec.target_refs.is_empty())
        .min_by_key(|(_, p)| age(&p.metadata))
        .map(|(k, _)| k)
}
