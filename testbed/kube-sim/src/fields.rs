//! Field sets, the ownership records behind `metadata.managedFields` (FieldsV1).
//!
//! A field set is a set of paths; each path element is `f:<field>`, `k:<json key>`
//! for an element of an associative list, or `.` for "the element itself".

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

/// A set of field paths.
pub type FieldSet = BTreeSet<Vec<String>>;

/// The key fields of the list `field` if it is associative (merged by key): from the
/// CRD schema (`x-kubernetes-list-type: map`) or the built-in merge keys.
pub fn list_keys(field: &str, schema: Option<&Value>, items: &[Value]) -> Option<Vec<String>> {
    if let Some(s) = schema {
        if s["x-kubernetes-list-type"] == "map" {
            return map_keys(s);
        }
        if s.get("x-kubernetes-list-type").is_some() || s.get("type").is_some() {
            return None;
        }
    }
    // Ports are keyed by number and protocol in the built-in schemas (TCP/53 and UDP/53
    // are two items), though strategic merge patch merges them on the number alone.
    crate::patch::merge_key(field, items).map(|k| match k {
        "port" | "containerPort" => vec![k.to_string(), "protocol".to_string()],
        k => vec![k.to_string()],
    })
}

/// A key field of a list item; a missing `protocol` is its default, `TCP`.
fn key_of(item: &Value, k: &str) -> Value {
    match item.get(k) {
        Some(v) => v.clone(),
        None if k == "protocol" => Value::String("TCP".into()),
        None => Value::Null,
    }
}

/// The key fields of an `x-kubernetes-list-type: map` list, from its schema.
pub fn map_keys(schema: &Value) -> Option<Vec<String>> {
    if schema["x-kubernetes-list-type"] != "map" {
        return None;
    }
    let keys = crate::meta::strings(&schema["x-kubernetes-list-map-keys"]);
    (!keys.is_empty()).then_some(keys)
}

/// What identifies an item of a `set` or `map` list (the item, or its key fields);
/// `None` for an atomic list, whose items have no identity.
pub fn list_identity(schema: &Value, item: &Value) -> Option<Value> {
    match schema["x-kubernetes-list-type"].as_str() {
        Some("set") => Some(item.clone()),
        Some("map") => Some(Value::Object(
            map_keys(schema)?
                .into_iter()
                .filter_map(|k| item.get(&k).map(|x| (k, x.clone())))
                .collect(),
        )),
        _ => None,
    }
}

/// The `k:` path element of a list item.
pub fn item_key(item: &Value, keys: &[String]) -> String {
    let mut m = Map::new();
    for k in keys {
        m.insert(k.clone(), key_of(item, k));
    }
    format!("k:{}", Value::Object(m))
}

/// The schema of child `k` of an object schema.
pub fn child_schema<'a>(schema: Option<&'a Value>, k: &str) -> Option<&'a Value> {
    schema
        .and_then(|s| s.get("properties"))
        .and_then(|p| p.get(k))
}

fn collect(
    v: &Value,
    field: &str,
    schema: Option<&Value>,
    prefix: &mut Vec<String>,
    out: &mut FieldSet,
) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, c) in m {
                prefix.push(format!("f:{k}"));
                collect(c, k, child_schema(schema, k), prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            let item_schema = schema.and_then(|s| s.get("items"));
            match list_keys(field, schema, items) {
                Some(keys) if items.iter().all(Value::is_object) && !items.is_empty() => {
                    for it in items {
                        prefix.push(item_key(it, &keys));
                        out.insert(prefix.clone());
                        collect(it, "", item_schema, prefix, out);
                        prefix.pop();
                    }
                }
                _ => {
                    out.insert(prefix.clone());
                }
            }
        }
        _ => {
            out.insert(prefix.clone());
        }
    }
}

/// The fields an object (or an applied configuration) sets. Identity fields
/// (`apiVersion`, `kind`, name, namespace, uid, ...) are not counted.
pub fn fields_of(obj: &Value, schema: Option<&Value>) -> FieldSet {
    let mut out = FieldSet::new();
    let Value::Object(m) = obj else { return out };
    for (k, v) in m {
        match k.as_str() {
            "apiVersion" | "kind" => {}
            "metadata" => {
                for mk in ["labels", "annotations", "finalizers", "ownerReferences"] {
                    if let Some(mv) = v.get(mk) {
                        let mut prefix = vec!["f:metadata".to_string(), format!("f:{mk}")];
                        collect(mv, mk, None, &mut prefix, &mut out);
                    }
                }
            }
            _ => {
                let mut prefix = vec![format!("f:{k}")];
                collect(v, k, child_schema(schema, k), &mut prefix, &mut out);
            }
        }
    }
    out
}

/// Renders a field set as FieldsV1 JSON.
pub fn to_fields_v1(set: &FieldSet) -> Value {
    let mut root = Value::Object(Map::new());
    for path in set {
        let mut cur = &mut root;
        for el in path {
            let Value::Object(m) = cur else { break };
            cur = m.entry(el.clone()).or_insert_with(|| json!({}));
        }
        let is_element = path.last().is_some_and(|e| e.starts_with("k:"));
        if is_element && let Some(m) = cur.as_object_mut() {
            m.insert(".".into(), json!({}));
        }
    }
    root
}

/// Parses FieldsV1 JSON back into a field set.
pub fn from_fields_v1(v: &Value) -> FieldSet {
    fn walk(v: &Value, prefix: &mut Vec<String>, out: &mut FieldSet) {
        let Some(m) = v.as_object() else { return };
        if m.is_empty() && !prefix.is_empty() {
            out.insert(prefix.clone());
        }
        for (k, c) in m {
            if k == "." {
                out.insert(prefix.clone());
                continue;
            }
            prefix.push(k.clone());
            walk(c, prefix, out);
            prefix.pop();
        }
    }
    let mut out = FieldSet::new();
    walk(v, &mut Vec::new(), &mut out);
    out
}

/// The value at a field path, if present.
pub fn value_at<'a>(obj: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut cur = obj;
    for el in path {
        cur = step(cur, el)?;
    }
    Some(cur)
}

fn step<'a>(cur: &'a Value, el: &str) -> Option<&'a Value> {
    if let Some(f) = el.strip_prefix("f:") {
        return cur.get(f);
    }
    let key: Value = serde_json::from_str(el.strip_prefix("k:")?).ok()?;
    let key = key.as_object()?;
    cur.as_array()?
        .iter()
        .find(|it| key.iter().all(|(k, v)| key_of(it, k) == *v))
}

/// Removes the value at a field path; absent paths are left alone.
pub fn remove_at(obj: &mut Value, path: &[String]) {
    let Some((last, init)) = path.split_last() else {
        return;
    };
    let mut cur = obj;
    for el in init {
        let next = if let Some(f) = el.strip_prefix("f:") {
            cur.get_mut(f)
        } else {
            let Some(key) = el
                .strip_prefix("k:")
                .and_then(|k| serde_json::from_str::<Value>(k).ok())
            else {
                return;
            };
            let Some(key) = key.as_object().cloned() else {
                return;
            };
            cur.as_array_mut().and_then(|a| {
                a.iter_mut()
                    .find(|it| key.iter().all(|(k, v)| key_of(it, k) == *v))
            })
        };
        match next {
            Some(n) => cur = n,
            None => return,
        }
    }
    if let Some(f) = last.strip_prefix("f:") {
        if let Some(m) = cur.as_object_mut() {
            m.remove(f);
        }
    } else if let Some(key) = last
        .strip_prefix("k:")
        .and_then(|k| serde_json::from_str::<Value>(k).ok())
        && let (Some(key), Some(a)) = (key.as_object(), cur.as_array_mut())
    {
        a.retain(|it| !key.iter().all(|(k, v)| it.get(k) == Some(v)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_sets_round_trip_through_fields_v1() {
        let obj = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"a": "1"}},
                         "spec": {"containers": [{"name": "c", "image": "i"}], "nodeName": "n"}});
        let set = fields_of(&obj, None);
        assert!(set.contains(&vec!["f:metadata".into(), "f:labels".into(), "f:a".into()]));
        assert!(set.contains(&vec![
            "f:spec".into(),
            "f:containers".into(),
            "k:{\"name\":\"c\"}".into(),
            "f:image".into()
        ]));
        let v1 = to_fields_v1(&set);
        assert_eq!(
            v1["f:spec"]["f:containers"]["k:{\"name\":\"c\"}"]["."],
            json!({})
        );
        assert_eq!(from_fields_v1(&v1), set);
    }

    #[test]
    fn values_are_found_and_removed_by_path() {
        let mut obj = json!({"spec": {"containers": [{"name": "c", "image": "i"}, {"name": "d"}]}});
        let path: Vec<String> = vec![
            "f:spec".into(),
            "f:containers".into(),
            "k:{\"name\":\"c\"}".into(),
        ];
        assert!(value_at(&obj, &path).is_some());
        remove_at(&mut obj, &path);
        assert_eq!(obj, json!({"spec": {"containers": [{"name": "d"}]}}));
    }
}
