//! Decoding of the Kubernetes protobuf encoding for the built-in kinds that kubectl's
//! generators send that way (`kubectl create namespace|configmap|secret|service|
//! serviceaccount|deployment|role|clusterrole|rolebinding|clusterrolebinding`), with
//! the fields those generators can set. Other kinds sent as protobuf get 415, and
//! clients that send JSON (kubectl apply, kube-rs, the Python client) never need this.

use base64::Engine;
use serde_json::{Map, Value, json};

use crate::status::ApiError;

/// How a field is decoded.
#[derive(Clone, Copy)]
enum F {
    Str,
    Int,
    Bool,
    Msg(&'static [(u64, &'static str, F)]),
    RepStr,
    RepMsg(&'static [(u64, &'static str, F)]),
    MapStr,
    MapBytes,
    IntOrString,
}

const OWNER_REF: &[(u64, &str, F)] = &[
    (1, "kind", F::Str),
    (3, "name", F::Str),
    (4, "uid", F::Str),
    (5, "apiVersion", F::Str),
    (6, "controller", F::Bool),
    (7, "blockOwnerDeletion", F::Bool),
];
const OBJECT_META: &[(u64, &str, F)] = &[
    (1, "name", F::Str),
    (2, "generateName", F::Str),
    (3, "namespace", F::Str),
    (5, "uid", F::Str),
    (6, "resourceVersion", F::Str),
    (7, "generation", F::Int),
    (11, "labels", F::MapStr),
    (12, "annotations", F::MapStr),
    (13, "ownerReferences", F::RepMsg(OWNER_REF)),
    (14, "finalizers", F::RepStr),
];
const CONFIG_MAP: &[(u64, &str, F)] = &[
    (1, "metadata", F::Msg(OBJECT_META)),
    (2, "data", F::MapStr),
    (3, "binaryData", F::MapBytes),
    (4, "immutable", F::Bool),
];
const SECRET: &[(u64, &str, F)] = &[
    (1, "metadata", F::Msg(OBJECT_META)),
    (2, "data", F::MapBytes),
    (3, "type", F::Str),
    (4, "stringData", F::MapStr),
    (5, "immutable", F::Bool),
];
const NAMESPACE: &[(u64, &str, F)] = &[
    (1, "metadata", F::Msg(OBJECT_META)),
    (2, "spec", F::Msg(&[(1, "finalizers", F::RepStr)])),
];
const SERVICE_PORT: &[(u64, &str, F)] = &[
    (1, "name", F::Str),
    (2, "protocol", F::Str),
    (3, "port", F::Int),
    (4, "targetPort", F::IntOrString),
    (5, "nodePort", F::Int),
    (6, "appProtocol", F::Str),
];
const SERVICE_SPEC: &[(u64, &str, F)] = &[
    (1, "ports", F::RepMsg(SERVICE_PORT)),
    (2, "selector", F::MapStr),
    (3, "clusterIP", F::Str),
    (4, "type", F::Str),
    (7, "sessionAffinity", F::Str),
    (10, "externalName", F::Str),
];
const SERVICE: &[(u64, &str, F)] = &[
    (1, "metadata", F::Msg(OBJECT_META)),
    (2, "spec", F::Msg(SERVICE_SPEC)),
];

const LOCAL_REF: &[(u64, &str, F)] = &[(1, "name", F::Str)];
const OBJECT_REF: &[(u64, &str, F)] = &[
    (1, "kind", F::Str),
    (2, "namespace", F::Str),
    (3, "name", F::Str),
    (4, "uid", F::Str),
    (5, "apiVersion", F::Str),
];
const SERVICE_ACCOUNT: &[(u64, &str, F)] = &[
    (1, "metadata", F::Msg(OBJECT_META)),
    (2, "secrets", F::RepMsg(OBJECT_REF)),
    (3, "imagePullSecrets", F::RepMsg(LOCAL_REF)),
    (4, "automountServiceAccountToken", F::Bool),
];
const POLICY_RULE: &[(u64, &str, F)] = &[
    (1, "verbs", F::RepStr),
    (2, "apiGroups", F::RepStr),
    (3, "resources", F::RepStr),
    (4, "resourceNames", F::RepStr),
    (5, "nonResourceURLs", F::RepStr),
];
const LABEL_SELECTOR: &[(u64, &str, F)] = &[
    (1, "matchLabels", F::MapStr),
    (
        2,
        "matchExpressions",
        F::RepMsg(&[
            (1, "key", F::Str),
            (2, "operator", F::Str),
            (3, "values", F::RepStr),
        ]),
    ),
];
const ROLE: &[(u64, &str, F)] = &[
    (1, "metadata", F::Msg(OBJECT_META)),
    (2, "rules", F::RepMsg(POLICY_RULE)),
    (
        3,
        "aggregationRule",
        F::Msg(&[(1, "clusterRoleSelectors", F::RepMsg(LABEL_SELECTOR))]),
    ),
];
const ROLE_BINDING: &[(u64, &str, F)] = &[
    (1, "metadata", F::Msg(OBJECT_META)),
    (
        2,
        "subjects",
        F::RepMsg(&[
            (1, "kind", F::Str),
            (2, "apiGroup", F::Str),
            (3, "name", F::Str),
            (4, "namespace", F::Str),
        ]),
    ),
    (
        3,
        "roleRef",
        F::Msg(&[
            (1, "apiGroup", F::Str),
            (2, "kind", F::Str),
            (3, "name", F::Str),
        ]),
    ),
];
const CONTAINER: &[(u64, &str, F)] = &[
    (1, "name", F::Str),
    (2, "image", F::Str),
    (3, "command", F::RepStr),
    (4, "args", F::RepStr),
    (5, "workingDir", F::Str),
    (
        6,
        "ports",
        F::RepMsg(&[
            (1, "name", F::Str),
            (2, "hostPort", F::Int),
            (3, "containerPort", F::Int),
            (4, "protocol", F::Str),
            (5, "hostIP", F::Str),
        ]),
    ),
    (
        7,
        "env",
        F::RepMsg(&[(1, "name", F::Str), (2, "value", F::Str)]),
    ),
    (8, "resources", F::Msg(&[])),
    (14, "imagePullPolicy", F::Str),
];
const POD_SPEC: &[(u64, &str, F)] = &[
    (2, "containers", F::RepMsg(CONTAINER)),
    (3, "restartPolicy", F::Str),
    (8, "serviceAccountName", F::Str),
    (20, "initContainers", F::RepMsg(CONTAINER)),
];
const DEPLOYMENT: &[(u64, &str, F)] = &[
    (1, "metadata", F::Msg(OBJECT_META)),
    (
        2,
        "spec",
        F::Msg(&[
            (1, "replicas", F::Int),
            (2, "selector", F::Msg(LABEL_SELECTOR)),
            (
                3,
                "template",
                F::Msg(&[
                    (1, "metadata", F::Msg(OBJECT_META)),
                    (2, "spec", F::Msg(POD_SPEC)),
                ]),
            ),
            (4, "strategy", F::Msg(&[(1, "type", F::Str)])),
            (5, "minReadySeconds", F::Int),
            (6, "revisionHistoryLimit", F::Int),
            (7, "paused", F::Bool),
            (9, "progressDeadlineSeconds", F::Int),
        ]),
    ),
];

enum Wire<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
}

fn bad(what: &str) -> ApiError {
    ApiError::bad_request(format!("failed to decode protobuf body: {what}"))
}

fn varint(b: &[u8], pos: &mut usize) -> Result<u64, ApiError> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*pos).ok_or_else(|| bad("truncated varint"))?;
        *pos += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(bad("varint too long"))
}

fn fields(b: &[u8]) -> Result<Vec<(u64, Wire<'_>)>, ApiError> {
    let (mut out, mut pos) = (Vec::new(), 0);
    while pos < b.len() {
        let key = varint(b, &mut pos)?;
        let wire = match key & 7 {
            0 => Wire::Varint(varint(b, &mut pos)?),
            2 => {
                let len = usize::try_from(varint(b, &mut pos)?).map_err(|_| bad("length"))?;
                let end = pos
                    .checked_add(len)
                    .filter(|e| *e <= b.len())
                    .ok_or_else(|| bad("truncated field"))?;
                let s = &b[pos..end];
                pos = end;
                Wire::Bytes(s)
            }
            1 => {
                pos += 8;
                continue;
            }
            5 => {
                pos += 4;
                continue;
            }
            _ => return Err(bad("unsupported wire type")),
        };
        out.push((key >> 3, wire));
    }
    Ok(out)
}

fn text(b: &[u8]) -> Result<String, ApiError> {
    String::from_utf8(b.to_vec()).map_err(|_| bad("invalid UTF-8"))
}

fn entry(b: &[u8], bytes_value: bool) -> Result<(String, Value), ApiError> {
    let (mut k, mut v) = (String::new(), json!(""));
    for (n, w) in fields(b)? {
        match (n, w) {
            (1, Wire::Bytes(s)) => k = text(s)?,
            (2, Wire::Bytes(s)) if bytes_value => {
                v = json!(base64::engine::general_purpose::STANDARD.encode(s))
            }
            (2, Wire::Bytes(s)) => v = json!(text(s)?),
            _ => {}
        }
    }
    Ok((k, v))
}

fn message(b: &[u8], desc: &[(u64, &str, F)]) -> Result<Value, ApiError> {
    let mut out = Map::new();
    for (n, w) in fields(b)? {
        let Some((_, name, f)) = desc.iter().find(|(num, _, _)| *num == n) else {
            continue;
        };
        let name = (*name).to_string();
        match (f, w) {
            (F::Str, Wire::Bytes(s)) => {
                out.insert(name, json!(text(s)?));
            }
            (F::Int, Wire::Varint(v)) => {
                out.insert(name, json!(v as i64));
            }
            (F::Bool, Wire::Varint(v)) => {
                out.insert(name, json!(v != 0));
            }
            (F::Msg(d), Wire::Bytes(s)) => {
                out.insert(name, message(s, d)?);
            }
            (F::RepStr, Wire::Bytes(s)) => push(&mut out, name, json!(text(s)?)),
            (F::RepMsg(d), Wire::Bytes(s)) => push(&mut out, name, message(s, d)?),
            (F::MapStr | F::MapBytes, Wire::Bytes(s)) => {
                let (k, v) = entry(s, matches!(f, F::MapBytes))?;
                let m = out.entry(name).or_insert_with(|| json!({}));
                if let Some(m) = m.as_object_mut() {
                    m.insert(k, v);
                }
            }
            (F::IntOrString, Wire::Bytes(s)) => {
                let (mut kind, mut int, mut st) = (0, 0i64, String::new());
                for (n, w) in fields(s)? {
                    match (n, w) {
                        (1, Wire::Varint(v)) => kind = v,
                        (2, Wire::Varint(v)) => int = v as i64,
                        (3, Wire::Bytes(b)) => st = text(b)?,
                        _ => {}
                    }
                }
                out.insert(name, if kind == 1 { json!(st) } else { json!(int) });
            }
            _ => return Err(bad("unexpected wire type")),
        }
    }
    // Go writes every optional scalar, empty or not; as JSON, empty values are omitted.
    out.retain(|_, v| {
        !matches!(v, Value::String(s) if s.is_empty()) && *v != json!(0) && *v != json!(false)
    });
    Ok(Value::Object(out))
}

fn push(out: &mut Map<String, Value>, name: String, v: Value) {
    if let Some(a) = out.entry(name).or_insert_with(|| json!([])).as_array_mut() {
        a.push(v);
    }
}

/// Decodes a `application/vnd.kubernetes.protobuf` body (`k8s\0` + `runtime.Unknown`)
/// into the JSON form of the object.
pub fn decode(body: &[u8]) -> Result<Value, ApiError> {
    let rest = body
        .strip_prefix(b"k8s\0")
        .ok_or_else(|| bad("missing the k8s protobuf prefix"))?;
    let (mut api_version, mut kind, mut raw) = (String::new(), String::new(), &[][..]);
    for (n, w) in fields(rest)? {
        match (n, w) {
            (1, Wire::Bytes(tm)) => {
                for (n, w) in fields(tm)? {
                    match (n, w) {
                        (1, Wire::Bytes(s)) => api_version = text(s)?,
                        (2, Wire::Bytes(s)) => kind = text(s)?,
                        _ => {}
                    }
                }
            }
            (2, Wire::Bytes(r)) => raw = r,
            _ => {}
        }
    }
    let desc = match (api_version.as_str(), kind.as_str()) {
        ("v1", "ConfigMap") => CONFIG_MAP,
        ("v1", "Secret") => SECRET,
        ("v1", "Namespace") => NAMESPACE,
        ("v1", "Service") => SERVICE,
        ("v1", "ServiceAccount") => SERVICE_ACCOUNT,
        ("apps/v1", "Deployment") => DEPLOYMENT,
        ("rbac.authorization.k8s.io/v1", "Role" | "ClusterRole") => ROLE,
        ("rbac.authorization.k8s.io/v1", "RoleBinding" | "ClusterRoleBinding") => ROLE_BINDING,
        _ => {
            return Err(ApiError::unsupported_media_type(
                crate::http_util::BODY_TYPES,
            ));
        }
    };
    let mut obj = message(raw, desc)?;
    obj["apiVersion"] = json!(api_version);
    obj["kind"] = json!(kind);
    Ok(obj)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(n: u8, bytes: &[u8]) -> Vec<u8> {
        let mut v = vec![(n << 3) | 2, bytes.len() as u8];
        v.extend_from_slice(bytes);
        v
    }

    #[test]
    fn a_protobuf_config_map_decodes_to_json() {
        let meta = [
            field(1, b"cfg"),
            field(11, &[field(1, b"app"), field(2, b"web")].concat()),
        ]
        .concat();
        let cm = [
            field(1, &meta),
            field(2, &[field(1, b"a"), field(2, b"1")].concat()),
        ]
        .concat();
        let unknown = [
            field(1, &[field(1, b"v1"), field(2, b"ConfigMap")].concat()),
            field(2, &cm),
        ]
        .concat();
        let body = [b"k8s\0".to_vec(), unknown].concat();
        let v = decode(&body).expect("decodes");
        assert_eq!(
            v,
            json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "cfg", "labels": {"app": "web"}}, "data": {"a": "1"}})
        );
        assert_eq!(decode(b"nope").expect_err("bad").code, 400);
        assert_eq!(
            decode(&body[..body.len() - 3]).expect_err("truncated").code,
            400
        );
    }
}
