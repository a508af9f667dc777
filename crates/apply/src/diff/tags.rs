//! User tags (the `application-networking.k8s.aws/tags` annotation's): one
//! `UntagResource` for the keys the plan no longer has and one
//! `TagResource` for those it adds or changes, only where they differ.
//! The controllers' own tags (`application-networking.k8s.aws/…`, such as
//! `ManagedBy`) and AWS's (`aws:`) are never touched, as the Go controller
//! leaves them (`pkg/aws/services/tagging.go`, `UpdateTags`).
//!
//! One helper serves every resource kind; a caller passes what was read
//! (`None`: not read, since nothing could differ) and what the plan wants.

use super::Builder;
use crate::ops::OpKind;
use lattice_core::model::tags::is_user_key;
use lattice_core::plan::{ResourceRef, Tags};

/// What makes `have`'s user tags `want`: tags to add or change, and keys
/// to remove. Keys that are not the user's are left out on both sides.
pub fn tag_changes(have: &Tags, want: &Tags) -> (Tags, Vec<String>) {
    let add: Tags = want
        .iter()
        .filter(|(k, v)| is_user_key(k) && have.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let remove: Vec<String> = have
        .keys()
        .filter(|k| is_user_key(k) && !want.contains_key(*k))
        .cloned()
        .collect();
    (add, remove)
}

impl Builder<'_> {
    /// The tag operations that make `arn`'s user tags `want`, after
    /// `deps`; their indices.
    pub(super) fn retag(
        &mut self,
        arn: &str,
        have: Option<&Tags>,
        want: &Tags,
        deps: &[usize],
        object: &str,
        resource: &ResourceRef,
    ) -> Vec<usize> {
        let Some(have) = have else {
            return vec![];
        };
        let (add, remove) = tag_changes(have, want);
        let mut ops = vec![];
        if !remove.is_empty() {
            let kind = OpKind::UntagResource {
                arn: arn.to_string(),
                keys: remove,
            };
            ops.push(self.push(kind, deps.to_vec(), object.into(), resource.clone()));
        }
        if !add.is_empty() {
            let kind = OpKind::TagResource {
                arn: arn.to_string(),
                tags: add,
            };
            ops.push(self.push(kind, deps.to_vec(), object.into(), resource.clone()));
        }
        ops
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn only_what_differs_is_added_changed_or_removed() {
        let have = tags(&[("Keep", "1"), ("Change", "old"), ("Drop", "x")]);
        let want = tags(&[("Keep", "1"), ("Change", "new"), ("Add", "y")]);
        let (add, remove) = tag_changes(&have, &want);
        assert_eq!(add, tags(&[("Add", "y"), ("Change", "new")]));
        assert_eq!(remove, vec!["Drop".to_string()]);
    }

    #[test]
    fn the_controllers_and_aws_tags_are_never_removed() {
        let have = tags(&[
            ("application-networking.k8s.aws/ManagedBy", "a/b/c"),
            ("aws:cloudformation:stack-name", "s"),
            ("Team", "x"),
        ]);
        let (add, remove) = tag_changes(&have, &Tags::new());
        assert!(add.is_empty());
        assert_eq!(remove, vec!["Team".to_string()]);
    }
}
