//! The plugin objects' lifecycle in the running controller:
//!
//! ```text
//! plugin object (or its ConfigMap) changes ─► reconcile: a load per new spec,
//!   in the background: fetch (sources.rs) ─► verify ─► compile ─► check
//! ─► PluginEvent::Loaded, back in the run loop, between passes:
//!   refused ─► the previous version keeps serving; Event, status
//!   loaded  ─► safety gate (gate.rs): a dry run over the routes it would decide
//!            ─► passes: swapped into the Table at once; its routes re-planned
//!            ─► fails:  Blocked; the previous version keeps serving
//! ```
//!
//! Swaps happen only in the run loop, between passes, so a pass plans every
//! route of a stage and scope with one digest.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use lattice_core::crds::plugins::{PluginSpec, PluginStage, PluginStatus};
use lattice_core::index::{Dirty, Index, RouteKey};
use lattice_core::plan::FailurePolicy;
use lattice_core::plugins::{Choice, validate};
use lattice_core::snapshot::{Key, Snapshot};
use lattice_core::status::Attempt;
use lattice_wasm::{LoadedPlugin, PluginRuntime, StagePlugin, WasmStages};
use tokio::sync::mpsc;

use super::serving::{Serving, Table};
use super::sources::{self, SourceContext};

/// A fetch that takes longer than this is refused; the previous version
/// keeps serving and the next change of the object tries again.
const FETCH_TIMEOUT: Duration = Duration::from_secs(60);

/// How plugin objects are served.
#[derive(Clone, Debug, Default)]
pub(crate) struct HostOptions {
    /// Where fetched components are kept by digest; `None`: in memory only.
    pub cache_dir: Option<PathBuf>,
    /// The controller's namespace: a ClusterLatticePlugin's `pullSecret`
    /// is read from it.
    pub namespace: String,
}

/// What the background reports to the run loop.
pub(crate) enum PluginEvent {
    /// A load finished.
    Loaded(Box<Loaded>),
    /// A ConfigMap's resourceVersion, or its deletion (`None`).
    ConfigMap { key: Key, version: Option<String> },
    /// Every ConfigMap has been listed once.
    ConfigMapsListed,
}

/// A finished load of one object's spec.
pub(crate) struct Loaded {
    pub id: Choice,
    pub key: LoadKey,
    pub result: Result<LoadedPlugin, Attempt>,
}

/// What a load is made from: when any of it changes, the object is loaded
/// again.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LoadKey {
    spec: PluginSpec,
    config_map_version: Option<String>,
}

/// The latest load of one object.
struct Record {
    key: LoadKey,
    generation: Option<i64>,
    attempt: Attempt,
}

/// One plugin object, as the lifecycle sees it.
pub(crate) struct Object<'a> {
    pub id: Choice,
    pub spec: &'a PluginSpec,
    pub meta: &'a ObjectMeta,
    pub status: Option<&'a PluginStatus>,
    /// Where its ConfigMap and pull secret are read.
    pub namespace: String,
    pub valid: bool,
}

/// Every plugin object in the snapshot.
pub(crate) fn objects<'a>(snapshot: &'a Snapshot, own_namespace: &str) -> Vec<Object<'a>> {
    let cluster = snapshot
        .cluster_lattice_plugins
        .iter()
        .map(|(n, p)| Object {
            id: Choice::Cluster(n.clone()),
            spec: &p.spec.plugin,
            meta: &p.metadata,
            status: p.status.as_ref(),
            namespace: own_namespace.to_string(),
            valid: validate::cluster_plugin(&p.spec).is_ok(),
        });
    let local = snapshot.lattice_plugins.iter().map(|(k, p)| Object {
        id: Choice::Namespaced(k.clone()),
        spec: &p.spec.plugin,
        meta: &p.metadata,
        status: p.status.as_ref(),
        namespace: k.0.clone(),
        valid: validate::lattice_plugin(&p.spec).is_ok(),
    });
    cluster.chain(local).collect()
}

/// What happened to a plugin object that people should hear of.
pub(crate) struct Notice {
    pub id: Choice,
    pub warning: bool,
    pub reason: &'static str,
    pub message: String,
}

/// Plugin objects, their loads, and the table of what serves.
pub(crate) struct PluginHost {
    runtime: PluginRuntime,
    pub options: HostOptions,
    pub table: RwLock<Table>,
    records: Mutex<BTreeMap<Choice, Record>>,
    config_maps: Mutex<BTreeMap<Key, String>>,
    config_maps_listed: std::sync::atomic::AtomicBool,
    /// The last status written per object, to write only changes.
    pub written: Mutex<BTreeMap<Choice, PluginStatus>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl PluginHost {
    pub fn new(runtime: PluginRuntime, options: HostOptions) -> Self {
        PluginHost {
            runtime,
            options,
            table: Default::default(),
            records: Default::default(),
            config_maps: Default::default(),
            config_maps_listed: Default::default(),
            written: Default::default(),
        }
    }

    /// The table of what serves, to plan with.
    pub fn table(&self) -> std::sync::RwLockReadGuard<'_, Table> {
        self.table.read().unwrap_or_else(|p| p.into_inner())
    }

    fn table_mut(&self) -> std::sync::RwLockWriteGuard<'_, Table> {
        self.table.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether every load started so far has finished: the first pass waits
    /// for it, so a restart never plans a route with a plugin it does not use.
    pub fn settled(&self) -> bool {
        self.config_maps_listed
            .load(std::sync::atomic::Ordering::Relaxed)
            && lock(&self.records)
                .values()
                .all(|r| r.attempt != Attempt::Loading)
    }

    /// Notes a ConfigMap event; true when a plugin object may need a reload.
    pub fn config_map(&self, event: &PluginEvent) -> bool {
        match event {
            PluginEvent::ConfigMap { key, version } => {
                let mut cms = lock(&self.config_maps);
                match version {
                    Some(v) => cms.insert(key.clone(), v.clone()).as_ref() != Some(v),
                    None => cms.remove(key).is_some(),
                }
            }
            PluginEvent::ConfigMapsListed => !self
                .config_maps_listed
                .swap(true, std::sync::atomic::Ordering::Relaxed),
            PluginEvent::Loaded(_) => false,
        }
    }

    fn load_key(&self, o: &Object<'_>) -> LoadKey {
        let version = o.spec.source.config_map.as_ref().and_then(|cm| {
            let ns = cm.namespace.clone().unwrap_or_else(|| o.namespace.clone());
            lock(&self.config_maps).get(&(ns, cm.name.clone())).cloned()
        });
        LoadKey {
            spec: o.spec.clone(),
            config_map_version: version,
        }
    }

    /// Starts a load for every object whose spec (or ConfigMap) changed, and
    /// forgets deleted ones. Returns the routes a deletion hands back to the
    /// next most specific plugin.
    pub fn reconcile(
        &self,
        index: &Index,
        client: &kube::Client,
        tx: &mpsc::Sender<PluginEvent>,
    ) -> Dirty {
        let snapshot = index.snapshot();
        let objects = objects(snapshot, &self.options.namespace);
        let listed = self
            .config_maps_listed
            .load(std::sync::atomic::Ordering::Relaxed);
        let mut records = lock(&self.records);
        for o in objects.iter().filter(|o| o.valid) {
            // A ConfigMap source waits for the ConfigMaps' first listing,
            // so it is loaded once with the version it will be watched at.
            if o.spec.source.config_map.is_some() && !listed {
                continue;
            }
            let key = self.load_key(o);
            if records.get(&o.id).is_some_and(|r| r.key == key) {
                continue;
            }
            records.insert(
                o.id.clone(),
                Record {
                    key: key.clone(),
                    generation: o.meta.generation,
                    attempt: Attempt::Loading,
                },
            );
            self.spawn_load(client, o, key, tx.clone());
        }
        let present: BTreeSet<&Choice> = objects.iter().map(|o| &o.id).collect();
        let gone: Vec<Choice> = records
            .keys()
            .filter(|id| !present.contains(id))
            .cloned()
            .collect();
        let mut dirty = Dirty::default();
        for id in gone {
            records.remove(&id);
            lock(&self.written).remove(&id);
            if self.table_mut().serving.remove(&id).is_some() {
                dirty.merge(routes_of(index, &id));
            }
        }
        dirty
    }

    fn spawn_load(
        &self,
        client: &kube::Client,
        o: &Object<'_>,
        key: LoadKey,
        tx: mpsc::Sender<PluginEvent>,
    ) {
        let (client, runtime) = (client.clone(), self.runtime.clone());
        let (id, namespace) = (o.id.clone(), o.namespace.clone());
        let cache_dir = self.options.cache_dir.clone();
        tokio::spawn(async move {
            let result = load(&client, runtime, &id, &namespace, cache_dir, &key.spec).await;
            let event = PluginEvent::Loaded(Box::new(Loaded { id, key, result }));
            let _ = tx.send(event).await;
        });
    }

    /// Takes a finished load: refused, blocked by the gate, or swapped in.
    /// Returns the routes to re-plan and what to tell people.
    pub fn finish(
        &self,
        id: Choice,
        key: LoadKey,
        result: Result<LoadedPlugin, Attempt>,
        gate: impl FnOnce(&Table, &Choice, &Serving, u32) -> Result<Dirty, String>,
        index: &Index,
    ) -> (Dirty, Option<Notice>) {
        let mut records = lock(&self.records);
        let Some(rec) = records.get_mut(&id).filter(|r| r.key == key) else {
            // A newer spec was seen meanwhile; its own load decides.
            return (Dirty::default(), None);
        };
        let stage = key.spec.stage;
        let policy = key.spec.failure_policy;
        let plugin = match result {
            Ok(p) => p,
            Err(refused) => {
                rec.attempt = refused.clone();
                drop(records);
                return self.refused(index, id, stage, policy, refused);
            }
        };
        let digest = format!("sha256:{}", plugin.sha256);
        let candidate = Serving {
            stage,
            plugin: StagePlugin::Loaded(Arc::new(plugin)),
            policy,
            digest: digest.clone(),
        };
        let max_failed = key.spec.rollout.as_ref().map_or(0, |r| r.max_failed_routes);
        let verdict = gate(&self.table(), &id, &candidate, max_failed);
        let message = match verdict {
            Ok(dirty) => {
                rec.attempt = Attempt::Live;
                drop(records);
                self.install(id.clone(), candidate);
                let notice = Notice {
                    id,
                    warning: false,
                    reason: "Serving",
                    message: format!(
                        "{digest} passed the safety gate and serves {} routes",
                        dirty.routes.len()
                    ),
                };
                return (dirty, Some(notice));
            }
            Err(message) => message,
        };
        rec.attempt = Attempt::Blocked(message.clone());
        let notice = Notice {
            id,
            warning: true,
            reason: "Blocked",
            message,
        };
        (Dirty::default(), Some(notice))
    }

    /// A load was refused. The previous version keeps serving; an object
    /// that served before a restart (its status names a digest) but cannot
    /// be loaded now serves as a refused plugin, so its failure policy
    /// decides its routes rather than another plugin.
    fn refused(
        &self,
        index: &Index,
        id: Choice,
        stage: PluginStage,
        policy: FailurePolicy,
        refused: Attempt,
    ) -> (Dirty, Option<Notice>) {
        let Attempt::Refused { reason, message } = refused else {
            return (Dirty::default(), None);
        };
        let mut dirty = Dirty::default();
        let served_before = objects(index.snapshot(), &self.options.namespace)
            .into_iter()
            .find(|o| o.id == id)
            .and_then(|o| o.status?.active_digest.clone());
        if let Some(digest) = served_before.filter(|_| !self.table().serving.contains_key(&id)) {
            let provenance = format!("{id}@{digest}");
            let plugin = StagePlugin::Refused {
                provenance,
                error: message.clone(),
            };
            self.install(
                id.clone(),
                Serving {
                    stage,
                    plugin,
                    policy,
                    digest,
                },
            );
            dirty = routes_of(index, &id);
        }
        let notice = Notice {
            id,
            warning: true,
            reason: "Refused",
            message: format!("{reason}: {message}; the previous version keeps serving"),
        };
        (dirty, Some(notice))
    }

    /// Swaps `serving` in for `id`, loading the built-in plugins first when
    /// its failure policy may need them.
    fn install(&self, id: Choice, serving: Serving) {
        let wants_builtins = serving.policy == FailurePolicy::UseDefault;
        let mut table = self.table_mut();
        if wants_builtins && table.builtins.is_none() {
            match WasmStages::defaults(&self.runtime) {
                Ok(b) => table.builtins = Some(Arc::new(b)),
                Err(e) => {
                    tracing::error!(error = %e, "the built-in plugins could not be loaded; UseDefault keeps the last good state instead")
                }
            }
        }
        table.serving.insert(id, serving);
    }

    /// How many objects' latest loads are loading, refused, blocked and
    /// live (the order of [`crate::PLUGIN_STATES`]).
    pub fn states(&self) -> [usize; 4] {
        let mut counts = [0; 4];
        for r in lock(&self.records).values() {
            let i = match r.attempt {
                Attempt::Loading => 0,
                Attempt::Refused { .. } => 1,
                Attempt::Blocked(_) => 2,
                Attempt::Live => 3,
            };
            counts[i] += 1;
        }
        counts
    }

    /// The facts behind each object's status.
    pub fn facts(&self, id: &Choice) -> (Option<i64>, Option<Attempt>, Option<String>) {
        let records = lock(&self.records);
        let rec = records.get(id);
        let serving = self.table().serving.get(id).map(|s| s.digest.clone());
        (
            rec.and_then(|r| r.generation),
            rec.map(|r| r.attempt.clone()),
            serving,
        )
    }
}

/// The routes `id` may decide: every route for a cluster plugin, the
/// namespace's for a namespaced one.
fn routes_of(index: &Index, id: &Choice) -> Dirty {
    let mut all = index.all_routes();
    if let Choice::Namespaced((ns, _)) = id {
        all.routes.retain(|r: &RouteKey| &r.namespace == ns);
    }
    all.gateways.clear();
    all
}

/// Fetches, verifies, compiles and checks one object's component.
async fn load(
    client: &kube::Client,
    runtime: PluginRuntime,
    id: &Choice,
    namespace: &str,
    cache_dir: Option<PathBuf>,
    spec: &PluginSpec,
) -> Result<LoadedPlugin, Attempt> {
    let ctx = SourceContext {
        client,
        namespace,
        cache_dir: cache_dir.as_deref(),
        max_bytes: sources::MAX_COMPONENT_BYTES,
    };
    let fetched = match tokio::time::timeout(FETCH_TIMEOUT, sources::fetch(&ctx, spec)).await {
        Ok(Ok(f)) => f,
        Ok(Err(e)) => return Err(refused(e.reason(), e.to_string())),
        Err(_) => {
            let why = format!("spec.source: no answer within {FETCH_TIMEOUT:?}");
            return Err(refused("SourceUnavailable", why));
        }
    };
    tracing::debug!(
        plugin = %id,
        origin = %fetched.origin,
        sha256 = %fetched.sha256,
        config_map_version = ?fetched.config_map_version,
        "fetched"
    );
    let settings = spec
        .settings
        .as_ref()
        .map(|s| s.to_string())
        .unwrap_or_default();
    let stage = spec.stage.stage();
    let name = id.to_string();
    let limits = spec.limits.clone().unwrap_or_default();
    let loaded = tokio::task::spawn_blocking(move || {
        runtime
            .load(stage, &name, &fetched.bytes, &settings)
            .map(|p| {
                p.with_budget(
                    limits.timeout_ms.map(|ms| Duration::from_millis(ms.into())),
                    limits.memory_mib.map(|m| (m as usize) << 20),
                )
            })
            .map_err(|e| format!("{}: {e}", fetched.origin))
    })
    .await;
    match loaded {
        Ok(Ok(p)) => Ok(p),
        Ok(Err(why)) => Err(refused("InvalidComponent", why)),
        Err(e) => Err(refused("InvalidComponent", format!("loading stopped: {e}"))),
    }
}

fn refused(reason: &str, message: String) -> Attempt {
    Attempt::Refused {
        reason: reason.into(),
        message,
    }
}
