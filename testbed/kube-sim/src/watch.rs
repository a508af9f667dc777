//! Watch streams: newline-delimited JSON events, from a resourceVersion or from the
//! current state, with bookmarks, `410 Gone` as an ERROR event when history no
//! longer reaches back, and a timeout.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use futures::SinkExt;
use futures::channel::mpsc;
use http::{HeaderValue, header};
use serde_json::{Value, json};

use crate::resources::ResourceType;
use crate::selectors::{FieldSelector, LabelSelector};
use crate::state::Shared;
use crate::status::ApiError;
use crate::store::{Change, EventType};

/// What a watch request asked for.
#[derive(Debug, Clone)]
pub struct WatchParams {
    /// Only this namespace, if set.
    pub namespace: Option<String>,
    /// `labelSelector`.
    pub labels: LabelSelector,
    /// `fieldSelector`.
    pub fields: FieldSelector,
    /// Start after this resourceVersion; `None` (or "0") starts with the current state.
    pub resource_version: Option<u64>,
    /// `allowWatchBookmarks`.
    pub bookmarks: bool,
    /// `sendInitialEvents`.
    pub send_initial_events: bool,
    /// How long the watch may stay open.
    pub timeout: Duration,
    /// `Some(includeObject)` when the client wants Table rows.
    pub table: Option<String>,
    /// Whether the client wants `PartialObjectMetadata` objects.
    pub metadata_only: bool,
}

impl WatchParams {
    fn selects(&self, obj: &Value) -> bool {
        let ns_ok = self
            .namespace
            .as_deref()
            .is_none_or(|ns| obj["metadata"]["namespace"].as_str() == Some(ns));
        ns_ok && self.labels.matches(obj) && self.fields.matches(obj)
    }
}

fn line(kind: &str, object: Value) -> Bytes {
    let mut v = serde_json::to_vec(&json!({"type": kind, "object": object})).unwrap_or_default();
    v.push(b'\n');
    Bytes::from(v)
}

fn present(rt: &ResourceType, p: &WatchParams, obj: &Value) -> Value {
    match &p.table {
        Some(include) => crate::table::table(rt, std::slice::from_ref(obj), include, json!({})),
        None if p.metadata_only => {
            json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]})
        }
        None => crate::convert::to_view(rt, obj),
    }
}

fn bookmark(rt: &ResourceType, rv: u64, initial_end: bool) -> Bytes {
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if initial_end {
        meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
    }
    line(
        "BOOKMARK",
        json!({"kind": rt.kind, "apiVersion": rt.api_version(), "metadata": meta}),
    )
}

fn event_for(rt: &ResourceType, p: &WatchParams, c: &Change) -> Option<Bytes> {
    if c.key != rt.storage_key() {
        return None;
    }
    let now = p.selects(&c.object);
    let before = c.old.as_ref().is_some_and(|o| p.selects(o));
    let kind = match (c.kind, before, now) {
        (EventType::Added, _, true) => "ADDED",
        (EventType::Modified, true, true) => "MODIFIED",
        (EventType::Modified, false, true) => "ADDED",
        (EventType::Modified, true, false) => {
            // Leaving the selector: the watch cache sends the object as it was, when
            // it still matched, at the new resourceVersion.
            let mut was = c.old.as_deref().cloned().unwrap_or_default();
            was["metadata"]["resourceVersion"] = c.object["metadata"]["resourceVersion"].clone();
            return Some(line("DELETED", present(rt, p, &was)));
        }
        (EventType::Deleted, _, true) => "DELETED",
        _ => return None,
    };
    Some(line(kind, present(rt, p, &c.object)))
}

/// Starts a watch and returns the streaming response.
pub fn watch(shared: Arc<Shared>, rt: ResourceType, p: WatchParams) -> Response {
    let (mut tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(256);
    tokio::spawn(async move {
        let _ = run(&shared, &rt, &p, &mut tx).await;
    });
    let mut r = Response::new(Body::from_stream(rx));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

type Tx = mpsc::Sender<Result<Bytes, std::io::Error>>;

async fn run(
    shared: &Shared,
    rt: &ResourceType,
    p: &WatchParams,
    tx: &mut Tx,
) -> Result<(), mpsc::SendError> {
    let mut rv_rx = shared.rv_tx.subscribe();
    let mut drop_rx = shared.drop_tx.subscribe();
    drop_rx.borrow_and_update();
    rv_rx.borrow_and_update();
    let deadline = tokio::time::Instant::now() + p.timeout;
    let (initial, mut last) = {
        let inner = shared.lock();
        // A streaming list (`sendInitialEvents`) starts from the current state whatever
        // version it names: the version is only a floor for how fresh that state is.
        let from = match p.resource_version {
            Some(rv) if p.send_initial_events && rv <= inner.store.rv() => None,
            other => other,
        };
        match from {
            None => {
                let objs = inner.store.list(&rt.storage_key(), p.namespace.as_deref());
                let lines: Vec<Bytes> = objs
                    .iter()
                    .filter(|o| p.selects(o))
                    .map(|o| line("ADDED", present(rt, p, o)))
                    .collect();
                (lines, inner.store.rv())
            }
            // A resourceVersion from the future (e.g. from before a restart without a
            // state file) can never be served: answer 410 so that the client re-lists.
            Some(rv) if rv > inner.store.rv() => {
                let status = ApiError::expired_future(rv, inner.store.rv()).to_status();
                (vec![line("ERROR", status)], u64::MAX)
            }
            Some(rv) => (vec![], rv),
        }
    };
    for l in initial {
        tx.send(Ok(l)).await?;
    }
    if last == u64::MAX {
        return Ok(());
    }
    if p.send_initial_events && p.bookmarks {
        tx.send(Ok(bookmark(rt, last, true))).await?;
    }
    // As kube-apiserver's watch cache: a bookmark every interval, and one 2 s before
    // the watch times out, so that a client resumes from the newest version.
    let next = |now: tokio::time::Instant| {
        let pre_timeout = deadline.checked_sub(Duration::from_secs(2));
        match pre_timeout {
            Some(t) if t > now => t.min(now + shared.opts.bookmark_interval),
            _ => now + shared.opts.bookmark_interval,
        }
    };
    let mut next_bookmark = next(tokio::time::Instant::now());
    loop {
        rv_rx.borrow_and_update();
        let batch = shared.lock().store.changes_since(last);
        let batch = match batch {
            Ok(b) => b,
            Err(oldest) => {
                let status = ApiError::expired(last, oldest).to_status();
                tx.send(Ok(line("ERROR", status))).await?;
                return Ok(());
            }
        };
        if let Some(c) = batch.last() {
            for c in &batch {
                if let Some(l) = event_for(rt, p, c) {
                    tx.send(Ok(l)).await?;
                }
            }
            last = c.rv;
            continue;
        }
        tokio::select! {
            r = rv_rx.changed() => if r.is_err() { return Ok(()) },
            _ = drop_rx.changed() => return Ok(()),
            _ = tokio::time::sleep_until(deadline) => return Ok(()),
            _ = tokio::time::sleep_until(next_bookmark) => {
                next_bookmark = next(tokio::time::Instant::now());
                if p.bookmarks {
                    tx.send(Ok(bookmark(rt, last, false))).await?;
                }
            }
        }
    }
}
