//! Shared helpers for the integration tests: start an emulator, build an SDK client for
//! it, talk raw HTTP to `/_sim/…`, and find Python.
#![allow(dead_code)]

use aws_sdk_vpclattice::error::ProvideErrorMetadata;
use aws_sdk_vpclattice::types::*;
use lattice_sim::{LatticeSim, RunningSim, SimConfig};
use std::process::Command;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Start an emulator with the default configuration on an ephemeral port.
pub async fn start() -> RunningSim {
    start_with(SimConfig::default()).await
}

/// Start an emulator with `cfg` on an ephemeral port.
pub async fn start_with(cfg: SimConfig) -> RunningSim {
    LatticeSim::new(cfg).start().await.expect("bind 127.0.0.1")
}

pub use lattice_sim::client;

/// The error code of a failed SDK call, or `"OK"` if it succeeded.
pub fn code<T, E: ProvideErrorMetadata>(r: &Result<T, E>) -> String {
    match r {
        Ok(_) => "OK".to_string(),
        Err(e) => e.code().unwrap_or("<no code>").to_string(),
    }
}

/// One raw HTTP/1.1 request; returns the status and the body.
pub async fn http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    body: &str,
) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.expect("read");
    let text = String::from_utf8_lossy(&buf).to_string();
    let status = text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// The Python interpreter to use, and a check that `modules` import, or a panic naming
/// `scripts/setup --test`.
pub fn python_with(modules: &[&str]) -> String {
    let py = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
    let check = format!("import {}", modules.join(", "));
    let ok = Command::new(&py)
        .args(["-c", &check])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        ok,
        "{py} cannot `{check}`: install the test dependencies with `scripts/setup --test` \
         (it runs `pip install boto3 'moto[server]'`)"
    );
    py
}

/// The directory of the Python helper scripts.
pub fn py_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("py")
}

/// The error code and message of a failed SDK call (`"OK"` and empty if it succeeded).
pub fn code_msg<T, E: ProvideErrorMetadata>(r: &Result<T, E>) -> (String, String) {
    match r {
        Ok(_) => ("OK".to_string(), String::new()),
        Err(e) => (
            e.code().unwrap_or("<no code>").to_string(),
            e.message().unwrap_or_default().to_string(),
        ),
    }
}

// Small builders for SDK request members.

/// A forward action to `(target group, weight)` pairs.
pub fn forward(tgs: &[(&str, i32)]) -> RuleAction {
    let list = tgs
        .iter()
        .map(|(id, w)| {
            WeightedTargetGroup::builder()
                .target_group_identifier(*id)
                .weight(*w)
                .build()
                .expect("wtg")
        })
        .collect();
    RuleAction::Forward(
        ForwardAction::builder()
            .set_target_groups(Some(list))
            .build()
            .expect("forward"),
    )
}

/// A path-prefix match.
pub fn prefix(p: &str) -> RuleMatch {
    let pm = PathMatch::builder()
        .r#match(PathMatchType::Prefix(p.into()))
        .build();
    RuleMatch::HttpMatch(HttpMatch::builder().path_match(pm).build())
}

/// An HTTP:8080 IP target group config in a fixed VPC.
pub fn ip_config() -> TargetGroupConfig {
    TargetGroupConfig::builder()
        .port(8080)
        .protocol(TargetGroupProtocol::Http)
        .vpc_identifier("vpc-0123456789abcdef0")
        .build()
}
