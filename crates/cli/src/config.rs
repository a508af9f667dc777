//! Controller configuration, in two stages (as ripgrep's LowArgs/HiArgs):
//! [`Settings`] is what the user wrote, layered defaults < config file <
//! environment < flags; [`Settings::resolve`] checks it and derives the rest.
//!
//! The environment names are the AWS Gateway API Controller's, so a user of
//! that controller changes nothing. A bad value is an error naming the key
//! and where it came from (file, variable or flag).

pub mod metadata;
pub mod variables;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Yaml};
use lattice_core::ClusterConfig;
use lattice_core::config::ReferenceGrantPolicy;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The anchor controller's environment variables that the controller reads.
pub const ENV_KEYS: &[&str] = &[
    "CLUSTER_NAME",
    "CLUSTER_VPC_ID",
    "REGION",
    "AWS_ACCOUNT_ID",
    "DEFAULT_SERVICE_NETWORK",
    "ENABLE_SERVICE_NETWORK_OVERRIDE",
    "LATTICE_ENDPOINT",
    "LOG_LEVEL",
    "ROUTE_MAX_CONCURRENT_RECONCILES",
    "RECONCILE_DEFAULT_RESYNC_SECONDS",
];

/// lattice-host's own variables, beside the anchor controller's.
pub const OWN_ENV_KEYS: &[&str] = &[
    "REFERENCE_GRANT_POLICY",
    "ADMIN_LISTEN",
    "LOG_FORMAT",
    "LATTICE_READS_PER_SECOND",
    "LATTICE_WRITES_PER_SECOND",
    "LATTICE_MAX_CONCURRENT_CALLS",
];

/// The variables whose values are text, whatever they look like.
const TEXT_KEYS: &[&str] = &[
    "CLUSTER_NAME",
    "CLUSTER_VPC_ID",
    "REGION",
    "AWS_ACCOUNT_ID",
    "DEFAULT_SERVICE_NETWORK",
    "LATTICE_ENDPOINT",
    "LOG_LEVEL",
    "ADMIN_LISTEN",
    "LOG_FORMAT",
    "REFERENCE_GRANT_POLICY",
];

/// The identity instance metadata gives when unset, in the order an error
/// names them.
pub const IDENTITY_KEYS: [&str; 3] = ["REGION", "AWS_ACCOUNT_ID", "CLUSTER_VPC_ID"];

/// The resync period when `RECONCILE_DEFAULT_RESYNC_SECONDS` is unset. The
/// Go controller's default is 0 (off); a resync here only lists what
/// Lattice holds, and writes nothing when nothing drifted.
pub const DEFAULT_RESYNC_SECONDS: u64 = 600;

/// The shortest resync the Go controller takes, but 0 (off).
pub const MIN_RESYNC_SECONDS: u64 = 60;

/// The log filter when `LOG_LEVEL` is not set, for every command.
pub const DEFAULT_LOG_LEVEL: &str = "info";

/// Where `run` serves `/metrics`, `/healthz` and `/readyz` when
/// `ADMIN_LISTEN` is not set.
pub const DEFAULT_ADMIN_LISTEN: &str = "0.0.0.0:8080";

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (the default).
    #[default]
    Text,
    /// One JSON object per line, span fields included.
    Json,
}

impl LogFormat {
    fn parse(value: &str) -> Result<Self, ConfigError> {
        match value.trim().to_ascii_lowercase().as_str() {
            "" | "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(ConfigError::OutOfRange {
                key: "LOG_FORMAT",
                message: format!("{other:?} is neither text nor json"),
            }),
        }
    }
}

/// The log format: `log_format` from `file` (`run --config`) <
/// `LOG_FORMAT`, else text. For every command, before logging is up, so a
/// bad value is returned for the binary to print.
pub fn log_format(file: Option<&Path>) -> Result<LogFormat, ConfigError> {
    let settings = Settings::load(file, &Settings::default()).unwrap_or_default();
    LogFormat::parse(settings.log_format.as_deref().unwrap_or(""))
}

/// The log filter: `log_level` from `file` (`run --config`) < `LOG_LEVEL`,
/// else [`DEFAULT_LOG_LEVEL`]. A file that cannot be read is reported by the
/// command itself, once logging is up.
pub fn log_level(file: Option<&Path>) -> String {
    Settings::load(file, &Settings::default())
        .ok()
        .and_then(|s| s.log_level)
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| DEFAULT_LOG_LEVEL.into())
}

/// Who this replica is, for the leader Lease and the Events it records:
/// `POD_NAMESPACE` (else `default`) and `HOSTNAME`, the pod's name (else
/// `lattice-host`), as the Deployment's downward API sets them.
pub fn replica() -> (String, String) {
    let var = |k: &str, default: &str| {
        std::env::var(k)
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| default.into())
    };
    (
        var("POD_NAMESPACE", "default"),
        var("HOSTNAME", "lattice-host"),
    )
}

/// How long the leader Lease holds without renewal:
/// `LEADER_LEASE_DURATION_SECONDS` (else 15; the holder renews every third
/// of it). A follower takes over at most this long after the leader dies.
pub fn lease_duration() -> anyhow::Result<std::time::Duration> {
    const VAR: &str = "LEADER_LEASE_DURATION_SECONDS";
    let Some(text) = std::env::var(VAR).ok().filter(|v| !v.is_empty()) else {
        return Ok(std::time::Duration::from_secs(15));
    };
    match text.trim().parse::<u64>() {
        Ok(secs @ 3..=3600) => Ok(std::time::Duration::from_secs(secs)),
        _ => anyhow::bail!("{VAR}={text:?}: expected whole seconds from 3 to 3600"),
    }
}

/// What the user configured; every key optional until resolved.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `CLUSTER_NAME`.
    #[serde(default, deserialize_with = "text")]
    pub cluster_name: Option<String>,
    /// `CLUSTER_VPC_ID`.
    #[serde(default, deserialize_with = "text")]
    pub cluster_vpc_id: Option<String>,
    /// `REGION`.
    #[serde(default, deserialize_with = "text")]
    pub region: Option<String>,
    /// `AWS_ACCOUNT_ID`.
    #[serde(default, deserialize_with = "text")]
    pub aws_account_id: Option<String>,
    /// `DEFAULT_SERVICE_NETWORK`.
    #[serde(default, deserialize_with = "text")]
    pub default_service_network: Option<String>,
    /// `ENABLE_SERVICE_NETWORK_OVERRIDE`: `true` (any case) makes every
    /// Gateway stand for `DEFAULT_SERVICE_NETWORK`, when that is set.
    #[serde(default, deserialize_with = "go_bool")]
    pub enable_service_network_override: Option<bool>,
    /// `LATTICE_ENDPOINT`: a VPC Lattice endpoint override.
    #[serde(default, deserialize_with = "text")]
    pub lattice_endpoint: Option<String>,
    /// `LOG_LEVEL`: a level (`debug`, `info`, …) or a `tracing` filter;
    /// [`DEFAULT_LOG_LEVEL`] when unset.
    #[serde(default, deserialize_with = "text")]
    pub log_level: Option<String>,
    /// `ROUTE_MAX_CONCURRENT_RECONCILES`.
    pub route_max_concurrent_reconciles: Option<u32>,
    /// `RECONCILE_DEFAULT_RESYNC_SECONDS`: 0 (off) or at least
    /// [`MIN_RESYNC_SECONDS`]; [`DEFAULT_RESYNC_SECONDS`] when unset.
    pub reconcile_default_resync_seconds: Option<u64>,
    /// `REFERENCE_GRANT_POLICY`: `require` (the default) or `ignore`.
    #[serde(default, deserialize_with = "text")]
    pub reference_grant_policy: Option<String>,
    /// `ADMIN_LISTEN`: the address of `/metrics`, `/healthz` and
    /// `/readyz`; [`DEFAULT_ADMIN_LISTEN`] when unset.
    pub admin_listen: Option<String>,
    /// `LOG_FORMAT`: `text` (the default) or `json`.
    pub log_format: Option<String>,
    /// `LATTICE_READS_PER_SECOND`: sustained `Get*`/`List*` calls (0: no limit).
    pub lattice_reads_per_second: Option<u32>,
    /// `LATTICE_WRITES_PER_SECOND`: sustained other calls (0: no limit).
    pub lattice_writes_per_second: Option<u32>,
    /// `LATTICE_MAX_CONCURRENT_CALLS`: VPC Lattice calls in flight at once.
    pub lattice_max_concurrent_calls: Option<u32>,
}

/// A text setting. YAML reads `aws_account_id: 123456789012` as a number:
/// take it back as the digits written (quote it to keep a leading zero).
fn text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        S(String),
        U(u64),
        I(i64),
        F(f64),
        B(bool),
    }
    Ok(Option::<Text>::deserialize(d)?.map(|t| match t {
        Text::S(s) => s,
        Text::U(n) => n.to_string(),
        Text::I(n) => n.to_string(),
        Text::F(n) => n.to_string(),
        Text::B(b) => b.to_string(),
    }))
}

/// A bool as the Go controller reads one: `true` or `false` in any case.
fn go_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Bool {
        B(bool),
        S(String),
    }
    match Option::<Bool>::deserialize(d)? {
        None => Ok(None),
        Some(Bool::B(b)) => Ok(Some(b)),
        Some(Bool::S(s)) if s.trim().is_empty() => Ok(None),
        Some(Bool::S(s)) if s.trim().eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Bool::S(s)) if s.trim().eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(Bool::S(s)) => Err(serde::de::Error::custom(format!(
            "{s:?} is neither true nor false"
        ))),
    }
}

/// The checked configuration the controller runs with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Cluster identity (names and the ManagedBy tag).
    pub cluster: ClusterConfig,
    /// Lattice endpoint override.
    pub lattice_endpoint: Option<String>,
    /// Routes reconciled at once.
    pub max_concurrent_reconciles: u32,
    /// Period of the drift resync; zero: none.
    pub resync: Duration,
    /// Where the admin server listens.
    pub admin_listen: SocketAddr,
    /// How log lines are written.
    pub log_format: LogFormat,
    /// How fast VPC Lattice is called.
    pub lattice_calls: LatticeCalls,
}

/// How fast VPC Lattice is called: an account's quotas are shared with
/// everything else that calls it, so the defaults stay well under them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LatticeCalls {
    /// Sustained reads per second, bursting to twice that (0: no limit).
    pub reads_per_second: u32,
    /// Sustained writes per second, bursting to twice that (0: no limit).
    pub writes_per_second: u32,
    /// Calls in flight at once.
    pub concurrency: u32,
}

impl LatticeCalls {
    /// The applier's options: these limits, the default retries.
    pub fn apply_options(&self) -> lattice_apply::ApplyOptions {
        let rate = |per_second: u32| {
            (per_second > 0).then(|| lattice_apply::RateLimit {
                per_second: f64::from(per_second),
                burst: per_second.saturating_mul(2),
            })
        };
        lattice_apply::ApplyOptions {
            read_rate: rate(self.reads_per_second),
            write_rate: rate(self.writes_per_second),
            concurrency: self.concurrency as usize,
            ..Default::default()
        }
    }
}

/// A configuration that cannot be used.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// A value of the wrong type, with figment's account of key and source.
    #[error("{0}")]
    Invalid(#[from] Box<figment::Error>),
    /// A value outside its range.
    #[error("{key}: {message}")]
    OutOfRange {
        /// The variable name.
        key: &'static str,
        /// What is allowed.
        message: String,
    },
    /// A value that must be given.
    #[error("{key} is required: set it in the environment, the config file or with --{flag}")]
    Missing {
        /// The variable name.
        key: &'static str,
        /// The flag name.
        flag: &'static str,
    },
    /// Identity left unset that instance metadata could not give.
    #[error(
        "cannot reach EC2 instance metadata ({reason}): set {}",
        names(missing)
    )]
    Metadata {
        /// What went wrong, on one line.
        reason: String,
        /// The variables to set instead, in [`IDENTITY_KEYS`] order.
        missing: Vec<&'static str>,
    },
}

/// `A`, `A and B`, `A, B and C`.
fn names(keys: &[&str]) -> String {
    match keys {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

impl Settings {
    /// Layers defaults < `file` < environment < `flags`.
    pub fn load(file: Option<&Path>, flags: &Settings) -> Result<Settings, ConfigError> {
        let mut fig = Figment::new();
        if let Some(f) = file {
            fig = fig.merge(Yaml::file_exact(f));
        }
        // An empty variable is an unset one, as the Go controller reads them:
        // its Helm chart renders every variable, `""` where unset.
        let set = |k: &&str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
        let (text, typed): (Vec<&str>, Vec<&str>) = ENV_KEYS
            .iter()
            .chain(OWN_ENV_KEYS)
            .copied()
            .filter(set)
            .partition(|k| TEXT_KEYS.contains(k));
        fig = fig.merge(
            Env::raw()
                .only(&typed)
                .map(|k| k.as_str().to_ascii_lowercase().into()),
        );
        // Text as written: figment would read `AWS_ACCOUNT_ID=012345678901`
        // as the number 12345678901.
        let text: std::collections::BTreeMap<String, String> = text
            .iter()
            .filter_map(|k| Some((k.to_ascii_lowercase(), std::env::var(k).ok()?)))
            .collect();
        fig = fig.merge(figment::providers::Serialized::defaults(text));
        let mut merged: Settings = fig.extract().map_err(Box::new)?;
        // Flags go last, key by key: an unset flag keeps what a file or
        // variable gave (figment would let its `None` erase them).
        merged.overlay(flags.clone());
        Ok(merged)
    }

    fn overlay(&mut self, o: Settings) {
        macro_rules! take {
            ($($f:ident),*) => { $( if o.$f.is_some() { self.$f = o.$f; } )* };
        }
        take!(
            cluster_name,
            cluster_vpc_id,
            region,
            aws_account_id,
            default_service_network,
            enable_service_network_override,
            lattice_endpoint,
            log_level,
            route_max_concurrent_reconciles,
            reconcile_default_resync_seconds,
            reference_grant_policy,
            admin_listen,
            log_format,
            lattice_reads_per_second,
            lattice_writes_per_second,
            lattice_max_concurrent_calls
        );
    }

    /// Checks ranges and fills defaults. The cluster's identity must be
    /// set by now: [`resolve_with_metadata`] asks instance metadata first.
    pub fn resolve(self) -> Result<Config, ConfigError> {
        let concurrency = self.route_max_concurrent_reconciles.unwrap_or(20);
        if !(1..=1000).contains(&concurrency) {
            return Err(ConfigError::OutOfRange {
                key: "ROUTE_MAX_CONCURRENT_RECONCILES",
                message: format!("{concurrency} is not between 1 and 1000"),
            });
        }
        let resync = self.resync()?;
        let admin = self.admin_listen.as_deref().filter(|a| !a.is_empty());
        let admin = admin.unwrap_or(DEFAULT_ADMIN_LISTEN);
        let admin_listen = admin.parse().map_err(|e| ConfigError::OutOfRange {
            key: "ADMIN_LISTEN",
            message: format!("{admin:?} is not an address and port (such as 0.0.0.0:8080): {e}"),
        })?;
        let log_format = LogFormat::parse(self.log_format.as_deref().unwrap_or(""))?;
        let lattice_calls = LatticeCalls {
            reads_per_second: self.lattice_reads_per_second.unwrap_or(50),
            writes_per_second: self.lattice_writes_per_second.unwrap_or(10),
            concurrency: self.lattice_max_concurrent_calls.unwrap_or(16),
        };
        if !(1..=1000).contains(&lattice_calls.concurrency) {
            return Err(ConfigError::OutOfRange {
                key: "LATTICE_MAX_CONCURRENT_CALLS",
                message: format!("{} is not between 1 and 1000", lattice_calls.concurrency),
            });
        }
        let lattice_endpoint = self.lattice_endpoint.clone().filter(|s| !s.is_empty());
        Ok(Config {
            cluster: self.cluster()?,
            lattice_endpoint,
            max_concurrent_reconciles: concurrency,
            resync,
            admin_listen,
            log_format,
            lattice_calls,
        })
    }

    /// `RECONCILE_DEFAULT_RESYNC_SECONDS` as the Go controller takes it: 0
    /// turns the resync off, anything else is at least a minute.
    fn resync(&self) -> Result<Duration, ConfigError> {
        match self.reconcile_default_resync_seconds {
            None => Ok(Duration::from_secs(DEFAULT_RESYNC_SECONDS)),
            Some(s) if s == 0 || s >= MIN_RESYNC_SECONDS => Ok(Duration::from_secs(s)),
            Some(s) => Err(ConfigError::OutOfRange {
                key: "RECONCILE_DEFAULT_RESYNC_SECONDS",
                message: format!(
                    "{s} is neither 0 (off) nor at least {MIN_RESYNC_SECONDS}: every resync lists all of VPC Lattice"
                ),
            }),
        }
    }

    /// The variables of [`IDENTITY_KEYS`] left unset, in that order.
    pub fn unset_identity(&self) -> Vec<&'static str> {
        let set = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.is_empty());
        let values = [&self.region, &self.aws_account_id, &self.cluster_vpc_id];
        IDENTITY_KEYS
            .into_iter()
            .zip(values)
            .filter(|(_, v)| !set(v))
            .map(|(k, _)| k)
            .collect()
    }

    /// The identity and what changes how routes resolve.
    fn cluster(&self) -> Result<ClusterConfig, ConfigError> {
        // The cluster's identity names and tags what it owns in VPC Lattice
        // (`ManagedBy` is account/cluster/VPC): a made-up default would
        // fail to recognise, or take over, the wrong resources.
        let required = |v: &Option<String>, key, flag| {
            v.clone()
                .filter(|s| !s.is_empty())
                .ok_or(ConfigError::Missing { key, flag })
        };
        let cluster_name = required(&self.cluster_name, "CLUSTER_NAME", "cluster-name")?;
        let policy = self.reference_grant_policy.as_deref().unwrap_or("");
        let reference_grants = match policy.trim() {
            "" => ReferenceGrantPolicy::default(),
            p => p.parse().map_err(|message| ConfigError::OutOfRange {
                key: ReferenceGrantPolicy::VARIABLE,
                message,
            })?,
        };
        Ok(ClusterConfig {
            vpc_id: required(&self.cluster_vpc_id, "CLUSTER_VPC_ID", "cluster-vpc-id")?,
            region: required(&self.region, "REGION", "region")?,
            account_id: required(&self.aws_account_id, "AWS_ACCOUNT_ID", "aws-account-id")?,
            cluster_name,
            default_service_network: self
                .default_service_network
                .clone()
                .filter(|s| !s.is_empty()),
            service_network_override: self.enable_service_network_override.unwrap_or(false),
            reference_grants,
        })
    }
}

/// Resolves `settings`; when the only thing missing is identity that
/// instance metadata gives (region, account, VPC), asks `metadata` for it
/// first, as the Go controller does. Every other check comes first, so a
/// bad or missing setting is named without waiting on metadata.
pub async fn resolve_with_metadata(
    settings: Settings,
    metadata: &metadata::Metadata,
) -> Result<Config, ConfigError> {
    match settings.clone().resolve() {
        Err(ConfigError::Missing { key, .. }) if IDENTITY_KEYS.contains(&key) => {
            metadata.complete(settings).await?.resolve()
        }
        done => done,
    }
}

#[cfg(test)]
mod tests;
