//! JSON merge patch (RFC 7386), JSON patch (RFC 6902), and a strategic merge patch
//! that knows the merge keys of the built-in kinds kubectl patches.

use serde_json::{Map, Value};

/// Applies an RFC 7386 merge patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(t) = target {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

fn unescape(tok: &str) -> String {
    tok.replace("~1", "/").replace("~0", "~")
}

fn parent_and_last<'a>(doc: &'a mut Value, path: &str) -> Result<(&'a mut Value, String), String> {
    let toks: Vec<String> = path.split('/').skip(1).map(unescape).collect();
    let Some((last, init)) = toks.split_last() else {
        return Err(format!("invalid path {path:?}"));
    };
    let mut cur = doc;
    for t in init {
        cur = match cur {
            Value::Object(m) => m.get_mut(t),
            Value::Array(a) => t.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
            _ => None,
        }
        .ok_or_else(|| format!("doc is missing path: {path:?}: missing value"))?;
    }
    Ok((cur, last.clone()))
}

fn get<'a>(doc: &'a Value, path: &str) -> Result<&'a Value, String> {
    if path.is_empty() {
        return Ok(doc);
    }
    doc.pointer(path)
        .ok_or_else(|| format!("doc is missing path: {path:?}: missing value"))
}

fn add(doc: &mut Value, path: &str, value: Value) -> Result<(), String> {
    if path.is_empty() {
        *doc = value;
        return Ok(());
    }
    let (parent, last) = parent_and_last(doc, path)?;
    match parent {
        Value::Object(m) => {
            m.insert(last, value);
            Ok(())
        }
        Value::Array(a) => {
            let i = if last == "-" {
                a.len()
            } else {
                last.parse::<usize>().map_err(|e| e.to_string())?
            };
            if i > a.len() {
                return Err(format!(
                    "add operation does not apply: doc is missing path: {path:?}"
                ));
            }
            a.insert(i, value);
            Ok(())
        }
        _ => Err(format!(
            "add operation does not apply: doc is missing path: {path:?}"
        )),
    }
}

fn remove(doc: &mut Value, path: &str) -> Result<Value, String> {
    let (parent, last) = parent_and_last(doc, path)?;
    let missing = || format!("remove operation does not apply: doc is missing path: {path:?}");
    match parent {
        Value::Object(m) => m.remove(&last).ok_or_else(missing),
        Value::Array(a) => {
            let i = last.parse::<usize>().map_err(|_| missing())?;
            if i < a.len() {
                Ok(a.remove(i))
            } else {
                Err(missing())
            }
        }
        _ => Err(missing()),
    }
}

/// Applies an RFC 6902 JSON patch. `Err` carries the message kube-apiserver would put
/// in its 422 response.
pub fn json_patch(doc: &mut Value, ops: &Value) -> Result<(), String> {
    let ops = ops
        .as_array()
        .ok_or("json patch must be an array of operations")?;
    for op in ops {
        let path = op["path"]
            .as_str()
            .ok_or("missing path in json patch operation")?;
        let value = || {
            op.get("value")
                .cloned()
                .ok_or_else(|| format!("missing value for {path:?}"))
        };
        match op["op"].as_str().unwrap_or_default() {
            "add" => add(doc, path, value()?)?,
            "remove" => {
                remove(doc, path)?;
            }
            "replace" => {
                get(doc, path)?;
                if path.is_empty() {
                    *doc = value()?;
                } else {
                    remove(doc, path)?;
                    add(doc, path, value()?)?;
                }
            }
            "move" => {
                let from = op["from"].as_str().ok_or("missing from")?;
                let v = remove(doc, from)?;
                add(doc, path, v)?;
            }
            "copy" => {
                let from = op["from"].as_str().ok_or("missing from")?;
                let v = get(doc, from)?.clone();
                add(doc, path, v)?;
            }
            "test" => {
                // As in the JSON patch library kube-apiserver uses, a missing value
                // tests equal to null (kube-rs relies on this to add a first finalizer).
                let want = value()?;
                let have = if path.is_empty() {
                    Some(&*doc)
                } else {
                    doc.pointer(path)
                };
                if have.unwrap_or(&Value::Null) != &want {
                    return Err(format!("testing value {path:?} failed: test failed"));
                }
            }
            other => return Err(format!("Unexpected kind: {other}")),
        }
    }
    Ok(())
}

/// The merge key of a list field in the built-in kinds, if it is merged by key.
pub(crate) fn merge_key(field: &str, items: &[Value]) -> Option<&'static str> {
    match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets" => Some("name"),
        "volumeMounts" => Some("mountPath"),
        "conditions" => Some("type"),
        "ownerReferences" => Some("uid"),
        "ports" if items.iter().any(|i| i.get("containerPort").is_some()) => Some("containerPort"),
        "ports" => Some("port"),
        _ => None,
    }
}

fn merge_list(field: &str, target: &mut Vec<Value>, patch: &[Value]) {
    if patch
        .iter()
        .any(|i| i.get("$patch").and_then(Value::as_str) == Some("replace"))
    {
        *target = patch
            .iter()
            .filter(|i| i.get("$patch").is_none())
            .cloned()
            .collect();
        return;
    }
    let Some(key) = merge_key(field, patch) else {
        if field == "finalizers" {
            for p in patch {
                if !target.contains(p) {
                    target.push(p.clone());
                }
            }
        } else {
            *target = patch.to_vec();
        }
        return;
    };
    for p in patch {
        let k = &p[key];
        let pos = target.iter().position(|t| &t[key] == k);
        if p.get("$patch").and_then(Value::as_str) == Some("delete") {
            if let Some(i) = pos {
                target.remove(i);
            }
            continue;
        }
        match pos {
            Some(i) => strategic_merge(&mut target[i], p),
            None => {
                let mut fresh = Value::Object(Map::new());
                strategic_merge(&mut fresh, p);
                target.push(fresh);
            }
        }
    }
}

/// Applies a strategic merge patch, using the merge keys of the built-in kinds.
pub fn strategic_merge(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    match p.get("$patch").and_then(Value::as_str) {
        Some("replace") => {
            let mut m = p.clone();
            m.remove("$patch");
            *target = Value::Object(m);
            return;
        }
        Some("delete") => {
            *target = Value::Null;
            return;
        }
        _ => {}
    }
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(t) = target else { return };
    if let Some(Value::Array(keep)) = p.get("$retainKeys") {
        t.retain(|k, _| keep.iter().any(|x| x.as_str() == Some(k)));
    }
    for (k, v) in p {
        if let Some(field) = k.strip_prefix("$deleteFromPrimitiveList/") {
            if let (Some(Value::Array(list)), Value::Array(del)) = (t.get_mut(field), v) {
                list.retain(|x| !del.contains(x));
            }
            continue;
        }
        if k.starts_with('$') {
            continue;
        }
        match v {
            Value::Null => {
                t.remove(k);
            }
            Value::Array(items) => match t.get_mut(k) {
                Some(Value::Array(existing)) => merge_list(k, existing, items),
                _ => {
                    let mut fresh = Vec::new();
                    merge_list(k, &mut fresh, items);
                    t.insert(k.clone(), Value::Array(fresh));
                }
            },
            Value::Object(_) => strategic_merge(t.entry(k.clone()).or_insert(Value::Null), v),
            _ => {
                t.insert(k.clone(), v.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_sets_and_removes_keys_and_replaces_lists() {
        let mut d = json!({"a": 1, "b": {"c": 2, "d": 3}, "l": [1, 2]});
        merge_patch(&mut d, &json!({"a": null, "b": {"c": 5}, "l": [3]}));
        assert_eq!(d, json!({"b": {"c": 5, "d": 3}, "l": [3]}));
    }

    #[test]
    fn json_patch_supports_every_operation_and_fails_on_a_missing_path() {
        let mut d = json!({"a": [1, 2], "b": {"c": 1}});
        let ops = json!([
            {"op": "add", "path": "/a/-", "value": 3},
            {"op": "replace", "path": "/b/c", "value": 2},
            {"op": "copy", "from": "/b/c", "path": "/d"},
            {"op": "move", "from": "/d", "path": "/e"},
            {"op": "remove", "path": "/a/0"},
            {"op": "test", "path": "/e", "value": 2}
        ]);
        json_patch(&mut d, &ops).expect("applies");
        assert_eq!(d, json!({"a": [2, 3], "b": {"c": 2}, "e": 2}));
        assert!(json_patch(&mut d, &json!([{"op": "remove", "path": "/zz"}])).is_err());
        assert!(json_patch(&mut d, &json!([{"op": "test", "path": "/e", "value": 9}])).is_err());
        json_patch(
            &mut d,
            &json!([{"op": "test", "path": "/missing", "value": null}]),
        )
        .expect("missing is null");
    }

    #[test]
    fn strategic_merge_merges_containers_by_name_and_honours_directives() {
        let mut d = json!({"spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]},
                           "metadata": {"finalizers": ["f1"]}});
        strategic_merge(
            &mut d,
            &json!({"spec": {"containers": [{"name": "a", "image": "z"}, {"name": "b", "$patch": "delete"}]},
                    "metadata": {"finalizers": ["f2"]}}),
        );
        assert_eq!(
            d["spec"]["containers"],
            json!([{"name": "a", "image": "z"}])
        );
        assert_eq!(d["metadata"]["finalizers"], json!(["f1", "f2"]));
        strategic_merge(
            &mut d,
            &json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["f1"]}}),
        );
        assert_eq!(d["metadata"]["finalizers"], json!(["f2"]));
    }
}
