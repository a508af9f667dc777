//! Every route lattice-sim implements must be the route botocore's `vpc-lattice` service
//! model gives that operation: same HTTP method, same URI template, same success status.

use crate::common;

use lattice_sim::ROUTES;
use serde_json::Value;
use std::collections::BTreeSet;
use std::process::Command;

fn model() -> Value {
    let py = common::python_with(&["botocore"]);
    let out = Command::new(py)
        .arg(common::py_dir().join("botocore_model.py"))
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "botocore_model.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("model JSON")
}

fn labels(uri: &str) -> BTreeSet<&str> {
    uri.split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .map(|s| s.trim_end_matches('+'))
        .collect()
}

#[test]
fn every_implemented_route_matches_the_botocore_model() {
    let model = model();
    let mut problems = Vec::new();
    for r in ROUTES {
        let Some(op) = model.get(r.operation) else {
            problems.push(format!("{} is not a vpc-lattice operation", r.operation));
            continue;
        };
        let uri = op["uri"]
            .as_str()
            .unwrap_or_default()
            .split('?')
            .next()
            .unwrap_or_default();
        if op["method"] != r.method || uri != r.uri || op["status"] != r.status {
            problems.push(format!(
                "{}: sim {} {} -> {}, model {} {} -> {}",
                r.operation, r.method, r.uri, r.status, op["method"], uri, op["status"]
            ));
        }
        let uri_members: BTreeSet<&str> = op["input"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, m)| m["location"] == "uri")
            .filter_map(|(_, m)| m["name"].as_str())
            .collect();
        if uri_members != labels(r.uri) {
            problems.push(format!(
                "{}: URI labels {:?} vs model {:?}",
                r.operation,
                labels(r.uri),
                uri_members
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "routes disagree with botocore:\n{}",
        problems.join("\n")
    );
}

#[test]
fn no_two_routes_share_an_operation_or_a_method_and_template() {
    let ops: BTreeSet<&str> = ROUTES.iter().map(|r| r.operation).collect();
    let keys: BTreeSet<(&str, &str)> = ROUTES.iter().map(|r| (r.method, r.uri)).collect();
    assert_eq!(ops.len(), ROUTES.len());
    assert_eq!(keys.len(), ROUTES.len());
}

#[test]
fn the_scope_of_the_issue_is_covered_by_the_route_table() {
    let model = model();
    let ours: BTreeSet<&str> = ROUTES.iter().map(|r| r.operation).collect();
    let wanted = [
        "ServiceNetwork",
        "Service",
        "Listener",
        "Rule",
        "TargetGroup",
        "AccessLogSubscription",
        "ServiceNetworkServiceAssociation",
        "ServiceNetworkVpcAssociation",
    ];
    let mut missing = Vec::new();
    for name in model.as_object().into_iter().flat_map(|m| m.keys()) {
        let in_scope = wanted.iter().any(|w| {
            ["Create", "Get", "Update", "Delete", "List"]
                .iter()
                .any(|v| name == &format!("{v}{w}") || name == &format!("{v}{w}s"))
        }) || name.contains("Targets")
            || name.contains("AuthPolicy")
            || name.contains("ResourcePolicy")
            || name.contains("Tag")
            || name == "BatchUpdateRule";
        if in_scope && !ours.contains(name.as_str()) {
            missing.push(name.clone());
        }
    }
    assert!(
        missing.is_empty(),
        "in scope but not implemented: {missing:?}"
    );
}
