//! Structural-schema handling for custom resources, as kube-apiserver does it on
//! every write: fields the CRD schema does not declare are pruned (or, with
//! `fieldValidation=Strict`, refused), and fields with a `default` are filled in.

use serde_json::Value;

use crate::ops::FieldValidation;
use crate::resources::ResourceType;
use crate::status::ApiError;

fn preserves(schema: &Value) -> bool {
    schema
        .get("x-kubernetes-preserve-unknown-fields")
        .and_then(Value::as_bool)
        == Some(true)
}

fn prune_into(v: &mut Value, schema: &Value, path: &str, unknown: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            let props = schema.get("properties").and_then(Value::as_object);
            let extra = schema.get("additionalProperties").filter(|s| s.is_object());
            let embedded = schema
                .get("x-kubernetes-embedded-resource")
                .and_then(Value::as_bool)
                == Some(true);
            let keep_all = preserves(schema) || (props.is_none() && extra.is_none());
            let mut gone = Vec::new();
            for (k, child) in m.iter_mut() {
                let child_path = format!("{path}.{k}");
                match (props.and_then(|p| p.get(k)), extra) {
                    (Some(s), _) | (None, Some(s)) => prune_into(child, s, &child_path, unknown),
                    _ if keep_all
                        || (embedded
                            && matches!(k.as_str(), "apiVersion" | "kind" | "metadata")) => {}
                    _ => gone.push(k.clone()),
                }
            }
            for k in gone {
                m.remove(&k);
                unknown.push(format!("{path}.{k}").trim_start_matches('.').to_string());
            }
        }
        Value::Array(items) => {
            if let Some(is) = schema.get("items") {
                for (i, it) in items.iter_mut().enumerate() {
                    prune_into(it, is, &format!("{path}[{i}]"), unknown);
                }
            }
        }
        _ => {}
    }
}

/// Removes the fields the schema does not declare (`metadata`, `apiVersion` and
/// `kind` at the top are left alone) and returns their paths.
pub fn prune(obj: &mut Value, schema: &Value) -> Vec<String> {
    let mut unknown = Vec::new();
    if let Value::Object(m) = obj {
        let props = schema.get("properties").and_then(Value::as_object);
        let mut gone = Vec::new();
        for (k, child) in m.iter_mut() {
            if matches!(k.as_str(), "apiVersion" | "kind" | "metadata") {
                continue;
            }
            match props.and_then(|p| p.get(k)) {
                Some(s) => prune_into(child, s, k, &mut unknown),
                None if preserves(schema) => {}
                None => gone.push(k.clone()),
            }
        }
        for k in gone {
            m.remove(&k);
            unknown.push(k);
        }
    }
    unknown
}

/// Prunes a custom resource; unknown fields are refused or reported as `validation`
/// (`fieldValidation`) asks.
pub fn prune_custom(
    rt: &ResourceType,
    obj: &mut Value,
    validation: FieldValidation,
) -> Result<(), ApiError> {
    let Some(schema) = rt.schema.as_ref().filter(|_| rt.custom) else {
        return Ok(());
    };
    // An error ends the request, so what was pruned by then is never stored.
    let unknown = prune(obj, schema);
    validation.unknown_fields(&rt.kind, &rt.version, &unknown)?;
    Ok(())
}

/// Fills in the schema's defaults, recursively, in place.
pub fn apply_defaults(v: &mut Value, schema: &Value) {
    if let (Value::Object(m), Some(props)) =
        (&mut *v, schema.get("properties").and_then(Value::as_object))
    {
        for (k, ps) in props {
            if !m.contains_key(k)
                && let Some(d) = ps.get("default")
            {
                m.insert(k.clone(), d.clone());
            }
        }
    }
    for_each_child(v, schema, apply_defaults);
}

/// Calls `f` on each child of `v` with the schema that describes it: a declared
/// property's, `additionalProperties` for the other keys, or a list's `items`.
pub fn for_each_child(v: &mut Value, schema: &Value, mut f: impl FnMut(&mut Value, &Value)) {
    match v {
        Value::Object(m) => {
            let props = schema.get("properties").and_then(Value::as_object);
            let extra = schema.get("additionalProperties").filter(|s| s.is_object());
            for (k, child) in m.iter_mut() {
                if let Some(cs) = props.and_then(|p| p.get(k)).or(extra) {
                    f(child, cs);
                }
            }
        }
        Value::Array(items) => {
            if let Some(is) = schema.get("items") {
                items.iter_mut().for_each(|it| f(it, is));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn undeclared_fields_are_pruned_or_refused_when_strict() {
        let schema = json!({"properties": {"spec": {"properties": {
            "rules": {"type": "array", "items": {"properties": {"name": {"type": "string"}}}},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}}});
        let mut obj = json!({"apiVersion": "x/v1", "kind": "K", "metadata": {"name": "a"}, "extra": 1,
            "spec": {"rules": [{"name": "r", "typo": 1}], "labels": {"a": "b"}, "free": {"any": 1}}});
        let unknown = prune(&mut obj, &schema);
        assert_eq!(
            unknown,
            vec!["spec.rules[0].typo".to_string(), "extra".to_string()]
        );
        assert_eq!(
            obj,
            json!({"apiVersion": "x/v1", "kind": "K", "metadata": {"name": "a"},
            "spec": {"rules": [{"name": "r"}], "labels": {"a": "b"}, "free": {"any": 1}}})
        );
    }

    #[test]
    fn absent_fields_get_their_schema_defaults_inside_lists_too() {
        let schema = json!({"properties": {"spec": {"properties": {
            "rules": {"type": "array", "items": {"properties": {
                "weight": {"type": "integer", "default": 1},
                "kind": {"type": "string", "default": "Service"}}}},
            "mode": {"type": "string", "default": "fast"}}}}});
        let mut obj = json!({"spec": {"rules": [{"weight": 5}, {}]}});
        apply_defaults(&mut obj, &schema);
        assert_eq!(
            obj,
            json!({"spec": {"mode": "fast", "rules": [
            {"weight": 5, "kind": "Service"}, {"weight": 1, "kind": "Service"}]}})
        );
    }
}
