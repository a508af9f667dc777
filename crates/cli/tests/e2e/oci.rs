//! `plugin push` and `plugin pull` against a real registry: the CNCF
//! distribution registry (Debian's `docker-registry`), started here on a
//! free loopback port with its own storage directory.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const REGISTRY_BIN: &str = "/usr/bin/docker-registry";

/// A registry process, killed when dropped.
pub(crate) struct Registry {
    child: Child,
    pub(crate) addr: String,
    _dir: tempfile::TempDir,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("local address").port()
}

/// Starts the registry and waits until `GET /v2/` answers 200.
fn start_registry() -> Registry {
    let dir = tempfile::tempdir().expect("temp dir");
    let addr = format!("127.0.0.1:{}", free_port());
    let config = format!(
        "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {addr}\n",
        dir.path().join("data").display()
    );
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
    while get(&registry.addr, "/v2/", "*/*").is_none_or(|(status, _)| status != 200) {
        assert!(
            Instant::now() < deadline,
            "the registry did not answer /v2/"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    registry
}

/// A plain HTTP/1.0 GET: the status code and the body, or `None` if nothing answers.
fn get(addr: &str, path: &str, accept: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(addr).ok()?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\nAccept: {accept}\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n")?.1.to_owned();
    Some((status, body))
}

fn lattice_host(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lattice-host"))
        .args(args)
        .output()
        .expect("run lattice-host")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The registry, or `None` (after saying so) when it is not installed and
/// `LATTICE_HOST_REQUIRE_REGISTRY` does not demand it.
pub(crate) fn registry_or_skip() -> Option<Registry> {
    if !Path::new(REGISTRY_BIN).exists() {
        assert!(
            std::env::var_os("LATTICE_HOST_REQUIRE_REGISTRY").is_none(),
            "{REGISTRY_BIN} is missing and LATTICE_HOST_REQUIRE_REGISTRY is set; run scripts/setup --test"
        );
        eprintln!("SKIPPED: {REGISTRY_BIN} is missing (apt-get install docker-registry)");
        return None;
    }
    Some(start_registry())
}

/// The sha256 of `bytes`, `sha256:<hex>`.
fn digest_of(bytes: &[u8]) -> String {
    lattice_oci::sha256_digest(bytes)
}

#[test]
fn a_plugin_pushed_to_a_real_registry_is_pulled_back_by_digest_byte_for_byte() {
    let Some(registry) = registry_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let component = lattice_wasm::defaults::WEIGHTED_FORWARD;
    let file = dir.path().join("weighted-forward.wasm");
    std::fs::write(&file, component).unwrap();
    let tagged = format!("{}/plugins/weighted-forward:v1", registry.addr);

    // 1. Push: the printed reference carries the manifest digest.
    let pushed = lattice_host(&["plugin", "push", file.to_str().unwrap(), &tagged]);
    assert!(pushed.status.success(), "{}", stderr(&pushed));
    let printed = stdout(&pushed);
    let digest = printed
        .strip_prefix(&format!("{tagged}@"))
        .unwrap_or_else(|| panic!("{printed}: not {tagged}@sha256:…"))
        .to_owned();
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{digest}"
    );

    // 2. The registry holds that manifest, in the wasm layout.
    let (status, body) = get(
        &registry.addr,
        &format!("/v2/plugins/weighted-forward/manifests/{digest}"),
        lattice_oci::MANIFEST_MEDIA_TYPE,
    )
    .expect("the registry answers");
    assert_eq!(status, 200, "{body}");
    assert_eq!(digest_of(body.as_bytes()), digest);
    let manifest: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        manifest["mediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    assert_eq!(
        manifest["config"]["mediaType"],
        "application/vnd.wasm.config.v0+json"
    );
    assert_eq!(manifest["layers"].as_array().map(Vec::len), Some(1));
    assert_eq!(manifest["layers"][0]["mediaType"], "application/wasm");
    assert_eq!(manifest["layers"][0]["digest"], digest_of(component));

    // 3. Pull by digest: the same bytes, and the digest printed.
    let out = dir.path().join("pulled.wasm");
    let by_digest = format!("{}/plugins/weighted-forward@{digest}", registry.addr);
    let pulled = lattice_host(&["plugin", "pull", &by_digest, "-o", out.to_str().unwrap()]);
    assert!(pulled.status.success(), "{}", stderr(&pulled));
    assert_eq!(stdout(&pulled), digest);
    assert!(
        std::fs::read(&out).unwrap() == component,
        "pulled bytes differ"
    );
}

#[test]
fn pulls_by_tag_or_unknown_digest_and_pushes_of_non_components_are_refused() {
    let Some(registry) = registry_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("faulty.wasm");
    std::fs::copy(test_plugins::FAULTY, &file).unwrap();
    let tagged = format!("{}/plugins/faulty:v1", registry.addr);
    let pushed = lattice_host(&["plugin", "push", file.to_str().unwrap(), &tagged]);
    assert!(pushed.status.success(), "{}", stderr(&pushed));
    let out = dir.path().join("out.wasm");
    let out = out.to_str().unwrap();

    let by_tag = lattice_host(&["plugin", "pull", &tagged, "-o", out]);
    assert!(!by_tag.status.success());
    assert!(stderr(&by_tag).contains(&tagged), "{}", stderr(&by_tag));
    assert!(
        stderr(&by_tag).contains("pull by digest"),
        "{}",
        stderr(&by_tag)
    );

    let wrong = format!("sha256:{}", "0".repeat(64));
    let unknown = format!("{}/plugins/faulty@{wrong}", registry.addr);
    let by_wrong = lattice_host(&["plugin", "pull", &unknown, "-o", out]);
    assert!(!by_wrong.status.success());
    assert!(stderr(&by_wrong).contains(&wrong), "{}", stderr(&by_wrong));
    assert!(
        stderr(&by_wrong).contains("manifest unknown"),
        "{}",
        stderr(&by_wrong)
    );
    assert!(!Path::new(out).exists(), "a failed pull wrote {out}");

    let text = dir.path().join("notes.wasm");
    std::fs::write(&text, "not wasm").unwrap();
    let refused = lattice_host(&["plugin", "push", text.to_str().unwrap(), &tagged]);
    assert!(!refused.status.success());
    let message = stderr(&refused);
    assert!(message.contains(text.to_str().unwrap()), "{message}");
    assert!(message.contains("not a WebAssembly component"), "{message}");
}
