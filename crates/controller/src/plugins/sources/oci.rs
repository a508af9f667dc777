//! `spec.source.oci`: the pull Secret's credentials, the pull, and the
//! blob cache that serves a pinned reference when its registry fails.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use lattice_core::crds::plugins::PluginSpec;
use lattice_oci::{Auth, OciError};
use sha2::Digest;

use super::docker_config::{Format, auth_for, registry_of};
use super::{ReadFailure, SourceContext, SourceError, check_size, read_capped};

/// `spec.source.oci`: pulled with the pull Secret's credentials, kept in
/// the blob cache, and served from there when the registry fails.
pub(super) async fn fetch(
    ctx: &SourceContext<'_>,
    spec: &PluginSpec,
    reference: &str,
) -> Result<(Vec<u8>, String), SourceError> {
    let auth = match &spec.pull_secret {
        Some(secret) => pull_auth(ctx, secret, reference).await?,
        None => Auth::Anonymous,
    };
    let origin = format!("oci {reference}");
    let cached = ctx.cache_dir.map(|dir| cache_path(dir, reference));
    let error = match lattice_oci::pull(reference, &auth, false).await {
        Ok(pulled) => {
            check_size(
                "spec.source.oci",
                &origin,
                pulled.bytes.len() as u64,
                ctx.max_bytes,
            )?;
            if let Some(path) = &cached {
                keep(path, &pulled.bytes).await;
            }
            return Ok((pulled.bytes, origin));
        }
        // Only a registry that fails is worked around; a reference that
        // does not parse, or content that is not what it says, is not.
        Err(error @ OciError::Registry { .. }) => error,
        Err(error) => return Err(SourceError::Oci(error)),
    };
    let Some(path) = cached else {
        return Err(SourceError::Oci(error));
    };
    match read_capped(&path, ctx.max_bytes).await {
        Ok(bytes) => {
            tracing::warn!(
                reference,
                cache = %path.display(),
                %error,
                "the registry failed; serving the plugin from the blob cache"
            );
            let origin = format!(
                "{origin} (from the blob cache {}; the registry failed)",
                path.display()
            );
            Ok((bytes, origin))
        }
        Err(ReadFailure::TooLarge(actual)) => Err(SourceError::TooLarge {
            field: "spec.source.oci",
            origin: format!("{origin} (blob cache {})", path.display()),
            actual,
            max: ctx.max_bytes,
        }),
        Err(ReadFailure::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(SourceError::Oci(error))
        }
        Err(failure) => {
            tracing::warn!(cache = %path.display(), ?failure, "the blob cache cannot be read");
            Err(SourceError::Oci(error))
        }
    }
}

/// The credentials `ctx.namespace/secret` holds for `reference`'s registry;
/// anonymous when it has none for that registry.
async fn pull_auth(
    ctx: &SourceContext<'_>,
    secret: &str,
    reference: &str,
) -> Result<Auth, SourceError> {
    let namespace = ctx.namespace;
    let api: Api<Secret> = Api::namespaced(ctx.client.clone(), namespace);
    let found = api
        .get_opt(secret)
        .await
        .map_err(|error| SourceError::Kube {
            field: "spec.pullSecret",
            kind: "Secret",
            namespace: namespace.into(),
            name: secret.into(),
            error: Box::new(error),
        })?
        .ok_or_else(|| SourceError::PullSecretNotFound {
            namespace: namespace.into(),
            name: secret.into(),
        })?;
    let bad = |reason: String| SourceError::PullSecret {
        namespace: namespace.into(),
        name: secret.into(),
        reason,
    };
    let (key, format) = match found.type_.as_deref() {
        Some("kubernetes.io/dockerconfigjson") => (".dockerconfigjson", Format::ConfigJson),
        Some("kubernetes.io/dockercfg") => (".dockercfg", Format::Dockercfg),
        other => {
            return Err(bad(format!(
                "type is {}, not kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg",
                other.unwrap_or("Opaque")
            )));
        }
    };
    let config = found
        .data
        .as_ref()
        .and_then(|data| data.get(key))
        .ok_or_else(|| bad(format!("no data key {key}")))?;
    auth_for(&config.0, format, &registry_of(reference)).map_err(|e| bad(format!("{key}: {e}")))
}

/// Where the blob cache keeps `reference`'s component.
pub(super) fn cache_path(dir: &Path, reference: &str) -> PathBuf {
    let name = hex::encode(sha2::Sha256::digest(reference.as_bytes()));
    dir.join("blobs").join("oci").join(name)
}

/// Keeps `bytes` at `path`, warning (only) when that fails.
async fn keep(path: &Path, bytes: &[u8]) {
    if let Err(error) = write_atomically(path, bytes).await {
        tracing::warn!(cache = %path.display(), %error, "the plugin cannot be kept in the blob cache");
    }
}

/// Writes `bytes` to a temporary file beside `path`, then renames it into
/// place: a reader sees the old file or the whole new one.
async fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    /// Tells apart the temporary files of concurrent writes.
    static NEXT: AtomicU64 = AtomicU64::new(0);
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await?;
    }
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp-{}-{n}", std::process::id()));
    let written = async {
        let mut file = tokio::fs::File::create(&tmp).await?;
        tokio::io::AsyncWriteExt::write_all(&mut file, bytes).await?;
        file.sync_all().await?;
        tokio::fs::rename(&tmp, path).await
    }
    .await;
    if written.is_err() {
        let _ = tokio::fs::remove_file(&tmp).await;
    }
    written
}
