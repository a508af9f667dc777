//! Flags shared by several commands: the cluster's identity and the plugins.
//! They only hold what the user typed; `config()` turns them into the typed
//! configuration the libraries take.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use lattice_core::ClusterConfig;
use lattice_core::config::ReferenceGrantPolicy;
use lattice_plugin_sdk::types::Stage;
use lattice_wasm::{ComponentCache, Limits, PluginConfig};

/// Cluster identity, named as the Go controller's environment names it.
#[derive(Debug, Clone, Args)]
pub struct ClusterArgs {
    /// AWS account id (ManagedBy tag).
    #[arg(long, env = "AWS_ACCOUNT_ID", default_value = "111122223333")]
    pub account_id: String,
    /// Cluster name (ManagedBy tag).
    #[arg(long, env = "CLUSTER_NAME", default_value = "lattice-host")]
    pub cluster_name: String,
    /// The cluster's VPC id (ManagedBy tag).
    #[arg(long, env = "CLUSTER_VPC_ID", default_value = "vpc-00000000000000000")]
    pub vpc_id: String,
    /// AWS region.
    #[arg(long, env = "REGION", default_value = "us-west-2")]
    pub region: String,
    /// A service network found or created and joined to the cluster VPC.
    #[arg(long, env = "DEFAULT_SERVICE_NETWORK")]
    pub default_service_network: Option<String>,
    /// Every Gateway stands for the default service network: each route's
    /// service joins it and no other (with --default-service-network).
    #[arg(long, env = "ENABLE_SERVICE_NETWORK_OVERRIDE", value_parser = go_bool, default_value = "false", num_args = 0..=1, default_missing_value = "true")]
    pub service_network_override: bool,
    /// Whether a cross-namespace backend needs a ReferenceGrant: require or ignore.
    #[arg(long, env = "REFERENCE_GRANT_POLICY", value_parser = grant_policy, default_value = "require")]
    pub reference_grant_policy: ReferenceGrantPolicy,
}

/// `true` or `false` in any case, as the Go controller reads its flags; empty is false.
fn go_bool(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" | "" => Ok(false),
        other => Err(format!("{other:?} is neither true nor false")),
    }
}

/// `require` or `ignore`; empty is the default.
fn grant_policy(s: &str) -> Result<ReferenceGrantPolicy, String> {
    if s.trim().is_empty() {
        return Ok(ReferenceGrantPolicy::default());
    }
    s.parse()
}

impl ClusterArgs {
    /// The cluster config.
    pub fn config(&self) -> ClusterConfig {
        ClusterConfig {
            account_id: self.account_id.clone(),
            cluster_name: self.cluster_name.clone(),
            vpc_id: self.vpc_id.clone(),
            region: self.region.clone(),
            default_service_network: self
                .default_service_network
                .clone()
                .filter(|s| !s.is_empty()),
            service_network_override: self.service_network_override,
            reference_grants: self.reference_grant_policy,
        }
    }
}

/// Plugin runtime options.
#[derive(Debug, Clone, Args)]
pub struct PluginArgs {
    /// Replace a stage's default plugin: STAGE=FILE.wasm (stage: mapping, weighting, auth).
    #[arg(long = "plugin", value_name = "STAGE=FILE")]
    pub plugins: Vec<String>,
    /// Settings JSON for a stage's plugin: STAGE=JSON.
    #[arg(long = "plugin-settings", value_name = "STAGE=JSON")]
    pub settings: Vec<String>,
    /// What a stage's failure on a route does: STAGE=KeepLastGood (the
    /// default: Lattice keeps what it holds for the route), STAGE=FailClosed
    /// (the affected rules answer 500) or STAGE=UseDefault (the built-in
    /// plugin decides the route).
    #[arg(long = "plugin-failure-policy", value_name = "STAGE=POLICY")]
    pub failure_policies: Vec<String>,
    /// Wall-clock budget of one plugin call, in milliseconds.
    #[arg(long, default_value_t = 100)]
    pub plugin_timeout_ms: u64,
    /// Memory budget of one plugin instance, in MiB.
    #[arg(long, default_value_t = 64)]
    pub plugin_memory_mib: usize,
    /// Where compiled plugins are cached (default: the user cache directory).
    #[arg(long, env = "LATTICE_HOST_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Do not cache compiled plugins on disk.
    #[arg(long)]
    pub no_cache: bool,
}

fn parse_stage(s: &str) -> anyhow::Result<Stage> {
    Ok(match s {
        "mapping" => Stage::Mapping,
        "weighting" => Stage::Weighting,
        "auth" => Stage::Auth,
        other => bail!("unknown stage {other:?}: expected mapping, weighting or auth"),
    })
}

/// `STAGE=VALUE` pairs of one flag, in order.
fn stage_pairs(values: &[String], flag: &str) -> anyhow::Result<Vec<(Stage, String)>> {
    values
        .iter()
        .map(|v| {
            let (stage, rest) = v
                .split_once('=')
                .with_context(|| format!("--{flag} {v:?}: expected STAGE=VALUE"))?;
            Ok((
                parse_stage(stage).with_context(|| format!("--{flag} {v:?}"))?,
                rest.to_string(),
            ))
        })
        .collect()
}

impl PluginArgs {
    /// The plugin configuration the flags describe; the last flag for a stage wins.
    pub fn config(&self) -> anyhow::Result<PluginConfig> {
        let mut config = PluginConfig {
            limits: Limits {
                timeout: std::time::Duration::from_millis(self.plugin_timeout_ms.max(1)),
                max_memory_bytes: self.plugin_memory_mib.max(1) << 20,
                ..Limits::default()
            },
            cache_dir: if self.no_cache {
                None
            } else {
                self.cache_dir.clone().or_else(ComponentCache::default_dir)
            },
            ..PluginConfig::default()
        };
        for (stage, file) in stage_pairs(&self.plugins, "plugin")? {
            config.stage_mut(stage).file = Some(file.into());
        }
        for (stage, settings) in stage_pairs(&self.settings, "plugin-settings")? {
            config.stage_mut(stage).settings = settings;
        }
        for (stage, policy) in stage_pairs(&self.failure_policies, "plugin-failure-policy")? {
            config.stage_mut(stage).failure_policy = policy
                .parse()
                .map_err(|e: String| anyhow::anyhow!("--plugin-failure-policy {policy:?}: {e}"))?;
        }
        Ok(config)
    }
}

/// Where a command reads its routes from: manifests, or a cluster.
#[derive(Debug, Clone, Args)]
pub struct RoutesSource {
    /// Manifest files or directories (multi-document YAML or JSON).
    #[arg(short = 'f', long = "filename", num_args = 1.., required_unless_present = "kubeconfig", conflicts_with = "kubeconfig")]
    pub files: Vec<PathBuf>,
    /// Read a cluster instead (its current context), as the controller sees it.
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
}

impl RoutesSource {
    /// The objects, and a client when they come from a cluster.
    pub fn load(
        &self,
        rt: &tokio::runtime::Runtime,
    ) -> anyhow::Result<(lattice_core::Snapshot, Option<kube::Client>)> {
        let Some(path) = &self.kubeconfig else {
            return Ok((lattice_wiring::manifests::load(&self.files)?.snapshot, None));
        };
        rt.block_on(async {
            let client = crate::commands::kube_client(path).await?;
            let snapshot = lattice_wiring::cluster::snapshot(&client).await?;
            Ok((snapshot, Some(client)))
        })
    }
}
