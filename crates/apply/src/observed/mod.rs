//! Read Lattice: paginated List* calls, plus cached details (see [`crate::cache`]).
//!
//! One pass reads: `ListServiceNetworks`, `ListServices`, `ListTargetGroups`
//! and `ListServiceNetworkVpcAssociations` (cluster VPC) in parallel; then
//! `ListServiceNetworkServiceAssociations` per service network; `ListListeners`
//! and `ListRules` per relevant service (ours, or named in the plan);
//! `ListTargets` per target group the plan names. `ListTagsForResource` runs
//! only for ARNs whose owner is not cached (service networks, services, and
//! target groups named `k8s-…` or named in the plan). `Get*` runs only for
//! details the cache does not hold, and `GetAuthPolicy` only where a policy is
//! wanted or the auth type is `AWS_IAM`. A target group's health check (one
//! `GetTargetGroup`, cached) is read only where the plan sets one.
//!
//! A scoped pass ([`Scope`]) reads the services and target groups in scope
//! by id where it knows them (`by_id`) instead of listing them, their
//! children only, and a service's associations with
//! `ListServiceNetworkServiceAssociations` by service instead of by network.
//!
//! User tags come with the owner, or are read where they may differ
//! (`tags`).
//!
//! `ListAccessLogSubscriptions` runs only for services and service networks
//! whose plan names access logs or that had subscriptions (`access_logs`).
//!
//! One module per step: `lists` (the four top-level lists), `by_id` (what a
//! scoped pass reads instead), `owners` (tags),
//! `service_networks`, `services`, `listeners` (and their rules),
//! `target_groups`, `imports` (the groups ServiceImports name), and
//! `details` (auth types and policies).

pub(crate) mod adoption;

pub use access_logs::{LogOwner, POLICY_TAG};

use crate::cache::Cache;
use crate::caller::{CallError, Caller};
use crate::model::Observed;
use crate::scope::Scope;
use aws_smithy_types::DateTime;
use lattice_core::ClusterConfig;
use lattice_core::plan::{Plan, ServicePlan};
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

/// Every page of a List* call, through the caller.
macro_rules! paginate {
    ($caller:expr, $op:literal, |$tok:ident| $req:expr, |$out:ident| $each:expr) => {{
        let mut all = Vec::new();
        let mut $tok: Option<String> = None;
        loop {
            let $out = $caller.call($op, || $req.send()).await?;
            all.extend($each);
            $tok = $out.next_token().map(str::to_string);
            if $tok.is_none() {
                break;
            }
        }
        all
    }};
}

mod access_logs;
mod by_id;
mod details;
mod imports;
mod listeners;
mod lists;
mod owners;
mod service_networks;
mod services;
mod tags;
mod target_groups;

/// Observes Lattice for one plan.
pub struct Observer<'a> {
    /// Calls go through here.
    pub caller: &'a Caller,
    /// Details remembered between passes.
    pub cache: &'a Mutex<Cache>,
    /// Cluster identity.
    pub cfg: &'a ClusterConfig,
    /// Parallel reads.
    pub concurrency: usize,
}

fn lock(c: &Mutex<Cache>) -> std::sync::MutexGuard<'_, Cache> {
    c.lock().unwrap_or_else(|p| p.into_inner())
}

/// What every List* item of a top-level resource has.
#[derive(Clone)]
struct Summary {
    id: String,
    arn: String,
    name: String,
    updated: Option<DateTime>,
}

/// What one pass wants read: the plan's names, within the scope if any.
struct Wanted<'p> {
    plan: &'p Plan,
    scope: Option<&'p Scope>,
    services: HashMap<&'p str, &'p ServicePlan>,
    target_groups: BTreeSet<&'p str>,
    /// Target groups whose plan sets a health check: only theirs is read.
    health_checks: BTreeSet<&'p str>,
    service_networks: BTreeSet<&'p str>,
    /// Some network's VpcAssociationPolicy may change the VPC's association.
    vpc_policies: bool,
    /// ServiceImports' groups, by their keys: found, never read further.
    imports: BTreeSet<&'p str>,
    /// Some import looks for an exported group by its tags: every `k8s-…`
    /// group's tags may tell.
    imports_by_tags: bool,
}

impl<'p> Wanted<'p> {
    fn new(plan: &'p Plan, scope: Option<&'p Scope>) -> Self {
        Wanted {
            plan,
            scope,
            services: plan.services.iter().map(|s| (s.name.as_str(), s)).collect(),
            vpc_policies: plan
                .service_networks
                .iter()
                .any(|s| s.vpc_association.is_some()),
            target_groups: plan.target_groups.iter().map(|t| t.name.as_str()).collect(),
            health_checks: plan
                .target_groups
                .iter()
                .filter(|t| t.health_check.is_some())
                .map(|t| t.name.as_str())
                .collect(),
            service_networks: plan
                .service_networks
                .iter()
                .map(|s| s.name.as_str())
                .collect(),
            imports: plan
                .target_groups
                .iter()
                .filter(|t| t.import.is_some())
                .map(|t| t.name.as_str())
                .collect(),
            imports_by_tags: plan
                .target_groups
                .iter()
                .filter_map(|t| t.import.as_ref())
                .any(|i| i.target_group_arn.is_none()),
        }
    }

    fn service_in_scope(&self, name: &str) -> bool {
        self.scope.is_none_or(|s| s.services.contains(name))
    }

    fn target_group_in_scope(&self, name: &str) -> bool {
        self.scope.is_none_or(|s| s.target_groups.contains(name))
    }
}

impl Observer<'_> {
    /// Read everything the diff needs for `plan`, or, given a scope, for
    /// the services and target groups in it.
    pub async fn observe(&self, plan: &Plan, scope: Option<&Scope>) -> Result<Observed, CallError> {
        let mut lists = match scope {
            Some(scope) => self.scoped_lists(scope).await?,
            None => self.lists().await?,
        };
        let want = Wanted::new(plan, scope);
        let owners = self.owners(&lists, &want).await;
        adoption::adopt(
            &mut lists.target_groups,
            plan,
            self.cfg,
            &mut lock(self.cache),
        );
        self.imports(&mut lists.target_groups, plan).await?;
        for v in &mut lists.vpc_associations {
            v.owner = owners.of(&v.arn);
            v.tags = self.known_tags(&v.arn);
        }
        self.association_security_groups(&mut lists.vpc_associations, plan)
            .await?;
        let (service_networks, by_service) = self.service_networks(&lists, &want, &owners).await?;
        let mut services = self.services(&lists, &want, &owners, by_service).await?;
        let mut target_groups = self.target_groups(&lists, &want, &owners).await?;
        services.sort_by(|a, b| a.name.cmp(&b.name));
        target_groups.sort_by(|a, b| a.name.cmp(&b.name));
        let access_logs = self
            .access_logs(plan, scope, &service_networks, &services)
            .await?;
        Ok(Observed {
            service_networks,
            services,
            target_groups,
            vpc_associations: lists.vpc_associations,
            access_logs,
        })
    }
}
