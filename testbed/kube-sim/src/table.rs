//! `meta.k8s.io/v1` `Table` responses, which `kubectl get` asks for, with the
//! CRD's `additionalPrinterColumns` evaluated by a small JSONPath subset.

use serde_json::{Value, json};

use crate::resources::{PrinterColumn, ResourceType};

/// Whether an `Accept` header asks for a Table.
pub fn wants_table(accept: &str) -> bool {
    accept
        .split(',')
        .next()
        .is_some_and(|first| first.contains("as=Table"))
}

/// Evaluates a JSONPath subset: `.a.b`, `.a[0]`, `.a[*].b`, `.a[?(@.k=="v")].b`.
pub fn jsonpath(obj: &Value, path: &str) -> Vec<Value> {
    let path = path
        .trim()
        .trim_start_matches('{')
        .trim_end_matches('}')
        .trim_start_matches('$');
    let mut cur = vec![obj.clone()];
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let field = &r[..end];
            cur = cur.iter().filter_map(|v| v.get(field).cloned()).collect();
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let Some(end) = r.find(']') else {
                return vec![];
            };
            let sel = &r[..end];
            rest = &r[end + 1..];
            let items: Vec<Value> = cur
                .iter()
                .flat_map(|v| v.as_array().cloned().unwrap_or_default())
                .collect();
            cur = if sel == "*" {
                items
            } else if let Ok(i) = sel.parse::<usize>() {
                cur.iter().filter_map(|v| v.get(i).cloned()).collect()
            } else if let Some(f) = sel.strip_prefix("?(@.").and_then(|f| f.strip_suffix(')')) {
                let (field, want) = f.split_once("==").unwrap_or((f, ""));
                let want = want.trim().trim_matches(|c| c == '"' || c == '\'');
                items
                    .into_iter()
                    .filter(|it| {
                        it.get(field.trim()).is_some_and(|x| match x {
                            Value::String(s) => s == want,
                            other => {
                                serde_json::from_str::<Value>(want).ok().as_ref() == Some(other)
                            }
                        })
                    })
                    .collect()
            } else {
                return vec![];
            };
        } else {
            return vec![];
        }
    }
    cur
}

/// Formats an age like kubectl does (`45s`, `3m20s`, `5h`, `12d`).
pub fn human_duration(secs: i64) -> String {
    if secs < 0 {
        return "0s".into();
    }
    let (m, h, d) = (secs / 60, secs / 3600, secs / 86400);
    match secs {
        s if s < 120 => format!("{s}s"),
        _ if m < 10 => match secs % 60 {
            0 => format!("{m}m"),
            s => format!("{m}m{s}s"),
        },
        _ if h < 3 => format!("{m}m"),
        _ if h < 8 => match m % 60 {
            0 => format!("{h}h"),
            mm => format!("{h}h{mm}m"),
        },
        _ if h < 48 => format!("{h}h"),
        _ if h < 192 => match h % 24 {
            0 => format!("{d}d"),
            hh => format!("{d}d{hh}h"),
        },
        _ if d < 730 => format!("{d}d"),
        _ => format!("{}y", d / 365),
    }
}

fn age(ts: &str) -> Value {
    match chrono::DateTime::parse_from_rfc3339(ts) {
        Ok(t) => json!(human_duration(
            (chrono::Utc::now() - t.with_timezone(&chrono::Utc)).num_seconds()
        )),
        Err(_) => json!("<unknown>"),
    }
}

fn columns(rt: &ResourceType) -> Vec<PrinterColumn> {
    let col = |name: &str, t: &str, p: &str| PrinterColumn {
        name: name.into(),
        type_: t.into(),
        json_path: p.into(),
        priority: 0,
    };
    if !rt.printer_columns.is_empty() {
        return rt.printer_columns.clone();
    }
    match (rt.group.as_str(), rt.plural.as_str()) {
        ("apiextensions.k8s.io", "customresourcedefinitions") => {
            vec![col("Created At", "string", ".metadata.creationTimestamp")]
        }
        ("", "namespaces") => vec![
            col("Status", "string", ".status.phase"),
            col("Age", "date", ".metadata.creationTimestamp"),
        ],
        ("", "services") => vec![
            col("Type", "string", ".spec.type"),
            col("Cluster-IP", "string", ".spec.clusterIP"),
            col("External-IP", "string", COMPUTED_EXTERNAL_IP),
            col("Port(s)", "string", COMPUTED_PORTS),
            col("Age", "date", ".metadata.creationTimestamp"),
            wide(col("Selector", "string", COMPUTED_SELECTOR)),
        ],
        ("", "pods") => vec![
            col("Ready", "string", COMPUTED_POD_READY),
            col("Status", "string", ".status.phase"),
            col("Restarts", "string", COMPUTED_POD_RESTARTS),
            col("Age", "date", ".metadata.creationTimestamp"),
        ],
        ("", "configmaps") => vec![
            col("Data", "integer", COMPUTED_DATA),
            col("Age", "date", ".metadata.creationTimestamp"),
        ],
        ("", "secrets") => vec![
            col("Type", "string", ".type"),
            col("Data", "integer", COMPUTED_DATA),
            col("Age", "date", ".metadata.creationTimestamp"),
        ],
        ("apps", "deployments") => vec![
            col("Ready", "string", COMPUTED_DEPLOY_READY),
            col("Up-to-date", "integer", COMPUTED_UPDATED),
            col("Available", "integer", COMPUTED_AVAILABLE),
            col("Age", "date", ".metadata.creationTimestamp"),
        ],
        _ => vec![col("Age", "date", ".metadata.creationTimestamp")],
    }
}

fn wide(mut c: PrinterColumn) -> PrinterColumn {
    c.priority = 1;
    c
}

// Columns kube-apiserver's printers compute rather than read at one path.
const COMPUTED_EXTERNAL_IP: &str = "=external-ip";
const COMPUTED_PORTS: &str = "=ports";
const COMPUTED_SELECTOR: &str = "=selector";
const COMPUTED_POD_READY: &str = "=pod-ready";
const COMPUTED_POD_RESTARTS: &str = "=pod-restarts";
const COMPUTED_DATA: &str = "=data";
const COMPUTED_DEPLOY_READY: &str = "=deploy-ready";
const COMPUTED_UPDATED: &str = "=updated";
const COMPUTED_AVAILABLE: &str = "=available";

fn count(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

/// A cell the built-in printers compute, as `kubectl get` shows it.
fn computed(obj: &Value, which: &str) -> Value {
    let spec = &obj["spec"];
    match which {
        COMPUTED_EXTERNAL_IP => {
            let mut ips = crate::meta::strings(&spec["externalIPs"]);
            for ing in obj["status"]["loadBalancer"]["ingress"]
                .as_array()
                .into_iter()
                .flatten()
            {
                if let Some(x) = ing["ip"].as_str().or(ing["hostname"].as_str()) {
                    ips.push(x.to_string());
                }
            }
            match (spec["type"].as_str(), ips.is_empty()) {
                (Some("ExternalName"), _) => spec["externalName"].clone(),
                (Some("LoadBalancer"), true) => json!("<pending>"),
                (_, true) => json!("<none>"),
                (_, false) => json!(ips.join(",")),
            }
        }
        COMPUTED_PORTS => {
            let ports: Vec<String> = spec["ports"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| {
                    let proto = p["protocol"].as_str().unwrap_or("TCP");
                    match p["nodePort"].as_i64() {
                        Some(np) => format!("{}:{np}/{proto}", p["port"]),
                        None => format!("{}/{proto}", p["port"]),
                    }
                })
                .collect();
            json!(if ports.is_empty() {
                "<none>".to_string()
            } else {
                ports.join(",")
            })
        }
        COMPUTED_SELECTOR => {
            let sel: Vec<String> = spec["selector"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect();
            json!(if sel.is_empty() {
                "<none>".to_string()
            } else {
                sel.join(",")
            })
        }
        COMPUTED_POD_READY => {
            let total = spec["containers"].as_array().map_or(0, Vec::len);
            let ready = obj["status"]["containerStatuses"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|c| c["ready"] == true)
                .count();
            json!(format!("{ready}/{total}"))
        }
        COMPUTED_POD_RESTARTS => {
            let n: i64 = obj["status"]["containerStatuses"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| count(&c["restartCount"]))
                .sum();
            json!(n.to_string())
        }
        COMPUTED_DATA => {
            let n = |k: &str| obj[k].as_object().map_or(0, |m| m.len());
            json!(n("data") + n("binaryData"))
        }
        COMPUTED_DEPLOY_READY => json!(format!(
            "{}/{}",
            count(&obj["status"]["readyReplicas"]),
            spec["replicas"].as_i64().unwrap_or(1)
        )),
        COMPUTED_UPDATED => json!(count(&obj["status"]["updatedReplicas"])),
        COMPUTED_AVAILABLE => json!(count(&obj["status"]["availableReplicas"])),
        _ => Value::Null,
    }
}

fn cell(obj: &Value, c: &PrinterColumn) -> Value {
    if c.json_path.starts_with('=') {
        return computed(obj, &c.json_path);
    }
    let vals = jsonpath(obj, &c.json_path);
    if c.type_ == "date" {
        return vals
            .first()
            .and_then(Value::as_str)
            .map(age)
            .unwrap_or(Value::Null);
    }
    match vals.as_slice() {
        [] => Value::Null,
        [Value::Array(a)] => json!(Value::Array(a.clone()).to_string()),
        [Value::Object(o)] => json!(Value::Object(o.clone()).to_string()),
        [v] => v.clone(),
        many => json!(
            many.iter()
                .map(|v| v
                    .as_str()
                    .map(String::from)
                    .unwrap_or_else(|| v.to_string()))
                .collect::<Vec<_>>()
                .join(",")
        ),
    }
}

/// The columns `kubectl get events` shows (name, priority), in the server's order.
const EVENT_COLUMNS: [(&str, u8); 6] = [
    ("Last Seen", 0),
    ("Type", 0),
    ("Reason", 0),
    ("Object", 0),
    ("Message", 0),
    ("Name", 1),
];

/// Cells of a (core/v1, stored-form) Event, in `EVENT_COLUMNS` order.
fn event_cells(e: &Value) -> Vec<Value> {
    let seen = [
        &e["series"]["lastObservedTime"],
        &e["lastTimestamp"],
        &e["eventTime"],
        &e["metadata"]["creationTimestamp"],
    ]
    .into_iter()
    .find_map(Value::as_str)
    .map(age)
    .unwrap_or(Value::Null);
    let object = format!(
        "{}/{}",
        e["involvedObject"]["kind"]
            .as_str()
            .unwrap_or_default()
            .to_ascii_lowercase(),
        e["involvedObject"]["name"].as_str().unwrap_or_default()
    );
    vec![
        seen,
        e["type"].clone(),
        e["reason"].clone(),
        json!(object),
        e["message"].clone(),
        e["metadata"]["name"].clone(),
    ]
}

/// One Table row for an object; `include` is the `includeObject` parameter.
pub fn row(rt: &ResourceType, obj: &Value, include: &str) -> Value {
    let cells = if crate::convert::is_event(rt) {
        event_cells(obj)
    } else {
        let mut cells = vec![obj["metadata"]["name"].clone()];
        cells.extend(columns(rt).iter().map(|c| cell(obj, c)));
        cells
    };
    let object = match include {
        "None" => Value::Null,
        "Object" => obj.clone(),
        _ => {
            json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]})
        }
    };
    json!({"cells": cells, "object": object})
}

/// A Table of objects, with the list metadata given.
pub fn table(rt: &ResourceType, objs: &[Value], include: &str, list_meta: Value) -> Value {
    let rows: Vec<Value> = objs.iter().map(|o| row(rt, o, include)).collect();
    if crate::convert::is_event(rt) {
        let defs: Vec<Value> = EVENT_COLUMNS
            .iter()
            .map(|(n, p)| json!({"name": n, "type": "string", "format": "", "description": "", "priority": p}))
            .collect();
        return json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta, "columnDefinitions": defs, "rows": rows});
    }
    let mut defs = vec![
        json!({"name": "Name", "type": "string", "format": "name", "description": "Name must be unique within a namespace.", "priority": 0}),
    ];
    defs.extend(columns(rt).iter().map(|c| json!({"name": c.name, "type": c.type_, "format": "", "description": "", "priority": c.priority})));
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta, "columnDefinitions": defs, "rows": rows})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonpath_follows_fields_indexes_wildcards_and_filters() {
        let o = json!({"spec": {"hostnames": ["a", "b"]}, "status": {"conditions": [
            {"type": "Accepted", "status": "True"}, {"type": "Programmed", "status": "False"}]}});
        assert_eq!(jsonpath(&o, ".spec.hostnames"), vec![json!(["a", "b"])]);
        assert_eq!(jsonpath(&o, ".spec.hostnames[1]"), vec![json!("b")]);
        assert_eq!(jsonpath(&o, ".status.conditions[*].type").len(), 2);
        assert_eq!(
            jsonpath(&o, ".status.conditions[?(@.type==\"Programmed\")].status"),
            vec![json!("False")]
        );
        assert!(jsonpath(&o, ".nope.x").is_empty());
    }

    #[test]
    fn ages_are_printed_like_kubectl_prints_them() {
        assert_eq!(human_duration(5), "5s");
        assert_eq!(human_duration(200), "3m20s");
        assert_eq!(human_duration(3600 * 5 + 60), "5h1m");
        assert_eq!(human_duration(86400 * 3), "3d");
    }
}
