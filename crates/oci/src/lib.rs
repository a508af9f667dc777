//! `lattice-oci`: plugins as OCI artifacts. [`push`] stores a WebAssembly
//! component in a registry and returns its manifest digest; [`pull`] fetches
//! it back by digest and checks every byte against that digest.
//!
//! ```text
//! component ─► layer (application/wasm) + config (application/vnd.wasm.config.v0+json)
//!           ─► manifest (application/vnd.oci.image.manifest.v1+json) ─► sha256:… (push)
//! REF@sha256:… ─► manifest, digest checked ─► one wasm layer, digest checked ─► bytes (pull)
//! ```
//!
//! The layout is the CNCF "Wasm OCI artifact" one that `wkg` and `oras`
//! use. Plain HTTP is used for loopback registries, or when the caller says
//! `insecure`; everything else is HTTPS.
//!
//! This crate is apart from `lattice-wasm` so that the plugin runtime, and
//! everything that links it, does not link an HTTP client.

mod layout;
mod registry;

pub use layout::{CONFIG_MEDIA_TYPE, LAYER_MEDIA_TYPE, MANIFEST_MEDIA_TYPE};
pub use registry::{pull, push};

/// Credentials for a registry.
#[derive(Clone, Default)]
pub enum Auth {
    /// No credentials.
    #[default]
    Anonymous,
    /// HTTP basic credentials (also what registries' token endpoints accept).
    Basic {
        /// User name.
        username: String,
        /// Password or access token.
        password: String,
    },
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Anonymous => f.write_str("Anonymous"),
            Auth::Basic { username, .. } => write!(f, "Basic({username}, <password>)"),
        }
    }
}

/// A component pulled from a registry, checked against its digest.
#[derive(Debug, Clone)]
pub struct Pulled {
    /// The component's bytes.
    pub bytes: Vec<u8>,
    /// The manifest digest it was pulled by, `sha256:…`.
    pub digest: String,
}

/// Why a push or a pull failed. Each variant names the reference.
#[derive(Debug, thiserror::Error)]
pub enum OciError {
    /// The reference does not parse.
    #[error("{reference}: not an OCI reference: {reason}")]
    BadReference {
        /// The reference as given.
        reference: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A pull by tag: plugins are pinned by digest.
    #[error(
        "{reference}: pull by digest (`REF@sha256:…`); plugins are pinned by digest, not by tag"
    )]
    NotPinned {
        /// The reference as given.
        reference: String,
    },
    /// A push to a digest: the digest is computed from what is pushed.
    #[error("{reference}: push to a tag, not a digest; the digest is computed from the component")]
    PushToDigest {
        /// The reference as given.
        reference: String,
    },
    /// The bytes to push are not a WebAssembly component.
    #[error("{reference}: not a WebAssembly component")]
    NotAComponent {
        /// The reference as given.
        reference: String,
    },
    /// The registry refused or failed a request.
    #[error("{reference}: registry: {message}")]
    Registry {
        /// The reference as given.
        reference: String,
        /// What the registry (or the connection to it) said.
        message: String,
    },
    /// Content whose digest is not the one asked for.
    #[error("{reference}: {what} digest is {actual}, expected {expected}")]
    DigestMismatch {
        /// The reference as given.
        reference: String,
        /// `manifest` or `layer`.
        what: &'static str,
        /// The digest asked for.
        expected: String,
        /// The digest of what arrived.
        actual: String,
    },
    /// The manifest is not a WebAssembly component artifact.
    #[error("{reference}: not a WebAssembly component artifact: {reason}")]
    Layout {
        /// The reference as given.
        reference: String,
        /// What is wrong with the manifest.
        reason: String,
    },
}

/// Component binaries start with this magic and a layer-1 version.
pub fn is_component(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && bytes[..4] == *b"\0asm" && bytes[6..8] == [1, 0]
}

/// `sha256:<hex>` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}
