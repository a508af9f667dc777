//! What an apply did: changes by object, failures naming the object and
//! Lattice's error, the calls it made, and where the plan's services are.
//!
//! Every failure and diagnostic carries a typed [`ResourceRef`] (kind, Lattice
//! name, routes) next to its display text, so a status writer can attribute
//! it to routes without parsing the text ([`ApplyReport::problems`]).

use crate::caller::CallError;
use crate::diff::Diagnostic;
use crate::executor::Outcome;
use crate::ops::Op;
use lattice_core::plan::{ApplyProblem, ResourceKind, ResourceRef};
use serde::Serialize;
use std::collections::BTreeMap;

/// One operation that did not complete.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The object, e.g. `rule books-bookstore/http-80/k8s-… (priority 3)`.
    pub object: String,
    /// The plan item it is about, and the routes that want it.
    pub resource: ResourceRef,
    /// The Lattice operation.
    pub operation: String,
    /// Lattice's error code, `DependencyFailed` when skipped, or the transport failure.
    pub code: String,
    /// Lattice's message, or which dependency failed.
    pub message: String,
}

/// Where a service of the plan is in Lattice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceEndpoint {
    /// The service's ARN.
    pub arn: String,
    /// Its `dnsEntry.domainName`, when Lattice reported one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns_name: Option<String>,
}

/// A service network in Lattice after a whole pass.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkEndpoint {
    /// The network's ARN.
    pub arn: String,
    /// Its id.
    pub id: String,
    /// Tagged as this cluster's (created or adopted by it).
    pub ours: bool,
}

/// The result of [`crate::apply`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ApplyReport {
    /// Objects created (one entry per operation).
    pub created: Vec<String>,
    /// Objects updated.
    pub updated: Vec<String>,
    /// Objects deleted.
    pub deleted: Vec<String>,
    /// Completed operations per Lattice operation name.
    pub ops: BTreeMap<String, u64>,
    /// Operations that failed or were skipped.
    pub failures: Vec<Failure>,
    /// What was left alone on purpose (conflicts, immutable fields).
    pub diagnostics: Vec<Diagnostic>,
    /// Calls made per Lattice operation, reads and retries included.
    pub calls: BTreeMap<String, u64>,
    /// Every service of the applied plan (whole or scoped) that exists in
    /// Lattice after the pass, by Lattice name: from what the pass listed or
    /// created, so it costs no call of its own.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, ServiceEndpoint>,
    /// Every service network Lattice holds after a whole pass, by name
    /// (empty after a scoped pass, which does not list them).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub service_networks: BTreeMap<String, NetworkEndpoint>,
    /// The ARN of each of our access log subscriptions the pass read or
    /// created, by the AccessLogPolicy (`namespace/name`) it is for.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub access_log_subscriptions: BTreeMap<String, String>,
}

impl ApplyReport {
    /// Whether Lattice accepted everything that was attempted.
    pub fn is_success(&self) -> bool {
        self.failures.is_empty()
    }

    /// Writes completed.
    pub fn writes(&self) -> u64 {
        self.ops.values().sum()
    }

    /// Total calls made.
    pub fn total_calls(&self) -> u64 {
        self.calls.values().sum()
    }

    /// Everything that went wrong, each with the resource it is about: one
    /// per failure (`<operation> <object>: <code> <message>`) and one per
    /// diagnostic (`<reason>: <message>`).
    pub fn problems(&self) -> Vec<ApplyProblem> {
        let failures = self.failures.iter().map(|f| ApplyProblem {
            resource: f.resource.clone(),
            message: format!("{} {}: {} {}", f.operation, f.object, f.code, f.message),
        });
        let diagnostics = self.diagnostics.iter().map(|d| ApplyProblem {
            resource: d.resource.clone(),
            message: format!("{}: {}", d.reason, d.message),
        });
        failures.chain(diagnostics).collect()
    }

    /// A failure before any operation ran (observation failed).
    pub fn observe_failed(e: CallError, calls: BTreeMap<String, u64>) -> Self {
        ApplyReport {
            failures: vec![Failure {
                object: "observed state".into(),
                resource: ResourceRef {
                    kind: ResourceKind::ObservedState,
                    name: String::new(),
                    routes: vec![],
                },
                operation: e.operation,
                code: e.code,
                message: e.message,
            }],
            calls,
            ..Default::default()
        }
    }

    /// Record the outcomes of `ops`.
    pub fn record(&mut self, ops: &[Op], outcomes: &[Outcome]) {
        for (op, o) in ops.iter().zip(outcomes) {
            let name = op.kind.operation();
            match o {
                Outcome::Done => {
                    *self.ops.entry(name.to_string()).or_default() += 1;
                    let list = if op.kind.is_create() {
                        &mut self.created
                    } else if op.kind.is_delete() {
                        &mut self.deleted
                    } else {
                        &mut self.updated
                    };
                    list.push(format!("{} ({name})", op.object));
                }
                Outcome::Failed(e) => self.failures.push(Failure {
                    object: op.object.clone(),
                    resource: op.resource.clone(),
                    operation: name.into(),
                    code: e.code.clone(),
                    message: e.message.clone(),
                }),
                Outcome::Skipped(why) => self.failures.push(Failure {
                    object: op.object.clone(),
                    resource: op.resource.clone(),
                    operation: name.into(),
                    code: "DependencyFailed".into(),
                    message: why.clone(),
                }),
            }
        }
    }
}

impl std::fmt::Display for ApplyReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for c in &self.created {
            writeln!(f, "created  {c}")?;
        }
        for u in &self.updated {
            writeln!(f, "updated  {u}")?;
        }
        for d in &self.deleted {
            writeln!(f, "deleted  {d}")?;
        }
        for d in &self.diagnostics {
            writeln!(f, "{:<8} {}: {}", d.reason, d.object, d.message)?;
        }
        for x in &self.failures {
            writeln!(
                f,
                "FAILED   {} ({}): {}: {}",
                x.object, x.operation, x.code, x.message
            )?;
        }
        write!(
            f,
            "{} changes, {} failures, {} calls",
            self.writes(),
            self.failures.len(),
            self.total_calls()
        )
    }
}
