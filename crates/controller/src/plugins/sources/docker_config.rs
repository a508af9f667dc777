//! A pull Secret's docker config, read into the credentials for one
//! registry. Pure: the Secret is read by the caller.
//!
//! Both shapes Kubernetes knows are read: `kubernetes.io/dockerconfigjson`
//! (`{"auths": {"<registry>": {...}}}`) and the older
//! `kubernetes.io/dockercfg` (`{"<registry>": {...}}`). An entry holds
//! `auth` (base64 of `user:password`, preferred, as the kubelet does) or
//! `username` and `password`.

use std::collections::BTreeMap;

use base64::Engine;
use lattice_oci::Auth;
use serde::Deserialize;

/// The key Docker Hub's credentials are written under, and the host its
/// references name when they name none.
const DOCKER_HUB: &str = "docker.io";

/// Which of the two docker config shapes a Secret holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// `.dockerconfigjson`: the entries under `auths`.
    ConfigJson,
    /// `.dockercfg`: the entries at the top level.
    Dockercfg,
}

/// Why a docker config gives no credentials. Each message names the entry.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum DockerConfigError {
    /// The bytes are not a docker config.
    #[error("not a docker config: {0}")]
    Malformed(String),
    /// The matching entry's `auth` is not base64 of `user:password`.
    #[error("auths.{key:?}.auth: {reason}")]
    BadAuth {
        /// The entry's key as written.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The matching entry has neither `auth` nor `username` and `password`.
    #[error("auths.{key:?}: neither auth nor username and password")]
    NoCredentials {
        /// The entry's key as written.
        key: String,
    },
}

/// One registry's entry, as written.
#[derive(Deserialize, Default)]
struct Entry {
    /// base64 of `user:password`.
    #[serde(default)]
    auth: Option<String>,
    /// User name, when `auth` is absent.
    #[serde(default)]
    username: Option<String>,
    /// Password, when `auth` is absent.
    #[serde(default)]
    password: Option<String>,
}

/// The `.dockerconfigjson` shape.
#[derive(Deserialize)]
struct ConfigJson {
    /// Entries by registry.
    #[serde(default)]
    auths: BTreeMap<String, Entry>,
}

/// The credentials `config` holds for `registry` (`host[:port]`, as
/// [`registry_of`] gives it); [`Auth::Anonymous`] when no entry matches.
pub(crate) fn auth_for(
    config: &[u8],
    format: Format,
    registry: &str,
) -> Result<Auth, DockerConfigError> {
    let malformed = |e: serde_json::Error| DockerConfigError::Malformed(e.to_string());
    let entries = match format {
        Format::ConfigJson => {
            serde_json::from_slice::<ConfigJson>(config)
                .map_err(malformed)?
                .auths
        }
        Format::Dockercfg => serde_json::from_slice(config).map_err(malformed)?,
    };
    let wanted = canonical_host(registry);
    // A key written exactly as the registry wins over one that only
    // normalises to it (`https://host/v1/`).
    let chosen = entries
        .get_key_value(registry)
        .or_else(|| entries.iter().find(|(key, _)| host_of_key(key) == wanted));
    let Some((key, entry)) = chosen else {
        return Ok(Auth::Anonymous);
    };
    credentials(key, entry)
}

/// The credentials of one entry.
fn credentials(key: &str, entry: &Entry) -> Result<Auth, DockerConfigError> {
    if let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
        let bad = |reason: &str| DockerConfigError::BadAuth {
            key: key.into(),
            reason: reason.into(),
        };
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .map_err(|_| bad("not base64"))?;
        let text = String::from_utf8(decoded).map_err(|_| bad("not UTF-8 once decoded"))?;
        let (username, password) = text
            .split_once(':')
            .ok_or_else(|| bad("not `user:password` once decoded"))?;
        return Ok(Auth::Basic {
            username: username.into(),
            password: password.into(),
        });
    }
    match (&entry.username, &entry.password) {
        (Some(username), Some(password)) => Ok(Auth::Basic {
            username: username.clone(),
            password: password.clone(),
        }),
        _ => Err(DockerConfigError::NoCredentials { key: key.into() }),
    }
}

/// The registry host (`host[:port]`) an OCI reference names; Docker Hub's
/// for a reference whose first part is not a host.
pub(crate) fn registry_of(reference: &str) -> String {
    let name = reference.split('@').next().unwrap_or(reference);
    match name.split_once('/') {
        Some((first, _)) if first.contains(['.', ':']) || first == "localhost" => {
            canonical_host(first)
        }
        _ => DOCKER_HUB.into(),
    }
}

/// The host a config key names: `https://host:5000/v1/` → `host:5000`.
fn host_of_key(key: &str) -> String {
    let key = key.trim();
    let key = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    canonical_host(key.split('/').next().unwrap_or(key))
}

/// Lower case, with Docker Hub's aliases folded into one name.
fn canonical_host(host: &str) -> String {
    let host = host.to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB.into(),
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    /// `(username, password)` of a Basic auth; panics on Anonymous.
    fn basic(auth: Auth) -> (String, String) {
        match auth {
            Auth::Basic { username, password } => (username, password),
            Auth::Anonymous => panic!("expected credentials, got Anonymous"),
        }
    }

    #[test]
    fn dockerconfigjson_auth_is_decoded_into_user_and_password() {
        let config = format!(
            r#"{{"auths":{{"registry.example.com":{{"auth":"{}"}}}}}}"#,
            b64("robot:s3cr:et")
        );
        let auth = auth_for(
            config.as_bytes(),
            Format::ConfigJson,
            "registry.example.com",
        )
        .unwrap();
        // The password keeps every colon after the first.
        assert_eq!(basic(auth), ("robot".into(), "s3cr:et".into()));
    }

    #[test]
    fn username_and_password_fields_are_used_when_auth_is_absent() {
        let config =
            r#"{"auths":{"127.0.0.1:5000":{"username":"u","password":"p","email":"x@y"}}}"#;
        let auth = auth_for(config.as_bytes(), Format::ConfigJson, "127.0.0.1:5000").unwrap();
        assert_eq!(basic(auth), ("u".into(), "p".into()));
    }

    #[test]
    fn auth_wins_over_username_and_password_as_in_the_kubelet() {
        let config = format!(
            r#"{{"auths":{{"r.io":{{"auth":"{}","username":"other","password":"other"}}}}}}"#,
            b64("a:b")
        );
        let auth = auth_for(config.as_bytes(), Format::ConfigJson, "r.io").unwrap();
        assert_eq!(basic(auth), ("a".into(), "b".into()));
    }

    #[test]
    fn keys_with_a_scheme_a_path_or_upper_case_match_the_registry_host() {
        for key in [
            "https://r.example.com",
            "http://r.example.com/",
            "r.example.com/v1/",
            "https://R.Example.com/v2/",
        ] {
            let config = format!(r#"{{"auths":{{"{key}":{{"username":"u","password":"p"}}}}}}"#);
            let auth = auth_for(config.as_bytes(), Format::ConfigJson, "r.example.com")
                .unwrap_or_else(|e| panic!("{key}: {e}"));
            assert_eq!(basic(auth), ("u".into(), "p".into()), "{key}");
        }
    }

    #[test]
    fn the_port_is_part_of_the_host_and_an_exact_key_wins() {
        let config = r#"{"auths":{
            "https://r.io:5000/v1/":{"username":"normalised","password":"p"},
            "r.io":{"username":"no-port","password":"p"},
            "r.io:5000":{"username":"exact","password":"p"}}}"#;
        let auth = auth_for(config.as_bytes(), Format::ConfigJson, "r.io:5000").unwrap();
        assert_eq!(basic(auth).0, "exact");
        let auth = auth_for(config.as_bytes(), Format::ConfigJson, "r.io").unwrap();
        assert_eq!(basic(auth).0, "no-port");
    }

    #[test]
    fn docker_hub_credentials_match_references_without_a_host() {
        let config = format!(
            r#"{{"auths":{{"https://index.docker.io/v1/":{{"auth":"{}"}}}}}}"#,
            b64("hub:pw")
        );
        let registry = registry_of("library/plugin@sha256:00");
        assert_eq!(registry, "docker.io");
        let auth = auth_for(config.as_bytes(), Format::ConfigJson, &registry).unwrap();
        assert_eq!(basic(auth), ("hub".into(), "pw".into()));
    }

    #[test]
    fn the_legacy_dockercfg_shape_has_its_entries_at_the_top_level() {
        let config = format!(r#"{{"r.io":{{"auth":"{}"}}}}"#, b64("old:style"));
        let auth = auth_for(config.as_bytes(), Format::Dockercfg, "r.io").unwrap();
        assert_eq!(basic(auth), ("old".into(), "style".into()));
    }

    #[test]
    fn no_entry_for_the_registry_is_anonymous_not_an_error() {
        let config = r#"{"auths":{"other.io":{"username":"u","password":"p"}}}"#;
        let auth = auth_for(config.as_bytes(), Format::ConfigJson, "r.io").unwrap();
        assert!(matches!(auth, Auth::Anonymous), "{auth:?}");
        let auth = auth_for(b"{}", Format::ConfigJson, "r.io").unwrap();
        assert!(matches!(auth, Auth::Anonymous), "{auth:?}");
    }

    #[test]
    fn malformed_configs_and_entries_are_errors_naming_the_entry() {
        let err = auth_for(b"not json", Format::ConfigJson, "r.io").unwrap_err();
        assert!(matches!(err, DockerConfigError::Malformed(_)), "{err}");
        let err = auth_for(br#"{"auths":[]}"#, Format::ConfigJson, "r.io").unwrap_err();
        assert!(matches!(err, DockerConfigError::Malformed(_)), "{err}");

        let config = r#"{"auths":{"r.io":{"auth":"%%%"}}}"#;
        let err = auth_for(config.as_bytes(), Format::ConfigJson, "r.io").unwrap_err();
        assert_eq!(err.to_string(), r#"auths."r.io".auth: not base64"#);

        let config = format!(r#"{{"auths":{{"r.io":{{"auth":"{}"}}}}}}"#, b64("nocolon"));
        let err = auth_for(config.as_bytes(), Format::ConfigJson, "r.io").unwrap_err();
        assert!(err.to_string().contains("user:password"), "{err}");

        let config = r#"{"auths":{"r.io":{"username":"u"}}}"#;
        let err = auth_for(config.as_bytes(), Format::ConfigJson, "r.io").unwrap_err();
        assert_eq!(err, DockerConfigError::NoCredentials { key: "r.io".into() });
    }

    #[test]
    fn the_registry_of_a_reference_is_its_first_part_when_that_is_a_host() {
        assert_eq!(
            registry_of("127.0.0.1:5000/p/x@sha256:ab"),
            "127.0.0.1:5000"
        );
        assert_eq!(registry_of("localhost/x@sha256:ab"), "localhost");
        assert_eq!(registry_of("GHCR.io/org/x@sha256:ab"), "ghcr.io");
        assert_eq!(registry_of("org/x@sha256:ab"), "docker.io");
        assert_eq!(registry_of("x@sha256:ab"), "docker.io");
    }
}
