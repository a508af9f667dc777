//! Routes whose ServiceImport found no target group, looked at again with
//! backoff. Finding an export takes a complete `ListTargetGroups` (no
//! watch here sees another cluster, and Lattice lists no group by tag): at
//! 10,000 groups that is 200 pages, and at every recheck period it would
//! spend most of an account's read quota on one missing export. So a route
//! that stays unresolved waits 1, 2, 4, then 8 recheck periods between
//! looks (4 minutes at the default 30 s); the Go controller requeues a
//! route that fails this way with exponential backoff too. A route whose
//! imports are found is looked at every period again, which costs a read
//! by id. Any change to the route, and every whole pass, looks at once.

use std::collections::BTreeMap;

use lattice_core::index::RouteKey;

/// The most recheck periods an unresolved route waits between looks.
pub(crate) const MAX_WAIT: u32 = 8;

/// Unresolved routes: how many looks in a row found nothing, and how many
/// recheck periods are left before the next.
#[derive(Debug, Default)]
pub(crate) struct Unresolved(BTreeMap<RouteKey, Wait>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Wait {
    misses: u32,
    /// Periods left; `None` once due (its pass will record it again).
    left: Option<u32>,
}

impl Unresolved {
    /// A pass looked and `key`'s imports found nothing: it is due after
    /// 1, 2, 4, … periods, at most [`MAX_WAIT`].
    pub(crate) fn missed(&mut self, key: RouteKey) {
        let w = self.0.entry(key).or_insert(Wait {
            misses: 0,
            left: None,
        });
        w.misses = w.misses.saturating_add(1);
        let wait = 1u32 << (w.misses - 1).min(MAX_WAIT.ilog2());
        w.left = Some(wait);
    }

    /// `key` resolved, or no longer imports: no backoff.
    pub(crate) fn forget(&mut self, key: &RouteKey) {
        self.0.remove(key);
    }

    /// Keeps only the routes `exists` says are still there (after a whole
    /// pass, which sees them all).
    pub(crate) fn retain(&mut self, exists: impl Fn(&RouteKey) -> bool) {
        self.0.retain(|k, _| exists(k));
    }

    /// One recheck period passed: the routes now due.
    pub(crate) fn tick(&mut self) -> Vec<RouteKey> {
        let mut due = vec![];
        for (key, w) in &mut self.0 {
            if let Some(left) = &mut w.left {
                *left = left.saturating_sub(1);
                if *left == 0 {
                    w.left = None;
                    due.push(key.clone());
                }
            }
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lattice_plugin_sdk::types::RouteKind;

    fn key(name: &str) -> RouteKey {
        RouteKey::new(RouteKind::Http, &("shop".into(), name.into()))
    }

    /// The periods after which `missed` brings a route back, miss by miss.
    fn waits(misses: usize) -> Vec<u32> {
        let mut u = Unresolved::default();
        (0..misses)
            .map(|_| {
                u.missed(key("a"));
                let mut periods = 1;
                while u.tick().is_empty() {
                    periods += 1;
                }
                periods
            })
            .collect()
    }

    #[test]
    fn a_route_that_stays_unresolved_waits_twice_as_long_each_time_up_to_eight_periods() {
        assert_eq!(waits(6), [1, 2, 4, 8, 8, 8]);
    }

    #[test]
    fn a_route_that_resolves_starts_again_from_one_period() {
        let mut u = Unresolved::default();
        for _ in 0..3 {
            u.missed(key("a"));
        }
        u.forget(&key("a"));
        assert!(u.tick().is_empty(), "a resolved route is not brought back");
        u.missed(key("a"));
        assert_eq!(u.tick(), [key("a")]);
    }

    #[test]
    fn a_due_route_is_brought_back_once_and_a_gone_one_never() {
        let mut u = Unresolved::default();
        u.missed(key("a"));
        u.missed(key("b"));
        assert_eq!(u.tick(), [key("a"), key("b")]);
        assert!(u.tick().is_empty(), "due once, until a pass records it");
        u.missed(key("a"));
        u.missed(key("b"));
        u.retain(|k| k == &key("a"));
        assert!(u.tick().is_empty(), "a second miss waits two periods");
        assert_eq!(u.tick(), [key("a")]);
    }
}
