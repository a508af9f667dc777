//! Every Lattice call goes through [`Caller::call`]: a token bucket per class
//! (reads, writes), retries with jittered exponential backoff on throttling,
//! 5xx, timeouts and dropped connections, a count per operation, and (when
//! given [`CallMetrics`]) each attempt's outcome and latency.

use crate::metrics::{CallMetrics, CallOutcome};
use crate::options::{ApplyOptions, RateLimit};
use aws_sdk_vpclattice::config::http::HttpResponse;
use aws_sdk_vpclattice::error::{ProvideErrorMetadata, SdkError};
use rand::Rng;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A Lattice call that failed for good.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("{operation}: {code}: {message}")]
pub struct CallError {
    /// The Lattice operation.
    pub operation: String,
    /// Lattice's error code (`ConflictException`, …) or the transport failure.
    pub code: String,
    /// Lattice's message.
    pub message: String,
}

impl CallError {
    /// Whether Lattice said the resource does not exist.
    pub fn is_not_found(&self) -> bool {
        self.code == "ResourceNotFoundException"
    }
}

/// Whether an error is worth retrying, and its code and message.
fn classify<E: ProvideErrorMetadata + std::fmt::Debug>(
    e: &SdkError<E, HttpResponse>,
) -> (bool, String, String) {
    match e {
        SdkError::ServiceError(se) => {
            let code = se.err().code().unwrap_or("Unknown").to_string();
            let msg = se.err().message().unwrap_or_default().to_string();
            let status = se.raw().status().as_u16();
            let retry = matches!(
                code.as_str(),
                "ThrottlingException" | "InternalServerException" | "ServiceUnavailableException"
            ) || status == 429
                || status >= 500;
            (retry, code, msg)
        }
        SdkError::TimeoutError(_) => (true, "Timeout".into(), format!("{e:?}")),
        SdkError::DispatchFailure(_) => (true, "DispatchFailure".into(), format!("{e:?}")),
        SdkError::ResponseError(_) => (true, "ResponseError".into(), format!("{e:?}")),
        _ => (false, "ConstructionFailure".into(), format!("{e:?}")),
    }
}

/// What an attempt's error says about who failed: Lattice's code and
/// HTTP status tell throttling from the caller's and the server's faults.
fn outcome<E: ProvideErrorMetadata>(e: &SdkError<E, HttpResponse>) -> CallOutcome {
    match e {
        SdkError::ServiceError(se) => {
            let status = se.raw().status().as_u16();
            match se.err().code() {
                Some("ThrottlingException") => CallOutcome::Throttled,
                _ if status == 429 => CallOutcome::Throttled,
                _ if status >= 500 => CallOutcome::ServerError,
                Some("InternalServerException" | "ServiceUnavailableException") => {
                    CallOutcome::ServerError
                }
                _ => CallOutcome::ClientError,
            }
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            CallOutcome::ServerError
        }
        _ => CallOutcome::ClientError,
    }
}

/// A token bucket; `None` rate means unlimited.
#[derive(Debug)]
pub struct TokenBucket {
    limit: Option<RateLimit>,
    state: Mutex<(f64, Instant)>,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(limit: Option<RateLimit>) -> Self {
        let burst = limit.map(|l| l.burst as f64).unwrap_or(0.0);
        TokenBucket {
            limit,
            state: Mutex::new((burst, Instant::now())),
        }
    }

    /// Wait for one token.
    pub async fn acquire(&self) {
        let Some(l) = self.limit else { return };
        loop {
            let wait = {
                let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
                let now = Instant::now();
                let refill = now.duration_since(s.1).as_secs_f64() * l.per_second;
                s.0 = (s.0 + refill).min(l.burst.max(1) as f64);
                s.1 = now;
                if s.0 >= 1.0 {
                    s.0 -= 1.0;
                    return;
                }
                (1.0 - s.0) / l.per_second.max(1e-3)
            };
            tokio::time::sleep(Duration::from_secs_f64(wait)).await;
        }
    }
}

/// Calls made per Lattice operation (retries included), shared: a clone
/// sees every call made after it was taken, so a test can read an
/// [`crate::Applier`]'s counts while someone else owns the applier.
#[derive(Clone, Debug, Default)]
pub struct CallCounts(Arc<Mutex<BTreeMap<String, u64>>>);

impl CallCounts {
    /// The counts so far, per operation.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.lock().clone()
    }

    /// Calls made so far, all operations together.
    pub fn total(&self) -> u64 {
        self.lock().values().sum()
    }

    fn add(&self, operation: &str) {
        *self.lock().entry(operation.to_string()).or_default() += 1;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, u64>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The client plus limits, retries and counters.
#[derive(Debug)]
pub struct Caller {
    /// The SDK client.
    pub client: aws_sdk_vpclattice::Client,
    read: TokenBucket,
    write: TokenBucket,
    max_retries: u32,
    base: Duration,
    cap: Duration,
    calls: CallCounts,
    metrics: Option<CallMetrics>,
}

impl Caller {
    /// A caller with the limits and retries of `opts`.
    pub fn new(client: aws_sdk_vpclattice::Client, opts: &ApplyOptions) -> Self {
        Caller {
            client,
            read: TokenBucket::new(opts.read_rate),
            write: TokenBucket::new(opts.write_rate),
            max_retries: opts.max_retries,
            base: opts.backoff_base,
            cap: opts.backoff_max,
            calls: CallCounts::default(),
            metrics: None,
        }
    }

    /// Records every attempt's outcome and latency in `metrics`.
    pub fn set_metrics(&mut self, metrics: CallMetrics) {
        self.metrics = Some(metrics);
    }

    /// Calls made so far, per operation (retries included).
    pub fn calls(&self) -> BTreeMap<String, u64> {
        self.calls.snapshot()
    }

    /// A handle on the counts that stays current as calls are made.
    pub fn counts(&self) -> CallCounts {
        self.calls.clone()
    }

    /// Run `f` (one SDK call) under the limiter, retrying what is retryable.
    pub async fn call<T, E, F, Fut>(&self, operation: &str, f: F) -> Result<T, CallError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::fmt::Debug,
    {
        let bucket = if lattice_read(operation) {
            &self.read
        } else {
            &self.write
        };
        let mut attempt = 0u32;
        loop {
            bucket.acquire().await;
            self.calls.add(operation);
            let started = Instant::now();
            let result = f().await;
            if let Some(m) = &self.metrics {
                let o = result.as_ref().map_or_else(outcome, |_| CallOutcome::Ok);
                m.record(operation, o, started.elapsed());
            }
            match result {
                Ok(v) => return Ok(v),
                Err(e) => {
                    let (retry, code, message) = classify(&e);
                    if !retry || attempt >= self.max_retries {
                        return Err(CallError {
                            operation: operation.to_string(),
                            code,
                            message,
                        });
                    }
                    tracing::debug!(operation, code, attempt, "retrying");
                    // Full jitter: uniform in [0, min(cap, base·2^attempt)].
                    let exp = self
                        .base
                        .saturating_mul(1u32 << attempt.min(16))
                        .min(self.cap);
                    let ms = rand::rng().random_range(0..=exp.as_millis().max(1) as u64);
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    attempt += 1;
                }
            }
        }
    }
}

/// Get* and List* calls are reads; everything else writes.
pub fn lattice_read(operation: &str) -> bool {
    operation.starts_with("Get") || operation.starts_with("List")
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_vpclattice::error::ErrorMetadata;
    use aws_sdk_vpclattice::operation::list_services::ListServicesError;
    use aws_smithy_types::body::SdkBody;

    fn answered(status: u16, code: &str) -> SdkError<ListServicesError, HttpResponse> {
        let err = ListServicesError::generic(ErrorMetadata::builder().code(code).build());
        let raw = HttpResponse::new(status.try_into().unwrap(), SdkBody::empty());
        SdkError::service_error(err, raw)
    }

    #[test]
    fn lattice_s_answer_tells_throttling_from_client_and_server_errors() {
        assert_eq!(
            outcome(&answered(429, "ThrottlingException")),
            CallOutcome::Throttled
        );
        assert_eq!(outcome(&answered(429, "Other")), CallOutcome::Throttled);
        assert_eq!(
            outcome(&answered(409, "ConflictException")),
            CallOutcome::ClientError
        );
        assert_eq!(
            outcome(&answered(404, "ResourceNotFoundException")),
            CallOutcome::ClientError
        );
        assert_eq!(
            outcome(&answered(500, "InternalServerException")),
            CallOutcome::ServerError
        );
        assert_eq!(outcome(&answered(503, "")), CallOutcome::ServerError);
    }

    #[test]
    fn a_clone_of_the_call_counts_sees_later_calls() {
        let counts = CallCounts::default();
        let handle = counts.clone();
        counts.add("ListServices");
        counts.add("ListServices");
        counts.add("CreateService");
        assert_eq!(handle.total(), 3);
        assert_eq!(
            handle.snapshot(),
            [
                ("CreateService".to_string(), 1),
                ("ListServices".to_string(), 2)
            ]
            .into()
        );
    }
}
