//! Object metadata helpers: name validation, uids, timestamps, generated names.

use rand::Rng;
use serde_json::Value;

use crate::resources::NameRule;
use crate::status::Cause;

const DNS1123_SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1035_LABEL_MSG: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const DNS1123_LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/// One dot-free part of a DNS-1123 name, of any length.
fn label_form(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// The DNS-1123 subdomain regex; like kube-apiserver's, it limits only the whole length.
fn subdomain_form(s: &str) -> bool {
    s.split('.').all(label_form)
}

/// Checks an object name as kube-apiserver does for its kind (`IsDNS1123Label`,
/// `IsDNS1035Label`, `IsDNS1123Subdomain`, `IsValidPathSegmentName`): a cause for
/// each thing wrong, the length first.
pub fn validate_name(name: &str, rule: NameRule) -> Vec<Cause> {
    let mut msgs = Vec::new();
    let max = match rule {
        NameRule::Label | NameRule::Dns1035Label => 63,
        NameRule::Subdomain => 253,
        NameRule::PathSegment => usize::MAX,
    };
    if name.len() > max {
        msgs.push(format!("must be no more than {max} characters"));
    }
    match rule {
        NameRule::Label if !label_form(name) => msgs.push(if subdomain_form(name) {
            "must not contain dots".to_string()
        } else {
            DNS1123_LABEL_MSG.to_string()
        }),
        NameRule::Dns1035Label
            if !label_form(name) || !name.starts_with(|c: char| c.is_ascii_lowercase()) =>
        {
            msgs.push(DNS1035_LABEL_MSG.to_string())
        }
        NameRule::Subdomain if !subdomain_form(name) => {
            msgs.push(DNS1123_SUBDOMAIN_MSG.to_string())
        }
        NameRule::PathSegment => {
            if name == "." || name == ".." {
                msgs.push(format!("may not be '{name}'"));
            }
            for bad in ["/", "%"] {
                if name.contains(bad) {
                    msgs.push(format!("may not contain '{bad}'"));
                }
            }
        }
        _ => {}
    }
    msgs.into_iter()
        .map(|msg| Cause::invalid("metadata.name", &format!("{name:?}"), msg))
        .collect()
}

const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const QUALIFIED_NAME_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

fn label_value_form(v: &str) -> bool {
    let b = v.as_bytes();
    b.is_empty()
        || (b
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric())
}

/// What is wrong with a label value (`IsValidLabelValue`); empty when nothing is.
pub fn label_value_errors(v: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if v.len() > 63 {
        errs.push("must be no more than 63 characters".to_string());
    }
    if !label_value_form(v) {
        errs.push(LABEL_VALUE_MSG.to_string());
    }
    errs
}

/// What is wrong with a label or annotation key (`IsQualifiedName`).
pub fn qualified_name_errors(k: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let parts: Vec<&str> = k.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errs.push("prefix part must be non-empty".to_string());
            } else {
                if prefix.len() > 253 {
                    errs.push("prefix part must be no more than 253 characters".to_string());
                }
                if !subdomain_form(prefix) {
                    errs.push(format!("prefix part {DNS1123_SUBDOMAIN_MSG}"));
                }
            }
            *name
        }
        _ => {
            errs.push(format!(
                "a qualified name {QUALIFIED_NAME_MSG} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
            ));
            return errs;
        }
    };
    if name.is_empty() {
        errs.push("name part must be non-empty".to_string());
    } else if name.len() > 63 {
        errs.push("name part must be no more than 63 characters".to_string());
    }
    if name.is_empty() || !label_value_form(name) {
        errs.push(format!("name part {QUALIFIED_NAME_MSG}"));
    }
    errs
}

/// Checks `metadata.labels` (keys and values) and `metadata.annotations` (keys).
pub fn validate_labels(obj: &Value) -> Vec<Cause> {
    let mut out = Vec::new();
    let invalid = |field: &str, v: &str, msg: String| Cause::invalid(field, &format!("{v:?}"), msg);
    for (what, check_values) in [("labels", true), ("annotations", false)] {
        let Some(m) = obj["metadata"][what].as_object() else {
            continue;
        };
        let field = format!("metadata.{what}");
        for (k, v) in m {
            let key = if check_values {
                k.clone()
            } else {
                k.to_lowercase()
            };
            for msg in qualified_name_errors(&key) {
                out.push(invalid(&field, k, msg));
            }
            let v = v.as_str().unwrap_or_default();
            if check_values {
                for msg in label_value_errors(v) {
                    out.push(invalid(&field, v, msg));
                }
            }
        }
    }
    let size: usize = obj["metadata"]["annotations"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| k.len() + v.as_str().map_or(0, str::len))
        .sum();
    if size > MAX_ANNOTATIONS_BYTES {
        out.push(Cause::new(
            "FieldValueTooLong",
            "metadata.annotations",
            format!("Too long: may not be more than {MAX_ANNOTATIONS_BYTES} bytes"),
        ));
    }
    out
}

/// Checks `metadata.finalizers` (qualified names; a plain name is worth a warning) and
/// `metadata.ownerReferences` (each names its owner in full).
pub fn validate_references(obj: &Value) -> Vec<Cause> {
    let mut out = Vec::new();
    let invalid = |field: &str, v: &str, msg: String| Cause::invalid(field, &format!("{v:?}"), msg);
    for f in finalizers(obj) {
        for msg in qualified_name_errors(&f) {
            out.push(invalid("metadata.finalizers", &f, msg));
        }
        let standard = ["kubernetes", "orphan", "foregroundDeletion"].contains(&f.as_str());
        if !standard && !f.contains('/') && qualified_name_errors(&f).is_empty() {
            crate::warnings::warn(format!(
                "metadata.finalizers: {f:?}: prefer a domain-qualified finalizer name including a path (/) to avoid accidental conflicts with other finalizer writers"
            ));
        }
    }
    for r in obj["metadata"]["ownerReferences"]
        .as_array()
        .into_iter()
        .flatten()
    {
        for (key, what) in [
            ("apiVersion", "version"),
            ("kind", "kind"),
            ("name", "name"),
            ("uid", "uid"),
        ] {
            let v = r[key].as_str().unwrap_or_default();
            if v.is_empty() {
                let field = format!("metadata.ownerReferences.{key}");
                out.push(invalid(&field, v, format!("{what} must not be empty")));
            }
        }
    }
    out
}

/// kube-apiserver's `TotalAnnotationSizeLimitB`: keys and values together.
const MAX_ANNOTATIONS_BYTES: usize = 256 * 1024;

/// The cause for a missing name.
pub fn name_required() -> Cause {
    Cause {
        reason: "FieldValueRequired".into(),
        message: "Required value: name or generateName is required".into(),
        field: "metadata.name".into(),
    }
}

/// The current time as kube-apiserver writes it (RFC 3339, whole seconds, `Z`).
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The current time with microseconds, as used for `MicroTime` fields.
pub fn now_micro() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// A random version-4 UUID.
pub fn new_uid() -> String {
    let mut b: [u8; 16] = rand::rng().random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// `generateName` plus five random characters from the alphabet kube-apiserver uses.
pub fn generate_name(prefix: &str) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut rng = rand::rng();
    let suffix: String = (0..5)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    let max = 63usize.saturating_sub(5);
    let prefix: String = prefix.chars().take(max).collect();
    format!("{prefix}{suffix}")
}

/// Reads `metadata.<field>` as a string ("" when absent).
pub fn meta_str<'a>(obj: &'a Value, field: &str) -> &'a str {
    obj["metadata"][field].as_str().unwrap_or_default()
}

/// The object without `metadata` (and without `status` when `ignore_status`), used to
/// decide whether `metadata.generation` must go up.
pub fn spec_part(obj: &Value, ignore_status: bool) -> Value {
    let mut o = obj.clone();
    if let Some(m) = o.as_object_mut() {
        m.remove("metadata");
        // The version an object is written at is not its spec: one created
        // at v1beta1 and updated at v1 keeps its generation.
        m.remove("apiVersion");
        if ignore_status {
            m.remove("status");
        }
    }
    o
}

/// The object without what changes on every write (`resourceVersion`, the times in
/// `managedFields`), used to detect no-op updates.
pub fn comparable(obj: &Value) -> Value {
    let mut o = obj.clone();
    if let Some(m) = o.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("resourceVersion");
        // A change of ownership is a change; a newer timestamp alone is not.
        for e in m
            .get_mut("managedFields")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Some(e) = e.as_object_mut() {
                e.remove("time");
            }
        }
    }
    o
}

/// The strings of a JSON array; anything else holds none.
pub fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// The finalizers of an object.
pub fn finalizers(obj: &Value) -> Vec<String> {
    strings(&obj["metadata"]["finalizers"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_an_object_is_written_at_is_not_part_of_its_spec() {
        let beta = serde_json::json!({"apiVersion": "gateway.networking.k8s.io/v1beta1",
            "kind": "Gateway", "metadata": {"name": "g"}, "spec": {"x": 1}});
        let mut v1 = beta.clone();
        v1["apiVersion"] = "gateway.networking.k8s.io/v1".into();
        v1["metadata"]["labels"] = serde_json::json!({"a": "b"});
        assert_eq!(spec_part(&beta, true), spec_part(&v1, true));
        v1["spec"]["x"] = 2.into();
        assert_ne!(spec_part(&beta, true), spec_part(&v1, true));
    }

    #[test]
    fn names_follow_their_kinds_rule_with_a_cause_for_each_thing_wrong() {
        let msgs = |n: &str, r| -> Vec<String> {
            validate_name(n, r).into_iter().map(|c| c.message).collect()
        };
        assert!(msgs("my-route.v1", NameRule::Subdomain).is_empty());
        let long_label = format!("{}.x", "a".repeat(100));
        assert!(
            msgs(&long_label, NameRule::Subdomain).is_empty(),
            "no limit per label"
        );
        assert_eq!(
            msgs("my-route.v1", NameRule::Label),
            vec!["Invalid value: \"my-route.v1\": must not contain dots"]
        );
        assert_eq!(msgs(&"A".repeat(64), NameRule::Label).len(), 2);
        assert_eq!(msgs("1web", NameRule::Dns1035Label).len(), 1);
        assert!(msgs("1web", NameRule::Label).is_empty());
        assert!(msgs("system:auth-delegator", NameRule::PathSegment).is_empty());
        assert_eq!(
            msgs("a/b", NameRule::PathSegment),
            vec!["Invalid value: \"a/b\": may not contain '/'"]
        );
        assert_eq!(msgs("Bad_Name", NameRule::Subdomain).len(), 1);
        assert_eq!(
            msgs(&"a".repeat(254), NameRule::Subdomain),
            vec![format!(
                "Invalid value: \"{}\": must be no more than 253 characters",
                "a".repeat(254)
            )]
        );
    }

    #[test]
    fn label_keys_and_values_follow_the_kubernetes_rules() {
        let ok = serde_json::json!({"metadata": {"labels": {"app.kubernetes.io/name": "web", "x": ""},
            "annotations": {"example.com/any": "any value at all!"}}});
        assert!(validate_labels(&ok).is_empty());
        let bad = serde_json::json!({"metadata": {"labels": {"bad key!": "v", "k": "-bad"}}});
        assert_eq!(validate_labels(&bad).len(), 2);
    }

    #[test]
    fn uids_look_like_uuids_and_generated_names_keep_their_prefix() {
        let u = new_uid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        let n = generate_name("web-");
        assert!(n.starts_with("web-") && n.len() == 9);
    }
}
