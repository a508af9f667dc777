//! The topology page in a real browser: headless Chromium (Debian's
//! `chromium`) loads the demo's admin page, finds the bookstore's services
//! and the 90/10 canary, and, after a weight edit with kubectl, shows the
//! new weights without a reload. Driven over the DevTools protocol.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::cli::root;

const CHROMIUM: &str = "/usr/bin/chromium";

/// A child process, killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// One plain HTTP request; the body of a 200 answer, if anything answers.
fn http(method: &str, port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let out = String::from_utf8_lossy(&raw);
    let (head, body) = out.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?;
    (status == "200").then(|| body.to_string())
}

/// Starts the demo with its admin page on `admin`; returns once converged.
fn start_demo(dir: &Path, admin: u16) -> Killed {
    let log = std::fs::File::create(dir.join("demo.log")).expect("log");
    let child = Command::new(env!("CARGO_BIN_EXE_lattice-host"))
        .current_dir(root())
        .args([
            "demo",
            "--admin-listen",
            &format!("127.0.0.1:{admin}"),
            "--kubeconfig",
        ])
        .arg(dir.join("kubeconfig"))
        .stdout(log)
        .stderr(Stdio::null())
        .spawn()
        .expect("start the demo");
    let demo = Killed(child);
    let deadline = Instant::now() + Duration::from_secs(120);
    while !std::fs::read_to_string(dir.join("demo.log"))
        .unwrap_or_default()
        .contains("Reconciling what you change")
    {
        assert!(Instant::now() < deadline, "the demo did not converge");
        std::thread::sleep(Duration::from_millis(200));
    }
    demo
}

/// Headless Chromium with the DevTools protocol on `port`.
fn start_chromium(dir: &Path, port: u16) -> Killed {
    let child = Command::new(CHROMIUM)
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            &format!("--remote-debugging-port={port}"),
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.join("chromium").display()
        ))
        .arg("about:blank")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let browser = Killed(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    while http("GET", port, "/json/version").is_none() {
        assert!(
            Instant::now() < deadline,
            "chromium's DevTools endpoint did not come up"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    browser
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A DevTools session on one page.
struct Page {
    socket: Socket,
    next: u64,
}

impl Page {
    async fn open(port: u16, url: &str) -> Page {
        let target = http("PUT", port, &format!("/json/new?{url}")).expect("a new page");
        let target: Value = serde_json::from_str(&target).expect("JSON");
        let ws = target["webSocketDebuggerUrl"]
            .as_str()
            .expect("a DevTools socket");
        let (socket, _) = tokio_tungstenite::connect_async(ws)
            .await
            .expect("DevTools connects");
        Page { socket, next: 1 }
    }

    /// Evaluates `expression` in the page and returns its value.
    async fn eval(&mut self, expression: &str) -> Value {
        let id = self.next;
        self.next += 1;
        let call = json!({"id": id, "method": "Runtime.evaluate",
            "params": {"expression": expression, "returnByValue": true}});
        self.socket
            .send(Message::text(call.to_string()))
            .await
            .expect("send");
        while let Some(msg) = self.socket.next().await {
            let Ok(Message::Text(text)) = msg else {
                continue;
            };
            let v: Value = serde_json::from_str(&text).unwrap_or_default();
            if v["id"] == id {
                return v["result"]["result"]["value"].clone();
            }
        }
        panic!("DevTools closed");
    }

    /// The page's visible text, once `check` holds for it (within `within`).
    async fn text_until(&mut self, within: Duration, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + within;
        loop {
            let text = self.eval("document.body.innerText").await;
            let text = text.as_str().unwrap_or_default().to_string();
            if check(&text) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "the page never showed it:\n{text}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_topology_page_shows_a_weight_edit_without_a_reload() {
    if !Path::new(CHROMIUM).exists() {
        assert!(
            std::env::var_os("LATTICE_HOST_REQUIRE_REGISTRY").is_none(),
            "{CHROMIUM} is missing and LATTICE_HOST_REQUIRE_REGISTRY is set; run scripts/setup --test"
        );
        eprintln!("SKIPPED: {CHROMIUM} is missing (apt-get install chromium)");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let admin = free_port();
    let _demo = start_demo(dir.path(), admin);
    let devtools = free_port();
    let _browser = start_chromium(dir.path(), devtools);
    let mut page = Page::open(devtools, &format!("http://127.0.0.1:{admin}/")).await;

    let text = page
        .text_until(Duration::from_secs(30), |t| {
            t.contains("books-bookstore") && t.contains("90 (90%)")
        })
        .await;
    for shown in [
        "reviews-bookstore",
        "ratings-bookstore",
        "10 (10%)",
        "route-mapper@sha256:",
        "Programmed=True",
    ] {
        assert!(text.contains(shown), "{shown} is not on the page:\n{text}");
    }
    let loaded = page.eval("performance.timeOrigin").await;

    let edit = r#"[{"op":"replace","path":"/spec/rules/0/backendRefs/0/weight","value":70},{"op":"replace","path":"/spec/rules/0/backendRefs/1/weight","value":30}]"#;
    let kubeconfig = dir.path().join("kubeconfig");
    let o = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .args([
            "patch",
            "httproute",
            "books",
            "-n",
            "bookstore",
            "--type=json",
            "-p",
            edit,
        ])
        .output()
        .expect("kubectl runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let edited = Instant::now();
    let text = page
        .text_until(Duration::from_secs(10), |t| {
            t.contains("70 (70%)") && t.contains("30 (30%)")
        })
        .await;
    assert!(!text.contains("90 (90%)"), "{text}");
    eprintln!(
        "the page showed the edit {:?} after kubectl",
        edited.elapsed()
    );
    assert_eq!(
        page.eval("performance.timeOrigin").await,
        loaded,
        "the page reloaded"
    );
}
