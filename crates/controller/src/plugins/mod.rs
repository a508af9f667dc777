//! Plugin objects (`ClusterLatticePlugin`, `LatticePlugin`) at run time:
//! fetching each one's component from the source it names.

pub(crate) mod sources;
