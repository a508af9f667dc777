//! The `lattice-host` binary and library end to end: CLI, plugin runtime,
//! CRDs, controller and leader election. One test binary, so CI links the
//! whole host (wasmtime, kube, the AWS SDK) once rather than once per file.

mod apply_cli;
mod attachment;
mod cli;
mod controller;
mod crds;
mod deploy;
mod lambda;
mod leader;
mod least_privilege;
mod metrics;
mod migration;
mod multicluster;
mod oci;
mod plugin_failures;
mod plugin_objects;
mod plugin_tools;
mod service_network;
mod tags;
mod topology;
mod tutorial;
