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
