//! Errors of the server itself (as opposed to API errors, which are answers).

/// Why kube-sim could not start, serve, save or load.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A file could not be read or written.
    #[error("{0}: {1}")]
    Io(String, #[source] std::io::Error),
    /// The state file is not what kube-sim writes.
    #[error("bad state file: {0}")]
    State(String),
    /// A manifest given to [`crate::KubeSim::apply_yaml`] could not be applied.
    #[error("manifest: {0}")]
    Manifest(String),
    /// A certificate could not be made or used.
    #[error("TLS: {0}")]
    Tls(String),
    /// The listener failed.
    #[error("serving: {0}")]
    Serve(#[source] std::io::Error),
}
