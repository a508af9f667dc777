//! Issue 12, deploy/: `kubectl apply -k` of the Kustomize base and of the
//! single-replica overlay against kube-sim, then what was stored: the
//! Deployment's replicas, security context, probes, environment, volumes
//! and resources, and the ConfigMap it reads. Every setting `run --help`
//! lists is set by the ConfigMap or the Deployment, and has a row in
//! README's configuration table. And `run`, given the shipped ConfigMap's
//! settings with the four required values filled in, converges the
//! bookstore from a kubeconfig and stops cleanly on SIGTERM.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ListParams};
use serde_json::Value;

use crate::cli::root;

/// kubectl with its own home and cache, against `kubeconfig`.
fn kubectl(dir: &Path, kubeconfig: &Path, args: &[&str]) -> String {
    let out = Command::new("kubectl")
        .args(args)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .arg("--cache-dir")
        .arg(dir.join("cache"))
        .env("HOME", dir)
        .current_dir(root())
        .output()
        .expect("kubectl runs (scripts/setup --test installs it)");
    assert!(
        out.status.success(),
        "kubectl {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A kube-sim, `kubectl apply -k DIR` run against it, and a client.
async fn applied(dir: &str) -> (kube_sim::RunningSim, kube::Client, String) {
    let sim = kube_sim::KubeSim::start(kube_sim::SimOptions::default())
        .await
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let kubeconfig = tmp.path().join("kubeconfig");
    sim.write_kubeconfig(&kubeconfig).unwrap();
    let (path, cfg) = (tmp.path().to_path_buf(), kubeconfig.clone());
    let run = |dir: &str| {
        let (path, cfg, dir) = (path.clone(), cfg.clone(), dir.to_string());
        tokio::task::spawn_blocking(move || kubectl(&path, &cfg, &["apply", "-k", &dir]))
    };
    let out = run(dir).await.unwrap();
    // A second apply writes nothing. (kubectl still says "configured" for
    // the PodDisruptionBudget: its selector's patch strategy is `replace`,
    // so kubectl puts it in every patch, whatever the server holds.)
    let version = sim.sim().resource_version();
    run(dir).await.unwrap();
    assert_eq!(
        sim.sim().resource_version(),
        version,
        "a second apply wrote"
    );
    lattice_wiring::install_crypto_provider();
    let client = kube::Client::try_from(kube::Config::new(sim.url().parse().unwrap())).unwrap();
    (sim, client, out)
}

fn env_of(container: &Value) -> Vec<(String, Value)> {
    container["env"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| (e["name"].as_str().unwrap().to_string(), e.clone()))
        .collect()
}

/// The settings `run --help` lists under "Environment".
fn help_variables() -> BTreeSet<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_lattice-host"))
        .args(["run", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    let section = help
        .split_once("\nEnvironment")
        .expect("run --help lists the environment")
        .1;
    section
        .lines()
        .filter_map(|l| l.strip_prefix("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.chars().all(|c| c.is_ascii_uppercase() || c == '_') && w.len() > 2)
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_apply_k_deploy_installs_a_hardened_two_replica_controller() {
    let (_sim, client, out) = applied("deploy").await;
    for object in [
        "namespace/lattice-host-system created",
        "customresourcedefinition.apiextensions.k8s.io/clusterlatticeplugins.lattice-host.io created",
        "customresourcedefinition.apiextensions.k8s.io/iamauthpolicies.application-networking.k8s.aws created",
        "serviceaccount/lattice-host created",
        "clusterrole.rbac.authorization.k8s.io/lattice-host created",
        "clusterrolebinding.rbac.authorization.k8s.io/lattice-host created",
        "role.rbac.authorization.k8s.io/lattice-host-leader-election created",
        "rolebinding.rbac.authorization.k8s.io/lattice-host-pull-secrets created",
        "deployment.apps/lattice-host created",
        "poddisruptionbudget.policy/lattice-host created",
    ] {
        assert!(out.contains(object), "{object} missing from:\n{out}");
    }
    let ns = "lattice-host-system";
    let deployment = Api::<Deployment>::namespaced(client.clone(), ns)
        .get("lattice-host")
        .await
        .unwrap();
    let d = serde_json::to_value(&deployment).unwrap();
    assert_eq!(d["spec"]["replicas"], 2);
    let pod = &d["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], "lattice-host");
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert!(pod["securityContext"]["runAsUser"].as_u64().unwrap() > 0);
    let c = &pod["containers"][0];
    assert_eq!(c["args"], serde_json::json!(["run"]));
    let sc = &c["securityContext"];
    assert_eq!(sc["readOnlyRootFilesystem"], true);
    assert_eq!(sc["allowPrivilegeEscalation"], false);
    assert_eq!(sc["runAsNonRoot"], true);
    assert_eq!(sc["capabilities"]["drop"], serde_json::json!(["ALL"]));

    // Probes on the admin port, 8080.
    assert_eq!(c["ports"][0]["containerPort"], 8080);
    let port = c["ports"][0]["name"].clone();
    for (probe, path) in [
        ("livenessProbe", "/healthz"),
        ("readinessProbe", "/readyz"),
        ("startupProbe", "/healthz"),
    ] {
        assert_eq!(c[probe]["httpGet"]["path"], path, "{probe}");
        assert_eq!(c[probe]["httpGet"]["port"], port, "{probe}");
    }

    // Resources: requests within limits.
    let res = &c["resources"];
    for k in ["cpu", "memory"] {
        assert!(
            res["requests"][k].is_string() && res["limits"][k].is_string(),
            "{res}"
        );
    }

    // Environment: the downward API, the cache on a writable volume, the ConfigMap.
    let env = env_of(c);
    let field = |name: &str| {
        env.iter()
            .find(|(n, _)| n == name)
            .map(|(_, e)| e["valueFrom"]["fieldRef"]["fieldPath"].clone())
    };
    assert_eq!(field("POD_NAMESPACE"), Some("metadata.namespace".into()));
    assert_eq!(field("HOSTNAME"), Some("metadata.name".into()));
    let cache = env
        .iter()
        .find(|(n, _)| n == "LATTICE_HOST_CACHE_DIR")
        .map(|(_, e)| e["value"].clone())
        .expect("LATTICE_HOST_CACHE_DIR");
    let mounted: Vec<&Value> = c["volumeMounts"].as_array().unwrap().iter().collect();
    let mount = mounted
        .iter()
        .find(|m| m["mountPath"] == cache)
        .expect("the cache directory is a mount");
    let volume = pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == mount["name"])
        .expect("its volume");
    assert!(volume["emptyDir"].is_object(), "{volume}");
    let config_name = c["envFrom"][0]["configMapRef"]["name"]
        .as_str()
        .expect("envFrom a ConfigMap");
    let config = Api::<ConfigMap>::namespaced(client.clone(), ns)
        .get(config_name)
        .await
        .expect("the ConfigMap the Deployment reads exists");
    let data = config.data.unwrap_or_default();
    assert_eq!(
        data.get("ADMIN_LISTEN").map(String::as_str),
        Some("0.0.0.0:8080")
    );
    assert_eq!(data.get("LOG_FORMAT").map(String::as_str), Some("text"));
    assert_eq!(data.get("LOG_LEVEL").map(String::as_str), Some("info"));

    // Every setting of `run --help` is set here, once: by the ConfigMap, or
    // by the Deployment when the pod spec decides it.
    let mut set: Vec<String> = data.keys().cloned().collect();
    set.extend(env.iter().map(|(n, _)| n.clone()));
    let unique: BTreeSet<String> = set.iter().cloned().collect();
    assert_eq!(unique.len(), set.len(), "set twice: {set:?}");
    assert_eq!(unique, help_variables());

    // Leader election and pull secrets: bound in the controller's namespace only.
    let bindings = list_json(&client, "rbac.authorization.k8s.io", "rolebindings", ns).await;
    let names: BTreeSet<&str> = bindings
        .iter()
        .filter_map(|b| b["metadata"]["name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["lattice-host-leader-election", "lattice-host-pull-secrets"].into()
    );
    let pdbs = list_json(&client, "policy", "poddisruptionbudgets", ns).await;
    assert_eq!(pdbs[0]["spec"]["minAvailable"], 1);
}

/// Lists `group/plural` in `ns` as JSON values.
async fn list_json(client: &kube::Client, group: &str, plural: &str, ns: &str) -> Vec<Value> {
    let ar = kube::core::ApiResource {
        group: group.into(),
        version: "v1".into(),
        api_version: format!("{group}/v1"),
        kind: String::new(),
        plural: plural.into(),
    };
    let api: Api<kube::api::DynamicObject> = Api::namespaced_with(client.clone(), ns, &ar);
    api.list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|o| serde_json::to_value(o).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_single_replica_overlay_runs_one_replica_without_a_disruption_budget() {
    let (_sim, client, out) = applied("deploy/overlays/single-replica").await;
    assert!(
        out.contains("deployment.apps/lattice-host created"),
        "{out}"
    );
    assert!(!out.contains("poddisruptionbudget"), "{out}");
    let d = Api::<Deployment>::namespaced(client.clone(), "lattice-host-system")
        .get("lattice-host")
        .await
        .unwrap();
    assert_eq!(d.spec.unwrap().replicas, Some(1));
    assert!(
        list_json(
            &client,
            "policy",
            "poddisruptionbudgets",
            "lattice-host-system"
        )
        .await
        .is_empty()
    );
}

#[test]
fn every_setting_has_a_row_in_the_readme_configuration_table() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let variables = help_variables();
    assert!(variables.len() >= 15, "{variables:?}");
    for v in &variables {
        assert!(
            readme.contains(&format!("| `{v}` |")),
            "README's configuration table has no row for {v}"
        );
    }
}

/// deploy/controller/controller.env as (name, value) pairs.
fn controller_env() -> Vec<(String, String)> {
    std::fs::read_to_string(root().join("deploy/controller/controller.env"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (k, v) = l.split_once('=').expect("KEY=VALUE");
            (k.to_string(), v.to_string())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_with_the_deployments_environment_converges_the_bookstore_from_a_kubeconfig() {
    let (kube, client) = crate::controller::bookstore().await;
    kube.sim()
        .apply_yaml("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: lattice-host-system\n")
        .unwrap();
    let lattice = crate::controller::lattice().await;
    let home = tempfile::tempdir().unwrap();
    let kubeconfig = home.path().join("kubeconfig");
    kube.write_kubeconfig(&kubeconfig).unwrap();
    // The ConfigMap as shipped, the four values a user must set, and what
    // the Deployment adds; credentials and the endpoint of the emulator.
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_lattice-host"))
        .arg("run")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .envs(controller_env())
        .envs([
            ("CLUSTER_NAME", "prod"),
            ("CLUSTER_VPC_ID", "vpc-0123456789abcdef0"),
            ("REGION", "us-west-2"),
            ("AWS_ACCOUNT_ID", "012345678901"),
            ("POD_NAMESPACE", "lattice-host-system"),
            ("HOSTNAME", "lattice-host-0"),
            ("ADMIN_LISTEN", "127.0.0.1:0"),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ])
        .env("LATTICE_ENDPOINT", lattice.url())
        .env("KUBECONFIG", &kubeconfig)
        .env(
            "LATTICE_HOST_CACHE_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("components"),
        )
        .stderr(std::fs::File::create(home.path().join("run.log")).unwrap())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let routes = crate::controller::routes_api(&client);
    crate::controller::programmed(&routes, "books", "True").await;
    // Tagged with the account as written: a leading zero is kept.
    let dump = lattice.state_dump().to_string();
    assert!(
        dump.contains("012345678901/prod/vpc-0123456789abcdef0"),
        "{dump}"
    );
    let lease = Api::<k8s_openapi::api::coordination::v1::Lease>::namespaced(
        client.clone(),
        "lattice-host-system",
    )
    .get("lattice-host-leader")
    .await
    .expect("the leader Lease in POD_NAMESPACE");
    let holder = lease.spec.unwrap().holder_identity.unwrap();
    assert!(holder.starts_with("lattice-host-0-"), "{holder}");

    // SIGTERM, as kubelet stops a pod: a clean exit.
    let pid = child.id().expect("running").to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(std::time::Duration::from_secs(20), child.wait())
        .await
        .expect("it stops on SIGTERM")
        .unwrap();
    let log = std::fs::read_to_string(home.path().join("run.log")).unwrap();
    assert!(status.success(), "{status}\n{log}");
    assert!(log.contains("controller stopped"), "{log}");
    assert!(
        log.contains("plugins compiled into the cache by a child process"),
        "{log}"
    );
}
