//! `lattice-core`: the pure heart of lattice-host.
//!
//! ```text
//! Snapshot (Gateway API + core + policy objects)
//!   │ model: resolve parents, listeners, backends, grants, policies
//!   ▼
//! RouteIntent ──► Stages (mapping → weighting → auth; WASM or native)
//!   │ plan: validate every plugin answer, combine, attach provenance
//!   ▼
//! Plan (desired VPC Lattice state + diagnostics)
//! ```
//!
//! [`kinds`] lists the Kubernetes kinds the snapshot holds, one file per
//! kind; [`index`] turns watch events into snapshot changes and the routes
//! they make dirty.
//!
//! Nothing here does I/O or reads a clock: the same snapshot and plugins
//! always give the same plan, which is what makes offline `plan`, golden
//! tests and benchmarks possible.
#![forbid(unsafe_code)]

pub mod config;
pub mod crds;
pub mod index;
pub mod kinds;
pub mod model;
pub mod plan;
pub mod plugins;
pub mod snapshot;
mod snug;
pub mod status;

pub use config::ClusterConfig;
pub use plan::{Plan, StageError, Stages, build_plan};
pub use snapshot::{ManifestError, Snapshot};
