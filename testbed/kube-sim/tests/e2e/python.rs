//! The Python `kubernetes` client (PyPI), a third independent client.

use std::time::Duration;

use crate::common::start;

const SCRIPT: &str = r#"
import json, sys, threading, time
from kubernetes import client, config, watch

config.load_kube_config(config_file=sys.argv[1])
v1 = client.CoreV1Api()
assert "default" in [n.metadata.name for n in v1.list_namespace().items]

events = []
w = watch.Watch()
def follow():
    for ev in w.stream(v1.list_namespaced_config_map, namespace="default", timeout_seconds=10):
        events.append((ev["type"], ev["object"].metadata.name))
        if ev["type"] == "MODIFIED":
            w.stop()
t = threading.Thread(target=follow)
t.start()
time.sleep(0.5)

cm = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="py-cm", labels={"from": "python"}), data={"a": "1"})
created = v1.create_namespaced_config_map("default", cm)
assert created.metadata.uid and created.metadata.resource_version
v1.patch_namespaced_config_map("py-cm", "default", {"data": {"a": "2"}})
t.join(15)
assert ("ADDED", "py-cm") in events and ("MODIFIED", "py-cm") in events, events

listed = v1.list_namespaced_config_map("default", label_selector="from=python")
assert [c.metadata.name for c in listed.items] == ["py-cm"]
assert listed.items[0].data == {"a": "2"}

try:
    v1.create_namespaced_config_map("default", cm)
    raise SystemExit("duplicate create succeeded")
except client.exceptions.ApiException as e:
    body = json.loads(e.body)
    assert e.status == 409 and body["reason"] == "AlreadyExists", (e.status, body)
print("python client ok")
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_kubernetes_client_lists_watches_and_creates() {
    let env = start().await;
    let probe = tokio::process::Command::new("python3")
        .args(["-c", "import kubernetes"])
        .output()
        .await
        .expect("python3 runs");
    assert!(
        probe.status.success(),
        "the Python `kubernetes` package is missing: run scripts/setup --test"
    );
    let run = tokio::process::Command::new("python3")
        .args(["-c", SCRIPT])
        .arg(&env.kubeconfig)
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("python finishes")
        .expect("python runs");
    assert!(
        out.status.success(),
        "python failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("python client ok"));
}
