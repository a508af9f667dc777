//! Reading collections: list (selectors, limit/continue, Table and metadata-only
//! forms) and the parameters of a watch.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::http_util::flag;
use crate::resources::ResourceType;
use crate::selectors::{FieldSelector, LabelSelector};
use crate::state::Shared;
use crate::status::{ApiError, Cause};
use crate::table;
use crate::watch::WatchParams;

/// What a read request carries: its query and its `Accept` header.
pub struct ReadCtx<'a> {
    /// Query parameters.
    pub query: &'a HashMap<String, String>,
    /// The `Accept` header.
    pub accept: &'a str,
}

pub(crate) fn selectors(
    rt: &ResourceType,
    ctx: &ReadCtx<'_>,
) -> Result<(LabelSelector, FieldSelector), ApiError> {
    let l = LabelSelector::parse(
        ctx.query
            .get("labelSelector")
            .map(String::as_str)
            .unwrap_or_default(),
    )?;
    let f = FieldSelector::parse(
        ctx.query
            .get("fieldSelector")
            .map(String::as_str)
            .unwrap_or_default(),
        rt,
    )?
    .map_paths(|p| crate::convert::stored_field_path(rt, p));
    Ok((l, f))
}

pub(crate) fn select(
    shared: &Shared,
    rt: &ResourceType,
    ns: Option<&str>,
    ctx: &ReadCtx<'_>,
) -> Result<Vec<Value>, ApiError> {
    let (objs, _) = select_at(shared, rt, ns, ctx, None)?;
    Ok(objs.iter().map(|o| (**o).clone()).collect())
}

/// The selected objects as they were at resourceVersion `at` (`None`: now),
/// and that version. kube-apiserver serves every page after the first from
/// the first page's etcd snapshot, so a client that pages through a list and
/// then watches from its version misses nothing that changed in between;
/// here the store's history is undone back to `at`. History compacted past
/// `at` is `410 Expired`, as a continue token too old for etcd is. Shared,
/// not copied: a page copies only what it serves.
fn select_at(
    shared: &Shared,
    rt: &ResourceType,
    ns: Option<&str>,
    ctx: &ReadCtx<'_>,
    at: Option<u64>,
) -> Result<(Vec<Arc<Value>>, u64), ApiError> {
    let (l, f) = selectors(rt, ctx)?;
    let filter = |objs: Vec<Arc<Value>>| -> Vec<Arc<Value>> {
        objs.into_iter()
            .filter(|o| l.matches(o) && f.matches(o))
            .collect()
    };
    let inner = shared.lock();
    let key = rt.storage_key();
    let objs = inner.store.list(&key, ns);
    let (objs, rv) = match at {
        None => (objs, inner.store.rv()),
        Some(at) => {
            let later = inner
                .store
                .changes_since(at)
                .map_err(|_| ApiError::continue_expired())?;
            let later: Vec<_> = later
                .into_iter()
                .filter(|c| c.key == key && ns.is_none_or(|n| c.namespace == n))
                .collect();
            if later.is_empty() {
                // Nothing of this resource changed since: now is as it was then.
                return Ok((filter(objs), at));
            }
            let name = |o: &Value| crate::meta::meta_str(o, "name").to_string();
            let mut then: std::collections::BTreeMap<(String, String), Arc<Value>> = objs
                .into_iter()
                .map(|o| {
                    (
                        (crate::meta::meta_str(&o, "namespace").to_string(), name(&o)),
                        o,
                    )
                })
                .collect();
            // Newest first: what each change replaced is what was there before it.
            for c in later.iter().rev() {
                let k = (c.namespace.clone(), name(&c.object));
                match &c.old {
                    Some(old) => then.insert(k, old.clone()),
                    None => then.remove(&k),
                };
            }
            (then.into_values().collect(), at)
        }
    };
    drop(inner);
    Ok((filter(objs), rv))
}

pub(crate) fn list(
    shared: &Shared,
    rt: &ResourceType,
    ns: Option<&str>,
    ctx: &ReadCtx<'_>,
) -> Result<Value, ApiError> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let token = ctx.query.get("continue").filter(|t| !t.is_empty());
    // A continue token: the snapshot's resourceVersion, then the last key served.
    let continued = token
        .map(|t| {
            b64.decode(t)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|t| {
                    let (rv, after) = t.split_once(':')?;
                    Some((rv.parse::<u64>().ok()?, after.to_string()))
                })
                .ok_or_else(|| {
                    ApiError::bad_request("continue key is not valid: illegal base64 data")
                })
        })
        .transpose()?;
    let (mut items, rv) = select_at(shared, rt, ns, ctx, continued.as_ref().map(|c| c.0))?;
    if let Some((_, after)) = &continued {
        if ctx
            .query
            .get("resourceVersion")
            .is_some_and(|rv| !rv.is_empty() && rv != "0")
        {
            return Err(ApiError::bad_request(
                "specifying resource version is not allowed when using continue",
            ));
        }
        let (ans, aname) = after.split_once('/').unwrap_or(("", after));
        // Items come in (namespace, name) order, as etcd keys do.
        let served = items.partition_point(|o| {
            let k = (
                crate::meta::meta_str(o, "namespace"),
                crate::meta::meta_str(o, "name"),
            );
            k <= (ans, aname)
        });
        items.drain(..served);
    }
    let limit = match ctx.query.get("limit").filter(|l| !l.is_empty()) {
        Some(l) => l
            .parse::<usize>()
            .map_err(|_| ApiError::bad_request(format!("invalid limit {l:?}")))?,
        None => 0,
    };
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if limit > 0 && items.len() > limit {
        let rest = items.split_off(limit);
        if let Some(last) = items.last() {
            let k = format!(
                "{rv}:{}/{}",
                crate::meta::meta_str(last, "namespace"),
                crate::meta::meta_str(last, "name")
            );
            meta["continue"] = json!(b64.encode(k));
            // Only an unfiltered list knows how many remain, as in kube-apiserver.
            let filtered = ["labelSelector", "fieldSelector"]
                .iter()
                .any(|k| ctx.query.get(*k).is_some_and(|s| !s.is_empty()));
            if !filtered {
                meta["remainingItemCount"] = json!(rest.len());
            }
        }
    }
    let items: Vec<Value> = items.iter().map(|o| (**o).clone()).collect();
    if table::wants_table(ctx.accept) {
        let include = ctx
            .query
            .get("includeObject")
            .map(String::as_str)
            .unwrap_or("Metadata");
        return Ok(table::table(rt, &items, include, meta));
    }
    let items: Vec<Value> = items
        .iter()
        .map(|o| crate::convert::to_view(rt, o))
        .collect();
    if ctx.accept.contains("as=PartialObjectMetadataList") {
        let items: Vec<Value> = items
            .iter()
            .map(|o| json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o["metadata"]}))
            .collect();
        return Ok(
            json!({"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1", "metadata": meta, "items": items}),
        );
    }
    Ok(
        json!({"kind": format!("{}List", rt.kind), "apiVersion": rt.api_version(), "metadata": meta, "items": items}),
    )
}

pub(crate) fn watch_params(
    shared: &Shared,
    rt: &ResourceType,
    ns: Option<String>,
    ctx: &ReadCtx<'_>,
) -> Result<WatchParams, ApiError> {
    let (labels, fields) = selectors(rt, ctx)?;
    let resource_version = match ctx.query.get("resourceVersion").map(String::as_str) {
        None | Some("") | Some("0") => None,
        Some(v) => Some(
            v.parse::<u64>()
                .map_err(|_| ApiError::bad_request(format!("invalid resource version: {v}")))?,
        ),
    };
    let max = shared.opts.max_watch_timeout;
    let timeout = ctx
        .query
        .get("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .map(|t| Duration::from_secs(t).min(max))
        .unwrap_or(max);
    let table = table::wants_table(ctx.accept).then(|| {
        ctx.query
            .get("includeObject")
            .cloned()
            .unwrap_or_else(|| "Metadata".into())
    });
    watch_list_options(ctx.query)?;
    Ok(WatchParams {
        namespace: ns,
        labels,
        fields,
        resource_version,
        bookmarks: flag(ctx.query, "allowWatchBookmarks"),
        send_initial_events: flag(ctx.query, "sendInitialEvents"),
        timeout,
        table,
        metadata_only: ctx.accept.contains("as=PartialObjectMetadata"),
    })
}

/// kube-apiserver's `validateWatchOptions` for streaming lists: `sendInitialEvents`
/// goes with `resourceVersionMatch=NotOlderThan`, and, when true, with bookmarks.
fn watch_list_options(q: &HashMap<String, String>) -> Result<(), ApiError> {
    let send = q.get("sendInitialEvents").filter(|v| !v.is_empty());
    let matching = q.get("resourceVersionMatch").filter(|v| !v.is_empty());
    let mut causes = Vec::new();
    let forbidden = |field: &str, msg: &str| {
        Cause::new("FieldValueForbidden", field, format!("Forbidden: {msg}"))
    };
    if send.is_some() && matching.map(String::as_str) != Some("NotOlderThan") {
        causes.push(forbidden(
            "resourceVersionMatch",
            "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
        ));
    }
    if let Some(m) = matching {
        if send.is_none() {
            causes.push(forbidden(
                "resourceVersionMatch",
                "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
            ));
        }
        if m != "NotOlderThan" {
            causes.push(Cause::new(
                "FieldValueNotSupported",
                "resourceVersionMatch",
                format!("Unsupported value: {m:?}: supported values: \"NotOlderThan\""),
            ));
        }
        if send.is_some_and(|v| v == "true") && !flag(q, "allowWatchBookmarks") {
            causes.push(forbidden(
                "allowWatchBookmarks",
                "allowWatchBookmarks must be set to true when sendInitialEvents is true",
            ));
        }
    }
    if causes.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid("meta.k8s.io", "ListOptions", "", causes))
    }
}
