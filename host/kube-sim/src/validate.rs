//! OpenAPI v3 value validation of custom resources against their CRD schema, the
//! subset kube-apiserver checks without CEL: `type`, `required`, `enum`, `nullable`,
//! string lengths and `pattern`, list sizes, numeric bounds, and map sizes. `anyOf`,
//! `oneOf`, `allOf`, `not`, `format` and `x-kubernetes-validations` are not checked.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use serde_json::Value;

use crate::status::Cause;

fn cause(reason: &str, field: &str, message: String) -> Cause {
    Cause {
        reason: reason.into(),
        message,
        field: field.into(),
    }
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
        let msg = format!(
            "Invalid value: {}: {path} in body must be of type {t}: {}",
            short(v),
            short(v)
        );
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

fn join(path: &str, k: &str) -> String {
    if path.is_empty() {
        k.to_string()
    } else {
        format!("{path}.{k}")
    }
}

/// Validates a custom resource against the schema of its version, and the labels
/// and annotations of any object; the answer is kube-apiserver's 422 Invalid.
pub fn validate_object(
    rt: &crate::resources::ResourceType,
    obj: &Value,
) -> Result<(), crate::status::ApiError> {
    let mut causes = crate::meta::validate_labels(obj);
    if rt.custom
        && let Some(schema) = &rt.schema
    {
        causes.extend(validate(obj, schema));
    }
    if causes.is_empty() {
        return Ok(());
    }
    let name = crate::meta::meta_str(obj, "name");
    Err(crate::status::ApiError::invalid(
        &rt.group, &rt.kind, name, causes,
    ))
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
}
