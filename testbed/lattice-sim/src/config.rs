//! Configuration of an emulator instance: identity, timing, quotas and faults.

use crate::faults::FaultRules;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Service quotas, defaulting to the AWS defaults for VPC Lattice (per account and
/// Region unless noted). Exceeding one gives `ServiceQuotaExceededException`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Quotas {
    /// Service networks per Region (AWS default 10).
    pub service_networks: u64,
    /// Services per Region (AWS default 500).
    pub services: u64,
    /// Target groups per Region (AWS default 500).
    pub target_groups: u64,
    /// Listeners per service (AWS default 2).
    pub listeners_per_service: u64,
    /// Non-default rules per listener (AWS default 10).
    pub rules_per_listener: u64,
    /// Targets per target group (AWS default 1000).
    pub targets_per_target_group: u64,
    /// Service associations per service network (AWS default 500).
    pub service_associations_per_service_network: u64,
    /// VPC associations per service network (AWS default 500).
    pub vpc_associations_per_service_network: u64,
    /// Tags per resource (AWS default 50).
    pub tags_per_resource: u64,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            service_networks: 10,
            services: 500,
            target_groups: 500,
            listeners_per_service: 2,
            rules_per_listener: 10,
            targets_per_target_group: 1000,
            service_associations_per_service_network: 500,
            vpc_associations_per_service_network: 500,
            tags_per_resource: 50,
        }
    }
}

impl Quotas {
    /// Quotas so high they never bite (for benchmarks that create thousands of objects).
    pub fn unlimited() -> Self {
        let n = u64::MAX;
        Quotas {
            service_networks: n,
            services: n,
            target_groups: n,
            listeners_per_service: n,
            rules_per_listener: n,
            targets_per_target_group: n,
            service_associations_per_service_network: n,
            vpc_associations_per_service_network: n,
            tags_per_resource: n,
        }
    }
}

/// How an emulator instance behaves. Deserialises from camelCase JSON/YAML (with
/// `statusDelayMs` for the delay), every field optional, for a CLI or config file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SimConfig {
    /// The 12-digit account id put in ARNs and `createdBy`.
    pub account_id: String,
    /// The Region put in ARNs and DNS names.
    pub region: String,
    /// How long services, target groups and associations stay `CREATE_IN_PROGRESS` (and
    /// targets `INITIAL`, deregistered targets `DRAINING`) before they settle. Zero means
    /// they are `ACTIVE` in the create response itself.
    #[serde(rename = "statusDelayMs", with = "millis")]
    pub status_delay: Duration,
    /// Service quotas.
    pub quotas: Quotas,
    /// Faults injected from the start; they can be changed at run time.
    pub faults: FaultRules,
    /// Seed for the fault dice; `None` seeds from the OS.
    pub fault_seed: Option<u64>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            account_id: "111122223333".to_string(),
            region: "us-west-2".to_string(),
            status_delay: Duration::ZERO,
            quotas: Quotas::default(),
            faults: FaultRules::default(),
            fault_seed: None,
        }
    }
}

mod millis {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_reads_from_partial_camel_case_json() {
        let cfg: SimConfig = serde_json::from_str(
            r#"{"region":"eu-west-1","statusDelayMs":250,"quotas":{"services":3},
                "faults":{"*":{"latencyMs":10}}}"#,
        )
        .expect("parse");
        assert_eq!(cfg.region, "eu-west-1");
        assert_eq!(cfg.account_id, "111122223333");
        assert_eq!(cfg.status_delay, Duration::from_millis(250));
        assert_eq!(
            (cfg.quotas.services, cfg.quotas.listeners_per_service),
            (3, 2)
        );
        assert_eq!(cfg.faults["*"].latency_ms, 10);
    }
}
