//! `lattice-apply`: make Amazon VPC Lattice match a [`Plan`], with the fewest
//! API calls.
//!
//! ```text
//! Plan ─┐
//!       ├─► diff (pure) ─► ordered ops ─► executor ─► aws-sdk-vpclattice ─► Lattice
//! observe (List*, cached details) ─┘        │ token buckets, retries,
//!                                           │ bounded concurrency, clientTokens
//!                                           ▼
//!                                       ApplyReport
//! ```
//!
//! - [`observed`] reads Lattice with paginated List* calls and a cache
//!   ([`cache`]) of the details list calls lack, so a steady-state pass makes
//!   no Get* calls;
//! - [`diff`] is pure: observed state + plan + cluster identity → operations;
//! - [`health_check`] turns a planned health check into what Lattice is sent,
//!   and guards Lattice's limits;
//! - [`ownership`] decides what may be changed (ManagedBy tag, adoption,
//!   `allow-takeover-from`);
//! - [`executor`] runs operations in dependency order;
//! - [`scope`] narrows a pass to what a few changed routes touch.

pub mod cache;
pub mod caller;
pub mod convert;
pub mod credentials;
pub mod diff;
mod engine;
pub mod executor;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
pub mod health_check;
mod metrics;
pub mod model;
pub mod names;
pub mod observed;
pub mod ops;
mod options;
pub mod ownership;
pub mod priorities;
pub mod report;
pub mod scope;

#[cfg(test)]
mod diff_tests;

/// The VPC Lattice client [`connect`] makes.
pub use aws_sdk_vpclattice::Client;
pub use caller::CallCounts;
pub use engine::{Applier, Fence};
pub use metrics::{CallMetrics, CallOutcome};
pub use options::{ApplyOptions, RateLimit};
pub use report::{ApplyReport, Failure, NetworkEndpoint, ServiceEndpoint};
pub use scope::Scope;

use lattice_core::ClusterConfig;
use lattice_core::plan::Plan;

/// Apply `plan` once with a fresh cache (a long-running controller keeps an
/// [`Applier`] instead, so later passes make list calls only).
pub async fn apply(
    client: &aws_sdk_vpclattice::Client,
    cfg: &ClusterConfig,
    plan: &Plan,
    opts: &ApplyOptions,
) -> ApplyReport {
    Applier::new(client.clone(), cfg.clone(), opts.clone())
        .apply(plan)
        .await
}

/// A Lattice client from the usual AWS configuration chain (environment,
/// profile, web identity, container endpoint, IMDS) for `region`, pointed
/// at `endpoint` when given (the binary's configuration reads
/// `LATTICE_ENDPOINT`), once credentials have been found: without any, the
/// error is one line naming each source the chain tried, instead of every
/// call failing with the SDK's account of it. The SDK's own retries are
/// off: the executor retries with its own backoff and rate limits.
pub async fn connect(
    endpoint: Option<&str>,
    region: &str,
) -> Result<aws_sdk_vpclattice::Client, credentials::NoCredentials> {
    let shared = load(region).await;
    credentials::check(shared.credentials_provider()).await?;
    Ok(lattice_client(&shared, endpoint))
}

async fn load(region: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_string()))
        .load()
        .await
}

fn lattice_client(
    shared: &aws_config::SdkConfig,
    endpoint: Option<&str>,
) -> aws_sdk_vpclattice::Client {
    let mut b = aws_sdk_vpclattice::config::Builder::from(shared)
        .retry_config(aws_sdk_vpclattice::config::retry::RetryConfig::disabled())
        .timeout_config(
            aws_sdk_vpclattice::config::timeout::TimeoutConfig::builder()
                .operation_attempt_timeout(std::time::Duration::from_secs(20))
                .build(),
        );
    if let Some(e) = endpoint.filter(|e| !e.is_empty()) {
        b = b.endpoint_url(e);
    }
    aws_sdk_vpclattice::Client::from_conf(b.build())
}
