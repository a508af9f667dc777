//! The schemas of the built-in kinds, from k8s-openapi, so that a built-in object is
//! decoded as kube-apiserver decodes it into its Go type: a field of the wrong JSON
//! type is a 400 (`json: cannot unmarshal ...`), and an unknown field is dropped, or a
//! 400 `strict decoding error` under `fieldValidation=Strict` (what kubectl sends).

use std::sync::OnceLock;

use schemars::JsonSchema;
use serde_json::{Map, Value};

use crate::ops::FieldValidation;
use crate::resources::ResourceType;
use crate::status::ApiError;

/// The schema with every `$ref` inlined and descriptions dropped; each object or list
/// schema that came from a named type keeps the Go name of it as `x-go-type`.
fn inline<T: JsonSchema>() -> Value {
    let root = serde_json::to_value(schemars::schema_for!(T)).unwrap_or_default();
    let defs = root.get("$defs").cloned().unwrap_or_default();
    let mut stack = Vec::new();
    resolve(&root, &defs, &mut stack)
}

/// `io.k8s.api.core.v1.ServiceSpec` as Go prints it: `v1.ServiceSpec`.
fn go_name(def: &str) -> String {
    let mut parts = def.rsplit('.');
    match (parts.next(), parts.next()) {
        (Some(t), Some(pkg)) => format!("{pkg}.{t}"),
        _ => def.to_string(),
    }
}

fn resolve(s: &Value, defs: &Value, stack: &mut Vec<String>) -> Value {
    let Value::Object(m) = s else {
        return s.clone();
    };
    if let Some(r) = m.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/$defs/").to_string();
        // A type that contains itself is taken as it comes.
        if stack.contains(&name) {
            return serde_json::json!({"x-kubernetes-preserve-unknown-fields": true});
        }
        let Some(def) = defs.get(&name) else {
            return serde_json::json!({"x-kubernetes-preserve-unknown-fields": true});
        };
        stack.push(name.clone());
        let mut out = resolve(def, defs, stack);
        stack.pop();
        if let Some(o) = out.as_object_mut() {
            o.insert("x-go-type".into(), Value::String(go_name(&name)));
        }
        return out;
    }
    let mut out = Map::new();
    for (k, v) in m {
        match k.as_str() {
            "description" | "$schema" | "$defs" | "title" => {}
            "properties" => {
                let props = v
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(pk, pv)| (pk.clone(), resolve(pv, defs, stack)))
                    .collect();
                out.insert(k.clone(), Value::Object(props));
            }
            "items" | "additionalProperties" => {
                out.insert(k.clone(), resolve(v, defs, stack));
            }
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    Value::Object(out)
}

/// A built-in kind decoded as typed: its group, kind and the schema of its Go type.
type Kind = (&'static str, &'static str, fn() -> Value);

fn typed<T: JsonSchema + k8s_openapi::Resource>() -> Kind {
    (T::GROUP, T::KIND, inline::<T>)
}

const KINDS: usize = 25;

fn kinds() -> [Kind; KINDS] {
    use k8s_openapi::api::{apps::v1 as apps, batch::v1 as batch, coordination::v1 as coord};
    use k8s_openapi::api::{core::v1 as core, discovery::v1 as disc};
    use k8s_openapi::api::{networking::v1 as net, policy::v1 as policy, rbac::v1 as rbac};
    [
        typed::<core::Namespace>(),
        typed::<core::Service>(),
        typed::<core::Pod>(),
        typed::<core::ConfigMap>(),
        typed::<core::Secret>(),
        typed::<core::Endpoints>(),
        typed::<core::ServiceAccount>(),
        typed::<core::PersistentVolumeClaim>(),
        typed::<core::PersistentVolume>(),
        typed::<core::Node>(),
        typed::<core::ReplicationController>(),
        typed::<batch::Job>(),
        typed::<batch::CronJob>(),
        typed::<net::Ingress>(),
        typed::<policy::PodDisruptionBudget>(),
        typed::<apps::Deployment>(),
        typed::<apps::ReplicaSet>(),
        typed::<apps::StatefulSet>(),
        typed::<apps::DaemonSet>(),
        typed::<coord::Lease>(),
        typed::<disc::EndpointSlice>(),
        typed::<rbac::Role>(),
        typed::<rbac::RoleBinding>(),
        typed::<rbac::ClusterRole>(),
        typed::<rbac::ClusterRoleBinding>(),
    ]
}

/// The schema of a built-in kind kube-sim decodes as typed, built the first time it
/// is asked for; `None` for custom resources and for the kinds it stores as sent
/// (Events, CRDs, admission policies).
pub fn get(rt: &ResourceType) -> Option<&'static Value> {
    static BUILT: [OnceLock<Value>; KINDS] = [const { OnceLock::new() }; KINDS];
    if rt.custom {
        return None;
    }
    let (i, (_, _, make)) = kinds()
        .into_iter()
        .enumerate()
        .find(|(_, (g, k, _))| *g == rt.group && *k == rt.kind)?;
    Some(BUILT[i].get_or_init(make))
}

/// The JSON type as Go's decoder names it in an error (`number 1` with its value).
fn json_type(v: &Value) -> String {
    match v {
        Value::Number(n) => format!("number {n}"),
        other => crate::ops::json_type(other).to_string(),
    }
}

/// The Go type a schema decodes into, as `encoding/json` names it.
fn go_type(s: &Value) -> String {
    if let Some(t) = s.get("x-go-type").and_then(Value::as_str) {
        return t.to_string();
    }
    match (
        s.get("type").and_then(Value::as_str),
        s.get("format").and_then(Value::as_str),
    ) {
        (Some("integer"), Some(f)) => f.to_string(),
        (Some("integer"), None) => "int".into(),
        (Some("number"), _) => "float64".into(),
        (Some("boolean"), _) => "bool".into(),
        (Some("string"), _) => "string".into(),
        (Some("array"), _) => format!("[]{}", s.get("items").map(go_type).unwrap_or_default()),
        (Some("object"), _) => match s.get("additionalProperties") {
            Some(a) => format!("map[string]{}", go_type(a)),
            None => "map[string]interface {}".into(),
        },
        _ => "interface {}".into(),
    }
}

fn fits(v: &Value, s: &Value) -> bool {
    if v.is_null() || s.get("x-kubernetes-int-or-string").is_some() {
        return v.is_null() || v.is_string() || v.is_number();
    }
    match s.get("type").and_then(Value::as_str) {
        Some("string") => v.is_string(),
        Some("boolean") => v.is_boolean(),
        Some("integer") => v.is_i64() || v.is_u64(),
        Some("number") => v.is_number(),
        Some("array") => v.is_array(),
        Some("object") => v.is_object(),
        _ => true,
    }
}

const QUANTITY: &str = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$";

/// What Go's decoder says of a string its type cannot parse: base64 `[]byte` fields
/// and `resource.Quantity`.
fn unparsable(v: &str, s: &Value) -> Option<String> {
    use base64::Engine;
    if s.get("format").and_then(Value::as_str) == Some("byte")
        && base64::engine::general_purpose::STANDARD.decode(v).is_err()
    {
        let at = v
            .bytes()
            .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')))
            .unwrap_or(v.len().saturating_sub(1) / 4 * 4);
        return Some(format!("illegal base64 data at input byte {at}"));
    }
    if s.get("x-go-type").and_then(Value::as_str) == Some("resource.Quantity") {
        static RE: OnceLock<Option<regex_lite::Regex>> = OnceLock::new();
        let re = RE
            .get_or_init(|| regex_lite::Regex::new(QUANTITY).ok())
            .as_ref()?;
        if !re.is_match(v) {
            return Some(format!(
                "quantities must match the regular expression '{QUANTITY}'"
            ));
        }
    }
    None
}

/// The first value of the wrong JSON type, as `encoding/json` reports it: the
/// innermost Go struct, the dotted path from the root, and the wanted type.
fn mismatch(v: &Value, s: &Value, owner: &str, path: &str) -> Option<String> {
    if !fits(v, s) {
        return Some(format!(
            "json: cannot unmarshal {} into Go struct field {owner}.{path} of type {}",
            json_type(v),
            go_type(s)
        ));
    }
    let owner = s
        .get("x-go-type")
        .and_then(Value::as_str)
        .filter(|_| v.is_object())
        .map(|t| t.rsplit('.').next().unwrap_or(t).to_string())
        .unwrap_or_else(|| owner.to_string());
    match v {
        Value::String(st) => unparsable(st, s),
        Value::Object(m) => {
            let props = s.get("properties").and_then(Value::as_object);
            let extra = s.get("additionalProperties");
            // Go names a struct field by its path; a map entry by its map's.
            m.iter()
                .find_map(|(k, child)| match props.and_then(|p| p.get(k)) {
                    Some(cs) => mismatch(child, cs, &owner, &crate::validate::join(path, k)),
                    None => mismatch(child, extra?, &owner, path),
                })
        }
        Value::Array(items) => {
            let is = s.get("items")?;
            items.iter().find_map(|it| mismatch(it, is, &owner, path))
        }
        _ => None,
    }
}

/// Decodes a built-in object as kube-apiserver would: 400 for a value of the wrong
/// type; unknown fields dropped, and refused or reported as `validation` asks.
pub fn decode(
    rt: &ResourceType,
    obj: &mut Value,
    validation: FieldValidation,
) -> Result<(), ApiError> {
    let Some(schema) = get(rt) else {
        return Ok(());
    };
    if let Some(m) = mismatch(obj, schema, &rt.kind, "") {
        return Err(ApiError::bad_request(format!(
            "{kind} in version \"{v}\" cannot be handled as a {kind}: {m}",
            kind = rt.kind,
            v = rt.version
        )));
    }
    // An error ends the request, so what was pruned by then is never stored.
    let unknown = crate::defaults::prune(obj, schema);
    validation.unknown_fields(&rt.kind, &rt.version, &unknown)?;
    quantities_as_strings(obj, schema);
    Ok(())
}

/// A quantity given as a JSON number is stored as the string Go's `Quantity` writes
/// (`1`, `500m`, `2k`): typed clients read quantities as strings only.
fn quantities_as_strings(v: &mut Value, s: &Value) {
    match v {
        Value::Number(n)
            if s.get("x-go-type").and_then(Value::as_str) == Some("resource.Quantity") =>
        {
            *v = Value::String(canonical_quantity(n));
        }
        _ => crate::defaults::for_each_child(v, s, quantities_as_strings),
    }
}

/// A number in the decimal-SI canonical form: an integer mantissa with the largest
/// suffix that keeps it whole (`1500m`, `2k`), rounded up to nano units.
fn canonical_quantity(n: &serde_json::Number) -> String {
    const SUFFIXES: [(i32, &str); 10] = [
        (18, "E"),
        (15, "P"),
        (12, "T"),
        (9, "G"),
        (6, "M"),
        (3, "k"),
        (0, ""),
        (-3, "m"),
        (-6, "u"),
        (-9, "n"),
    ];
    let nanos: i128 = match n.as_i64() {
        Some(i) => i128::from(i) * 1_000_000_000,
        None => (n.as_f64().unwrap_or_default() * 1e9).ceil() as i128,
    };
    if nanos == 0 {
        return "0".into();
    }
    for (exp, suffix) in SUFFIXES {
        let unit = 10i128.pow((exp + 9) as u32);
        if nanos % unit == 0 {
            return format!("{}{suffix}", nanos / unit);
        }
    }
    format!("{nanos}n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rt(kind: &str) -> ResourceType {
        crate::resources::builtins()
            .into_iter()
            .find(|t| t.kind == kind && t.group.is_empty())
            .expect("built-in")
    }

    #[test]
    fn a_value_of_the_wrong_type_is_refused_as_go_would_refuse_it() {
        let mut cm = json!({"metadata": {"name": "c"}, "data": {"a": 1}});
        let err = decode(&rt("ConfigMap"), &mut cm, FieldValidation::Ignore)
            .expect_err("int in a string map");
        assert_eq!(
            err.message,
            "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal number 1 into Go struct field ConfigMap.data of type string"
        );
        let mut svc = json!({"spec": {"ports": [{"port": "80"}]}});
        let err =
            decode(&rt("Service"), &mut svc, FieldValidation::Ignore).expect_err("string port");
        assert!(
            err.message.ends_with(
                "json: cannot unmarshal string into Go struct field ServicePort.spec.ports.port of type int32"
            ),
            "{}",
            err.message
        );
        let mut ok = json!({"spec": {"ports": [{"port": 80, "targetPort": "http"}]}});
        decode(&rt("Service"), &mut ok, FieldValidation::Ignore).expect("int-or-string");
    }

    #[test]
    fn strings_go_cannot_parse_into_their_types_are_refused() {
        let mut secret = json!({"data": {"a": "not base64!"}});
        let err = decode(&rt("Secret"), &mut secret, FieldValidation::Ignore).expect_err("b64");
        assert!(
            err.message.ends_with("illegal base64 data at input byte 3"),
            "{}",
            err.message
        );
        let mut pod = json!({"spec": {"containers": [{"name": "a",
            "resources": {"limits": {"cpu": "abc"}}}]}});
        let err = decode(&rt("Pod"), &mut pod, FieldValidation::Ignore).expect_err("quantity");
        assert!(
            err.message.contains("quantities must match"),
            "{}",
            err.message
        );
        let mut ok = json!({"data": {"a": "cHc="}});
        decode(&rt("Secret"), &mut ok, FieldValidation::Strict).expect("base64");
    }

    #[test]
    fn quantities_given_as_numbers_are_stored_as_go_writes_them() {
        let mut pod = json!({"spec": {"containers": [{"name": "a",
            "resources": {"limits": {"cpu": 1, "memory": 2000, "nvidia.com/gpu": 1},
                "requests": {"cpu": 0.5, "ephemeral-storage": 1000000000, "memory": "1Gi"}}}]}});
        decode(&rt("Pod"), &mut pod, FieldValidation::Strict).expect("decoded");
        let r = &pod["spec"]["containers"][0]["resources"];
        assert_eq!(
            r["limits"],
            json!({"cpu": "1", "memory": "2k", "nvidia.com/gpu": "1"})
        );
        assert_eq!(
            r["requests"],
            json!({"cpu": "500m", "ephemeral-storage": "1G", "memory": "1Gi"})
        );
    }

    #[test]
    fn unknown_fields_are_dropped_or_refused_when_strict() {
        let typo = json!({"metadata": {"name": "web"}, "spec": {"prots": [{"port": 80}]}});
        let mut lax = typo.clone();
        decode(&rt("Service"), &mut lax, FieldValidation::Ignore).expect("pruned");
        assert_eq!(lax, json!({"metadata": {"name": "web"}, "spec": {}}));
        let mut strict = typo.clone();
        let err = decode(&rt("Service"), &mut strict, FieldValidation::Strict).expect_err("strict");
        assert_eq!(
            err.message,
            "Service in version \"v1\" cannot be handled as a Service: strict decoding error: unknown field \"spec.prots\""
        );
        let mut pod = json!({"spec": {"containers": [{"name": "a", "image": "x",
            "resources": {"limits": {"cpu": 1, "memory": "1Gi"}}}]}});
        decode(&rt("Pod"), &mut pod, FieldValidation::Strict).expect("quantities may be numbers");
    }
}
