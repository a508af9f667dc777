//! `lattice-bench`: the benchmarks behind `lattice-host bench`, each a
//! function that does real work against the real parts and returns its
//! figures (printable as text or JSON).
//!
//! - [`plugins`]: the plan through the WASM plugins against the same logic
//!   linked natively ([`native`]), and single-call costs;
//! - [`converge`]: the applier against lattice-sim with injected latency;
//! - [`e2e`]: kube-sim, the controller and lattice-sim together;
//! - [`swap`]: a plugin object swapped in while the controller runs;
//! - [`faults`]: convergence through a Lattice that throttles, fails and
//!   loses answers, compared with a clean one;
//! - [`crash`]: the controller's process killed while it converges, and
//!   started again.
//!
//! [`synthetic`] makes the routes they run on; `cluster` starts the
//! emulators and the controller for `e2e` and `swap`; `external` runs the
//! controller as `lattice-host run` in a process of its own.

mod cluster;
pub mod converge;
pub mod crash;
pub mod e2e;
mod external;
pub mod faults;
pub mod native;
pub mod plugins;
pub mod swap;
pub mod synthetic;
