//! The status of ServiceNetwork objects, as the Go controller writes it:
//! `Accepted` and `Programmed` conditions, and the network's
//! `serviceNetworkARN` and `serviceNetworkID` once Lattice has it.

use std::collections::BTreeSet;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use serde_json::{Value, json};

use super::gateway::{StatusPatch, StatusTarget};
use super::{cond, conditions_at, keep_times, without_times};
use crate::model::service_network::{gateways_named, invalid};
use crate::snapshot::Snapshot;

/// What the last whole apply knows of a declared network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetworkState {
    /// In Lattice, with its ARN and id.
    Present {
        /// ARN.
        arn: String,
        /// Id.
        id: String,
    },
    /// Left alone, or not deleted, on purpose: `reason` (`Conflicted`,
    /// `InUse`) and why.
    Refused {
        /// Condition reason.
        reason: String,
        /// Lattice's or the applier's words.
        message: String,
    },
    /// Not in Lattice yet (its create failed or is still to come).
    Absent,
}

/// The status patches of the ServiceNetwork objects among `names` whose
/// status changed, given what the apply knows of each network (`None`: the
/// pass did not look, so only `Accepted` can be judged).
pub fn service_network_statuses(
    snapshot: &Snapshot,
    names: &BTreeSet<String>,
    state: &dyn Fn(&str) -> Option<NetworkState>,
    now: &Time,
) -> Vec<StatusPatch> {
    let mut out = Vec::new();
    for name in names {
        let Some(object) = snapshot.service_networks.get(name) else {
            continue;
        };
        let current = serde_json::to_value(object).unwrap_or_default();
        let old = current.get("status").cloned().unwrap_or(Value::Null);
        let Some(status) = status(snapshot, name, state(name), &old) else {
            continue;
        };
        let mut conditions: Vec<Condition> = status.conditions;
        let existing = conditions_at(&current, "/status/conditions");
        keep_times(&mut conditions, &existing, object.metadata.generation, now);
        let mut status_json = json!({ "conditions": conditions });
        if let Some((arn, id)) = status.ids {
            status_json["serviceNetworkARN"] = json!(arn);
            status_json["serviceNetworkID"] = json!(id);
        }
        if without_times(&old) != without_times(&status_json) {
            out.push(StatusPatch {
                target: StatusTarget::ServiceNetwork(name.clone()),
                status: status_json,
            });
        }
    }
    out
}

struct Judged {
    conditions: Vec<Condition>,
    ids: Option<(String, String)>,
}

/// The object's new status, or `None` when the pass knows nothing new.
fn status(
    snapshot: &Snapshot,
    name: &str,
    state: Option<NetworkState>,
    old: &Value,
) -> Option<Judged> {
    if let Some(why) = invalid(name) {
        let message = format!("metadata.name: VPC Lattice service network name {why}");
        let refused = cond("Accepted", false, "Invalid", message.clone());
        let programmed = cond("Programmed", false, "Invalid", message);
        return Some(Judged {
            conditions: vec![refused, programmed],
            ids: None,
        });
    }
    let mut message = "the object owns the VPC Lattice service network of its name".to_string();
    let object = snapshot.service_networks.get(name);
    if let Some(bad) = object.and_then(|o| crate::model::tags::problems_of(&o.metadata)) {
        message = format!("{message}; {bad}");
    }
    let accepted = cond("Accepted", true, "Accepted", message);
    let (programmed, ids) = match state? {
        NetworkState::Present { arn, id } => {
            let message = deletion_wait(snapshot, name)
                .unwrap_or_else(|| format!("aws-service-network-arn: {arn}"));
            (
                cond("Programmed", true, "Programmed", message),
                Some((arn, id)),
            )
        }
        NetworkState::Refused { reason, message } => {
            (cond("Programmed", false, &reason, message), ids_of(old))
        }
        NetworkState::Absent => (
            cond(
                "Programmed",
                false,
                "Pending",
                "the service network is not in VPC Lattice yet".into(),
            ),
            None,
        ),
    };
    Some(Judged {
        conditions: vec![accepted, programmed],
        ids,
    })
}

/// While the object is being deleted but a Gateway of its name still
/// uses the network: why it is kept.
fn deletion_wait(snapshot: &Snapshot, name: &str) -> Option<String> {
    let object = snapshot.service_networks.get(name)?;
    object.metadata.deletion_timestamp.as_ref()?;
    let gateways = gateways_named(snapshot, name);
    (!gateways.is_empty()).then(|| {
        format!(
            "deletion waits: Gateway {} uses the service network",
            gateways.join(", Gateway ")
        )
    })
}

/// The ARN and id an earlier status recorded.
fn ids_of(old: &Value) -> Option<(String, String)> {
    let arn = old.get("serviceNetworkARN")?.as_str()?;
    let id = old.get("serviceNetworkID")?.as_str()?;
    Some((arn.to_string(), id.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(objects: &[Value]) -> Snapshot {
        let mut s = Snapshot::default();
        for o in objects {
            s.add_manifest(o.clone()).unwrap();
        }
        s
    }

    fn network(name: &str, deleting: bool) -> Value {
        let mut meta = json!({"name": name, "generation": 2});
        if deleting {
            meta["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
        }
        json!({"apiVersion":"application-networking.k8s.aws/v1alpha1","kind":"ServiceNetwork",
            "metadata": meta, "spec": {}})
    }

    fn gateway(name: &str) -> Value {
        json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"Gateway",
            "metadata":{"name":name,"namespace":"apps"},
            "spec":{"gatewayClassName":"amazon-vpc-lattice","listeners":[
                {"name":"http","port":80,"protocol":"HTTP"}]}})
    }

    fn class() -> Value {
        json!({"apiVersion":"gateway.networking.k8s.io/v1","kind":"GatewayClass",
            "metadata":{"name":"amazon-vpc-lattice"},
            "spec":{"controllerName":"application-networking.k8s.aws/gateway-api-controller"}})
    }

    fn names(n: &[&str]) -> BTreeSet<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    fn present(_: &str) -> Option<NetworkState> {
        Some(NetworkState::Present {
            arn: "arn:aws:vpc-lattice:us-west-2:1:servicenetwork/sn-1".into(),
            id: "sn-1".into(),
        })
    }

    fn programmed(p: &StatusPatch) -> (&str, &str, &str) {
        let c = &p.status["conditions"][1];
        (
            c["status"].as_str().unwrap_or_default(),
            c["reason"].as_str().unwrap_or_default(),
            c["message"].as_str().unwrap_or_default(),
        )
    }

    #[test]
    fn a_network_in_lattice_is_programmed_with_its_arn_and_id() {
        let s = snapshot(&[network("shared", false)]);
        let out =
            service_network_statuses(&s, &names(&["shared"]), &present, &Time(Default::default()));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].target, StatusTarget::ServiceNetwork("shared".into()));
        assert_eq!(out[0].status["serviceNetworkID"], "sn-1");
        assert_eq!(out[0].status["conditions"][0]["observedGeneration"], 2);
        assert_eq!(programmed(&out[0]).0, "True");
    }

    #[test]
    fn a_pass_that_did_not_look_writes_nothing_but_a_refused_name() {
        let s = snapshot(&[network("shared", false), network("Bad_Name", false)]);
        let out = service_network_statuses(
            &s,
            &names(&["shared", "Bad_Name"]),
            &|_| None,
            &Time(Default::default()),
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].status["conditions"][0]["reason"], "Invalid");
    }

    #[test]
    fn a_deletion_waiting_on_a_gateway_says_which() {
        let s = snapshot(&[class(), gateway("shared"), network("shared", true)]);
        let out =
            service_network_statuses(&s, &names(&["shared"]), &present, &Time(Default::default()));
        let (status, _, message) = programmed(&out[0]);
        assert_eq!(status, "True");
        assert!(message.contains("Gateway apps/shared"), "{message}");
    }

    #[test]
    fn a_refused_network_keeps_the_ids_it_had() {
        let mut object = network("shared", true);
        object["status"] = json!({"serviceNetworkARN": "arn:x", "serviceNetworkID": "sn-9"});
        let s = snapshot(&[object]);
        let in_use = |_: &str| {
            Some(NetworkState::Refused {
                reason: "InUse".into(),
                message: "services that are not ours are still associated".into(),
            })
        };
        let out =
            service_network_statuses(&s, &names(&["shared"]), &in_use, &Time(Default::default()));
        assert_eq!(programmed(&out[0]).1, "InUse");
        assert_eq!(out[0].status["serviceNetworkID"], "sn-9");
    }
}
