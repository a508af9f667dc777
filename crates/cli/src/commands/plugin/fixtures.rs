//! Fixture cases of `plugin test`, and the fragment match their
//! expectations use. Pure: no plugin is run here.
//!
//! ```yaml
//! description: what the case shows            # optional
//! settings: {maxBackends: 2}                  # optional, any JSON
//! manifests: |                                # Gateway API manifests, planned as `plan` does
//!   apiVersion: gateway.networking.k8s.io/v1
//!   ...
//! input: {...}                                # or: one stage input, as `explain --json` prints it
//! expect:
//!   plan: {...}                               # with manifests: a fragment of `plan -o json`
//!   answer: {...}                             # with input: a fragment of the plugin's answer
//!   diagnostics: [{reason: BackendNotFound}]  # fragments of diagnostics that must be among those produced
//! ```
//!
//! A fragment matches when every key it names matches; an array matches
//! when its elements match elements of the actual array in the same order
//! (others may sit between them); scalars must be equal.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

/// One case.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// What it shows.
    #[serde(default)]
    pub description: Option<String>,
    /// Settings JSON; absent is empty.
    #[serde(default)]
    pub settings: Option<Value>,
    /// Manifests (multi-document YAML).
    #[serde(default)]
    pub manifests: Option<String>,
    /// One stage input.
    #[serde(default)]
    pub input: Option<Value>,
    /// What must come out.
    #[serde(default)]
    pub expect: Expect,
}

/// The expected outcome.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// A fragment of the plan.
    #[serde(default)]
    pub plan: Option<Value>,
    /// A fragment of the answer.
    #[serde(default)]
    pub answer: Option<Value>,
    /// Diagnostics that must be among those produced.
    #[serde(default)]
    pub diagnostics: Vec<Value>,
}

impl Case {
    /// Reads a case, naming the file and line of what is wrong.
    pub fn read(path: &Path) -> Result<Case, String> {
        let shown = path.display();
        let text = std::fs::read_to_string(path).map_err(|e| format!("{shown}: {e}"))?;
        let case: Case = serde_yaml::from_str(&text).map_err(|e| match e.location() {
            Some(l) => format!("{shown}:{}: {e}", l.line()),
            None => format!("{shown}: {e}"),
        })?;
        match (&case.manifests, &case.input) {
            (Some(_), None) | (None, Some(_)) => Ok(case),
            _ => Err(format!(
                "{shown}: give exactly one of `manifests` and `input`"
            )),
        }
    }

    /// The settings as the plugin gets them.
    pub fn settings_json(&self) -> String {
        match &self.settings {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
        }
    }
}

/// Where `actual` departs from `expected`, if anywhere: the JSON path, and
/// the expected and actual values there.
pub fn mismatch(expected: &Value, actual: &Value) -> Option<(String, Value, Value)> {
    at("$", expected, actual)
}

fn at(path: &str, expected: &Value, actual: &Value) -> Option<(String, Value, Value)> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => e.iter().find_map(|(k, ev)| match a.get(k) {
            Some(av) => at(&format!("{path}.{k}"), ev, av),
            None => Some((format!("{path}.{k}"), ev.clone(), Value::Null)),
        }),
        (Value::Array(e), Value::Array(a)) => in_order(path, e, a),
        (Value::Number(e), Value::Number(a)) if e.as_f64() == a.as_f64() => None,
        (e, a) if e == a => None,
        (e, a) => Some((path.to_string(), e.clone(), a.clone())),
    }
}

/// Each expected element matches an actual one, in order. On failure, the
/// first expected element that found no match, against the closest miss.
fn in_order(path: &str, expected: &[Value], actual: &[Value]) -> Option<(String, Value, Value)> {
    let mut next = 0;
    for (i, e) in expected.iter().enumerate() {
        let found = (next..actual.len()).find(|&j| at("", e, &actual[j]).is_none());
        match found {
            Some(j) => next = j + 1,
            None => {
                // Report against the element at the same position, if any.
                let j = (next + i.saturating_sub(next)).min(actual.len().saturating_sub(1));
                return match actual.get(j) {
                    Some(a) => at(&format!("{path}[{j}]"), e, a),
                    None => Some((format!("{path}[{i}]"), e.clone(), Value::Null)),
                };
            }
        }
    }
    None
}

/// Whether each expected diagnostic fragment matches one of `actual`.
pub fn missing_diagnostics<'a>(expected: &'a [Value], actual: &[Value]) -> Vec<&'a Value> {
    expected
        .iter()
        .filter(|e| actual.iter().all(|a| mismatch(e, a).is_some()))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_fragment_names_only_what_it_checks() {
        let actual = json!({"services":[{"name":"a","listeners":[{"rules":[{"priority":1,"x":2},{"priority":2}]}]}]});
        assert_eq!(mismatch(&json!({"services":[{"name":"a"}]}), &actual), None);
        let second = json!({"services":[{"listeners":[{"rules":[{"priority":2}]}]}]});
        assert_eq!(mismatch(&second, &actual), None);
    }

    #[test]
    fn a_mismatch_names_its_path_and_both_values() {
        let actual = json!({"services":[{"name":"a","weights":[90,10]}]});
        let (path, e, a) = mismatch(&json!({"services":[{"name":"b"}]}), &actual).expect("differs");
        assert_eq!(
            (path.as_str(), e, a),
            ("$.services[0].name", json!("b"), json!("a"))
        );
        let (path, _, a) =
            mismatch(&json!({"services":[{"owner":"x"}]}), &actual).expect("differs");
        assert_eq!((path.as_str(), a), ("$.services[0].owner", Value::Null));
    }

    #[test]
    fn array_elements_must_match_in_order() {
        let actual = json!([1, 2, 3]);
        assert_eq!(mismatch(&json!([1, 3]), &actual), None);
        assert!(mismatch(&json!([3, 1]), &actual).is_some());
        assert!(mismatch(&json!([1, 2, 3, 4]), &actual).is_some());
    }

    #[test]
    fn diagnostics_are_found_anywhere_in_the_list() {
        let actual = vec![json!({"reason":"A","field":"x"}), json!({"reason":"B"})];
        let wanted = [json!({"reason":"B"}), json!({"reason":"C"})];
        assert_eq!(
            missing_diagnostics(&wanted, &actual),
            vec![&json!({"reason":"C"})]
        );
    }

    #[test]
    fn a_case_needs_exactly_one_input_and_names_its_line() {
        let dir = tempfile::tempdir().expect("temp dir");
        let both = dir.path().join("both.yaml");
        std::fs::write(&both, "manifests: x\ninput: {}\n").expect("write");
        assert!(
            Case::read(&both)
                .expect_err("refused")
                .contains("exactly one")
        );
        let typo = dir.path().join("typo.yaml");
        std::fs::write(&typo, "input: {}\nexpects: {}\n").expect("write");
        let e = Case::read(&typo).expect_err("refused");
        assert!(e.contains("typo.yaml:2"), "{e}");
    }
}
