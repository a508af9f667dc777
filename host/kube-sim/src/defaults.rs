//! Structural-schema defaulting for custom resources: a field that the CRD schema
//! gives a `default` is filled in when absent, as kube-apiserver does on every write.

use serde_json::Value;

/// Fills in the schema's defaults, recursively, in place.
pub fn apply_defaults(v: &mut Value, schema: &Value) {
    match v {
        Value::Object(m) => {
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (k, ps) in props {
                    if !m.contains_key(k)
                        && let Some(d) = ps.get("default")
                    {
                        m.insert(k.clone(), d.clone());
                    }
                    if let Some(child) = m.get_mut(k) {
                        apply_defaults(child, ps);
                    }
                }
            }
            if let Some(extra) = schema.get("additionalProperties").filter(|s| s.is_object()) {
                let known = schema.get("properties").and_then(Value::as_object);
                for (k, child) in m.iter_mut() {
                    if !known.is_some_and(|p| p.contains_key(k)) {
                        apply_defaults(child, extra);
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(is) = schema.get("items") {
                for it in items {
                    apply_defaults(it, is);
                }
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
