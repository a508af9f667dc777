//! TLS with a generated CA: kubectl trusts it through the written kubeconfig.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::common::start_tls;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_talks_to_kube_sim_over_tls_with_the_written_kubeconfig() {
    let env = start_tls().await;
    assert!(env.url().starts_with("https://127.0.0.1:"));
    assert!(
        env.kubectl_ok(&["get", "namespaces"])
            .await
            .contains("default")
    );
    let mut watch = env.kubectl_spawn(&["get", "configmaps", "-w", "--output-watch-events"]);
    let mut lines = BufReader::new(watch.stdout.take().expect("stdout")).lines();
    let cm = env.file(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: over-tls\ndata:\n  a: \"1\"\n",
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        env.kubectl_ok(&["apply", "-f", &cm]).await.trim(),
        "configmap/over-tls created"
    );
    let seen = tokio::time::timeout(Duration::from_secs(20), async {
        while let Ok(Some(l)) = lines.next_line().await {
            if l.starts_with("ADDED") && l.contains("over-tls") {
                return true;
            }
        }
        false
    })
    .await
    .expect("watch event in time");
    assert!(seen, "the HTTP/2 watch over TLS delivered the event");
    let _ = watch.kill().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_ca_key_keeps_old_kubeconfigs_valid_and_plain_http_is_told_to_use_https() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("ca-key.pem");
    let before = kube_sim::SelfSigned::with_ca_key_file(&key, &[]).expect("first CA");
    let after = kube_sim::SelfSigned::with_ca_key_file(&key, &[]).expect("same CA key");

    // The server restarted with `after`; a kubeconfig written for `before` still works.
    let sim = kube_sim::KubeSim::new(kube_sim::SimOptions::default()).expect("sim");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let serving = tokio::spawn(async move {
        sim.serve_tls(listener, &after, std::future::pending())
            .await
    });
    let kubeconfig = dir.path().join("kubeconfig");
    kube_sim::write_kubeconfig_with_ca(
        &kubeconfig,
        &format!("https://{addr}"),
        Some(before.ca_pem()),
    )
    .expect("kubeconfig");
    let out = tokio::process::Command::new("kubectl")
        .args(["get", "namespaces", "--kubeconfig"])
        .arg(&kubeconfig)
        .env("HOME", dir.path())
        .output()
        .await
        .expect("kubectl runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    tokio::io::AsyncWriteExt::write_all(&mut tcp, b"GET /version HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("send");
    let mut answer = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut tcp, &mut answer)
        .await
        .expect("read");
    assert!(answer.starts_with("HTTP/1.0 400 Bad Request"), "{answer}");
    assert!(answer.contains("Client sent an HTTP request to an HTTPS server."));
    serving.abort();
}
