//! The size and pin checks as pure functions, then [`fetch`] against real
//! parts: kube-sim over HTTP for ConfigMaps and pull Secrets, the file
//! system, and the CNCF distribution registry (`docker-registry`) on a
//! loopback port for OCI and the blob cache.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use lattice_core::crds::plugins::PluginStage;
use lattice_oci::Auth;

use super::oci::cache_path;
use super::*;

// ---- builders ---------------------------------------------------------------

fn mk_spec(source: PluginSource) -> PluginSpec {
    PluginSpec {
        stage: PluginStage::Weighting,
        source,
        sha256: None,
        pull_secret: None,
        settings: None,
        failure_policy: Default::default(),
        limits: None,
        rollout: None,
    }
}

fn file_source(path: &Path) -> PluginSource {
    PluginSource {
        file: Some(path.display().to_string()),
        ..PluginSource::default()
    }
}

fn config_map_source(name: &str, key: &str, namespace: Option<&str>) -> PluginSource {
    PluginSource {
        config_map: Some(ConfigMapSource {
            name: name.into(),
            key: key.into(),
            namespace: namespace.map(Into::into),
        }),
        ..PluginSource::default()
    }
}

fn oci_source(reference: &str) -> PluginSource {
    PluginSource {
        oci: Some(reference.into()),
        ..PluginSource::default()
    }
}

fn ctx<'a>(client: &'a kube::Client, cache_dir: Option<&'a Path>) -> SourceContext<'a> {
    SourceContext {
        client,
        namespace: "plugins",
        cache_dir,
        max_bytes: MAX_COMPONENT_BYTES,
    }
}

/// A valid (empty) WebAssembly component carrying `payload` in a custom
/// section, so each test has its own bytes and digest.
fn mk_component(payload: &[u8]) -> Vec<u8> {
    let name = b"lattice-host-test";
    let mut section = vec![name.len() as u8];
    section.extend_from_slice(name);
    section.extend_from_slice(payload);
    let mut bytes = b"\0asm\x0d\x00\x01\x00".to_vec();
    bytes.push(0); // custom section
    let mut size = section.len();
    loop {
        let byte = (size & 0x7f) as u8;
        size >>= 7;
        if size == 0 {
            bytes.push(byte);
            break;
        }
        bytes.push(byte | 0x80);
    }
    bytes.extend_from_slice(&section);
    assert!(lattice_oci::is_component(&bytes));
    bytes
}

fn hex_sha256(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// kube-sim with the `plugins` and `shared` namespaces and `yaml` applied,
/// and a client for it.
async fn sim_with(yaml: &str) -> (kube_sim::RunningSim, kube::Client) {
    let sim = kube_sim::KubeSim::start(kube_sim::SimOptions::default())
        .await
        .expect("kube-sim starts");
    for ns in ["plugins", "shared"] {
        sim.sim()
            .apply_yaml(&format!(
                "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n"
            ))
            .expect("namespace");
    }
    if !yaml.is_empty() {
        sim.sim().apply_yaml(yaml).expect("test objects apply");
    }
    // As the binary does (lattice_wiring::install_crypto_provider).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let url = sim.url().parse().expect("kube-sim URL");
    let client = kube::Client::try_from(kube::Config::new(url)).expect("client");
    (sim, client)
}

fn config_map_yaml(
    namespace: &str,
    name: &str,
    binary: &[(&str, &[u8])],
    text: &[(&str, &str)],
) -> String {
    let mut yaml = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {namespace}\n"
    );
    if !binary.is_empty() {
        yaml.push_str("binaryData:\n");
        for (k, v) in binary {
            yaml.push_str(&format!("  {k}: {}\n", b64(v)));
        }
    }
    if !text.is_empty() {
        yaml.push_str("data:\n");
        for (k, v) in text {
            yaml.push_str(&format!("  {k}: {v:?}\n"));
        }
    }
    yaml
}

// ---- pure checks --------------------------------------------------------------

#[test]
fn exactly_one_source_is_chosen_and_none_or_two_name_spec_source() {
    let one = oci_source("r.io/x@sha256:00");
    assert_eq!(Chosen::of(&one).unwrap(), Chosen::Oci("r.io/x@sha256:00"));

    let none = PluginSource::default();
    let err = Chosen::of(&none).unwrap_err().to_string();
    assert!(err.starts_with("spec.source: exactly one"), "{err}");
    assert!(err.ends_with("none is set"), "{err}");

    let two = PluginSource {
        file: Some("/x.wasm".into()),
        ..config_map_source("cm", "k", None)
    };
    let err = Chosen::of(&two).unwrap_err().to_string();
    assert!(err.ends_with("configMap and file are set"), "{err}");
}

#[test]
fn a_size_at_the_limit_holds_and_one_byte_more_is_refused_giving_both_sizes() {
    assert!(check_size("spec.source.oci", "oci r", 100, 100).is_ok());
    let err = check_size("spec.source.oci", "oci r", 101, 100).unwrap_err();
    assert_eq!(
        err.to_string(),
        "spec.source.oci: oci r is 101 bytes, more than the limit of 100 bytes"
    );
}

#[test]
fn a_pin_that_matches_holds_and_one_that_differs_names_both_digests() {
    let actual = hex_sha256(b"component");
    assert!(check_pin(None, &actual, "file /x").is_ok());
    assert!(check_pin(Some(&actual), &actual, "file /x").is_ok());
    let expected = "0".repeat(64);
    let err = check_pin(Some(&expected), &actual, "file /x").unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("spec.sha256: file /x has sha256 {actual}, expected {expected}")
    );
}

#[test]
fn the_blob_cache_is_keyed_by_the_sha256_of_the_reference() {
    let path = cache_path(Path::new("/cache"), "r.io/x@sha256:00");
    let expected = format!("/cache/blobs/oci/{}", hex_sha256(b"r.io/x@sha256:00"));
    assert_eq!(path, PathBuf::from(expected));
}

// ---- files ----------------------------------------------------------------------

#[tokio::test]
async fn a_file_source_is_read_from_its_absolute_path() {
    let (_sim, client) = sim_with("").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.wasm");
    let component = mk_component(b"file");
    std::fs::write(&path, &component).unwrap();

    let fetched = fetch(&ctx(&client, None), &mk_spec(file_source(&path)))
        .await
        .unwrap();
    assert_eq!(fetched.bytes, component);
    assert_eq!(fetched.sha256, hex_sha256(&component));
    assert_eq!(fetched.origin, format!("file {}", path.display()));
    assert_eq!(fetched.config_map_version, None);

    let relative = PluginSource {
        file: Some("plugins/p.wasm".into()),
        ..PluginSource::default()
    };
    let err = fetch(&ctx(&client, None), &mk_spec(relative))
        .await
        .unwrap_err();
    assert!(matches!(err, SourceError::FileNotAbsolute { .. }), "{err}");

    let missing = dir.path().join("missing.wasm");
    let err = fetch(&ctx(&client, None), &mk_spec(file_source(&missing)))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("spec.source.file: "), "{err}");
    assert!(err.contains(&missing.display().to_string()), "{err}");
}

#[tokio::test]
async fn a_file_larger_than_the_limit_is_refused_from_its_metadata_giving_both_sizes() {
    let (_sim, client) = sim_with("").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.wasm");
    // Sparse: 32 MiB + 1 byte on paper, nothing on disk.
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(MAX_COMPONENT_BYTES as u64 + 1).unwrap();

    let err = fetch(&ctx(&client, None), &mk_spec(file_source(&path)))
        .await
        .unwrap_err();
    assert!(matches!(err, SourceError::TooLarge { .. }), "{err}");
    let text = err.to_string();
    assert!(text.starts_with("spec.source.file: "), "{text}");
    assert!(
        text.contains(&(MAX_COMPONENT_BYTES + 1).to_string()),
        "{text}"
    );
    assert!(text.contains(&MAX_COMPONENT_BYTES.to_string()), "{text}");

    // A configured lower limit applies the same way, and the limit itself holds.
    std::fs::write(&path, mk_component(b"x")).unwrap();
    let size = std::fs::metadata(&path).unwrap().len() as usize;
    let mut tight = ctx(&client, None);
    tight.max_bytes = size;
    assert!(fetch(&tight, &mk_spec(file_source(&path))).await.is_ok());
    tight.max_bytes = size - 1;
    let err = fetch(&tight, &mk_spec(file_source(&path)))
        .await
        .unwrap_err();
    assert!(
        matches!(err, SourceError::TooLarge { actual, max, .. } if actual == size as u64 && max == size - 1),
        "{err}"
    );
}

#[tokio::test]
async fn a_sha256_pin_that_differs_is_refused_naming_both_digests() {
    let (_sim, client) = sim_with("").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.wasm");
    let component = mk_component(b"pinned");
    std::fs::write(&path, &component).unwrap();

    let mut spec = mk_spec(file_source(&path));
    spec.sha256 = Some(hex_sha256(&component));
    assert!(fetch(&ctx(&client, None), &spec).await.is_ok());

    let wrong = hex_sha256(b"another component");
    spec.sha256 = Some(wrong.clone());
    let err = fetch(&ctx(&client, None), &spec)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("spec.sha256: "), "{err}");
    assert!(
        err.contains(&wrong) && err.contains(&hex_sha256(&component)),
        "{err}"
    );
}

// ---- ConfigMaps -------------------------------------------------------------------

#[tokio::test]
async fn a_config_map_gives_its_binary_data_key_and_its_resource_version() {
    let component = mk_component(b"config map");
    let other = mk_component(b"shared");
    let yaml = [
        config_map_yaml(
            "plugins",
            "equal-split",
            &[("plugin.wasm", &component)],
            &[],
        ),
        config_map_yaml("shared", "equal-split", &[("plugin.wasm", &other)], &[]),
    ]
    .join("---\n");
    let (_sim, client) = sim_with(&yaml).await;
    let stored: ConfigMap = Api::namespaced(client.clone(), "plugins")
        .get("equal-split")
        .await
        .unwrap();

    // No namespace: the context's.
    let spec = mk_spec(config_map_source("equal-split", "plugin.wasm", None));
    let fetched = fetch(&ctx(&client, None), &spec).await.unwrap();
    assert_eq!(fetched.bytes, component);
    assert_eq!(fetched.sha256, hex_sha256(&component));
    assert_eq!(
        fetched.origin,
        "configMap plugins/equal-split key plugin.wasm"
    );
    assert!(fetched.config_map_version.is_some());
    assert_eq!(fetched.config_map_version, stored.metadata.resource_version);

    // A namespace given: that one.
    let spec = mk_spec(config_map_source(
        "equal-split",
        "plugin.wasm",
        Some("shared"),
    ));
    let fetched = fetch(&ctx(&client, None), &spec).await.unwrap();
    assert_eq!(fetched.bytes, other);
    assert_eq!(
        fetched.origin,
        "configMap shared/equal-split key plugin.wasm"
    );
}

#[tokio::test]
async fn a_missing_config_map_is_named_with_its_namespace() {
    let (_sim, client) = sim_with("").await;
    let spec = mk_spec(config_map_source("absent", "plugin.wasm", None));
    let err = fetch(&ctx(&client, None), &spec).await.unwrap_err();
    assert!(
        matches!(err, SourceError::ConfigMapNotFound { .. }),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "spec.source.configMap.name: ConfigMap plugins/absent not found"
    );
}

#[tokio::test]
async fn a_missing_key_is_refused_listing_the_keys_the_config_map_has() {
    let yaml = config_map_yaml(
        "plugins",
        "equal-split",
        &[("other.wasm", &mk_component(b"o"))],
        &[("README", "text")],
    );
    let (_sim, client) = sim_with(&yaml).await;
    let spec = mk_spec(config_map_source("equal-split", "plugin.wasm", None));
    let err = fetch(&ctx(&client, None), &spec).await.unwrap_err();
    assert!(matches!(err, SourceError::NoSuchKey { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        r#"spec.source.configMap.key: ConfigMap plugins/equal-split has no binaryData key "plugin.wasm" (keys: README, other.wasm)"#
    );
}

#[tokio::test]
async fn a_key_only_in_text_data_is_refused_as_not_binary() {
    let yaml = config_map_yaml(
        "plugins",
        "equal-split",
        &[],
        &[("plugin.wasm", "not binary")],
    );
    let (_sim, client) = sim_with(&yaml).await;
    let spec = mk_spec(config_map_source("equal-split", "plugin.wasm", None));
    let err = fetch(&ctx(&client, None), &spec).await.unwrap_err();
    assert!(matches!(err, SourceError::TextKey { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.starts_with("spec.source.configMap.key: ConfigMap plugins/equal-split"),
        "{text}"
    );
    assert!(text.contains("in data (text), not binaryData"), "{text}");
}

// ---- pull Secrets -------------------------------------------------------------------

#[tokio::test]
async fn a_missing_or_unusable_pull_secret_names_spec_pull_secret() {
    let yaml = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: opaque\n  namespace: plugins\nstringData:\n  token: x\n";
    let (_sim, client) = sim_with(yaml).await;
    let reference = format!("127.0.0.1:1/p@sha256:{}", "0".repeat(64));

    let mut spec = mk_spec(oci_source(&reference));
    spec.pull_secret = Some("absent".into());
    let err = fetch(&ctx(&client, None), &spec).await.unwrap_err();
    assert!(
        matches!(err, SourceError::PullSecretNotFound { .. }),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "spec.pullSecret: Secret plugins/absent not found"
    );

    spec.pull_secret = Some("opaque".into());
    let err = fetch(&ctx(&client, None), &spec)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("spec.pullSecret: Secret plugins/opaque: type is Opaque"),
        "{err}"
    );
}

// ---- OCI and the blob cache ---------------------------------------------------------------

const REGISTRY_BIN: &str = "/usr/bin/docker-registry";

/// A registry process, killed when dropped.
struct Registry {
    child: Child,
    addr: String,
    _dir: tempfile::TempDir,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The registry on a free loopback port with its own storage, or `None`
/// (after saying so) when it is not installed and
/// `LATTICE_HOST_REQUIRE_REGISTRY` does not demand it.
fn registry_or_skip() -> Option<Registry> {
    registry_with_auth_or_skip(None)
}

/// `robot`'s password for the registry started with [`HTPASSWD`].
const ROBOT_PASSWORD: &str = "s3cret";
/// `robot:s3cret`, bcrypt at the lowest cost (the only format the registry reads).
const HTPASSWD: &str = "robot:$2b$04$oeYY4YPZNLuKxhHeP.0BU.YPoewJT22pbh1amCvQjgJGCdom4msIO\n";

/// As [`registry_or_skip`]; with `htpasswd`, the registry asks for HTTP
/// basic credentials from it.
fn registry_with_auth_or_skip(htpasswd: Option<&str>) -> Option<Registry> {
    if !Path::new(REGISTRY_BIN).exists() {
        assert!(
            std::env::var_os("LATTICE_HOST_REQUIRE_REGISTRY").is_none(),
            "{REGISTRY_BIN} is missing and LATTICE_HOST_REQUIRE_REGISTRY is set; run scripts/setup --test"
        );
        eprintln!("SKIPPED: {REGISTRY_BIN} is missing (apt-get install docker-registry)");
        return None;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut config = format!(
        "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {addr}\n",
        dir.path().join("data").display()
    );
    if let Some(htpasswd) = htpasswd {
        let path = dir.path().join("htpasswd");
        std::fs::write(&path, htpasswd).expect("write the htpasswd file");
        config.push_str(&format!(
            "auth:\n  htpasswd:\n    realm: test\n    path: {}\n",
            path.display()
        ));
    }
    let config_path = dir.path().join("config.yml");
    std::fs::write(&config_path, config).expect("write the registry config");
    let child = Command::new(REGISTRY_BIN)
        .arg("serve")
        .arg(&config_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start docker-registry");
    let registry = Registry {
        child,
        addr,
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    // 200, or 401 when it asks for credentials: either way, it serves.
    while !matches!(v2_status(&registry.addr), Some(200 | 401)) {
        assert!(
            Instant::now() < deadline,
            "the registry did not answer /v2/"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(registry)
}

/// The status of `GET /v2/`, or `None` when nothing answers.
fn v2_status(addr: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(addr).ok()?;
    let request = format!("GET /v2/ HTTP/1.0\r\nHost: {addr}\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.split(' ').nth(1)?.parse().ok()
}

#[tokio::test]
async fn an_oci_pull_is_kept_in_the_blob_cache_and_served_from_it_when_the_registry_is_gone() {
    let Some(registry) = registry_or_skip() else {
        return;
    };
    let component = mk_component(b"oci");
    let tagged = format!("{}/plugins/equal-split:v1", registry.addr);
    let digest = lattice_oci::push(&tagged, &component, &Auth::Anonymous, false)
        .await
        .expect("push to the registry");
    let reference = format!("{}/plugins/equal-split@{digest}", registry.addr);

    // A pull Secret with credentials for this registry (which asks for none).
    let config = format!(
        r#"{{"auths":{{"http://{}":{{"auth":"{}"}}}}}}"#,
        registry.addr,
        b64(b"robot:secret")
    );
    let secret = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: pull\n  namespace: plugins\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: {}\n",
        b64(config.as_bytes())
    );
    let (_sim, client) = sim_with(&secret).await;
    let cache = tempfile::tempdir().unwrap();
    let mut spec = mk_spec(oci_source(&reference));
    spec.pull_secret = Some("pull".into());
    spec.sha256 = Some(hex_sha256(&component));

    // 1. From the registry, kept in the cache.
    let fetched = fetch(&ctx(&client, Some(cache.path())), &spec)
        .await
        .expect("pulled from the registry");
    assert_eq!(fetched.bytes, component);
    assert_eq!(fetched.sha256, hex_sha256(&component));
    assert_eq!(fetched.origin, format!("oci {reference}"));
    let kept = cache_path(cache.path(), &reference);
    assert_eq!(
        std::fs::read(&kept).expect("kept in the blob cache"),
        component
    );
    let leftovers: Vec<_> = std::fs::read_dir(kept.parent().unwrap())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path() != kept)
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");

    // 2. The registry is gone: served from the cache, which says so.
    drop(registry);
    let fetched = fetch(&ctx(&client, Some(cache.path())), &spec)
        .await
        .expect("served from the blob cache");
    assert_eq!(fetched.bytes, component);
    assert!(
        fetched
            .origin
            .starts_with(&format!("oci {reference} (from the blob cache")),
        "{}",
        fetched.origin
    );

    // 3. The pin is checked on cached bytes too.
    let mut pinned_elsewhere = spec.clone();
    pinned_elsewhere.sha256 = Some("0".repeat(64));
    let err = fetch(&ctx(&client, Some(cache.path())), &pinned_elsewhere)
        .await
        .unwrap_err();
    assert!(matches!(err, SourceError::PinMismatch { .. }), "{err}");

    // 4. Without a cache, the registry's failure is the error.
    let err = fetch(&ctx(&client, None), &spec).await.unwrap_err();
    assert!(
        matches!(err, SourceError::Oci(OciError::Registry { .. })),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with(&format!("spec.source.oci: {reference}")),
        "{err}"
    );
}

#[tokio::test]
async fn a_registry_that_asks_for_credentials_gets_those_of_the_pull_secret() {
    let Some(registry) = registry_with_auth_or_skip(Some(HTPASSWD)) else {
        return;
    };
    let robot = Auth::Basic {
        username: "robot".into(),
        password: ROBOT_PASSWORD.into(),
    };
    let component = mk_component(b"private");
    let tagged = format!("{}/private/p:v1", registry.addr);
    let digest = lattice_oci::push(&tagged, &component, &robot, false)
        .await
        .expect("push with credentials");
    let reference = format!("{}/private/p@{digest}", registry.addr);

    // The legacy shape, with the key written as a URL with a path.
    let good = format!(
        r#"{{"https://{}/v1/":{{"username":"robot","password":"{ROBOT_PASSWORD}"}}}}"#,
        registry.addr
    );
    let wrong = format!(
        r#"{{"auths":{{"{}":{{"auth":"{}"}}}}}}"#,
        registry.addr,
        b64(b"robot:wrong")
    );
    let yaml = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: good\n  namespace: plugins\ntype: kubernetes.io/dockercfg\ndata:\n  .dockercfg: {}\n---\n\
         apiVersion: v1\nkind: Secret\nmetadata:\n  name: wrong\n  namespace: plugins\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: {}\n",
        b64(good.as_bytes()),
        b64(wrong.as_bytes())
    );
    let (_sim, client) = sim_with(&yaml).await;
    let mut spec = mk_spec(oci_source(&reference));

    let fetched = {
        spec.pull_secret = Some("good".into());
        fetch(&ctx(&client, None), &spec)
            .await
            .expect("pulled with the Secret's credentials")
    };
    assert_eq!(fetched.bytes, component);

    for secret in [None, Some("wrong")] {
        spec.pull_secret = secret.map(Into::into);
        let err = fetch(&ctx(&client, None), &spec).await.unwrap_err();
        assert!(
            matches!(err, SourceError::Oci(OciError::Registry { .. })),
            "{secret:?}: {err}"
        );
    }
}
