//! OpenAPI v3 value validation of custom resources against their CRD schema, the
//! subset kube-apiserver checks without CEL: `type`, `required`, `enum`, `nullable`,
//! string lengths, `pattern` and `format`, list sizes, numeric bounds, map sizes,
//! `allOf`/`anyOf`/`oneOf`/`not`, then the schema's CEL rules ([`crate::cel`]).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use serde_json::Value;

use crate::status::Cause;

fn cause(reason: &str, field: &str, message: String) -> Cause {
    Cause::new(reason, field, message)
}

fn matches_pattern(pattern: &str, s: &str) -> bool {
    static CACHE: OnceLock<Mutex<HashMap<String, Option<regex_lite::Regex>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    let mut cache = cache.lock().unwrap_or_else(|p| p.into_inner());
    let re = cache
        .entry(pattern.to_string())
        .or_insert_with(|| regex_lite::Regex::new(pattern).ok());
    // A pattern this engine cannot compile is not held against the object.
    re.as_ref().is_none_or(|re| re.is_match(s))
}

fn short(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

fn type_ok(t: &str, v: &Value, int_or_string: bool) -> bool {
    if int_or_string && (v.is_string() || v.is_i64() || v.is_u64()) {
        return true;
    }
    match t {
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        _ => true,
    }
}

fn check(v: &Value, s: &Value, path: &str, out: &mut Vec<Cause>) {
    let int_or_string = s.get("x-kubernetes-int-or-string").and_then(Value::as_bool) == Some(true);
    if v.is_null() {
        if s.get("nullable").and_then(Value::as_bool) != Some(true) && s.get("type").is_some() {
            out.push(cause("FieldValueRequired", path, "Required value".into()));
        }
        return;
    }
    if let Some(t) = s.get("type").and_then(Value::as_str)
        && !type_ok(t, v, int_or_string)
    {
        // kube-apiserver names the value's JSON type, not the value.
        let got = match v {
            Value::String(_) => "string",
            Value::Bool(_) => "boolean",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
            Value::Number(n) if n.is_f64() => "number",
            _ => "integer",
        };
        let msg =
            format!("Invalid value: \"{got}\": {path} in body must be of type {t}: \"{got}\"");
        out.push(cause("FieldValueTypeInvalid", path, msg));
        return;
    }
    if let Some(allowed) = s.get("enum").and_then(Value::as_array)
        && !allowed.contains(v)
    {
        let list: Vec<String> = allowed.iter().map(short).collect();
        let msg = format!(
            "Unsupported value: {}: supported values: {}",
            short(v),
            list.join(", ")
        );
        out.push(cause("FieldValueNotSupported", path, msg));
    }
    composition(v, s, path, out);
    let num = |k: &str| s.get(k).and_then(Value::as_f64);
    match v {
        Value::String(st) => {
            let len = st.chars().count() as f64;
            if num("maxLength").is_some_and(|m| len > m) {
                let msg = format!(
                    "Too long: may not be more than {} bytes",
                    num("maxLength").unwrap_or_default()
                );
                out.push(cause("FieldValueTooLong", path, msg));
            }
            if num("minLength").is_some_and(|m| len < m) {
                let msg = format!(
                    "Invalid value: {}: {path} in body should be at least {} chars long",
                    short(v),
                    num("minLength").unwrap_or_default()
                );
                out.push(cause("FieldValueInvalid", path, msg));
            }
            if let Some(f) = s.get("format").and_then(Value::as_str)
                && !int_or_string
                && !format_ok(f, st)
            {
                out.push(cause(
                    "FieldValueInvalid",
                    path,
                    format!(
                        "Invalid value: {}: {path} in body must be of type {f}: {}",
                        short(v),
                        short(v)
                    ),
                ));
            }
            if let Some(p) = s.get("pattern").and_then(Value::as_str)
                && !int_or_string
                && !matches_pattern(p, st)
            {
                out.push(cause(
                    "FieldValueInvalid",
                    path,
                    format!(
                        "Invalid value: {}: {path} in body should match '{p}'",
                        short(v)
                    ),
                ));
            }
        }
        Value::Number(n) => {
            let f = n.as_f64().unwrap_or_default();
            if let Some(m) = num("maximum").filter(|m| f > *m) {
                let msg = format!(
                    "Invalid value: {n}: {path} in body should be less than or equal to {m}"
                );
                out.push(cause("FieldValueInvalid", path, msg));
            }
            if let Some(m) = num("minimum").filter(|m| f < *m) {
                let msg = format!(
                    "Invalid value: {n}: {path} in body should be greater than or equal to {m}"
                );
                out.push(cause("FieldValueInvalid", path, msg));
            }
        }
        Value::Array(items) => {
            let len = items.len() as f64;
            if let Some(m) = num("maxItems").filter(|m| len > *m) {
                out.push(cause(
                    "FieldValueTooMany",
                    path,
                    format!("Too many: {len}: must have at most {m} items"),
                ));
            }
            if let Some(m) = num("minItems").filter(|m| len < *m) {
                out.push(cause(
                    "FieldValueInvalid",
                    path,
                    format!("Invalid value: {len}: {path} in body should have at least {m} items"),
                ));
            }
            if let Some(is) = s.get("items") {
                for (i, it) in items.iter().enumerate() {
                    check(it, is, &format!("{path}[{i}]"), out);
                }
            }
            duplicates(items, s, path, out);
        }
        Value::Object(m) => {
            for r in s
                .get("required")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                if let Some(r) = r.as_str()
                    && !m.contains_key(r)
                {
                    out.push(cause(
                        "FieldValueRequired",
                        &join(path, r),
                        "Required value".into(),
                    ));
                }
            }
            let props = s.get("properties").and_then(Value::as_object);
            let extra = s.get("additionalProperties").filter(|x| x.is_object());
            if let Some(max) = num("maxProperties").filter(|x| m.len() as f64 > *x) {
                out.push(cause(
                    "FieldValueTooMany",
                    path,
                    format!("Too many: {}: must have at most {max} items", m.len()),
                ));
            }
            for (k, child) in m {
                if let Some(cs) = props.and_then(|p| p.get(k)).or(extra) {
                    check(child, cs, &join(path, k), out);
                }
            }
        }
        _ => {}
    }
}

/// Go's `%#v` of a decoded JSON value, as kube-apiserver prints a duplicate.
fn go_value(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let fields: Vec<String> = m
                .iter()
                .map(|(k, x)| format!("{k:?}:{}", go_value(x)))
                .collect();
            format!("map[string]interface {{}}{{{}}}", fields.join(", "))
        }
        Value::Array(a) => {
            let items: Vec<String> = a.iter().map(go_value).collect();
            format!("[]interface {{}}{{{}}}", items.join(", "))
        }
        Value::Null => "interface {}(nil)".into(),
        other => short(other),
    }
}

/// `x-kubernetes-list-type: set` and `map` lists hold each item (or key) once; a
/// repeat is kube-apiserver's `Duplicate value`.
fn duplicates(items: &[Value], s: &Value, path: &str, out: &mut Vec<Cause>) {
    let mut seen: Vec<Value> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Some(id) = crate::fields::list_identity(s, item) else {
            return;
        };
        if seen.contains(&id) {
            let shown = match &id {
                Value::String(_) => short(&id),
                other => go_value(other),
            };
            out.push(cause(
                "FieldValueDuplicate",
                &format!("{path}[{i}]"),
                format!("Duplicate value: {shown}"),
            ));
        } else {
            seen.push(id);
        }
    }
}

/// The string formats kube-apiserver checks (go-openapi's `strfmt`); others pass.
fn format_ok(format: &str, s: &str) -> bool {
    let ip = s.parse::<std::net::IpAddr>().is_ok();
    match format {
        "ipv4" => ip && s.contains('.'),
        "ipv6" => ip && s.contains(':'),
        "cidr" => s
            .split_once('/')
            .is_some_and(|(a, n)| a.parse::<std::net::IpAddr>().is_ok() && n.parse::<u8>().is_ok()),
        "date-time" => chrono::DateTime::parse_from_rfc3339(s).is_ok(),
        "date" => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok(),
        "uuid" => {
            let b = s.as_bytes();
            b.len() == 36
                && b.iter().enumerate().all(|(i, c)| match i {
                    8 | 13 | 18 | 23 => *c == b'-',
                    _ => c.is_ascii_hexdigit(),
                })
        }
        "byte" => {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.decode(s).is_ok()
        }
        _ => true,
    }
}

/// `allOf`, `anyOf`, `oneOf` and `not`: value validations over the same value. A
/// failed `anyOf` or `oneOf` reports, as go-openapi does, the branch that came closest
/// (most declared properties valid) and a summary.
fn composition(v: &Value, s: &Value, path: &str, out: &mut Vec<Cause>) {
    let branches = |k: &str| {
        s.get(k)
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
    };
    for b in branches("allOf") {
        check(v, b, path, out);
    }
    let shown = match v {
        Value::Object(_) => "object",
        Value::Array(_) => "array",
        Value::String(_) => "string",
        _ => "value",
    };
    let summary = |msg: String| {
        cause(
            "FieldValueInvalid",
            path,
            format!("Invalid value: \"{shown}\": {msg}"),
        )
    };
    let tried = |k: &str| -> (usize, Vec<Cause>) {
        let mut valid = 0;
        let mut best: Option<(usize, Vec<Cause>)> = None;
        for b in branches(k) {
            let mut found = Vec::new();
            check(v, b, path, &mut found);
            if found.is_empty() {
                valid += 1;
                continue;
            }
            // How close the branch came: its declared properties present and clean.
            let score = b
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .filter(|(p, _)| {
                    let at = join(path, p);
                    v.get(p.as_str()).is_some()
                        && !found.iter().any(|c| {
                            c.field
                                .strip_prefix(&at)
                                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
                        })
                })
                .count();
            if best.as_ref().is_none_or(|(s, _)| score > *s) {
                best = Some((score, found));
            }
        }
        (valid, best.map(|(_, f)| f).unwrap_or_default())
    };
    if !branches("anyOf").is_empty() {
        let (valid, best) = tried("anyOf");
        if valid == 0 {
            out.push(summary(format!(
                "{path:?} must validate at least one schema (anyOf)"
            )));
            out.extend(best);
        }
    }
    if !branches("oneOf").is_empty() {
        let (valid, best) = tried("oneOf");
        if valid != 1 {
            let found = match valid {
                0 => "Found none valid".to_string(),
                n => format!("Found {n} valid alternatives"),
            };
            out.push(summary(format!(
                "{path:?} must validate one and only one schema (oneOf). {found}"
            )));
            out.extend(best);
        }
    }
    if let Some(not) = s.get("not") {
        let mut found = Vec::new();
        check(v, not, path, &mut found);
        if found.is_empty() {
            out.push(summary(format!(
                "{path:?} must not validate the schema (not)"
            )));
        }
    }
}

/// `path.k`, or `k` at the root.
pub(crate) fn join(path: &str, k: &str) -> String {
    if path.is_empty() {
        k.to_string()
    } else {
        format!("{path}.{k}")
    }
}

/// The keys of a ConfigMap's or Secret's `data` (and `binaryData`), as
/// `IsConfigMapKey` checks them; a key may not be in both maps.
fn config_keys(obj: &Value) -> Vec<Cause> {
    const MSG: &str = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";
    let mut out = Vec::new();
    for map in ["data", "binaryData", "stringData"] {
        for k in obj[map].as_object().into_iter().flatten().map(|(k, _)| k) {
            let field = format!("{map}[{k}]");
            let mut msgs = Vec::new();
            if k.len() > 253 {
                msgs.push("must be no more than 253 characters".to_string());
            }
            if k.is_empty()
                || !k
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            {
                msgs.push(MSG.to_string());
            }
            if k == "." || k == ".." || k.starts_with("..") {
                msgs.push(format!("must not be '{k}'"));
            }
            if map == "data" && obj["binaryData"].get(k).is_some() {
                msgs.push("duplicate of key present in binaryData".to_string());
            }
            for m in msgs {
                out.push(cause(
                    "FieldValueInvalid",
                    &field,
                    format!("Invalid value: {k:?}: {m}"),
                ));
            }
        }
    }
    out
}

/// Validates a custom resource against the schema of its version, and the labels
/// and annotations of any object; the answer is kube-apiserver's 422 Invalid. `old` is
/// the object an update replaces, for CEL transition rules and ratcheting.
pub fn validate_object(
    rt: &crate::resources::ResourceType,
    obj: &Value,
    old: Option<&Value>,
    status_only: bool,
) -> Result<(), crate::status::ApiError> {
    let mut causes = crate::meta::validate_labels(obj);
    causes.extend(crate::meta::validate_references(obj));
    if !rt.custom && rt.group.is_empty() && matches!(rt.kind.as_str(), "ConfigMap" | "Secret") {
        causes.extend(config_keys(obj));
    }
    if rt.custom
        && let Some(schema) = &rt.schema
    {
        let found = if status_only {
            validate_status(obj, schema)
        } else {
            validate(obj, schema)
        };
        // As kube-apiserver's `hasBlockingErr`: rules do not run on an object that
        // is missing a required field or holds a value its schema cannot have.
        let blocking = [
            "FieldValueNotSupported",
            "FieldValueRequired",
            "FieldValueTooLong",
            "FieldValueTooMany",
            "FieldValueTypeInvalid",
        ];
        if found.iter().any(|c| blocking.contains(&c.reason.as_str())) {
            causes.extend(found);
            causes.push(crate::cel::blocked());
        } else {
            causes.extend(found);
            causes.extend(crate::cel::validate(obj, old, schema));
        }
    }
    if causes.is_empty() {
        return Ok(());
    }
    let name = crate::meta::meta_str(obj, "name");
    Err(crate::status::ApiError::invalid(
        &rt.group, &rt.kind, name, causes,
    ))
}

/// Validates only the `status` of an object, as a `/status` write is validated: the
/// schema's own messages name paths from `status` down, the fields from the root.
pub fn validate_status(obj: &Value, schema: &Value) -> Vec<Cause> {
    let (Some(v), Some(s)) = (obj.get("status"), schema.pointer("/properties/status")) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    check(v, s, "", &mut out);
    for c in &mut out {
        c.field = match c.field.as_str() {
            "" => "status".into(),
            f if f.starts_with('[') => format!("status{f}"),
            f => format!("status.{f}"),
        };
    }
    out
}

/// Validates an object (everything but `metadata`, `apiVersion` and `kind`) against a
/// CRD version's `openAPIV3Schema`; returns the causes of an `Invalid` answer.
pub fn validate(obj: &Value, schema: &Value) -> Vec<Cause> {
    let mut out = Vec::new();
    let Some(m) = obj.as_object() else { return out };
    for r in schema
        .get("required")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        if let Some(r) = r.as_str()
            && r != "metadata"
            && !m.contains_key(r)
        {
            out.push(cause("FieldValueRequired", r, "Required value".into()));
        }
    }
    let props = schema.get("properties").and_then(Value::as_object);
    for (k, v) in m {
        if matches!(k.as_str(), "apiVersion" | "kind" | "metadata") {
            continue;
        }
        if let Some(s) = props.and_then(|p| p.get(k)) {
            check(v, s, k, &mut out);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({"properties": {"spec": {"type": "object", "required": ["port"], "properties": {
            "port": {"type": "integer", "minimum": 1, "maximum": 65535},
            "mode": {"type": "string", "enum": ["a", "b"]},
            "name": {"type": "string", "maxLength": 5, "pattern": "^[a-z]+$"},
            "target": {"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}]},
            "hosts": {"type": "array", "maxItems": 2, "items": {"type": "string"}}}}}})
    }

    #[test]
    fn a_valid_object_has_no_causes() {
        let obj = json!({"spec": {"port": 80, "mode": "a", "name": "web", "target": "http", "hosts": ["x"]}});
        assert!(validate(&obj, &schema()).is_empty());
    }

    #[test]
    fn each_violation_names_its_field() {
        let obj = json!({"spec": {"port": 70000, "mode": "c", "name": "TooLongName", "hosts": ["a", "b", 3]}});
        let fields: Vec<String> = validate(&obj, &schema())
            .into_iter()
            .map(|c| c.field)
            .collect();
        assert_eq!(
            fields,
            vec![
                "spec.hosts",
                "spec.hosts[2]",
                "spec.mode",
                "spec.name",
                "spec.name",
                "spec.port"
            ]
        );
        let missing = validate(&json!({"spec": {}}), &schema());
        assert_eq!(
            (missing[0].field.as_str(), missing[0].reason.as_str()),
            ("spec.port", "FieldValueRequired")
        );
    }

    #[test]
    fn a_repeated_key_in_a_list_map_is_a_duplicate() {
        let s = json!({"properties": {"spec": {"type": "object", "properties": {
            "listeners": {"type": "array", "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["name"], "items": {"type": "object"}},
            "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}}}}}});
        let obj = json!({"spec": {"listeners": [{"name": "http", "port": 80}, {"name": "http", "port": 81}],
            "tags": ["a", "a"]}});
        let got: Vec<String> = validate(&obj, &s)
            .into_iter()
            .map(|c| format!("{}: {}", c.field, c.message))
            .collect();
        assert_eq!(
            got,
            vec![
                "spec.listeners[1]: Duplicate value: map[string]interface {}{\"name\":\"http\"}",
                "spec.tags[1]: Duplicate value: \"a\"",
            ]
        );
    }

    #[test]
    fn rules_do_not_run_on_an_object_missing_a_required_field() {
        let mut rt = crate::resources::builtins()
            .into_iter()
            .find(|t| t.kind == "ConfigMap")
            .expect("a kind");
        rt.custom = true;
        rt.schema = Some(
            json!({"properties": {"spec": {"type": "object", "required": ["port"],
            "x-kubernetes-validations": [{"rule": "self.port > 0"}],
            "properties": {"port": {"type": "integer"}}}}}),
        );
        let err = validate_object(
            &rt,
            &json!({"metadata": {"name": "x"}, "spec": {}}),
            None,
            false,
        )
        .expect_err("invalid");
        assert_eq!(
            err.message,
            "ConfigMap \"x\" is invalid: [spec.port: Required value, <nil>: Invalid value: \"null\": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation]"
        );
        let big = json!({"metadata": {"name": "x", "annotations": {"a": "x".repeat(256 * 1024)}},
            "spec": {"port": 1}});
        let err = validate_object(&rt, &big, None, false).expect_err("too long");
        assert!(
            err.message
                .ends_with("metadata.annotations: Too long: may not be more than 262144 bytes"),
            "{}",
            err.message
        );
    }

    #[test]
    fn formats_and_alternatives_are_checked_and_the_closest_branch_is_reported() {
        let s = json!({"properties": {"spec": {"type": "object", "properties": {
            "addresses": {"type": "array", "items": {"type": "object",
                "oneOf": [
                    {"properties": {"type": {"enum": ["IPAddress"]},
                        "value": {"anyOf": [{"format": "ipv4"}, {"format": "ipv6"}]}}},
                    {"properties": {"type": {"not": {"enum": ["IPAddress"]}}}}],
                "properties": {"type": {"type": "string"}, "value": {"type": "string"}}}},
            "since": {"type": "string", "format": "date-time"}}}}});
        let ok = json!({"spec": {"addresses": [{"type": "IPAddress", "value": "10.0.0.1"},
            {"type": "IPAddress", "value": "::1"}, {"type": "Hostname", "value": "a.example.com"}],
            "since": "2026-11-23T06:00:00Z"}});
        assert!(validate(&ok, &s).is_empty(), "{:?}", validate(&ok, &s));
        let bad = json!({"spec": {"addresses": [{"type": "IPAddress", "value": "1.2.3.4:8080"}],
            "since": "yesterday"}});
        let messages: Vec<String> = validate(&bad, &s)
            .into_iter()
            .map(|c| format!("{}: {}", c.field, c.message))
            .collect();
        for want in [
            "spec.addresses[0].value: Invalid value: \"1.2.3.4:8080\": spec.addresses[0].value in body must be of type ipv4: \"1.2.3.4:8080\"",
            "spec.addresses[0]: Invalid value: \"object\": \"spec.addresses[0]\" must validate one and only one schema (oneOf). Found none valid",
            "spec.since: Invalid value: \"yesterday\": spec.since in body must be of type date-time: \"yesterday\"",
        ] {
            assert!(
                messages.iter().any(|m| m == want),
                "missing {want:?} in {messages:#?}"
            );
        }
    }
}
