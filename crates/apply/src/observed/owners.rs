//! Who owns what: the `ManagedBy` tag of every top-level resource that might
//! be ours, read once per ARN (`ListTagsForResource`) and cached.

use super::adoption::GoIdentity;
use super::lists::Lists;
use super::{Observer, Wanted, lock};
use crate::cache::Cache;
use crate::caller::CallError;
use crate::model::Owner;
use crate::ownership::owner_of;
use futures::{StreamExt, stream};
use lattice_core::model::naming::managed_by_tag;
use std::collections::HashMap;
use std::sync::Mutex;

/// Owners by ARN: the cache, plus what could not be read this pass.
pub(super) struct Owners<'c> {
    cache: &'c Mutex<Cache>,
    /// A resource whose tags cannot be read (e.g. shared from another
    /// account) is someone else's for this pass, and not cached.
    unreadable: HashMap<String, Owner>,
}

impl Owners<'_> {
    /// The owner of `arn`; untagged when nothing is known.
    pub fn of(&self, arn: &str) -> Owner {
        if let Some(o) = self.unreadable.get(arn) {
            return o.clone();
        }
        lock(self.cache)
            .owners
            .get(arn)
            .cloned()
            .unwrap_or(Owner::Untagged)
    }
}

impl<'a> Observer<'a> {
    /// Read the tags of every ARN that might be ours and whose owner is not
    /// cached: all service networks, the services in scope, and the target
    /// groups in scope named `k8s-…` or in the plan.
    pub(super) async fn owners(&self, lists: &Lists, want: &Wanted<'_>) -> Owners<'a> {
        let candidates: Vec<String> = lists
            .networks
            .iter()
            .map(|n| n.s.arn.clone())
            .chain(
                lists
                    .services
                    .iter()
                    .filter(|s| want.service_in_scope(&s.s.name))
                    .map(|s| s.s.arn.clone()),
            )
            .chain(
                lists
                    .target_groups
                    .iter()
                    .filter(|g| {
                        let k8s = g.s.name.starts_with("k8s-");
                        let in_scope = want.target_group_in_scope(&g.s.name)
                            && (k8s || want.target_groups.contains(g.s.name.as_str()));
                        in_scope || (k8s && want.imports_by_tags)
                    })
                    .map(|g| g.s.arn.clone()),
            )
            .chain(self.association_candidates(lists, want))
            .filter(|arn| !lock(self.cache).owners.contains_key(arn.as_str()))
            .collect();
        let read: Vec<(String, Result<Owner, CallError>)> = stream::iter(candidates)
            .map(|arn| self.owner(arn))
            .buffer_unordered(self.concurrency)
            .collect()
            .await;
        let mut unreadable = HashMap::new();
        let mut cache = lock(self.cache);
        for (arn, o) in read {
            match o {
                Ok(o) => {
                    let arn = cache.arn(&arn);
                    cache.owners.insert(arn, o);
                }
                Err(e) => {
                    tracing::warn!(arn, error = %e, "cannot read tags");
                    unreadable.insert(arn, Owner::Other(format!("unknown ({})", e.code)));
                }
            }
        }
        Owners {
            cache: self.cache,
            unreadable,
        }
    }

    /// The cluster VPC's associations, when a VpcAssociationPolicy may
    /// change one: without a policy they are never changed, only created.
    fn association_candidates<'l>(
        &self,
        lists: &'l Lists,
        want: &Wanted<'_>,
    ) -> impl Iterator<Item = String> + 'l {
        let policy = want.vpc_policies;
        lists
            .vpc_associations
            .iter()
            .filter(move |_| policy)
            .map(|v| v.arn.clone())
    }

    /// One ARN's owner, from its tags (remembering what else they say).
    pub(super) async fn owner(&self, arn: String) -> (String, Result<Owner, CallError>) {
        let (key, mb) = (managed_by_tag(), self.cfg.managed_by());
        let owner = self.list_tags(&arn).await.map(|tags| {
            let pairs = || tags.iter().map(|(k, v)| (k.as_str(), v.as_str()));
            let mut cache = lock(self.cache);
            match GoIdentity::from_tags(pairs()) {
                Some(id) => {
                    let arn = cache.arn(&arn);
                    cache.go_target_groups.insert(arn, id)
                }
                None => cache.go_target_groups.remove(arn.as_str()),
            };
            owner_of(pairs(), &key, &mb)
        });
        (arn, owner)
    }
}
