//! Issue 12, observability: the admin server of a controller running
//! against kube-sim and lattice-sim. `/metrics` carries the key series with
//! plausible values, `promtool check metrics` accepts it, and a real
//! Prometheus server scrapes it (`up == 1`); `/readyz` turns ready once
//! every kind has listed and says leader or standby; `/healthz` follows the
//! run loop; `LOG_FORMAT=json` writes one JSON object per line, with a
//! `pass` span carrying routes, duration and calls.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kube::api::{Patch, PatchParams};
use lattice_controller::Options;
use lattice_wasm::{PluginConfig, StageChoice};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::controller::{bookstore, lattice, programmed, routes_api};
use crate::plugin_objects::{clp, config_map};

const PROMTOOL: &str = "/usr/bin/promtool";
const PROMETHEUS: &str = "/usr/bin/prometheus";

/// A controller as `run` starts it, its admin server on a free loopback port.
struct Running {
    admin: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.expect("the controller stops");
    }
}

async fn start(client: &kube::Client, lattice_url: &str, options: Options) -> Running {
    start_with(client, lattice_url, options, PluginConfig::default()).await
}

async fn start_with(
    client: &kube::Client,
    lattice_url: &str,
    options: Options,
    plugins: PluginConfig,
) -> Running {
    let assembled = lattice_wiring::controller(lattice_wiring::Parts {
        kube: client.clone(),
        plugins,
        lattice: Some(lattice_wiring::Lattice {
            client: lattice_sim::client(lattice_url),
            options: lattice_apply::ApplyOptions::unlimited(16),
        }),
        options,
    })
    .expect("the controller starts");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let admin = listener.local_addr().unwrap().to_string();
    let router = lattice_admin::router(assembled.admin.clone());
    tokio::spawn(lattice_admin::serve(
        listener,
        router,
        std::future::pending(),
    ));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(assembled.controller.run(async {
        let _ = stopped.await;
    }));
    Running { admin, stop, task }
}

/// A plain HTTP/1.0 GET: status, headers and body.
async fn get(addr: &str, path: &str) -> (u16, String, String) {
    try_get(addr, path)
        .await
        .unwrap_or_else(|| panic!("nothing answers GET {path} on {addr}"))
}

/// As [`get`], `None` while nothing answers (a server still starting).
async fn try_get(addr: &str, path: &str) -> Option<(u16, String, String)> {
    let mut stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await.ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, head.to_ascii_lowercase(), body.to_string()))
}

/// Waits until `admin`'s `/metrics` counts `n` compactions and none is
/// pending.
async fn compacted(admin: &str, n: u32, what: &str) {
    until(what, 20, async || {
        let (_, _, body) = get(admin, "/metrics").await;
        let count = sample(&body, "lattice_host_compaction_duration_seconds_count");
        let pending = sample(&body, "lattice_host_compaction_pending");
        (count >= Some(f64::from(n)) && pending == Some(0.0)).then_some(())
    })
    .await;
}

/// The value of the sample `series` (name and labels exactly as exposed).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// The sum of every sample of `name` whose labels contain all of `labels`.
fn sum(text: &str, name: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let rest = series.strip_prefix(name)?;
            let matches = (rest.is_empty() || rest.starts_with('{'))
                && labels.iter().all(|want| rest.contains(want));
            matches.then(|| value.parse::<f64>().ok()).flatten()
        })
        .sum()
}

/// Polls `check` every 100 ms for up to `secs`.
async fn until<T>(what: &str, secs: u64, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Whether `bin` is there; when it is not, fails if
/// `LATTICE_HOST_REQUIRE_REGISTRY` demands the real parts (CI), else says
/// SKIPPED.
fn installed(bin: &str) -> bool {
    if Path::new(bin).exists() {
        return true;
    }
    assert!(
        std::env::var_os("LATTICE_HOST_REQUIRE_REGISTRY").is_none(),
        "{bin} is missing and LATTICE_HOST_REQUIRE_REGISTRY is set; run scripts/setup --test"
    );
    eprintln!("SKIPPED: {bin} is missing (apt-get install prometheus)");
    false
}

/// `promtool check metrics` on `text`: its exit code and what it said.
fn promtool_check(text: &str) -> (Option<i32>, String) {
    let mut child = Command::new(PROMTOOL)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start promtool");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), said)
}

/// A Prometheus server, killed when dropped.
struct Prometheus {
    child: Child,
    addr: String,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Starts Prometheus scraping `target` every second, its storage in a
/// temporary directory.
fn start_prometheus(target: &str) -> Prometheus {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: lattice-host\n    static_configs:\n      - targets: ['{target}']\n"
    );
    let config_path = dir.path().join("prometheus.yml");
    std::fs::write(&config_path, config).unwrap();
    let addr = format!("127.0.0.1:{}", free_port());
    let child = Command::new(PROMETHEUS)
        .arg(format!("--config.file={}", config_path.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address={addr}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start prometheus");
    Prometheus {
        child,
        addr,
        _dir: dir,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_valid_prometheus_text_with_the_key_series_and_a_real_prometheus_scrapes_them()
{
    let (_kube, client) = bookstore().await;
    let lattice = lattice().await;
    let running = start(&client, &lattice.url(), Options::default()).await;
    let api = routes_api(&client);
    programmed(&api, "books", "True").await;
    programmed(&api, "reviews", "True").await;

    // The key series, with plausible values once the routes are programmed.
    let text = until("routes counted as programmed", 20, async || {
        let (status, _, body) = get(&running.admin, "/metrics").await;
        (status == 200 && sum(&body, "lattice_host_routes", &[r#"condition="programmed""#]) >= 2.0)
            .then_some(body)
    })
    .await;
    let (_, head, _) = get(&running.admin, "/metrics").await;
    assert!(
        head.contains("content-type: text/plain; version=0.0.4"),
        "{head}"
    );
    let passes = sum(&text, "lattice_host_reconcile_passes_total", &[]);
    assert!(passes >= 1.0, "passes: {passes}\n{text}");
    assert!(
        sample(
            &text,
            r#"lattice_host_reconcile_passes_total{kind="whole"}"#
        ) >= Some(1.0),
        "{text}"
    );
    assert!(
        sum(
            &text,
            "lattice_host_reconcile_pass_duration_seconds_count",
            &[]
        ) >= 1.0
    );
    for op in ["ListServiceNetworks", "ListServices", "CreateService"] {
        let calls = sum(
            &text,
            "lattice_host_lattice_calls_total",
            &[&format!(r#"operation="{op}""#), r#"outcome="ok""#],
        );
        assert!(calls >= 1.0, "{op}: {calls}\n{text}");
    }
    assert!(
        sum(
            &text,
            "lattice_host_lattice_call_duration_seconds_count",
            &[]
        ) >= 3.0
    );
    for stage in ["mapping", "weighting", "auth"] {
        let calls = sum(
            &text,
            "lattice_host_plugin_calls_total",
            &[
                &format!(r#"stage="{stage}""#),
                r#"digest="sha256:"#,
                r#"outcome="ok""#,
            ],
        );
        assert!(calls >= 1.0, "{stage}: {calls}\n{text}");
    }
    assert!(
        sum(
            &text,
            "lattice_host_plugin_calls_total",
            &[r#"plugin="route-mapper""#]
        ) >= 1.0,
        "{text}"
    );
    assert!(
        sum(
            &text,
            "lattice_host_plugin_call_duration_seconds_bucket",
            &[]
        ) >= 1.0
    );
    assert_eq!(sample(&text, "lattice_host_leader"), Some(1.0), "{text}");
    assert!(
        sample(&text, "lattice_host_queue_depth").is_some(),
        "{text}"
    );
    assert_eq!(
        sample(&text, r#"lattice_host_plugin_objects{state="live"}"#),
        Some(0.0),
        "{text}"
    );

    // promtool accepts it as it is.
    if installed(PROMTOOL) {
        let (code, said) = promtool_check(&text);
        assert_eq!(code, Some(0), "promtool check metrics: {said}");
    }

    // What the first whole pass left is compacted once the watches are
    // quiet, and the compaction is counted.
    compacted(&running.admin, 1, "a compaction after the whole pass").await;
    // Watch changes amounting to a share of the routes (here the floor,
    // 256) make another compaction due, without a whole pass.
    for i in 0..260 {
        let patch = json!({"metadata": {"annotations": {"test/rewrite": i.to_string()}}});
        api.patch("reviews", &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .unwrap();
    }
    compacted(&running.admin, 2, "a compaction after 260 changes").await;

    // A Lattice call that is throttled is counted as such.
    let throttle = lattice_sim::FaultSpec {
        throttle_rate: 1.0,
        ..Default::default()
    };
    // Every pass lists the service networks; a scoped one reads what it
    // knows of services by id.
    lattice.set_faults([("ListServiceNetworks".to_string(), throttle)].into());
    let patch = json!({"metadata": {"annotations": {"test/metrics": "1"}}, "spec": {"hostnames": ["books.example.com"]}});
    api.patch("books", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
    until("a throttled ListServiceNetworks", 20, async || {
        let (_, _, body) = get(&running.admin, "/metrics").await;
        let throttled = sum(
            &body,
            "lattice_host_lattice_calls_total",
            &[
                r#"operation="ListServiceNetworks""#,
                r#"outcome="throttled""#,
            ],
        );
        (throttled >= 1.0).then_some(())
    })
    .await;
    lattice.set_faults(Default::default());

    // A real Prometheus scrapes it.
    if installed(PROMETHEUS) {
        let prometheus = start_prometheus(&running.admin);
        let up = until(
            "Prometheus reports up == 1 for lattice-host",
            60,
            async || {
                let (status, _, body) = try_get(&prometheus.addr, "/api/v1/query?query=up").await?;
                if status != 200 {
                    return None;
                }
                let v: Value = serde_json::from_str(&body).ok()?;
                let result = v.pointer("/data/result")?.as_array()?.clone();
                result
                    .into_iter()
                    .find(|r| r["metric"]["job"] == "lattice-host" && r["value"][1] == "1")
            },
        )
        .await;
        assert_eq!(up["metric"]["instance"], running.admin.as_str(), "{up}");
        // And it stored a series of ours.
        until("Prometheus holds lattice_host_leader", 30, async || {
            let query = "/api/v1/query?query=lattice_host_leader";
            let (_, _, body) = try_get(&prometheus.addr, query).await?;
            let v: Value = serde_json::from_str(&body).ok()?;
            let result = v.pointer("/data/result")?.as_array()?.clone();
            (result.first()?.pointer("/value/1")? == "1").then_some(())
        })
        .await;
    }
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_turns_on_once_every_kind_has_listed_and_names_leader_or_standby() {
    let (_kube, client) = bookstore().await;
    let lattice = lattice().await;
    let (lead, leader) = tokio::sync::watch::channel(false);
    let options = Options {
        leader: Some(lattice_controller::leader::Leadership::unfenced(leader)),
        ..Options::default()
    };
    let running = start(&client, &lattice.url(), options).await;

    // Alive from the start; ready once listed, as a standby.
    let (status, _, body) = get(&running.admin, "/healthz").await;
    assert_eq!(status, 200, "{body}");
    let body = until("ready as standby", 20, async || {
        let (status, _, body) = get(&running.admin, "/readyz").await;
        match status {
            200 => Some(body),
            503 => {
                assert!(body.starts_with("not ready: "), "{body}");
                None
            }
            other => panic!("/readyz answered {other}: {body}"),
        }
    })
    .await;
    assert!(body.starts_with("ready: standby"), "{body}");
    let (_, _, metrics) = get(&running.admin, "/metrics").await;
    assert_eq!(sample(&metrics, "lattice_host_leader"), Some(0.0));

    // Leading, it says so.
    lead.send(true).unwrap();
    until("ready as leader", 20, async || {
        let (status, _, body) = get(&running.admin, "/readyz").await;
        (status == 200 && body.starts_with("ready: leader")).then_some(())
    })
    .await;
    let (status, _, body) = get(&running.admin, "/healthz").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("ok: the run loop turned"), "{body}");

    // A stopped run loop is not alive.
    let admin = running.admin.clone();
    running.stop().await;
    let (status, _, body) = get(&admin, "/healthz").await;
    assert_eq!(status, 503, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_the_host_refuses_are_counted_as_invalid_and_their_routes_as_kept() {
    let (_kube, client) = bookstore().await;
    let lattice = lattice().await;
    let plugins = PluginConfig {
        mapping: StageChoice {
            file: Some(test_plugins::FAULTY.into()),
            settings: r#"{"fault":"invalid"}"#.into(),
            ..StageChoice::default()
        },
        ..PluginConfig::default()
    };
    let running = start_with(&client, &lattice.url(), Options::default(), plugins).await;
    let text = until("invalid answers and kept routes counted", 20, async || {
        let (_, _, body) = get(&running.admin, "/metrics").await;
        let kept = sum(&body, "lattice_host_routes", &[r#"condition="kept""#]);
        (kept >= 1.0).then_some(body)
    })
    .await;
    let invalid = sum(
        &text,
        "lattice_host_plugin_calls_total",
        &[
            r#"stage="mapping""#,
            r#"plugin="faulty""#,
            r#"outcome="invalid""#,
        ],
    );
    assert!(invalid >= 1.0, "{text}");
    // The calls themselves returned.
    let ok = sum(
        &text,
        "lattice_host_plugin_calls_total",
        &[r#"plugin="faulty""#, r#"outcome="ok""#],
    );
    assert!(ok >= 1.0, "{text}");
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugin_objects_are_counted_by_state_and_their_calls_by_name_and_digest() {
    let (_kube, client) = bookstore().await;
    let lattice = lattice().await;
    let running = start(&client, &lattice.url(), Options::default()).await;
    programmed(&routes_api(&client), "books", "True").await;
    let plugins: kube::Api<lattice_core::crds::plugins::ClusterLatticePlugin> =
        kube::Api::all(client.clone());

    // Live: the equal-split weighting, through the gate and serving.
    config_map(&client, "equal-split", test_plugins::EQUAL_SPLIT).await;
    let spec = json!({"stage":"weighting",
        "source":{"configMap":{"name":"equal-split","key":"plugin.wasm","namespace":"bookstore"}}});
    plugins
        .create(&Default::default(), &clp("equal", spec))
        .await
        .expect("created");
    let text = until("one live plugin object", 30, async || {
        let (_, _, body) = get(&running.admin, "/metrics").await;
        (sample(&body, r#"lattice_host_plugin_objects{state="live"}"#) == Some(1.0)).then_some(body)
    })
    .await;
    let digest = {
        use sha2::Digest;
        let bytes = std::fs::read(test_plugins::EQUAL_SPLIT).unwrap();
        format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
    };
    let equal = sum(
        &text,
        "lattice_host_plugin_calls_total",
        &[
            r#"stage="weighting""#,
            r#"plugin="equal-split""#,
            &format!(r#"digest="{digest}""#),
            r#"outcome="ok""#,
        ],
    );
    assert!(equal >= 1.0, "the safety gate's dry run calls it: {text}");

    // Blocked: a mapping plugin that traps on every route.
    config_map(&client, "faulty", test_plugins::FAULTY).await;
    let trap = json!({"stage":"mapping","settings":{"fault":"trap"},
        "source":{"configMap":{"name":"faulty","key":"plugin.wasm","namespace":"bookstore"}}});
    plugins
        .create(&Default::default(), &clp("trapping", trap))
        .await
        .expect("created");
    let text = until("one blocked plugin object", 30, async || {
        let (_, _, body) = get(&running.admin, "/metrics").await;
        (sample(&body, r#"lattice_host_plugin_objects{state="blocked"}"#) == Some(1.0))
            .then_some(body)
    })
    .await;
    assert_eq!(
        sample(&text, r#"lattice_host_plugin_objects{state="live"}"#),
        Some(1.0)
    );
    let traps = sum(
        &text,
        "lattice_host_plugin_calls_total",
        &[
            r#"stage="mapping""#,
            r#"plugin="faulty""#,
            r#"outcome="trap""#,
        ],
    );
    assert!(traps >= 1.0, "{text}");
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_whose_history_is_gone_relists_and_counts_as_a_restart() {
    let (kube, client) = bookstore().await;
    let lattice = lattice().await;
    let running = start(&client, &lattice.url(), Options::default()).await;
    until("ready", 20, async || {
        let (status, _, _) = get(&running.admin, "/readyz").await;
        (status == 200).then_some(())
    })
    .await;
    // As after an etcd compaction and an API server restart: a watch
    // resumes from a resourceVersion that is gone (410) and lists again.
    // (A change of another kind first, so the HTTPRoute watch's version is
    // older than the oldest one kept.)
    kube.sim()
        .apply_yaml("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: elsewhere\n")
        .unwrap();
    kube.sim().compact();
    kube.sim().drop_watches();
    let text = until("a relist counted", 30, async || {
        let (_, _, body) = get(&running.admin, "/metrics").await;
        let relists = sum(
            &body,
            "lattice_host_watch_restarts_total",
            &[r#"cause="relist""#],
        );
        (relists >= 1.0).then_some(body)
    })
    .await;
    assert!(
        sum(
            &text,
            "lattice_host_watch_restarts_total",
            &[r#"kind="HTTPRoute""#]
        ) >= 1.0,
        "{text}"
    );
    running.stop().await;
}

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap()
}

/// Every line of `stderr` as JSON, failing on the first that is not.
fn json_lines(stderr: &[u8]) -> Vec<Value> {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(!lines.is_empty(), "no log lines");
    lines
}

#[test]
fn log_format_json_writes_one_json_object_per_line() {
    let out = Command::new(env!("CARGO_BIN_EXE_lattice-host"))
        .args(["plan", "-f", "examples/bookstore", "-o", "json"])
        .current_dir(repo_root())
        .env("LOG_LEVEL", "debug")
        .env("LOG_FORMAT", "json")
        .output()
        .expect("run lattice-host");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in json_lines(&out.stderr) {
        assert!(
            line["level"].is_string() && line["timestamp"].is_string(),
            "{line}"
        );
    }

    let bad = Command::new(env!("CARGO_BIN_EXE_lattice-host"))
        .args(["plan", "-f", "examples/bookstore"])
        .current_dir(repo_root())
        .env("LOG_FORMAT", "xml")
        .output()
        .expect("run lattice-host");
    assert!(!bad.status.success());
    let said = String::from_utf8_lossy(&bad.stderr);
    assert!(
        said.contains("LOG_FORMAT") && said.contains("xml"),
        "{said}"
    );
}

#[test]
fn each_pass_logs_a_span_with_its_routes_duration_and_calls() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig.yaml");
    let out = Command::new(env!("CARGO_BIN_EXE_lattice-host"))
        .args([
            "demo",
            "--once",
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
        ])
        .current_dir(repo_root())
        .env("LOG_LEVEL", "lattice_controller=debug")
        .env("LOG_FORMAT", "json")
        .output()
        .expect("run lattice-host demo");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("/metrics"),
        "the demo prints its admin address: {stdout}"
    );
    let lines = json_lines(&out.stderr);
    let pass = lines
        .iter()
        .find(|l| l["fields"]["message"] == "pass done")
        .unwrap_or_else(|| panic!("no pass line in {lines:#?}"));
    let span = &pass["span"];
    assert_eq!(span["name"], "pass", "{pass}");
    assert!(span["routes"].as_u64() >= Some(1), "{pass}");
    assert!(span["duration_ms"].is_u64(), "{pass}");
    assert!(span["calls"].as_u64() >= Some(1), "{pass}");
    assert!(
        matches!(span["kind"].as_str(), Some("whole" | "scoped")),
        "{pass}"
    );
}
