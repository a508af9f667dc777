//! A plugin object's component, fetched from the one source its
//! `spec.source` names, capped in size and checked against `spec.sha256`.
//!
//! ```text
//! spec.source.file      ─► the file (metadata first: an oversize file is never read)
//! spec.source.configMap ─► GET ConfigMap ─► binaryData[key]
//! spec.source.oci       ─► GET Secret spec.pullSecret ─► credentials ─► lattice_oci::pull
//!                          ok:     bytes ─► <cache_dir>/blobs/oci/<sha256 of the reference>
//!                          failed: that file, when it is there
//!                       ─► size cap ─► spec.sha256 pin ─► Fetched
//! ```
//!
//! Only OCI pulls are cached on disk: a reference pinned by digest names
//! the same bytes forever, so a restart while the registry is unreachable
//! can still serve them. A ConfigMap or a file can change in place.

mod docker_config;
mod oci;
#[cfg(test)]
mod tests;

use std::path::Path;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use lattice_core::crds::plugins::{ConfigMapSource, PluginSource, PluginSpec};
use lattice_oci::OciError;
use sha2::Digest;
use tokio::io::AsyncReadExt;

/// The largest component accepted by default: 32 MiB.
pub(crate) const MAX_COMPONENT_BYTES: usize = 32 * 1024 * 1024;

/// Where and how to fetch.
pub(crate) struct SourceContext<'a> {
    /// The API server holding ConfigMaps and pull Secrets.
    pub client: &'a kube::Client,
    /// The plugin object's namespace for a LatticePlugin; the controller's
    /// own namespace for a ClusterLatticePlugin. Used for `pullSecret`, and
    /// for a `configMap` without a namespace.
    pub namespace: &'a str,
    /// Where OCI pulls are kept (`<dir>/blobs/oci/<hex sha256 of the
    /// reference>`), so a restart with the registry unreachable still
    /// serves; `None`: no disk cache.
    pub cache_dir: Option<&'a Path>,
    /// The largest component accepted, in bytes ([`MAX_COMPONENT_BYTES`]
    /// unless configured otherwise).
    pub max_bytes: usize,
}

/// A fetched component.
#[derive(Debug)]
pub(crate) struct Fetched {
    /// The component's bytes.
    pub bytes: Vec<u8>,
    /// Hex sha256 of `bytes` (no `sha256:` prefix, as `spec.sha256`).
    pub sha256: String,
    /// Where the bytes came from, for messages: `configMap plugins/equal-split
    /// key plugin.wasm`, `oci registry/x@sha256:…`, `file /plugins/x.wasm`.
    pub origin: String,
    /// The resourceVersion of the ConfigMap read, for a ConfigMap source.
    pub config_map_version: Option<String>,
}

/// Why a component could not be fetched. Every message starts with the
/// field at fault and names the object, namespace or path.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SourceError {
    /// Not exactly one of `configMap`, `oci` and `file` is set.
    #[error("spec.source: exactly one of configMap, oci or file must be set; {set}")]
    NotOneSource {
        /// What is set: `none is set`, `configMap and oci are set`.
        set: String,
    },
    /// `file` is not an absolute path.
    #[error("spec.source.file: {path:?} is not an absolute path")]
    FileNotAbsolute {
        /// The path as written.
        path: String,
    },
    /// `file` names something that is not a regular file.
    #[error("spec.source.file: {path} is not a regular file")]
    FileNotRegular {
        /// The path as written.
        path: String,
    },
    /// `file` cannot be read.
    #[error("spec.source.file: {path}: {error}")]
    File {
        /// The path as written.
        path: String,
        /// What the file system said.
        error: std::io::Error,
    },
    /// The ConfigMap does not exist.
    #[error("spec.source.configMap.name: ConfigMap {namespace}/{name} not found")]
    ConfigMapNotFound {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
    },
    /// The ConfigMap has no such key at all.
    #[error(
        "spec.source.configMap.key: ConfigMap {namespace}/{name} has no binaryData key {key:?} (keys: {keys})"
    )]
    NoSuchKey {
        /// The ConfigMap's namespace.
        namespace: String,
        /// The ConfigMap's name.
        name: String,
        /// The key asked for.
        key: String,
        /// The keys it has, in `data` and `binaryData`, or `none`.
        keys: String,
    },
    /// The key is in `data` (text), where a component cannot be.
    #[error(
        "spec.source.configMap.key: ConfigMap {namespace}/{name} has {key:?} in data (text), not binaryData; a component must be stored as binaryData"
    )]
    TextKey {
        /// The ConfigMap's namespace.
        namespace: String,
        /// The ConfigMap's name.
        name: String,
        /// The key asked for.
        key: String,
    },
    /// The API server failed a read.
    #[error("{field}: reading {kind} {namespace}/{name}: {error}")]
    Kube {
        /// The field naming the object: `spec.source.configMap`, `spec.pullSecret`.
        field: &'static str,
        /// `ConfigMap` or `Secret`.
        kind: &'static str,
        /// The object's namespace.
        namespace: String,
        /// The object's name.
        name: String,
        /// What the client said (boxed: it is large, and rare).
        error: Box<kube::Error>,
    },
    /// The pull Secret does not exist.
    #[error("spec.pullSecret: Secret {namespace}/{name} not found")]
    PullSecretNotFound {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
    },
    /// The pull Secret is not a usable docker config.
    #[error("spec.pullSecret: Secret {namespace}/{name}: {reason}")]
    PullSecret {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The pull failed (the message starts with the reference).
    #[error("spec.source.oci: {0}")]
    Oci(OciError),
    /// The component is larger than allowed.
    #[error("{field}: {origin} is {actual} bytes, more than the limit of {max} bytes")]
    TooLarge {
        /// The source's field.
        field: &'static str,
        /// Where the bytes are.
        origin: String,
        /// Their size.
        actual: u64,
        /// The limit.
        max: usize,
    },
    /// The component's digest is not the pinned one.
    #[error("spec.sha256: {origin} has sha256 {actual}, expected {expected}")]
    PinMismatch {
        /// Where the bytes came from.
        origin: String,
        /// `spec.sha256`.
        expected: String,
        /// The bytes' digest.
        actual: String,
    },
}

impl SourceError {
    /// The reason of the `Accepted=False` condition it gives a plugin object.
    pub(crate) fn reason(&self) -> &'static str {
        match self {
            SourceError::PinMismatch { .. } => "DigestMismatch",
            _ => "SourceUnavailable",
        }
    }
}

/// Fetches the component `spec` names, refusing it when larger than
/// `ctx.max_bytes` or when its digest is not `spec.sha256`.
pub(crate) async fn fetch(
    ctx: &SourceContext<'_>,
    spec: &PluginSpec,
) -> Result<Fetched, SourceError> {
    let source = Chosen::of(&spec.source)?;
    let (bytes, origin, config_map_version) = match source {
        Chosen::File(path) => (
            read_file(path, ctx.max_bytes).await?,
            format!("file {path}"),
            None,
        ),
        Chosen::ConfigMap(cm) => fetch_config_map(ctx, cm).await?,
        Chosen::Oci(reference) => {
            let (bytes, origin) = oci::fetch(ctx, spec, reference).await?;
            (bytes, origin, None)
        }
    };
    check_size(source.field(), &origin, bytes.len() as u64, ctx.max_bytes)?;
    let sha256 = hex::encode(sha2::Sha256::digest(&bytes));
    check_pin(spec.sha256.as_deref(), &sha256, &origin)?;
    Ok(Fetched {
        bytes,
        sha256,
        origin,
        config_map_version,
    })
}

/// The one source set.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Chosen<'s> {
    /// `spec.source.configMap`.
    ConfigMap(&'s ConfigMapSource),
    /// `spec.source.oci`.
    Oci(&'s str),
    /// `spec.source.file`.
    File(&'s str),
}

impl<'s> Chosen<'s> {
    /// The source `source` sets, or an error saying what is set instead.
    fn of(source: &'s PluginSource) -> Result<Self, SourceError> {
        let mut set = Vec::new();
        if let Some(cm) = &source.config_map {
            set.push(("configMap", Chosen::ConfigMap(cm)));
        }
        if let Some(oci) = &source.oci {
            set.push(("oci", Chosen::Oci(oci)));
        }
        if let Some(file) = &source.file {
            set.push(("file", Chosen::File(file)));
        }
        match set.as_slice() {
            [(_, one)] => Ok(*one),
            [] => Err(SourceError::NotOneSource {
                set: "none is set".into(),
            }),
            many => {
                let names: Vec<&str> = many.iter().map(|(name, _)| *name).collect();
                Err(SourceError::NotOneSource {
                    set: format!("{} are set", names.join(" and ")),
                })
            }
        }
    }

    /// The field this source is written in.
    fn field(self) -> &'static str {
        match self {
            Chosen::ConfigMap(_) => "spec.source.configMap",
            Chosen::Oci(_) => "spec.source.oci",
            Chosen::File(_) => "spec.source.file",
        }
    }
}

/// Refuses `actual` bytes at `origin` when more than `max`.
fn check_size(
    field: &'static str,
    origin: &str,
    actual: u64,
    max: usize,
) -> Result<(), SourceError> {
    if actual <= max as u64 {
        return Ok(());
    }
    Err(SourceError::TooLarge {
        field,
        origin: origin.into(),
        actual,
        max,
    })
}

/// Refuses bytes whose hex sha256 `actual` is not the pinned `expected`
/// (when there is a pin).
fn check_pin(expected: Option<&str>, actual: &str, origin: &str) -> Result<(), SourceError> {
    match expected {
        Some(expected) if !expected.trim().eq_ignore_ascii_case(actual) => {
            Err(SourceError::PinMismatch {
                origin: origin.into(),
                expected: expected.into(),
                actual: actual.into(),
            })
        }
        _ => Ok(()),
    }
}

/// `spec.source.file`: the file at an absolute path.
async fn read_file(path: &str, max: usize) -> Result<Vec<u8>, SourceError> {
    if !Path::new(path).is_absolute() {
        return Err(SourceError::FileNotAbsolute { path: path.into() });
    }
    read_capped(Path::new(path), max)
        .await
        .map_err(|failure| match failure {
            ReadFailure::Io(error) => SourceError::File {
                path: path.into(),
                error,
            },
            ReadFailure::NotRegular => SourceError::FileNotRegular { path: path.into() },
            ReadFailure::TooLarge(actual) => SourceError::TooLarge {
                field: "spec.source.file",
                origin: format!("file {path}"),
                actual,
                max,
            },
        })
}

/// Why [`read_capped`] returned no bytes.
#[derive(Debug)]
enum ReadFailure {
    /// The file system refused.
    Io(std::io::Error),
    /// A directory, a FIFO, a device…
    NotRegular,
    /// The size found, larger than the limit.
    TooLarge(u64),
}

/// The bytes of the regular file at `path`, unless larger than `max`; its
/// metadata is checked first, so an oversize file is never read whole.
async fn read_capped(path: &Path, max: usize) -> Result<Vec<u8>, ReadFailure> {
    let meta = tokio::fs::metadata(path).await.map_err(ReadFailure::Io)?;
    if !meta.is_file() {
        return Err(ReadFailure::NotRegular);
    }
    if meta.len() > max as u64 {
        return Err(ReadFailure::TooLarge(meta.len()));
    }
    let file = tokio::fs::File::open(path).await.map_err(ReadFailure::Io)?;
    // The file may have grown since: read one byte past the limit, no more.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(max));
    file.take(max as u64 + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(ReadFailure::Io)?;
    if bytes.len() > max {
        return Err(ReadFailure::TooLarge(bytes.len() as u64));
    }
    Ok(bytes)
}

/// `spec.source.configMap`: `binaryData[key]`, its origin and the
/// ConfigMap's resourceVersion.
async fn fetch_config_map(
    ctx: &SourceContext<'_>,
    source: &ConfigMapSource,
) -> Result<(Vec<u8>, String, Option<String>), SourceError> {
    let namespace = source.namespace.as_deref().unwrap_or(ctx.namespace);
    let name = &source.name;
    let api: Api<ConfigMap> = Api::namespaced(ctx.client.clone(), namespace);
    let config_map = api
        .get_opt(name)
        .await
        .map_err(|error| SourceError::Kube {
            field: "spec.source.configMap",
            kind: "ConfigMap",
            namespace: namespace.into(),
            name: name.clone(),
            error: Box::new(error),
        })?
        .ok_or_else(|| SourceError::ConfigMapNotFound {
            namespace: namespace.into(),
            name: name.clone(),
        })?;
    let version = config_map.metadata.resource_version;
    let mut binary = config_map.binary_data.unwrap_or_default();
    if let Some(bytes) = binary.remove(&source.key) {
        let origin = format!("configMap {namespace}/{name} key {}", source.key);
        return Ok((bytes.0, origin, version));
    }
    let text = config_map.data.unwrap_or_default();
    if text.contains_key(&source.key) {
        return Err(SourceError::TextKey {
            namespace: namespace.into(),
            name: name.clone(),
            key: source.key.clone(),
        });
    }
    let mut keys: Vec<&str> = binary
        .keys()
        .chain(text.keys())
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    Err(SourceError::NoSuchKey {
        namespace: namespace.into(),
        name: name.clone(),
        key: source.key.clone(),
        keys: if keys.is_empty() {
            "none".into()
        } else {
            keys.join(", ")
        },
    })
}
