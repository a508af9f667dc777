//! Kind-specific behaviour on write: CRD registration, Secret `stringData`,
//! Service defaults, Namespace status.

use base64::Engine;
use serde_json::{Value, json};

use crate::meta::{self, meta_str};
use crate::ops::Inner;
use crate::resources::ResourceType;
use crate::status::ApiError;

fn is(rt: &ResourceType, group: &str, plural: &str) -> bool {
    !rt.custom && rt.group == group && rt.plural == plural
}

/// Called on the object to be created, before it is stored.
pub fn on_create(inner: &mut Inner, rt: &ResourceType, obj: &mut Value) -> Result<(), ApiError> {
    if is(rt, "", "namespaces") {
        let name = meta_str(obj, "name").to_string();
        obj["metadata"]["labels"]["kubernetes.io/metadata.name"] = json!(name);
        obj["spec"]["finalizers"] = json!(["kubernetes"]);
        obj["status"] = json!({"phase": "Active"});
    }
    if is(rt, "", "services") {
        service_ports_given(rt, obj)?;
        service_defaults(inner, obj);
    }
    if is(rt, "", "pods") {
        obj["status"] = json!({"phase": "Pending", "qosClass": "BestEffort"});
    }
    common(inner, rt, None, obj)
}

/// Called on the next version of an object, before it is stored.
pub fn on_update(
    inner: &mut Inner,
    rt: &ResourceType,
    old: &Value,
    obj: &mut Value,
) -> Result<(), ApiError> {
    if is(rt, "", "services") {
        service_ports_given(rt, obj)?;
        service_ips_kept(rt, old, obj)?;
        service_defaults(inner, obj);
    }
    common(inner, rt, Some(old), obj)?;
    if is(rt, "", "configmaps") || is(rt, "", "secrets") {
        data_kept(rt, old, obj)?;
    }
    Ok(())
}

fn immutable(field: &str, shown: String) -> crate::status::Cause {
    crate::status::Cause::invalid(field, &shown, "field is immutable")
}

/// A Service names its ports, unless it is headless or an `ExternalName`.
fn service_ports_given(rt: &ResourceType, obj: &mut Value) -> Result<(), ApiError> {
    if obj["spec"]["ports"].is_null()
        && let Some(spec) = obj["spec"].as_object_mut()
    {
        spec.remove("ports");
    }
    let exempt = obj["spec"]["type"] == "ExternalName" || obj["spec"]["clusterIP"] == "None";
    if exempt
        || obj["spec"]["ports"]
            .as_array()
            .is_some_and(|p| !p.is_empty())
    {
        return Ok(());
    }
    let cause = crate::status::Cause::new("FieldValueRequired", "spec.ports", "Required value");
    refuse(rt, obj, vec![cause])
}

/// A Service keeps its cluster IPs (`may not change once set`), except on the way to or
/// from `ExternalName`, which has none.
fn service_ips_kept(rt: &ResourceType, old: &Value, obj: &mut Value) -> Result<(), ApiError> {
    let external = |o: &Value| o["spec"]["type"] == "ExternalName";
    if external(obj) {
        if let Some(spec) = obj["spec"].as_object_mut() {
            for f in ["clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"] {
                spec.remove(f);
            }
        }
        return Ok(());
    }
    for f in ["clusterIP", "clusterIPs"] {
        if obj["spec"].get(f).is_none_or(Value::is_null) && old["spec"].get(f).is_some() {
            obj["spec"][f] = old["spec"][f].clone();
        }
    }
    let ip = obj["spec"]["clusterIP"].clone();
    if external(old) || ip == old["spec"]["clusterIP"] {
        return Ok(());
    }
    let shown = format!(
        "[]string{{{}}}",
        serde_json::to_string(&ip).unwrap_or_default()
    );
    let cause =
        crate::status::Cause::invalid("spec.clusterIPs[0]", &shown, "may not change once set");
    Err(ApiError::invalid(
        &rt.group,
        &rt.kind,
        meta_str(old, "name"),
        vec![cause],
    ))
}

/// A ConfigMap or Secret marked `immutable` keeps its data; a Secret keeps its type.
fn data_kept(rt: &ResourceType, old: &Value, obj: &Value) -> Result<(), ApiError> {
    let mut causes = Vec::new();
    if rt.kind == "Secret" && obj["type"] != old["type"] {
        let shown = serde_json::to_string(&obj["type"]).unwrap_or_default();
        causes.push(immutable("type", shown));
    }
    if old["immutable"] == true {
        let forbidden = |field: &str| {
            let why = "Forbidden: field is immutable when `immutable` is set";
            crate::status::Cause::new("FieldValueForbidden", field, why)
        };
        if obj["immutable"] != true {
            causes.push(forbidden("immutable"));
        }
        for f in ["data", "binaryData"] {
            if obj[f] != old[f] {
                causes.push(forbidden(f));
            }
        }
    }
    refuse(rt, old, causes)
}

/// 422 Invalid naming `old` when there are causes.
fn refuse(
    rt: &ResourceType,
    old: &Value,
    causes: Vec<crate::status::Cause>,
) -> Result<(), ApiError> {
    if causes.is_empty() {
        return Ok(());
    }
    Err(ApiError::invalid(
        &rt.group,
        &rt.kind,
        meta_str(old, "name"),
        causes,
    ))
}

fn common(
    inner: &mut Inner,
    rt: &ResourceType,
    old: Option<&Value>,
    obj: &mut Value,
) -> Result<(), ApiError> {
    if rt.custom
        && let Some(schema) = &rt.schema
    {
        crate::defaults::apply_defaults(obj, schema);
    }
    if is(rt, "", "secrets") && obj["type"].is_null() {
        obj["type"] = json!("Opaque");
    }
    if is(rt, "", "secrets")
        && let Some(sd) = obj.as_object_mut().and_then(|o| o.remove("stringData"))
        && let Some(sd) = sd.as_object()
    {
        for (k, v) in sd {
            let enc =
                base64::engine::general_purpose::STANDARD.encode(v.as_str().unwrap_or_default());
            obj["data"][k] = json!(enc);
        }
    }
    if is(rt, "apiextensions.k8s.io", "customresourcedefinitions")
        && let Some(old) = old
    {
        established_crd_unchanged(rt, old, obj)?;
    }
    if is(rt, "apiextensions.k8s.io", "customresourcedefinitions") {
        let name = meta_str(obj, "name").to_string();
        let types = crate::crd::resource_types(obj)
            .map_err(|c| ApiError::invalid(&rt.group, &rt.kind, &name, c))?;
        if let Some(t) = types.first()
            && inner
                .registry
                .all()
                .iter()
                .any(|b| !b.custom && b.group == t.group && b.plural == t.plural)
        {
            return Err(ApiError::bad_request(format!(
                "{name} would shadow a built-in resource"
            )));
        }
        let now = meta::now();
        obj["status"] = crate::crd::accepted_status(obj, &now, old);
        if let Some(old) = old
            && old["status"]["conditions"].is_array()
        {
            obj["status"]["conditions"] = old["status"]["conditions"].clone();
        }
    }
    Ok(())
}

/// Once a CRD is Established, its scope and kind are fixed, as in kube-apiserver.
fn established_crd_unchanged(rt: &ResourceType, old: &Value, new: &Value) -> Result<(), ApiError> {
    let established = old["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Established" && c["status"] == "True");
    if !established {
        return Ok(());
    }
    let causes: Vec<crate::status::Cause> = [
        ("scope", &["scope"][..]),
        ("names.kind", &["names", "kind"]),
    ]
    .into_iter()
    .filter_map(|(field, path)| {
        let at = |o: &Value| path.iter().fold(&o["spec"], |v, k| &v[*k]).clone();
        let (was, now) = (at(old), at(new));
        (was != now).then(|| {
            immutable(
                &format!("spec.{field}"),
                serde_json::to_string(&now).unwrap_or_default(),
            )
        })
    })
    .collect();
    refuse(rt, old, causes)
}

fn service_defaults(inner: &Inner, obj: &mut Value) {
    if obj["status"].is_null() {
        obj["status"] = json!({"loadBalancer": {}});
    }
    let spec = &mut obj["spec"];
    if spec["type"].is_null() {
        spec["type"] = json!("ClusterIP");
    }
    if spec["sessionAffinity"].is_null() {
        spec["sessionAffinity"] = json!("None");
    }
    if spec["type"] != "ExternalName" && spec["internalTrafficPolicy"].is_null() {
        spec["internalTrafficPolicy"] = json!("Cluster");
    }
    if let Some(ports) = spec["ports"].as_array_mut() {
        for p in ports {
            if p["protocol"].is_null() {
                p["protocol"] = json!("TCP");
            }
            if p["targetPort"].is_null() {
                p["targetPort"] = p["port"].clone();
            }
        }
    }
    if spec["type"] != "ExternalName" && spec["clusterIP"].is_null() {
        let n = inner.store.rv() + 10;
        let ip = format!("10.96.{}.{}", (n / 250) % 250, n % 250 + 1);
        spec["clusterIP"] = json!(ip);
        spec["clusterIPs"] = json!([ip]);
        spec["ipFamilies"] = json!(["IPv4"]);
        spec["ipFamilyPolicy"] = json!("SingleStack");
    }
}

/// Called after an object was stored (not for deletes).
pub fn after_commit(inner: &mut Inner, rt: &ResourceType, obj: &Value) {
    if is(rt, "apiextensions.k8s.io", "customresourcedefinitions")
        && let Ok(types) = crate::crd::resource_types(obj)
    {
        inner.registry.set_custom(meta_str(obj, "name"), types);
    }
}
