//! Label selectors (`app=web,tier!=db,env in (a,b),!legacy`) and field selectors
//! (`metadata.name=x,metadata.namespace!=y`).

use serde_json::Value;

use crate::resources::ResourceType;
use crate::status::ApiError;

#[derive(Debug, Clone, PartialEq)]
enum Req {
    Eq(String, String),
    NotEq(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

impl Req {
    /// kube-apiserver refuses a selector whose keys or values could never be labels.
    fn validate(&self) -> Result<(), ApiError> {
        let (key, values): (&str, &[String]) = match self {
            Req::Eq(k, v) | Req::NotEq(k, v) => (k, std::slice::from_ref(v)),
            Req::In(k, vs) | Req::NotIn(k, vs) => (k, vs),
            Req::Exists(k) | Req::NotExists(k) => (k, &[]),
        };
        let bad = |path: String, v: &str, errs: Vec<String>| {
            ApiError::bad_request(format!(
                "unable to parse requirement: {path}: Invalid value: {v:?}: {}",
                errs.join("; ")
            ))
        };
        let errs = crate::meta::qualified_name_errors(key);
        if !errs.is_empty() {
            return Err(bad("key".into(), key, errs));
        }
        for (i, v) in values.iter().enumerate() {
            let errs = crate::meta::label_value_errors(v);
            if !errs.is_empty() {
                return Err(bad(format!("values[{i}][{key}]"), v, errs));
            }
        }
        Ok(())
    }
}

/// A parsed label selector; the empty selector matches everything.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LabelSelector(Vec<Req>);

/// Splits on commas that are not inside parentheses.
fn split_top(s: &str) -> Vec<String> {
    let (mut out, mut cur, mut depth) = (Vec::new(), String::new(), 0i32);
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur);
    out.into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

fn set_values(rest: &str, raw: &str) -> Result<Vec<String>, ApiError> {
    let inner = rest
        .trim()
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "unable to parse requirement: found '{raw}', expected: '('"
            ))
        })?;
    Ok(inner
        .split(',')
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect())
}

impl LabelSelector {
    /// Parses the `labelSelector` query parameter.
    pub fn parse(s: &str) -> Result<Self, ApiError> {
        let mut reqs = Vec::new();
        for part in split_top(s) {
            let req = if let Some(k) = part.strip_prefix('!') {
                Req::NotExists(k.trim().to_string())
            } else if let Some((k, v)) = part.split_once("!=") {
                Req::NotEq(k.trim().into(), v.trim().into())
            } else if let Some((k, v)) = part.split_once("==") {
                Req::Eq(k.trim().into(), v.trim().into())
            } else if let Some((k, v)) = part.split_once('=') {
                Req::Eq(k.trim().into(), v.trim().into())
            } else if let Some((k, rest)) = part.split_once(" notin ") {
                Req::NotIn(k.trim().into(), set_values(rest, &part)?)
            } else if let Some((k, rest)) = part.split_once(" in ") {
                Req::In(k.trim().into(), set_values(rest, &part)?)
            } else if part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
            {
                Req::Exists(part.clone())
            } else {
                return Err(ApiError::bad_request(format!(
                    "unable to parse requirement: {part:?}"
                )));
            };
            req.validate()?;
            reqs.push(req);
        }
        Ok(Self(reqs))
    }

    /// Whether an object's labels satisfy every requirement.
    pub fn matches(&self, obj: &Value) -> bool {
        let labels = &obj["metadata"]["labels"];
        let get = |k: &str| labels.get(k).and_then(Value::as_str);
        self.0.iter().all(|r| match r {
            Req::Eq(k, v) => get(k) == Some(v.as_str()),
            Req::NotEq(k, v) => get(k) != Some(v.as_str()),
            Req::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Req::NotIn(k, vs) => !get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Req::Exists(k) => get(k).is_some(),
            Req::NotExists(k) => get(k).is_none(),
        })
    }
}

/// A parsed field selector; the empty selector matches everything.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FieldSelector(Vec<(String, bool, String)>);

/// The fields beyond name and namespace a built-in kind can be selected by.
fn selectable(rt: &ResourceType) -> &'static [&'static str] {
    if rt.custom {
        return &[];
    }
    match (rt.group.as_str(), rt.kind.as_str()) {
        ("", "Pod") => &[
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.podIPs",
            "status.nominatedNodeName",
        ],
        ("", "Event") | ("events.k8s.io", "Event") => &[
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
            "regarding.kind",
            "regarding.namespace",
            "regarding.name",
            "regarding.uid",
            "regarding.apiVersion",
            "regarding.resourceVersion",
            "regarding.fieldPath",
            "reportingController",
        ],
        ("", "Namespace") => &["status.phase"],
        ("", "Secret") => &["type"],
        ("", "ReplicationController") => &["status.replicas"],
        ("apps", "ReplicaSet") => &["status.replicas"],
        ("batch", "Job") => &["status.successful"],
        _ => &[],
    }
}

impl FieldSelector {
    /// Parses the `fieldSelector` query parameter for a kind: `metadata.name`,
    /// `metadata.namespace`, and the fields kube-apiserver indexes for it.
    pub fn parse(s: &str, rt: &ResourceType) -> Result<Self, ApiError> {
        let mut reqs = Vec::new();
        for part in split_top(s) {
            let (k, neg, v) = if let Some((k, v)) = part.split_once("!=") {
                (k, true, v)
            } else if let Some((k, v)) = part.split_once("==") {
                (k, false, v)
            } else if let Some((k, v)) = part.split_once('=') {
                (k, false, v)
            } else {
                return Err(ApiError::bad_request(format!(
                    "invalid selector: '{s}'; can't understand '{part}'"
                )));
            };
            let k = k.trim().to_string();
            let known = matches!(k.as_str(), "metadata.name" | "metadata.namespace")
                || selectable(rt).contains(&k.as_str());
            if !known && rt.custom {
                return Err(ApiError::bad_request(format!(
                    "{k:?} is not a known field selector: only \"metadata.name\", \"metadata.namespace\""
                )));
            }
            if !known {
                return Err(ApiError::bad_request(format!(
                    "field label not supported: {k}"
                )));
            }
            reqs.push((k, neg, v.trim().to_string()));
        }
        Ok(Self(reqs))
    }

    /// Rewrites each field path (for resources stored in another form).
    pub fn map_paths(mut self, f: impl Fn(&str) -> String) -> Self {
        for (path, _, _) in &mut self.0 {
            *path = f(path);
        }
        self
    }

    /// Whether an object's fields satisfy every requirement. A missing field counts as "".
    pub fn matches(&self, obj: &Value) -> bool {
        self.0.iter().all(|(path, neg, want)| {
            let mut cur = obj;
            for seg in path.split('.') {
                cur = &cur[seg];
            }
            let have = match cur {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            (have == *want) != *neg
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj() -> Value {
        json!({"metadata": {"name": "a", "namespace": "ns1", "labels": {"app": "web", "tier": "front"}}})
    }

    #[test]
    fn label_selectors_support_equality_sets_and_existence() {
        let o = obj();
        for (sel, want) in [
            ("", true),
            ("app=web", true),
            ("app==web,tier=front", true),
            ("app!=web", false),
            ("app in (web, api)", true),
            ("app notin (web)", false),
            ("tier", true),
            ("!tier", false),
            ("missing", false),
            ("!missing", true),
        ] {
            assert_eq!(
                LabelSelector::parse(sel).expect(sel).matches(&o),
                want,
                "{sel}"
            );
        }
    }

    #[test]
    fn a_selector_that_no_label_could_satisfy_is_a_bad_request() {
        for sel in [
            "==x",
            "Bad_Key//x=1",
            "env=bad value",
            "a/=1",
            "env in (ok, -bad)",
        ] {
            let err = LabelSelector::parse(sel).expect_err(sel);
            assert_eq!(err.code, 400, "{sel}");
        }
        let err = LabelSelector::parse("example.com/app=-web").expect_err("value");
        assert!(
            err.message.starts_with(
                "unable to parse requirement: values[0][example.com/app]: Invalid value: \"-web\": a valid label"
            ),
            "{}",
            err.message
        );
    }

    #[test]
    fn field_selectors_match_name_and_namespace() {
        let o = obj();
        assert!(
            FieldSelector::parse("metadata.name=a", &custom())
                .expect("ok")
                .matches(&o)
        );
        assert!(
            !FieldSelector::parse("metadata.namespace!=ns1", &custom())
                .expect("ok")
                .matches(&o)
        );
        assert!(FieldSelector::parse("spec.x=1", &custom()).is_err());
        let pods = crate::resources::builtins()
            .into_iter()
            .find(|t| t.kind == "Pod")
            .expect("pods");
        assert!(
            FieldSelector::parse("status.phase=", &pods)
                .expect("a pod field")
                .matches(&o)
        );
        let err = FieldSelector::parse("spec.x=1", &pods).expect_err("not indexed");
        assert_eq!(err.message, "field label not supported: spec.x");
    }

    fn custom() -> ResourceType {
        let mut t = crate::resources::builtins()
            .into_iter()
            .next()
            .expect("a kind");
        t.custom = true;
        t
    }
}
