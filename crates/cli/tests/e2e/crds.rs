//! The project's CRDs: generated from Rust types, checked in, and accepting
//! every manifest the AWS Gateway API Controller's CRDs accept.

use serde_yaml::Value;

use crate::cli::root;

fn docs(text: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .filter(|v: &Value| !v.is_null())
        .collect()
}

#[test]
fn checked_in_crds_match_the_rust_types_one_file_per_api_group() {
    let groups = lattice_core::crds::project_by_group();
    for (group, crds) in &groups {
        let generated = lattice_core::crds::to_yaml(crds).unwrap();
        let path = root().join(format!("deploy/crds/{group}.yaml"));
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            on_disk,
            generated,
            "run `cargo run -q -p lattice-host -- crds --group {group} > {}`",
            path.display()
        );
    }
    // Beside them, the kustomization that `kubectl apply -k deploy/` reads.
    let mut files: Vec<String> = std::fs::read_dir(root().join("deploy/crds"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f != "kustomization.yaml")
        .collect();
    files.sort();
    let expected: Vec<String> = groups.keys().map(|g| format!("{g}.yaml")).collect();
    assert_eq!(files, expected, "deploy/crds holds one file per API group");
    let kustomization: Value = serde_yaml::from_str(
        &std::fs::read_to_string(root().join("deploy/crds/kustomization.yaml")).unwrap(),
    )
    .unwrap();
    let listed: Vec<String> = kustomization["resources"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        listed, expected,
        "deploy/crds/kustomization.yaml lists each file"
    );
}

/// Every property the anchor's schema has, ours has; ours requires nothing more.
fn compatible(theirs: &Value, ours: &Value, path: &str) {
    let req = |v: &Value| -> Vec<String> {
        v.get("required")
            .and_then(Value::as_sequence)
            .map(|s| {
                s.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    for r in req(ours) {
        assert!(
            req(theirs).contains(&r),
            "{path}: we require {r:?}, the anchor does not"
        );
    }
    if let Some(props) = theirs.get("properties").and_then(Value::as_mapping) {
        for (k, v) in props {
            let k = k.as_str().unwrap();
            // The API server supplies these for every kind.
            if path.ends_with("k8s.aws") && matches!(k, "apiVersion" | "kind" | "metadata") {
                continue;
            }
            let mine = ours
                .get("properties")
                .and_then(|p| p.get(k))
                .unwrap_or_else(|| panic!("{path}.{k}: the anchor's schema has it, ours does not"));
            compatible(v, mine, &format!("{path}.{k}"));
        }
    }
}

#[test]
fn our_crds_accept_what_the_anchor_controller_accepts() {
    let anchor = root().join("../shared/crds/aws-application-networking-v2.1.3");
    let aws = lattice_core::crds::project_by_group()
        .remove("application-networking.k8s.aws")
        .unwrap();
    for ours in docs(&lattice_core::crds::to_yaml(&aws).unwrap()) {
        let name = ours["metadata"]["name"].as_str().unwrap().to_string();
        let file = anchor.join(format!(
            "application-networking.k8s.aws_{}.yaml",
            name.split('.').next().unwrap()
        ));
        let theirs = docs(&std::fs::read_to_string(&file).unwrap()).remove(0);
        assert_eq!(ours["spec"]["group"], theirs["spec"]["group"], "{name}");
        assert_eq!(ours["spec"]["scope"], theirs["spec"]["scope"], "{name}");
        for key in ["kind", "plural", "singular", "shortNames", "categories"] {
            assert_eq!(
                ours["spec"]["names"][key], theirs["spec"]["names"][key],
                "{name}: names.{key}"
            );
        }
        let their_versions = theirs["spec"]["versions"].as_sequence().unwrap();
        for tv in their_versions {
            let ov = ours["spec"]["versions"]
                .as_sequence()
                .unwrap()
                .iter()
                .find(|v| v["name"] == tv["name"])
                .unwrap_or_else(|| panic!("{name}: version {:?} missing", tv["name"]));
            assert_eq!(ov["served"], tv["served"]);
            assert_eq!(ov["storage"], tv["storage"]);
            assert_eq!(
                ov["subresources"].get("status").is_some(),
                tv["subresources"].get("status").is_some()
            );
            compatible(
                &tv["schema"]["openAPIV3Schema"],
                &ov["schema"]["openAPIV3Schema"],
                &name,
            );
        }
    }
}

/// The demo's Gateway API CRDs answer kubectl as the upstream standard install does:
/// the same short names, categories, served versions and printer columns.
#[test]
fn demo_gateway_api_crds_are_named_served_and_printed_as_upstream() {
    let upstream_dir = root().join("../shared/crds/gateway-api-v1.5.1");
    let upstream: Vec<Value> = std::fs::read_dir(&upstream_dir)
        .unwrap()
        .flat_map(|e| docs(&std::fs::read_to_string(e.unwrap().path()).unwrap()))
        .filter(|d| d["kind"] == "CustomResourceDefinition")
        .collect();
    let ours: Vec<Value> = lattice_core::crds::gateway_api()
        .iter()
        .map(|c| serde_yaml::to_value(c).unwrap())
        .collect();
    let served = |crd: &Value| -> Vec<(String, Vec<String>)> {
        let mut v: Vec<(String, Vec<String>)> = crd["spec"]["versions"]
            .as_sequence()
            .unwrap()
            .iter()
            .filter(|v| v["served"] == Value::Bool(true))
            .map(|v| {
                let cols = v["additionalPrinterColumns"]
                    .as_sequence()
                    .map(|cs| {
                        cs.iter()
                            .map(|c| {
                                format!(
                                    "{}={}",
                                    c["name"].as_str().unwrap(),
                                    c["jsonPath"].as_str().unwrap()
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                (v["name"].as_str().unwrap().to_string(), cols)
            })
            .collect();
        v.sort();
        v
    };
    for mine in &ours {
        let name = mine["metadata"]["name"].as_str().unwrap();
        let theirs = upstream
            .iter()
            .find(|u| u["metadata"]["name"].as_str() == Some(name))
            .unwrap_or_else(|| panic!("{name} is not upstream"));
        assert_eq!(
            mine["spec"]["names"]["shortNames"], theirs["spec"]["names"]["shortNames"],
            "{name}"
        );
        assert_eq!(
            mine["spec"]["names"]["categories"], theirs["spec"]["names"]["categories"],
            "{name}"
        );
        assert_eq!(served(mine), served(theirs), "{name}");
    }
}

/// kube-sim with the project's CRDs installed, and the `plugins` namespace.
fn sim_with_project_crds() -> kube_sim::KubeSim {
    let sim = kube_sim::KubeSim::new(kube_sim::SimOptions::default()).unwrap();
    let crds = lattice_core::crds::to_yaml(&lattice_core::crds::project()).unwrap();
    sim.apply_yaml(&crds).expect("the project's CRDs install");
    sim.apply_yaml("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: plugins\n")
        .unwrap();
    sim
}

const DIGEST: &str = "0f3c4e5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70";

fn cluster_plugin(name: &str, spec: &str) -> String {
    format!(
        "apiVersion: lattice-host.io/v1alpha1\nkind: ClusterLatticePlugin\nmetadata:\n  name: {name}\nspec:\n{spec}"
    )
}

fn plugin(name: &str, spec: &str) -> String {
    format!(
        "apiVersion: lattice-host.io/v1alpha1\nkind: LatticePlugin\nmetadata:\n  name: {name}\n  namespace: plugins\nspec:\n{spec}"
    )
}

#[test]
fn plugin_crds_install_and_accept_valid_plugin_objects() {
    let sim = sim_with_project_crds();
    let cluster = cluster_plugin(
        "equal-split",
        &format!(
            "  stage: weighting\n  source:\n    oci: registry.example.com/plugins/equal-split@sha256:{DIGEST}\n  sha256: {DIGEST}\n  pullSecret: regcred\n  settings: {{maxBackends: 2}}\n  failurePolicy: FailClosed\n  limits: {{timeoutMs: 100, memoryMiB: 64}}\n  rollout: {{maxFailedRoutes: 0}}\n  namespaceSelector:\n    matchLabels: {{team: books}}\n  allowNamespaceOverride: true\n"
        ),
    );
    assert_eq!(sim.apply_yaml(&cluster).unwrap(), 1);
    let from_config_map = cluster_plugin(
        "mapper",
        "  stage: mapping\n  source:\n    configMap: {name: mapper, key: plugin.wasm, namespace: plugins}\n",
    );
    assert_eq!(sim.apply_yaml(&from_config_map).unwrap(), 1);
    let namespaced = plugin(
        "books-auth",
        "  stage: auth\n  source:\n    configMap: {name: auth, key: plugin.wasm}\n  targetRefs:\n  - {group: gateway.networking.k8s.io, kind: HTTPRoute, name: books}\n",
    );
    assert_eq!(sim.apply_yaml(&namespaced).unwrap(), 1);
    let from_file = plugin(
        "file",
        "  stage: weighting\n  source:\n    file: /plugins/equal-split.wasm\n",
    );
    assert_eq!(sim.apply_yaml(&from_file).unwrap(), 1);
}

fn refused(sim: &kube_sim::KubeSim, yaml: &str, expected: &str) {
    let err = sim
        .apply_yaml(yaml)
        .expect_err("an invalid plugin object is refused")
        .to_string();
    assert!(err.contains(expected), "{expected:?} not in {err:?}");
}

#[test]
fn plugin_crds_refuse_two_sources_an_undigested_oci_ref_and_an_unknown_stage() {
    let sim = sim_with_project_crds();
    refused(
        &sim,
        &plugin(
            "two",
            "  stage: weighting\n  source:\n    file: /p.wasm\n    configMap: {name: p, key: p.wasm}\n",
        ),
        "exactly one of configMap, oci or file",
    );
    refused(
        &sim,
        &plugin("none", "  stage: weighting\n  source: {}\n"),
        "exactly one of configMap, oci or file",
    );
    refused(
        &sim,
        &plugin(
            "tagged",
            "  stage: weighting\n  source:\n    oci: registry.example.com/plugins/equal-split:v1\n",
        ),
        "spec.source.oci",
    );
    refused(
        &sim,
        &plugin("stage", "  stage: routing\n  source:\n    file: /p.wasm\n"),
        "spec.stage",
    );
    refused(
        &sim,
        &plugin("relative", "  stage: auth\n  source:\n    file: p.wasm\n"),
        "spec.source.file",
    );
    refused(
        &sim,
        &cluster_plugin(
            "homeless",
            "  stage: mapping\n  source:\n    configMap: {name: m, key: m.wasm}\n",
        ),
        "source.configMap.namespace is required",
    );
    refused(
        &sim,
        &plugin(
            "slow",
            "  stage: auth\n  source:\n    file: /p.wasm\n  limits: {timeoutMs: 0}\n",
        ),
        "spec.limits.timeoutMs",
    );
}
