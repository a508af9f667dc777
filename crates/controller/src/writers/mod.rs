//! Everything the controller writes back to Kubernetes, each in its own
//! file: route and Gateway status, finalizers, the Go controller's ARN and
//! domain annotations, and Events. Only the leader reaches these.

pub(crate) mod annotations;
pub(crate) mod events;
pub(crate) mod finalizers;
pub(crate) mod plugins;
pub(crate) mod status;

/// The field manager of every write.
pub const FIELD_MANAGER: &str = "lattice-host";
