//! `lattice-wiring`: the one place that builds lattice-host's parts and
//! joins them. `lattice-host run`, the demo and `bench e2e` all start the
//! controller through [`controller`]; `plan` and `apply` load plugins through
//! [`lattice_wasm::start`], as `controller` does.
//!
//! ```text
//! PluginConfig ──► lattice_wasm::start ──► WasmStages ─┐
//! Lattice client + ApplyOptions ──► Applier ───────────┼─► Controller ─► run(shutdown)
//! kube::Client + controller Options ───────────────────┘
//!         one prometheus::Registry ─► plugin calls, Lattice calls, controller
//!         registry + Controller::health ─► AdminState ─► lattice_admin::router
//! ```
//!
//! The registry is made here, per controller, and handed to each part
//! that records into it: no process-global registry, so two controllers in
//! one process (tests, the benchmarks) keep their own figures.
//!
//! It sits below the binary rather than inside it so that the testbed (the
//! demo and the benchmarks, which the binary links behind a feature) can
//! call it without a dependency cycle.

pub mod cluster;
pub mod manifests;

use std::sync::Arc;

use lattice_admin::AdminState;
use lattice_apply::{Applier, ApplyOptions, CallMetrics};
use lattice_controller::{Controller, Metrics, Options};
use lattice_wasm::{PluginConfig, PluginMetrics, PluginRuntime, StartError};

pub use lattice_wasm::start as start_plugins;

/// Where the controller's changes go.
#[derive(Clone, Debug)]
pub struct Lattice {
    /// The VPC Lattice client (real AWS or an emulator).
    pub client: aws_sdk_vpclattice::Client,
    /// Concurrency, rate limits and retries of the applier.
    pub options: ApplyOptions,
}

/// Everything the controller is built from.
pub struct Parts {
    /// The Kubernetes API.
    pub kube: kube::Client,
    /// The plugins of the three stages.
    pub plugins: PluginConfig,
    /// VPC Lattice; `None` plans and writes status only (`run --no-apply`).
    pub lattice: Option<Lattice>,
    /// How the controller runs (cluster identity, resync, leadership).
    pub options: Options,
}

/// A controller ready to run, and the plugin runtime that must outlive it.
pub struct Assembled {
    /// The controller; [`Controller::run`] it.
    pub controller: Controller,
    /// Owns the engine and its epoch ticker.
    pub plugin_runtime: PluginRuntime,
    /// Plugins that could not be loaded. Their stages' failure policies
    /// decide the routes they would have decided; the controller runs.
    pub refused: Vec<StartError>,
    /// The metrics and health the admin server shows
    /// ([`lattice_admin::router`]).
    pub admin: AdminState,
}

/// Chooses ring as rustls' process-wide crypto provider. kube-rs and the AWS
/// SDK bring different providers, and rustls refuses to guess; call this
/// before creating any client.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Builds the plugins, the applier and the controller from `parts`. A
/// plugin that cannot be loaded does not stop the controller (see
/// [`Assembled::refused`]); only an engine that cannot start does.
pub fn controller(parts: Parts) -> Result<Assembled, StartError> {
    let registry = prometheus::Registry::new();
    // Registering fails only when two families share a name: a bug that
    // every test starting a controller would show.
    let plugin_metrics =
        PluginMetrics::register(&registry).expect("plugin metric names are unique");
    let call_metrics = CallMetrics::register(&registry).expect("Lattice metric names are unique");
    let metrics = Metrics::register(&registry, Some(plugin_metrics.clone()))
        .expect("controller metric names are unique");
    let (plugin_runtime, stages, refused) =
        lattice_wasm::start_observed(&parts.plugins, Some(plugin_metrics))?;
    for e in &refused {
        tracing::error!(error = %e, "plugin refused; its stage's failure policy decides its routes");
    }
    let cluster = parts.options.cluster.clone();
    let mut controller = Controller::new(parts.kube, Arc::new(stages), parts.options)
        .with_plugin_objects(plugin_runtime.clone(), parts.plugins.cache_dir.clone())
        .with_metrics(metrics);
    if let Some(l) = parts.lattice {
        let applier = Applier::new(l.client, cluster, l.options).with_metrics(call_metrics);
        controller = controller.with_applier(applier);
    }
    let admin = AdminState {
        registry,
        health: controller.health(),
        topology: Some(controller.topology_source()),
    };
    Ok(Assembled {
        controller,
        plugin_runtime,
        refused,
        admin,
    })
}
