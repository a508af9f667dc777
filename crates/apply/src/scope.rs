//! A scoped pass: the part of Lattice that a few changed routes touch.
//!
//! A full pass reads every listener, rule and target list the cluster owns,
//! which at 1,000 routes is ~4,000 reads: seconds against an emulator and over
//! a minute within real Lattice's read quota. When a controller knows which
//! services and target groups one change can affect, it applies a [`Scope`]:
//! only those are observed, diffed and, when no longer wanted, deleted.
//! Service networks are neither changed nor pruned by a scoped pass; a change
//! to a Gateway, a resync, or any failed pass calls for a full one.

use lattice_core::plan::{Action, Plan};
use std::collections::BTreeSet;

/// Lattice services and target groups, by name, that one pass may touch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    /// Service names: what the changed routes wanted before and want now.
    pub services: BTreeSet<String>,
    /// Target group names, likewise.
    pub target_groups: BTreeSet<String>,
}

impl Scope {
    /// Nothing in scope: the pass has nothing to do.
    pub fn is_empty(&self) -> bool {
        self.services.is_empty() && self.target_groups.is_empty()
    }

    /// This scope plus every target group that its services' planned rules
    /// forward to: a rule can only be diffed against groups that were read.
    pub fn with_references(&self, plan: &Plan) -> Scope {
        let mut scope = self.clone();
        for s in plan
            .services
            .iter()
            .filter(|s| self.services.contains(&s.name))
        {
            for l in &s.listeners {
                let actions =
                    std::iter::once(&l.default_action).chain(l.rules.iter().map(|r| &r.action));
                for a in actions {
                    if let Action::Forward(ws) = a {
                        scope
                            .target_groups
                            .extend(ws.iter().map(|w| w.target_group.clone()));
                    }
                }
            }
        }
        scope
    }

    /// The part of the whole desired state `plan` within this scope. Target
    /// groups keep every route that uses them, so one shared with an
    /// unchanged route is not deleted.
    pub fn restrict(&self, plan: &Plan) -> Plan {
        Plan {
            services: plan
                .services
                .iter()
                .filter(|s| self.services.contains(&s.name))
                .cloned()
                .collect(),
            target_groups: plan
                .target_groups
                .iter()
                .filter(|t| self.target_groups.contains(&t.name))
                .cloned()
                .collect(),
            service_networks: vec![],
            diagnostics: vec![],
            // Held routes are protected whatever the scope.
            kept: plan.kept.clone(),
            // Service networks are applied by whole passes only.
            declared_service_networks: vec![],
        }
    }
}
