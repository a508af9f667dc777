//! Talking to the registry: references, the protocol, push and pull.

use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};

use crate::layout::{MANIFEST_MEDIA_TYPE, artifact, wasm_layer};
use crate::{Auth, OciError, Pulled, is_component, sha256_digest};

/// Pushes `component` to `reference` (a tag, or a repository for `latest`)
/// and returns the manifest digest, `sha256:…`.
pub async fn push(
    reference: &str,
    component: &[u8],
    auth: &Auth,
    insecure: bool,
) -> Result<String, OciError> {
    let image = parse(reference)?;
    if image.digest().is_some() {
        return Err(OciError::PushToDigest {
            reference: reference.into(),
        });
    }
    if !is_component(component) {
        return Err(OciError::NotAComponent {
            reference: reference.into(),
        });
    }
    let client = client(&image, insecure);
    let registry_error = |e| registry(reference, e);
    client
        .store_auth_if_needed(image.resolve_registry(), &auth.into())
        .await;
    let a = artifact(component);
    let layer_digest = sha256_digest(&a.layer.data);
    client
        .push_blob(&image, a.layer.data, &layer_digest)
        .await
        .map_err(registry_error)?;
    let config_digest = sha256_digest(&a.config.data);
    client
        .push_blob(&image, a.config.data, &config_digest)
        .await
        .map_err(registry_error)?;
    let digest = sha256_digest(&a.manifest);
    client
        .push_manifest_raw(
            &image,
            a.manifest,
            MANIFEST_MEDIA_TYPE
                .parse()
                .map_err(|_| registry(reference, "media type"))?,
        )
        .await
        .map_err(registry_error)?;
    Ok(digest)
}

/// Pulls the component at `reference`, which must carry `@sha256:…`; the
/// manifest and the layer are both checked against their digests.
pub async fn pull(reference: &str, auth: &Auth, insecure: bool) -> Result<Pulled, OciError> {
    let image = parse(reference)?;
    let Some(expected) = image.digest().map(str::to_owned) else {
        return Err(OciError::NotPinned {
            reference: reference.into(),
        });
    };
    let client = client(&image, insecure);
    let (manifest, _) = client
        .pull_manifest_raw(&image, &auth.into(), &[MANIFEST_MEDIA_TYPE])
        .await
        .map_err(|e| registry(reference, e))?;
    check(reference, "manifest", &expected, &manifest)?;
    let layer = wasm_layer(&manifest).map_err(|reason| OciError::Layout {
        reference: reference.into(),
        reason,
    })?;
    let mut bytes = Vec::new();
    client
        .pull_blob(&image, &layer, &mut bytes)
        .await
        .map_err(|e| registry(reference, e))?;
    check(reference, "layer", &layer.digest, &bytes)?;
    Ok(Pulled {
        bytes,
        digest: expected,
    })
}

/// Checks that `bytes` hash to `expected`.
fn check(
    reference: &str,
    what: &'static str,
    expected: &str,
    bytes: &[u8],
) -> Result<(), OciError> {
    let actual = sha256_digest(bytes);
    if actual == expected {
        return Ok(());
    }
    Err(OciError::DigestMismatch {
        reference: reference.into(),
        what,
        expected: expected.into(),
        actual,
    })
}

fn parse(reference: &str) -> Result<Reference, OciError> {
    reference
        .parse()
        .map_err(|e: oci_client::ParseError| OciError::BadReference {
            reference: reference.into(),
            reason: e.to_string(),
        })
}

fn registry(reference: &str, message: impl std::fmt::Display) -> OciError {
    OciError::Registry {
        reference: reference.into(),
        message: message.to_string(),
    }
}

/// A client speaking plain HTTP to loopback registries, or to any registry
/// when `insecure`; HTTPS otherwise.
fn client(image: &Reference, insecure: bool) -> Client {
    // reqwest is built without a bundled crypto provider; ring is the
    // workspace's. A provider installed earlier (the binary's) is kept.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let plain = insecure || is_loopback(image.resolve_registry());
    Client::new(ClientConfig {
        protocol: if plain {
            ClientProtocol::Http
        } else {
            ClientProtocol::Https
        },
        ..ClientConfig::default()
    })
}

/// Whether `registry` (`host[:port]`) names this machine.
fn is_loopback(registry: &str) -> bool {
    let host = match registry.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(rest),
        None => registry.split(':').next().unwrap_or(registry),
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl From<&Auth> for RegistryAuth {
    fn from(auth: &Auth) -> Self {
        match auth {
            Auth::Anonymous => RegistryAuth::Anonymous,
            Auth::Basic { username, password } => {
                RegistryAuth::Basic(username.clone(), password.clone())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_registries_are_recognised_with_or_without_a_port() {
        for r in [
            "localhost:5000",
            "127.0.0.1:5000",
            "127.0.0.1",
            "[::1]:5000",
        ] {
            assert!(is_loopback(r), "{r}");
        }
        for r in ["ghcr.io", "10.0.0.1:5000", "localhost.example.com"] {
            assert!(!is_loopback(r), "{r}");
        }
    }

    #[test]
    fn content_that_does_not_hash_to_the_asked_digest_is_refused_naming_both() {
        let asked = sha256_digest(b"asked");
        let err = check("r@x", "manifest", &asked, b"served").unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains(&asked) && text.contains(&sha256_digest(b"served")),
            "{text}"
        );
        assert!(check("r@x", "layer", &asked, b"asked").is_ok());
    }

    #[tokio::test]
    async fn a_pull_by_tag_is_refused_before_any_request() {
        let err = pull("127.0.0.1:1/p:v1", &Auth::Anonymous, false)
            .await
            .unwrap_err();
        assert!(matches!(err, OciError::NotPinned { .. }), "{err}");
        assert!(err.to_string().contains("127.0.0.1:1/p:v1"), "{err}");
    }

    #[tokio::test]
    async fn pushing_bytes_that_are_not_a_component_is_refused() {
        let err = push("127.0.0.1:1/p:v1", b"hello", &Auth::Anonymous, false)
            .await
            .unwrap_err();
        assert!(matches!(err, OciError::NotAComponent { .. }), "{err}");
    }
}
