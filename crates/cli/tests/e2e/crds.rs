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
fn checked_in_crds_match_the_rust_types() {
    let generated = lattice_core::crds::to_yaml(&lattice_core::crds::project()).unwrap();
    let path = root().join("deploy/crds/application-networking.k8s.aws.yaml");
    let on_disk = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        on_disk,
        generated,
        "run `cargo run -p lattice-host -- crds > {}`",
        path.display()
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
    for ours in docs(&lattice_core::crds::to_yaml(&lattice_core::crds::project()).unwrap()) {
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
