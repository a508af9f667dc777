//! What the engine remembers between passes, so a steady-state pass is list
//! calls only.
//!
//! `ListRules` gives no match or action and `ListListeners` no default action
//! (botocore's `RuleSummary` / `ListenerSummary`), `ListServices` and
//! `ListServiceNetworks` no auth type, and tags need `ListTagsForResource`, one
//! ARN per call. So details are cached:
//!
//! - rule match+action, listener default action, service and service network
//!   auth type: by ARN, with the `lastUpdatedAt` that the list call shows. A
//!   listed `lastUpdatedAt` that differs from the cached one triggers one
//!   `Get*`; what this engine writes is cached from the write's response and
//!   pinned to the next `lastUpdatedAt` the list shows (create and update
//!   responses carry none);
//! - a target group's health check (`ListTargetGroups` shows none), by ARN
//!   with `lastUpdatedAt` as above, only for groups whose plan sets one;
//! - ownership (tags) by ARN: an ARN never names a different resource, and
//!   re-tagging by others is rare; [`Cache::clear`] forgets everything,
//!   and [`Cache::compacted`] what belonged to a service or target group
//!   that the directories no longer name, or to what this engine deleted;
//! - auth policies by resource id, as last read or written;
//! - where each service and target group is (id and ARN by name, see
//!   [`Directory`]): from every complete list, `Get*` and create, forgotten on
//!   delete. A scoped pass reads the names in its scope by id instead of
//!   paging through every service and target group in the account.
//!
//! The maps by ARN and the directories share each ARN ([`Arns`]): a
//! service's ARN was one copy each in the owners, auth types, certificates,
//! tags and its directory, and at 10,000 routes the caches held 70,000 ARNs
//! of 100 to 150 bytes.

use crate::model::Owner;
use aws_smithy_types::DateTime;
use lattice_core::plan::{Action, HealthCheckPlan, MatchPlan, Tags};
use std::borrow::Borrow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// An ARN, shared by every map of the [`Cache`] that holds it; made by
/// [`Arns::intern`]. It hashes and compares as its text, so the maps are
/// looked up with a `&str`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Arn(Arc<str>);

impl Borrow<str> for Arn {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Arn {
    /// An ARN of its own, not shared: for a lookup that no map keeps.
    fn from(arn: &str) -> Self {
        Arn(arn.into())
    }
}

impl std::ops::Deref for Arn {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Arn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Values by ARN.
pub type ByArn<V> = HashMap<Arn, V>;

/// Every ARN the caches hold, each once. Nothing is removed from it by
/// ARN: it forgets with the maps ([`Cache::clear`]), and a compacted
/// cache ([`Cache::compacted`]) holds only the ARNs its maps use.
#[derive(Clone, Debug, Default)]
pub struct Arns(HashSet<Arn>);

impl Arns {
    /// The shared copy of `arn`, made on first sight.
    pub fn intern(&mut self, arn: &str) -> Arn {
        if let Some(held) = self.0.get(arn) {
            return held.clone();
        }
        let new = Arn(arn.into());
        self.0.insert(new.clone());
        new
    }
}

/// A cached detail and the `lastUpdatedAt` it belongs to (`None`: written by
/// us, not yet seen in a list).
#[derive(Clone, Debug)]
pub struct Cached<T> {
    /// `lastUpdatedAt` when known.
    pub updated: Option<DateTime>,
    /// The detail.
    pub value: T,
}

/// A rule's match and action (target groups as Lattice names them: ids/ARNs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleDetail {
    /// The match.
    pub r#match: MatchPlan,
    /// The action.
    pub action: Action,
}

/// Details remembered between passes.
#[derive(Clone, Debug, Default)]
pub struct Cache {
    /// Owner by ARN.
    pub owners: ByArn<Owner>,
    /// Rule details by ARN, boxed: a hash table has up to twice the slots
    /// it holds, and a detail is 136 bytes.
    pub rules: ByArn<Cached<Box<RuleDetail>>>,
    /// Listener default actions by ARN.
    pub listeners: ByArn<Cached<Action>>,
    /// Service auth types by ARN.
    pub services: ByArn<Cached<String>>,
    /// Service certificates by ARN (`None`: none), from the same
    /// `GetService` as the auth type, or from our own writes.
    pub certificates: ByArn<Option<String>>,
    /// Service network auth types by ARN.
    pub networks: ByArn<Cached<String>>,
    /// Target group health checks by ARN, kept only for groups whose plan
    /// sets one.
    pub health_checks: ByArn<Cached<HealthCheckPlan>>,
    /// Auth policies by resource id (`None`: no policy).
    pub policies: HashMap<String, Option<String>>,
    /// Services by name.
    pub service_names: Directory,
    /// Target groups by name.
    pub target_group_names: Directory,
    /// What the Go controller's tags say each of its target groups is for,
    /// by ARN, read with the owner (see `observed::adoption`).
    pub go_target_groups: ByArn<crate::observed::adoption::GoIdentity>,
    /// Ids of the services and service networks that had access log
    /// subscriptions when last read, or got one from us: the only ones
    /// read again when no plan names access logs.
    pub access_logged: std::collections::HashSet<String>,
    /// Access log subscription owners by ARN, from their tags.
    pub access_log_owners: ByArn<crate::observed::LogOwner>,
    /// User tags by ARN, as last read or written.
    pub tags: ByArn<Tags>,
    /// The ARNs the maps above are keyed by.
    pub arns: Arns,
    /// Ids of what this engine deleted since the last compaction (rules,
    /// listeners, associations, networks, access log subscriptions, as
    /// well as services and groups): the compaction leaves out what the
    /// maps hold for them.
    deleted: HashSet<Box<str>>,
}

/// Where a named resource is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// Its id.
    pub id: String,
    /// Its ARN, shared with the maps by ARN ([`Cache::location`]).
    pub arn: Arn,
}

/// The id a Lattice ARN ends in (`…:targetgroup/tg-…`).
fn id_of(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// An ARN that hashes, compares and borrows as the id it ends in, to key
/// a map by id without a copy of the id.
#[derive(Clone, Debug)]
struct ById(Arn);

impl ById {
    fn id(&self) -> &str {
        id_of(&self.0)
    }
}

impl PartialEq for ById {
    fn eq(&self, other: &Self) -> bool {
        self.id() == other.id()
    }
}

impl Eq for ById {}

impl std::hash::Hash for ById {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // As `str` hashes, so that a `&str` id finds it (`Borrow`).
        self.id().hash(state);
    }
}

impl Borrow<str> for ById {
    fn borrow(&self) -> &str {
        self.id()
    }
}

/// Names to locations for one kind of resource, and back from id or ARN.
///
/// Each entry is one name and one ARN, both shared by the two maps: an
/// ARN ends in its resource's id, so the id is read off it. At 10,000
/// routes the directories held 30,000 names, ids and ARNs, and a copy of
/// each name and id in either map was about 5 MB.
#[derive(Clone, Debug, Default)]
pub struct Directory {
    by_name: HashMap<Arc<str>, Arn>,
    /// Name by id. Rules name target groups by id or by ARN; an ARN is
    /// found through the id it ends in.
    names: HashMap<ById, Arc<str>>,
}

impl Directory {
    /// How many names it holds.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// Where `name` was last seen.
    pub fn get(&self, name: &str) -> Option<Location> {
        let arn = self.by_name.get(name)?;
        Some(Location {
            id: id_of(arn).to_string(),
            arn: arn.clone(),
        })
    }

    /// The name of the resource with this id or ARN.
    pub fn name_of(&self, id_or_arn: &str) -> Option<&str> {
        let (at, name) = self.names.get_key_value(id_of(id_or_arn))?;
        // An ARN must be the one remembered for its id.
        (id_or_arn == at.id() || &*at.0 == id_or_arn).then_some(&**name)
    }

    /// Remember that `name` is at `at`. A location whose ARN does not end
    /// in its id is not remembered (Lattice's never do): the name is then
    /// unknown, and found again by a list.
    pub fn insert(&mut self, name: &str, at: Location) {
        if let Some(old) = self.by_name.remove(name) {
            self.names.remove(id_of(&old));
        }
        if id_of(&at.arn) != at.id {
            return;
        }
        let name: Arc<str> = name.into();
        self.names.insert(ById(at.arn.clone()), name.clone());
        self.by_name.insert(name, at.arn);
    }

    /// Forget the resource with this id (deleted, or gone).
    pub fn remove_id(&mut self, id: &str) {
        if let Some(name) = self.names.remove(id) {
            self.by_name.remove(&name);
        }
    }

    /// A copy whose ARNs are `arns`' copies.
    fn rekeyed(&self, arns: &mut Arns) -> Directory {
        let mut copy = Directory::default();
        for (name, arn) in &self.by_name {
            let arn = arns.intern(arn);
            let name: Arc<str> = (**name).into();
            copy.names.insert(ById(arn.clone()), name.clone());
            copy.by_name.insert(name, arn);
        }
        copy
    }

    /// Exactly these, after a complete list.
    pub fn replace(&mut self, all: impl IntoIterator<Item = (String, Location)>) {
        *self = Directory::default();
        for (name, at) in all {
            self.insert(&name, at);
        }
    }
}

/// A copy of `map`'s entries that `keep` accepts, keyed by `arns`' copies
/// of their ARNs.
fn rekey<V: Clone>(arns: &mut Arns, map: &ByArn<V>, keep: impl Fn(&str) -> bool) -> ByArn<V> {
    map.iter()
        .filter(|(k, _)| keep(k))
        .map(|(k, v)| (arns.intern(k), v.clone()))
        .collect()
}

/// The ARN of the service or target group `arn` is or belongs to (a
/// listener's and a rule's ARN extend their service's).
fn owning<'a>(arn: &'a str, kind: &str) -> Option<&'a str> {
    let at = arn.find(kind)? + kind.len();
    let end = arn[at..].find('/').map_or(arn.len(), |i| at + i);
    Some(&arn[..end])
}

/// The cached value if it is still current for a listed `lastUpdatedAt`.
pub fn fresh<T: Clone>(
    map: &mut ByArn<Cached<T>>,
    arn: &str,
    listed: Option<&DateTime>,
) -> Option<T> {
    let e = map.get_mut(arn)?;
    match (&e.updated, listed) {
        (None, l) => {
            e.updated = l.cloned();
            Some(e.value.clone())
        }
        (Some(u), Some(l)) if u == l => Some(e.value.clone()),
        (Some(_), None) => Some(e.value.clone()),
        _ => None,
    }
}

/// Remember a value we wrote (pinned at the next list).
pub fn wrote<T>(map: &mut ByArn<Cached<T>>, arn: Arn, value: T) {
    map.insert(
        arn,
        Cached {
            updated: None,
            value,
        },
    );
}

impl Cache {
    /// Forget everything.
    pub fn clear(&mut self) {
        *self = Cache::default();
    }

    /// Remembers that `id` was deleted, for [`Cache::compacted`].
    pub fn deleted(&mut self, id: &str) {
        self.deleted.insert(id.into());
    }

    /// The shared copy of `arn`, to key a map with.
    pub fn arn(&mut self, arn: &str) -> Arn {
        self.arns.intern(arn)
    }

    /// A copy made of new allocations throughout, holding only the ARNs
    /// some map still uses, and none of what was kept for a service or
    /// target group that no directory names any more, or for what this
    /// engine deleted (and, by ARN, what belonged to it).
    ///
    /// What a pass caches is allocated among that pass's own short-lived
    /// allocations (requests, responses, the diff), and the allocator's
    /// pages that held those stay resident for the few cache entries left
    /// on each. A copy made once the pass is over fills the holes of pages
    /// that other long-lived data holds anyway, and the pages of the
    /// original are returned when it goes: at 10,000 routes the cache held
    /// about 66 MB of pages for 50 MB of entries.
    ///
    /// The directories forget a resource when it is deleted or a complete
    /// list no longer shows it; the maps by ARN forget it here, or a
    /// cluster whose routes come and go would grow them without end. An
    /// entry dropped that was still wanted costs one read, never a wrong
    /// write.
    pub fn compacted(&self) -> Cache {
        let mut arns = Arns::default();
        let named = |arn: &str| self.names(arn) && !self.was_deleted(arn);
        let service_id = |id: &str| {
            !self.deleted.contains(id)
                && (!id.starts_with("svc-") || self.service_names.name_of(id).is_some())
        };
        Cache {
            owners: rekey(&mut arns, &self.owners, named),
            rules: rekey(&mut arns, &self.rules, named),
            listeners: rekey(&mut arns, &self.listeners, named),
            services: rekey(&mut arns, &self.services, named),
            certificates: rekey(&mut arns, &self.certificates, named),
            networks: rekey(&mut arns, &self.networks, named),
            health_checks: rekey(&mut arns, &self.health_checks, named),
            policies: (self.policies.iter())
                .filter(|(id, _)| service_id(id))
                .map(|(id, p)| (id.clone(), p.clone()))
                .collect(),
            service_names: self.service_names.rekeyed(&mut arns),
            target_group_names: self.target_group_names.rekeyed(&mut arns),
            go_target_groups: rekey(&mut arns, &self.go_target_groups, named),
            access_logged: (self.access_logged.iter())
                .filter(|id| service_id(id))
                .cloned()
                .collect(),
            access_log_owners: rekey(&mut arns, &self.access_log_owners, named),
            tags: rekey(&mut arns, &self.tags, named),
            arns,
            deleted: HashSet::new(),
        }
    }

    /// Whether `arn` is, or belongs to, something this engine deleted: any
    /// id in its path (`service/svc-…/listener/listener-…/rule/rule-…`).
    fn was_deleted(&self, arn: &str) -> bool {
        let path = arn.rsplit(':').next().unwrap_or(arn);
        path.split('/').any(|id| self.deleted.contains(id))
    }

    /// Whether a directory still names the service or target group `arn`
    /// is or belongs to; any other ARN counts as named.
    fn names(&self, arn: &str) -> bool {
        if let Some(service) = owning(arn, ":service/") {
            return self.service_names.name_of(service).is_some();
        }
        if let Some(group) = owning(arn, ":targetgroup/") {
            return self.target_group_names.name_of(group).is_some();
        }
        true
    }

    /// A location for a directory, its ARN shared with the maps by ARN.
    pub fn location(&mut self, id: &str, arn: &str) -> Location {
        Location {
            id: id.to_string(),
            arn: self.arn(arn),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(id: &str) -> Location {
        Location {
            id: id.into(),
            arn: format!("arn:aws:vpc-lattice:us-west-2:111122223333:targetgroup/{id}")
                .as_str()
                .into(),
        }
    }

    #[test]
    fn every_map_keyed_by_one_arn_shares_one_copy_of_it() {
        let arn = "arn:aws:vpc-lattice:us-west-2:111122223333:service/svc-1";
        let mut c = Cache::default();
        let k = c.arn(arn);
        c.owners.insert(k.clone(), Owner::Ours);
        // The same text in another allocation finds the same copy.
        let text = String::from(arn);
        let again = c.arn(&text);
        c.tags.insert(again, Tags::new());
        let held = c.tags.keys().next().unwrap();
        assert!(Arc::ptr_eq(&k.0, &held.0));
        // So does the directory's location of it.
        let at = c.location("svc-1", arn);
        assert!(Arc::ptr_eq(&k.0, &at.arn.0));
        assert_eq!(c.owners.get(arn), Some(&Owner::Ours));
        assert_eq!(c.arns.0.len(), 1);
    }

    #[test]
    fn a_compacted_cache_holds_the_same_and_only_the_arns_its_maps_use() {
        let arn = "arn:aws:vpc-lattice:us-west-2:111122223333:service/svc-1";
        let mut c = Cache::default();
        let k = c.arn(arn);
        c.owners.insert(k.clone(), Owner::Ours);
        c.tags.insert(k, Tags::new());
        let at = c.location("svc-1", arn);
        c.service_names.insert("k8s-a", at);
        // Interned by a lookup, then used by no map.
        c.arn("arn:aws:vpc-lattice:us-west-2:111122223333:service/svc-gone");
        let copy = c.compacted();
        assert_eq!(copy.owners, c.owners);
        assert_eq!(copy.tags, c.tags);
        assert_eq!(
            copy.service_names.get("k8s-a"),
            c.service_names.get("k8s-a")
        );
        assert_eq!(copy.service_names.name_of("svc-1"), Some("k8s-a"));
        assert_eq!(copy.arns.0.len(), 1);
        // New allocations, shared within the copy.
        let (owner, _) = copy.owners.get_key_value(arn).unwrap();
        let (tagged, _) = copy.tags.get_key_value(arn).unwrap();
        let located = copy.service_names.get("k8s-a").unwrap().arn;
        assert!(Arc::ptr_eq(&owner.0, &tagged.0) && Arc::ptr_eq(&owner.0, &located.0));
        let (original, _) = c.owners.get_key_value(arn).unwrap();
        assert!(!Arc::ptr_eq(&owner.0, &original.0));
    }

    #[test]
    fn a_compacted_cache_forgets_what_it_kept_for_a_service_or_group_no_directory_names() {
        let svc = |id: &str| format!("arn:aws:vpc-lattice:us-west-2:111122223333:service/{id}");
        let mut c = Cache::default();
        for id in ["svc-1", "svc-gone"] {
            let listener = format!("{}/listener/listener-1", svc(id));
            let rule = format!("{listener}/rule/rule-1");
            for arn in [svc(id), listener, rule] {
                let k = c.arn(&arn);
                c.owners.insert(k.clone(), Owner::Ours);
                c.tags.insert(k, Tags::new());
            }
            c.policies.insert(id.into(), None);
        }
        let at = c.location("svc-1", &svc("svc-1"));
        c.service_names.insert("k8s-a", at);
        c.target_group_names
            .insert("k8s-tg", super::tests::at("tg-1"));
        let group = c.arn(&super::tests::at("tg-1").arn);
        let gone = c.arn(&super::tests::at("tg-gone").arn);
        let network = c.arn("arn:aws:vpc-lattice:us-west-2:111122223333:servicenetwork/sn-1");
        for k in [group, gone, network] {
            c.owners.insert(k, Owner::Ours);
        }
        let copy = c.compacted();
        let mut kept: Vec<&str> = copy.owners.keys().map(|k| &**k).collect();
        kept.sort();
        assert_eq!(
            kept,
            [
                "arn:aws:vpc-lattice:us-west-2:111122223333:service/svc-1",
                "arn:aws:vpc-lattice:us-west-2:111122223333:service/svc-1/listener/listener-1",
                "arn:aws:vpc-lattice:us-west-2:111122223333:service/svc-1/listener/listener-1/rule/rule-1",
                "arn:aws:vpc-lattice:us-west-2:111122223333:servicenetwork/sn-1",
                "arn:aws:vpc-lattice:us-west-2:111122223333:targetgroup/tg-1",
            ]
        );
        assert_eq!(copy.tags.len(), 3);
        assert!(copy.policies.contains_key("svc-1") && !copy.policies.contains_key("svc-gone"));
        assert_eq!(copy.arns.0.len(), 5);
    }

    #[test]
    fn a_compacted_cache_forgets_what_this_engine_deleted_and_what_belonged_to_it() {
        let arn = |path: &str| format!("arn:aws:vpc-lattice:us-west-2:111122223333:{path}");
        let svc = "service/svc-1";
        let paths = [
            svc.to_string(),
            format!("{svc}/listener/listener-1"),
            format!("{svc}/listener/listener-1/rule/rule-1"),
            format!("{svc}/listener/listener-2"),
            format!("{svc}/listener/listener-2/rule/rule-2"),
            format!("{svc}/listener/listener-2/rule/rule-3"),
            "servicenetworkserviceassociation/snsa-1".into(),
            "servicenetworkserviceassociation/snsa-2".into(),
            "accesslogsubscription/als-1".into(),
            "servicenetwork/sn-1".into(),
        ];
        let mut c = Cache::default();
        for p in &paths {
            let k = c.arn(&arn(p));
            c.owners.insert(k.clone(), Owner::Ours);
            c.tags.insert(k, Tags::new());
        }
        let at = c.location("svc-1", &arn(svc));
        c.service_names.insert("k8s-a", at);
        c.policies.insert("sn-1".into(), None);
        c.access_logged.insert("sn-1".into());
        for id in ["listener-1", "rule-3", "snsa-2", "als-1", "sn-1"] {
            c.deleted(id);
        }
        let copy = c.compacted();
        let mut kept: Vec<String> = copy.owners.keys().map(|k| k.to_string()).collect();
        kept.sort();
        let want = [
            svc,
            &format!("{svc}/listener/listener-2"),
            &format!("{svc}/listener/listener-2/rule/rule-2"),
            "servicenetworkserviceassociation/snsa-1",
        ];
        assert_eq!(kept, want.map(arn));
        assert_eq!(copy.tags.len(), 4);
        assert!(copy.policies.is_empty() && copy.access_logged.is_empty());
        assert!(copy.deleted.is_empty(), "a compaction starts a new record");
    }

    #[test]
    fn a_directory_names_a_resource_by_its_id_or_its_arn_and_only_its_own_arn() {
        let mut d = Directory::default();
        d.insert("k8s-a", at("tg-1"));
        assert_eq!(d.name_of("tg-1"), Some("k8s-a"));
        assert_eq!(d.name_of(&at("tg-1").arn), Some("k8s-a"));
        let elsewhere = "arn:aws:vpc-lattice:us-west-2:444455556666:targetgroup/tg-1";
        assert_eq!(d.name_of(elsewhere), None);
        assert_eq!(d.name_of("tg-2"), None);
        assert_eq!(d.get("k8s-a"), Some(at("tg-1")));
    }

    #[test]
    fn a_location_whose_arn_does_not_end_in_its_id_is_not_remembered() {
        let mut d = Directory::default();
        d.insert("k8s-a", at("tg-1"));
        let odd = Location {
            id: "tg-9".into(),
            arn: at("tg-1").arn,
        };
        d.insert("k8s-a", odd);
        assert_eq!(d.get("k8s-a"), None);
        assert_eq!(d.name_of("tg-1"), None);
        assert!(d.is_empty());
    }

    #[test]
    fn a_moved_or_removed_resource_is_no_longer_named_at_its_old_place() {
        let mut d = Directory::default();
        d.insert("k8s-a", at("tg-1"));
        d.insert("k8s-a", at("tg-2"));
        assert_eq!(d.name_of(&at("tg-1").arn), None);
        assert_eq!(d.name_of(&at("tg-2").arn), Some("k8s-a"));
        d.remove_id("tg-2");
        assert_eq!(d.name_of(&at("tg-2").arn), None);
        assert!(d.get("k8s-a").is_none());
    }
}
