//! Plugin objects, decided purely: which ClusterLatticePlugin or
//! LatticePlugin makes each stage's decision for a route ([`choose`]),
//! whether each object is accepted and why not ([`verdicts`]), the checks
//! behind `Invalid` ([`validate`]), and label selectors ([`selector`]).
//!
//! Nothing here loads a component: the controller records plugin objects
//! in the [`Snapshot`](crate::Snapshot) and a later stage of the work
//! turns a [`Choice`] into a running plugin.

mod select;
pub mod selector;
pub mod validate;
mod verdict;

pub use select::{
    Choice, NAMESPACE_NAME_LABEL, candidates, choose, choose_for_network, choose_live, spec_of,
};
pub use validate::Invalid;
pub use verdict::{Reason, Verdict, Verdicts, verdicts};

#[cfg(test)]
mod tests;
