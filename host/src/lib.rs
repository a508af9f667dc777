//! `lattice-host`: Kubernetes Gateway API objects to Amazon VPC Lattice,
//! with route mapping, traffic weighting and auth decided by WebAssembly
//! plugins that operators swap without a rebuild.
//!
//! ```text
//! manifests / watches ─► lattice_core::model ─► runtime (WASM stages)
//!                     ─► lattice_core::plan (validated) ─► output / apply
//! ```

pub mod bench;
pub mod bench_e2e;
pub mod cli;
pub mod config;
pub mod controller;
pub mod crds;
pub mod demo;
pub mod manifests;
pub mod native;
pub mod output;
pub mod runtime;

/// Chooses ring as rustls' process-wide crypto provider. kube-rs and the AWS
/// SDK bring different providers, and rustls refuses to guess; call this
/// before creating any client.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
