//! Views of stored objects. Every object is stored once and shown at the version a
//! request asks for: custom resources get that `apiVersion`, and events, stored in
//! their core/v1 form, are converted to and from events.k8s.io/v1 (so `kubectl
//! describe` shows events that a kube-rs `Recorder` wrote, as on a real cluster).

use serde_json::{Map, Value, json};

use crate::resources::ResourceType;

/// core/v1 Event field ↔ events.k8s.io/v1 Event field.
const EVENT_FIELDS: &[(&str, &str)] = &[
    ("involvedObject", "regarding"),
    ("message", "note"),
    ("reportingComponent", "reportingController"),
    ("source", "deprecatedSource"),
    ("firstTimestamp", "deprecatedFirstTimestamp"),
    ("lastTimestamp", "deprecatedLastTimestamp"),
    ("count", "deprecatedCount"),
];

fn is_new_event(rt: &ResourceType) -> bool {
    !rt.custom && rt.group == "events.k8s.io" && rt.plural == "events"
}

/// Whether a resource is the core or the events.k8s.io Event (they share storage).
pub fn is_event(rt: &ResourceType) -> bool {
    !rt.custom && rt.plural == "events" && (rt.group.is_empty() || rt.group == "events.k8s.io")
}

fn rename(obj: &mut Map<String, Value>, from: &str, to: &str) {
    if let Some(v) = obj.remove(from) {
        obj.insert(to.to_string(), v);
    }
}

/// The `apiVersion` an object written through `rt` is stored with.
pub fn stored_api_version(rt: &ResourceType) -> String {
    if is_event(rt) {
        "v1".into()
    } else {
        rt.api_version()
    }
}

/// The stored-form path of a field selector path given for `rt`
/// (`regarding.name` on events.k8s.io is `involvedObject.name` in storage).
pub fn stored_field_path(rt: &ResourceType, path: &str) -> String {
    if is_new_event(rt) {
        for (core, new) in EVENT_FIELDS {
            if path == *new {
                return core.to_string();
            }
            if let Some(rest) = path.strip_prefix(&format!("{new}.")) {
                return format!("{core}.{rest}");
            }
        }
    }
    path.to_string()
}

/// The stored object as the resource `rt` shows it.
pub fn to_view(rt: &ResourceType, stored: &Value) -> Value {
    let mut o = stored.clone();
    if is_new_event(rt)
        && let Some(m) = o.as_object_mut()
    {
        for (core, new) in EVENT_FIELDS {
            rename(m, core, new);
        }
        if let Some(series) = m.get_mut("series").and_then(Value::as_object_mut) {
            series.remove("state");
        }
    }
    o["apiVersion"] = json!(rt.api_version());
    o
}

/// A request body for `rt`, turned into the stored form.
pub fn from_view(rt: &ResourceType, body: Value) -> Value {
    let mut o = body;
    if is_new_event(rt)
        && let Some(m) = o.as_object_mut()
    {
        for (core, new) in EVENT_FIELDS {
            rename(m, new, core);
        }
        m.insert("apiVersion".into(), json!("v1"));
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Registry;

    #[test]
    fn events_convert_between_core_and_events_k8s_io_both_ways() {
        let reg = Registry::default();
        let new = reg
            .find("events.k8s.io", "v1", "events")
            .expect("served")
            .clone();
        let core = reg.find("", "v1", "events").expect("served").clone();
        assert_eq!(new.storage_key(), core.storage_key());
        let body = json!({"kind": "Event", "regarding": {"kind": "HTTPRoute", "name": "web"}, "note": "hi", "reason": "Synced"});
        let stored = from_view(&new, body.clone());
        assert_eq!(stored["involvedObject"]["name"], "web");
        assert_eq!(stored["message"], "hi");
        let back = to_view(&new, &stored);
        assert_eq!(back["note"], "hi");
        assert_eq!(back["apiVersion"], "events.k8s.io/v1");
        assert_eq!(to_view(&core, &stored)["message"], "hi");
        assert_eq!(
            stored_field_path(&new, "regarding.name"),
            "involvedObject.name"
        );
        assert_eq!(
            stored_field_path(&core, "involvedObject.name"),
            "involvedObject.name"
        );
    }
}
