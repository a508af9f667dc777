//! Ownership: which existing resources this cluster may change.
//!
//! - tagged `ManagedBy = <account>/<cluster>/<vpc>` (ours): managed;
//! - untagged, with the name the plan expects: adopted (tagged, then managed)
//!   only when [`crate::ApplyOptions::allow_adoption`] is set;
//! - tagged by someone else: taken over (re-tagged) only when the route's
//!   `application-networking.k8s.aws/allow-takeover-from` annotation names
//!   that owner; otherwise `Conflicted`, and never modified.
//!
//! Listeners, rules and associations belong to their service: they are not
//! checked on their own (that would cost a `ListTagsForResource` each).

use crate::model::Owner;

/// The anchor's takeover annotation, on a route.
pub use lattice_core::model::naming::ALLOW_TAKEOVER_FROM;

/// What the diff may do with an existing resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Ours already.
    Manage,
    /// Tag it as ours, then manage it.
    Claim,
    /// Leave it alone; the message says why.
    Conflict(String),
}

/// Decide for a resource the plan wants, given its current owner.
pub fn decide(owner: &Owner, allow_adoption: bool, allow_takeover_from: Option<&str>) -> Decision {
    match owner {
        Owner::Ours => Decision::Manage,
        Owner::Untagged if allow_adoption => Decision::Claim,
        Owner::Untagged => {
            Decision::Conflict("exists without a ManagedBy tag and adoption is not allowed".into())
        }
        Owner::Other(o) if allow_takeover_from == Some(o.as_str()) => Decision::Claim,
        Owner::Other(o) => Decision::Conflict(format!(
            "is managed by {o:?}; set {ALLOW_TAKEOVER_FROM}: {o} on the route to take it over"
        )),
    }
}

/// The owner a tag map describes.
pub fn owner_of<'a>(
    tags: impl IntoIterator<Item = (&'a str, &'a str)>,
    tag_key: &str,
    managed_by: &str,
) -> Owner {
    for (k, v) in tags {
        if k == tag_key {
            return if v == managed_by {
                Owner::Ours
            } else {
                Owner::Other(v.to_string())
            };
        }
    }
    Owner::Untagged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_resources_are_managed() {
        assert_eq!(decide(&Owner::Ours, false, None), Decision::Manage);
    }

    #[test]
    fn untagged_resources_are_adopted_only_when_allowed() {
        assert_eq!(decide(&Owner::Untagged, true, None), Decision::Claim);
        assert!(matches!(
            decide(&Owner::Untagged, false, None),
            Decision::Conflict(_)
        ));
    }

    #[test]
    fn another_owner_is_taken_over_only_when_the_annotation_names_it() {
        let other = Owner::Other("1/c/vpc-1".into());
        assert_eq!(decide(&other, true, Some("1/c/vpc-1")), Decision::Claim);
        assert!(matches!(
            decide(&other, true, Some("1/d/vpc-1")),
            Decision::Conflict(_)
        ));
        assert!(matches!(decide(&other, true, None), Decision::Conflict(_)));
    }

    #[test]
    fn owner_is_read_from_the_managed_by_tag() {
        let k = "application-networking.k8s.aws/ManagedBy";
        assert_eq!(owner_of([(k, "a/b/c")], k, "a/b/c"), Owner::Ours);
        assert_eq!(owner_of([("x", "y")], k, "a/b/c"), Owner::Untagged);
        assert_eq!(owner_of([(k, "z")], k, "a/b/c"), Owner::Other("z".into()));
    }
}
