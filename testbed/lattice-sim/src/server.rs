//! The emulator handle and its HTTP/1.1 server.

use crate::config::{Quotas, SimConfig};
use crate::errors::ApiError;
use crate::faults::{FaultRules, Faults, Outcome};
use crate::router::{self, Request};
use crate::state::{Ctx, State};
use crate::{introspect, ops};
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

/// Returned by the request handler to make hyper close the connection unanswered.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by fault injection")]
pub struct Dropped;

pub(crate) struct Core {
    pub(crate) state: State,
    pub(crate) cfg: SimConfig,
}

struct Inner {
    core: Mutex<Core>,
    faults: Mutex<Faults>,
    calls: Mutex<BTreeMap<String, u64>>,
    /// Calls answered with an error or dropped, per operation.
    failed: Mutex<BTreeMap<String, u64>>,
    callers: Mutex<crate::callers::Callers>,
}

/// An in-memory VPC Lattice. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct LatticeSim {
    inner: Arc<Inner>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Default for LatticeSim {
    fn default() -> Self {
        LatticeSim::new(SimConfig::default())
    }
}

impl LatticeSim {
    /// A new, empty emulator.
    pub fn new(cfg: SimConfig) -> Self {
        let faults = Faults::new(cfg.faults.clone(), cfg.fault_seed);
        LatticeSim {
            inner: Arc::new(Inner {
                core: Mutex::new(Core {
                    state: State::default(),
                    cfg,
                }),
                faults: Mutex::new(faults),
                calls: Mutex::new(BTreeMap::new()),
                failed: Mutex::new(BTreeMap::new()),
                callers: Default::default(),
            }),
        }
    }

    /// Serve the REST API (and `/_sim/…`) on `listener` until the future is dropped.
    /// Dropping it also closes every connection it accepted.
    pub async fn serve(self, listener: TcpListener) -> std::io::Result<()> {
        let mut conns = JoinSet::new();
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "lattice-sim accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            };
            let sim = self.clone();
            conns.spawn(async move {
                let svc = service_fn(move |req| {
                    let sim = sim.clone();
                    async move { sim.handle(req).await }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
            while conns.try_join_next().is_some() {}
        }
    }

    /// Bind `127.0.0.1` on an ephemeral port and serve in a background task.
    pub async fn start(self) -> std::io::Result<RunningSim> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(self.clone().serve(listener));
        Ok(RunningSim {
            sim: self,
            addr,
            task,
        })
    }

    /// Calls per operation name since start (or the last reset), including failed and
    /// fault-injected calls. Unroutable requests count under `UnknownOperation`.
    pub fn call_counts(&self) -> BTreeMap<String, u64> {
        lock(&self.inner.calls).clone()
    }

    /// The calls of [`call_counts`](Self::call_counts) that failed: answered
    /// with an error (the emulator's own or an injected one) or dropped.
    pub fn failed_call_counts(&self) -> BTreeMap<String, u64> {
        lock(&self.inner.failed).clone()
    }

    /// Every caller's reads and writes, by access key id, since start.
    pub fn callers(&self) -> BTreeMap<String, crate::Caller> {
        lock(&self.inner.callers).snapshot()
    }

    /// Zero the call counters, failed calls included.
    pub fn reset_call_counts(&self) {
        lock(&self.inner.calls).clear();
        lock(&self.inner.failed).clear();
    }

    fn count_failed(&self, operation: &str) {
        *lock(&self.inner.failed)
            .entry(operation.to_string())
            .or_default() += 1;
    }

    /// Everything the emulator stores, as JSON (resources by kind, tags, policies).
    pub fn state_dump(&self) -> Value {
        serde_json::to_value(&lock(&self.inner.core).state).unwrap_or(Value::Null)
    }

    /// The fault rules in force.
    pub fn faults(&self) -> FaultRules {
        lock(&self.inner.faults).rules().clone()
    }

    /// Replace the fault rules (an empty map turns faults off).
    pub fn set_faults(&self, rules: FaultRules) {
        lock(&self.inner.faults).set_rules(rules);
    }

    /// Replace the quotas.
    pub fn set_quotas(&self, quotas: Quotas) {
        lock(&self.inner.core).cfg.quotas = quotas;
    }

    /// Change the status delay for resources created from now on.
    pub fn set_status_delay(&self, delay: Duration) {
        lock(&self.inner.core).cfg.status_delay = delay;
    }

    /// A copy of the configuration in force.
    pub fn config(&self) -> SimConfig {
        lock(&self.inner.core).cfg.clone()
    }

    /// Run one operation in process, bypassing HTTP and faults (but counting the call).
    pub fn call(&self, operation: &str, req: &Request) -> Result<Value, ApiError> {
        *lock(&self.inner.calls)
            .entry(operation.to_string())
            .or_default() += 1;
        let mut core = lock(&self.inner.core);
        let Core { state, cfg } = &mut *core;
        let cx = Ctx {
            cfg,
            now: chrono::Utc::now(),
        };
        let result = ops::run(state, &cx, operation, req);
        drop(core);
        if result.is_err() {
            self.count_failed(operation);
        }
        result
    }

    async fn handle(
        &self,
        req: hyper::Request<Incoming>,
    ) -> Result<Response<Full<Bytes>>, Dropped> {
        let method = req.method().as_str().to_string();
        let path = req.uri().path().to_string();
        let query = req.uri().query().unwrap_or_default().to_string();
        let authorization = req
            .headers()
            .get(hyper::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = match req.into_body().collect().await {
            Ok(b) => b.to_bytes(),
            Err(_) => return Err(Dropped),
        };
        if path == "/_sim" || path.starts_with("/_sim/") {
            let (status, out) = introspect::handle(self, &method, &path, &body);
            return Ok(json_response(status, &out, None));
        }
        let Some((route, labels)) = router::find(&method, &path) else {
            *lock(&self.inner.calls)
                .entry("UnknownOperation".into())
                .or_default() += 1;
            self.count_failed("UnknownOperation");
            let msg =
                serde_json::json!({"message": format!("No operation matches {method} {path}")});
            return Ok(json_response(404, &msg, Some("UnknownOperationException")));
        };
        *lock(&self.inner.calls)
            .entry(route.operation.to_string())
            .or_default() += 1;
        lock(&self.inner.callers).record(authorization.as_deref(), route.operation, Instant::now());
        let (latency, outcome) = lock(&self.inner.faults).decide(route.operation, Instant::now());
        if !latency.is_zero() {
            // tokio's timer rounds up to the next millisecond tick, so a
            // 10 ms sleep takes 10–11 ms; an OS sleep on the blocking pool
            // keeps the injected latency what was asked for.
            let _ = tokio::task::spawn_blocking(move || std::thread::sleep(latency)).await;
        }
        let result = match outcome {
            Outcome::Drop => {
                self.count_failed(route.operation);
                return Err(Dropped);
            }
            Outcome::Throttle => Err(ApiError::Throttling("Rate exceeded".into())),
            Outcome::ServerError => Err(ApiError::Internal("Injected internal error".into())),
            Outcome::Pass => self.dispatch(route.operation, labels, &query, &body),
            Outcome::DropAfter => {
                let _ = self.dispatch(route.operation, labels, &query, &body);
                self.count_failed(route.operation);
                return Err(Dropped);
            }
        };
        tracing::debug!(
            op = route.operation,
            ok = result.is_ok(),
            "lattice-sim call"
        );
        if result.is_err() {
            self.count_failed(route.operation);
        }
        Ok(match result {
            Ok(out) => json_response(route.status, &out, None),
            Err(e) => json_response(e.status(), &e.body(), Some(e.code())),
        })
    }

    fn dispatch(
        &self,
        op: &'static str,
        labels: BTreeMap<&'static str, String>,
        query: &str,
        body: &Bytes,
    ) -> Result<Value, ApiError> {
        let body: Value = if body.iter().all(u8::is_ascii_whitespace) {
            Value::Object(Default::default())
        } else {
            serde_json::from_slice(body).map_err(|e| ApiError::Validation {
                message: format!("Could not parse request body: {e}"),
                reason: "cannotParse",
                fields: vec![],
            })?
        };
        let query = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let req = Request {
            labels,
            query,
            body,
        };
        let mut core = lock(&self.inner.core);
        let Core { state, cfg } = &mut *core;
        let cx = Ctx {
            cfg,
            now: chrono::Utc::now(),
        };
        ops::run(state, &cx, op, &req)
    }
}

fn json_response(status: u16, body: &Value, error_type: Option<&str>) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let bytes = if status == StatusCode::NO_CONTENT {
        Bytes::new()
    } else {
        Bytes::from(serde_json::to_vec(body).unwrap_or_default())
    };
    let mut resp = Response::new(Full::new(bytes));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let rid = crate::ids::new_id(crate::ids::Kind::Rule).replace("rule-", "lsim-");
    if let Ok(v) = HeaderValue::from_str(&rid) {
        h.insert("x-amzn-requestid", v);
    }
    if let Some(t) = error_type.and_then(|t| HeaderValue::from_str(t).ok()) {
        h.insert("x-amzn-errortype", t);
    }
    resp
}

/// An emulator serving on `127.0.0.1` in a background task; stops when dropped.
pub struct RunningSim {
    sim: LatticeSim,
    addr: SocketAddr,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningSim {
    /// The base URL, e.g. `http://127.0.0.1:40123`, to pass as the SDK's `endpoint_url`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The emulator handle (for introspection and fault settings).
    pub fn sim(&self) -> &LatticeSim {
        &self.sim
    }

    /// Stop serving and close every connection.
    pub async fn shutdown(self) {
        self.task.abort();
    }
}

impl std::ops::Deref for RunningSim {
    type Target = LatticeSim;
    fn deref(&self) -> &LatticeSim {
        &self.sim
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        self.task.abort();
    }
}
