//! Server-side apply and the `managedFields` bookkeeping of ordinary writes.
//!
//! Each field manager owns a set of fields. An apply sets the fields of its
//! configuration, removes the fields it applied before and no longer applies (unless
//! another manager also owns them), and fails with a 409 when it would change a field
//! that another manager owns, unless it forces.

use serde_json::{Value, json};

use crate::fields::{
    FieldSet, child_schema, fields_of, from_fields_v1, item_key, list_keys, remove_at,
    to_fields_v1, value_at,
};
use crate::status::ApiError;

struct Entry {
    manager: String,
    operation: String,
    subresource: String,
    raw: Value,
    set: FieldSet,
}

fn read_entries(obj: &Value) -> Vec<Entry> {
    obj["metadata"]["managedFields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| Entry {
                    manager: e["manager"].as_str().unwrap_or_default().into(),
                    operation: e["operation"].as_str().unwrap_or_default().into(),
                    subresource: e["subresource"].as_str().unwrap_or_default().into(),
                    set: from_fields_v1(&e["fieldsV1"]),
                    raw: e.clone(),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn write_entries(obj: &mut Value, entries: Vec<Entry>) {
    let out: Vec<Value> = entries
        .into_iter()
        .filter(|e| !e.set.is_empty())
        .map(|e| {
            let mut raw = e.raw;
            raw["fieldsV1"] = to_fields_v1(&e.set);
            raw
        })
        .collect();
    if out.is_empty() {
        if let Some(m) = obj["metadata"].as_object_mut() {
            m.remove("managedFields");
        }
    } else {
        obj["metadata"]["managedFields"] = Value::Array(out);
    }
}

fn entry_for<'a>(
    entries: &'a mut Vec<Entry>,
    manager: &str,
    op: &str,
    sub: &str,
    api_version: &str,
    now: &str,
) -> &'a mut Entry {
    let pos = entries
        .iter()
        .position(|e| e.manager == manager && e.operation == op && e.subresource == sub);
    let i = match pos {
        Some(i) => i,
        None => {
            entries.push(Entry {
                manager: manager.into(),
                operation: op.into(),
                subresource: sub.into(),
                raw: json!({}),
                set: FieldSet::new(),
            });
            entries.len() - 1
        }
    };
    let e = &mut entries[i];
    e.raw = json!({"manager": manager, "operation": op, "apiVersion": api_version, "time": now, "fieldsType": "FieldsV1"});
    if !sub.is_empty() {
        e.raw["subresource"] = json!(sub);
    }
    e
}

/// Merges an applied configuration into `live`: maps merge, associative lists merge
/// by key, everything else is replaced.
pub fn merge_applied(live: &mut Value, applied: &Value, field: &str, schema: Option<&Value>) {
    match applied {
        Value::Object(a) => {
            if !live.is_object() {
                *live = json!({});
            }
            if let Value::Object(l) = live {
                for (k, v) in a {
                    if v.is_null() {
                        l.remove(k);
                    } else {
                        merge_applied(
                            l.entry(k.clone()).or_insert(Value::Null),
                            v,
                            k,
                            child_schema(schema, k),
                        );
                    }
                }
            }
        }
        Value::Array(items) => {
            let keys =
                list_keys(field, schema, items).filter(|_| items.iter().all(Value::is_object));
            match (keys, live.as_array_mut()) {
                (Some(keys), Some(l)) => {
                    let item_schema = schema.and_then(|s| s.get("items"));
                    for it in items {
                        let k = item_key(it, &keys);
                        match l.iter_mut().find(|x| item_key(x, &keys) == k) {
                            Some(x) => merge_applied(x, it, "", item_schema),
                            None => l.push(it.clone()),
                        }
                    }
                }
                _ => *live = applied.clone(),
            }
        }
        _ => *live = applied.clone(),
    }
}

/// The other owner in a conflict, as structured-merge-diff prints it: `"manager"`,
/// with `using apiVersion` for an Update manager.
fn who(e: &Entry) -> String {
    let mut s = format!("{:?}", e.manager);
    if !e.subresource.is_empty() {
        s.push_str(&format!(" with subresource {:?}", e.subresource));
    }
    match e.raw["apiVersion"].as_str() {
        Some(v) if e.operation == "Update" => format!("{s} using {v}"),
        _ => s,
    }
}

/// A field path as structured-merge-diff prints it: `.spec.ports[port=80,protocol="TCP"]`.
fn render(path: &[String]) -> String {
    path.iter()
        .map(|p| {
            if let Some(f) = p.strip_prefix("f:") {
                return format!(".{f}");
            }
            let keys = p
                .strip_prefix("k:")
                .and_then(|k| serde_json::from_str::<serde_json::Map<String, Value>>(k).ok());
            match keys {
                Some(keys) => {
                    let parts: Vec<String> = keys.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    format!("[{}]", parts.join(","))
                }
                None => format!("[{}]", &p[2..]),
            }
        })
        .collect()
}

/// Whether a path names a list item itself rather than a field: both sides having
/// the item is no conflict, whatever its other fields hold.
fn is_item(path: &[String]) -> bool {
    path.last().is_some_and(|p| p.starts_with("k:"))
}

/// kube-apiserver's `getConflictMessage`: one conflict on one line; several grouped by
/// manager, managers in order.
fn conflict_message(conflicts: &[(String, String)]) -> String {
    if let [(m, f)] = conflicts {
        return format!("Apply failed with 1 conflict: conflict with {m}: {f}");
    }
    let mut by: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for (m, f) in conflicts {
        by.entry(m).or_default().push(f);
    }
    let lines: Vec<String> = by
        .iter()
        .flat_map(|(m, fs)| {
            std::iter::once(format!("conflicts with {m}:"))
                .chain(fs.iter().map(|f| format!("- {f}")))
        })
        .collect();
    format!(
        "Apply failed with {} conflicts: {}",
        conflicts.len(),
        lines.join("\n")
    )
}

/// What an apply request asks for.
pub struct ApplyRequest<'a> {
    /// The field manager (required for apply).
    pub manager: &'a str,
    /// Whether to take fields owned by other managers.
    pub force: bool,
    /// `"status"` for the status subresource, `""` otherwise.
    pub subresource: &'a str,
    /// The apiVersion recorded in managedFields.
    pub api_version: &'a str,
    /// The time recorded in managedFields.
    pub now: &'a str,
    /// The schema of the kind, if known.
    pub schema: Option<&'a Value>,
    /// Whether `status` is a reset field here (the main resource of a kind with a
    /// status subresource): nobody comes to own it by writing the main resource.
    pub reset_status: bool,
}

impl ApplyRequest<'_> {
    /// The fields of `obj` this request can come to own.
    fn owned_fields(&self, obj: &Value) -> FieldSet {
        let mut set = fields_of(obj, self.schema);
        if self.reset_status {
            set.retain(|p| p.first().map(String::as_str) != Some("f:status"));
        }
        set
    }
}

/// Applies `applied` to `base` (the live object, or a fresh skeleton on create) and
/// returns the result with its managedFields updated.
pub fn apply(base: &Value, applied: &Value, req: &ApplyRequest<'_>) -> Result<Value, ApiError> {
    let mut out = base.clone();
    let mut entries = read_entries(base);
    let new_set = req.owned_fields(applied);
    let mut conflicts = Vec::new();
    for e in entries
        .iter_mut()
        .filter(|e| e.manager != req.manager && e.subresource == req.subresource)
    {
        let clashing: Vec<Vec<String>> = new_set
            .intersection(&e.set)
            .filter(|p| !is_item(p) && value_at(base, p) != value_at(applied, p))
            .cloned()
            .collect();
        if req.force {
            for p in &clashing {
                e.set.remove(p);
            }
        } else {
            conflicts.extend(clashing.into_iter().map(|p| (who(e), render(&p))));
        }
    }
    if !conflicts.is_empty() {
        let mut err = ApiError::conflict_msg(conflict_message(&conflicts));
        let causes: Vec<Value> = conflicts
            .iter()
            .map(|(m, f)| json!({"reason": "FieldManagerConflict", "message": format!("conflict with {m}"), "field": f}))
            .collect();
        err.details = Some(json!({"causes": causes}));
        return Err(err);
    }
    let previous = entries
        .iter()
        .find(|e| {
            e.manager == req.manager && e.operation == "Apply" && e.subresource == req.subresource
        })
        .map(|e| e.set.clone())
        .unwrap_or_default();
    let mut removed: Vec<&Vec<String>> = previous
        .difference(&new_set)
        .filter(|p| {
            !entries
                .iter()
                .any(|e| e.manager != req.manager && e.set.contains(*p))
        })
        .collect();
    // Shortest first: a list item goes whole, with the defaults the server filled into
    // it, before its own fields are looked for (by then they are gone with it).
    removed.sort_by_key(|p| p.len());
    for p in removed {
        remove_at(&mut out, p);
    }
    merge_applied(&mut out, applied, "", req.schema);
    entry_for(
        &mut entries,
        req.manager,
        "Apply",
        req.subresource,
        req.api_version,
        req.now,
    )
    .set = new_set;
    write_entries(&mut out, entries);
    Ok(out)
}

/// Records an ordinary write (create, update, non-apply patch) by `manager`: the
/// fields it changed move to its `Update` entry.
pub fn record_update(old: Option<&Value>, new: &mut Value, req: &ApplyRequest<'_>) {
    // A client that sends managedFields different from the stored ones rewrites them
    // (as kubectl does when it migrates client-side apply to server-side apply).
    let rewritten = old.is_some_and(|o| {
        let sent = &new["metadata"]["managedFields"];
        !sent.is_null() && *sent != o["metadata"]["managedFields"]
    });
    let mut entries = if rewritten {
        read_entries(new)
    } else {
        read_entries(old.unwrap_or(new))
    };
    let changed: FieldSet = req
        .owned_fields(new)
        .into_iter()
        .filter(|p| {
            (req.subresource != "status" || p.first().map(String::as_str) == Some("f:status"))
                && old.is_none_or(|o| value_at(o, p) != value_at(new, p))
        })
        .collect();
    // A field the write removed is owned by nobody any more.
    let gone = |p: &Vec<String>| old.is_some() && value_at(new, p).is_none();
    let any_gone = entries.iter().any(|e| e.set.iter().any(gone));
    if changed.is_empty() && !any_gone {
        write_entries(new, entries);
        return;
    }
    for e in entries.iter_mut() {
        e.set.retain(|p| !changed.contains(p) && !gone(p));
    }
    if changed.is_empty() {
        write_entries(new, entries);
        return;
    }
    let e = entry_for(
        &mut entries,
        req.manager,
        "Update",
        req.subresource,
        req.api_version,
        req.now,
    );
    e.set.extend(changed);
    write_entries(new, entries);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(manager: &str, force: bool) -> ApplyRequest<'_> {
        ApplyRequest {
            manager,
            force,
            subresource: "",
            api_version: "v1",
            now: "t",
            schema: None,
            reset_status: false,
        }
    }

    #[test]
    fn applying_again_without_a_field_removes_it() {
        let base = json!({"metadata": {"name": "x"}});
        let one = apply(
            &base,
            &json!({"metadata": {"labels": {"a": "1", "b": "2"}}}),
            &req("m", false),
        )
        .expect("ok");
        let two = apply(
            &one,
            &json!({"metadata": {"labels": {"a": "1"}}}),
            &req("m", false),
        )
        .expect("ok");
        assert_eq!(two["metadata"]["labels"], json!({"a": "1"}));
        assert_eq!(two["metadata"]["managedFields"][0]["manager"], "m");
    }

    #[test]
    fn changing_a_field_owned_by_another_manager_conflicts_unless_forced() {
        let base = json!({"metadata": {"name": "x"}});
        let one = apply(&base, &json!({"spec": {"a": 1}}), &req("m1", false)).expect("ok");
        let err = apply(&one, &json!({"spec": {"a": 2}}), &req("m2", false)).expect_err("conflict");
        assert_eq!(err.code, 409);
        assert!(err.message.contains(".spec.a"), "{}", err.message);
        let same =
            apply(&one, &json!({"spec": {"a": 1}}), &req("m2", false)).expect("shared ownership");
        assert_eq!(same["spec"]["a"], 1);
        let forced = apply(&one, &json!({"spec": {"a": 2}}), &req("m2", true)).expect("forced");
        assert_eq!(forced["spec"]["a"], 2);
    }

    #[test]
    fn updates_take_ownership_of_the_fields_they_change() {
        let old = apply(
            &json!({}),
            &json!({"spec": {"a": 1, "b": 1}}),
            &req("m1", false),
        )
        .expect("ok");
        let mut new = old.clone();
        new["spec"]["a"] = json!(5);
        record_update(Some(&old), &mut new, &req("editor", false));
        let mf = new["metadata"]["managedFields"]
            .as_array()
            .expect("entries")
            .clone();
        assert_eq!(mf.len(), 2);
        assert_eq!(mf[1]["manager"], "editor");
        assert_eq!(mf[1]["fieldsV1"], json!({"f:spec": {"f:a": {}}}));
    }

    #[test]
    fn a_value_applied_by_two_managers_survives_when_one_stops_applying_it() {
        let one = apply(&json!({}), &json!({"data": {"x": "1"}}), &req("a", false)).expect("a");
        let two = apply(&one, &json!({"data": {"x": "1"}}), &req("b", false)).expect("b");
        let managers: Vec<&str> = two["metadata"]["managedFields"]
            .as_array()
            .expect("entries")
            .iter()
            .filter_map(|e| e["manager"].as_str())
            .collect();
        assert_eq!(managers, ["a", "b"]);
        let three = apply(&two, &json!({"data": {"y": "2"}}), &req("a", false)).expect("a again");
        assert_eq!(three["data"], json!({"x": "1", "y": "2"}), "b still owns x");
    }

    #[test]
    fn a_list_item_with_server_defaults_applied_again_by_another_manager_is_no_conflict() {
        let live = json!({"spec": {"ports": [{"port": 53, "protocol": "UDP", "targetPort": 53},
            {"port": 80, "protocol": "TCP", "targetPort": 80}]}});
        let one = apply(
            &live,
            &json!({"spec": {"ports": [{"port": 80}]}}),
            &req("a", false),
        )
        .expect("a");
        let fields = &one["metadata"]["managedFields"][0]["fieldsV1"]["f:spec"]["f:ports"];
        assert!(
            fields.get("k:{\"port\":80,\"protocol\":\"TCP\"}").is_some(),
            "{fields}"
        );
        apply(
            &one,
            &json!({"spec": {"ports": [{"port": 80}]}}),
            &req("b", false),
        )
        .expect("same item, no conflict");
        apply(
            &one,
            &json!({"spec": {"ports": [{"port": 80, "targetPort": 8080}]}}),
            &req("b", false),
        )
        .expect("targetPort is not owned by a");
        apply(
            &one,
            &json!({"spec": {"ports": [{"port": 53}]}}),
            &req("b", false),
        )
        .expect("TCP/53 is another item than UDP/53");
    }

    #[test]
    fn a_conflict_names_an_apply_manager_plainly_and_an_update_manager_with_its_version() {
        let base = apply(&json!({}), &json!({"spec": {"a": 1}}), &req("m1", false)).expect("ok");
        let err = apply(&base, &json!({"spec": {"a": 2}}), &req("m2", false)).expect_err("x");
        assert_eq!(
            err.message,
            "Apply failed with 1 conflict: conflict with \"m1\": .spec.a"
        );
        let mut edited = base.clone();
        edited["spec"]["b"] = json!(1);
        record_update(Some(&base), &mut edited, &req("editor", false));
        let err = apply(&edited, &json!({"spec": {"b": 2}}), &req("m2", false)).expect_err("x");
        assert_eq!(
            err.message,
            "Apply failed with 1 conflict: conflict with \"editor\" using v1: .spec.b"
        );
    }

    #[test]
    fn a_field_an_update_removes_is_owned_by_nobody() {
        let one = apply(
            &json!({}),
            &json!({"data": {"a": "1", "b": "2"}}),
            &req("m", false),
        )
        .expect("ok");
        let mut next = one.clone();
        next["data"] = json!({"b": "2"});
        record_update(Some(&one), &mut next, &req("editor", false));
        assert_eq!(
            next["metadata"]["managedFields"][0]["fieldsV1"],
            json!({"f:data": {"f:b": {}}})
        );
    }

    #[test]
    fn an_item_dropped_from_a_keyed_list_goes_whole_with_what_the_server_filled_in() {
        let two =
            json!({"spec": {"ports": [{"port": 80, "name": "a"}, {"port": 81, "name": "b"}]}});
        let mut live = apply(&json!({}), &two, &req("m", false)).expect("applied");
        // Defaults the server added after the apply, owned by nobody.
        for p in live["spec"]["ports"].as_array_mut().expect("ports") {
            p["protocol"] = json!("TCP");
            p["targetPort"] = p["port"].clone();
        }
        let one = json!({"spec": {"ports": [{"port": 80, "name": "a"}]}});
        let next = apply(&live, &one, &req("m", false)).expect("applied");
        assert_eq!(
            next["spec"]["ports"],
            json!([{"port": 80, "name": "a", "protocol": "TCP", "targetPort": 80}])
        );
    }

    #[test]
    fn writing_the_main_resource_owns_no_status_where_status_is_a_subresource() {
        let mut obj = json!({"spec": {"a": 1}, "status": {"conditions": []}});
        let main = ApplyRequest {
            reset_status: true,
            ..req("creator", false)
        };
        record_update(None, &mut obj, &main);
        assert_eq!(
            obj["metadata"]["managedFields"][0]["fieldsV1"],
            json!({"f:spec": {"f:a": {}}})
        );
    }

    #[test]
    fn several_conflicts_are_grouped_by_manager() {
        let c = |m: &str, f: &str| (format!("{m:?}"), f.to_string());
        let msg = conflict_message(&[c("m2", ".spec.a"), c("m1", ".spec.b"), c("m1", ".spec.c")]);
        assert_eq!(
            msg,
            "Apply failed with 3 conflicts: conflicts with \"m1\":\n- .spec.b\n- .spec.c\nconflicts with \"m2\":\n- .spec.a"
        );
    }
}
