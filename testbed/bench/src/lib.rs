//! `lattice-bench`: the benchmarks behind `lattice-host bench`, each a
//! function that does real work against the real parts and returns its
//! figures (printable as text or JSON).
//!
//! - [`plugins`]: the plan through the WASM plugins against the same logic
//!   linked natively ([`native`]), and single-call costs;
//! - [`converge`]: the applier against lattice-sim with injected latency;
//! - [`e2e`]: kube-sim, the controller and lattice-sim together;
//! - [`swap`]: a plugin object swapped in while the controller runs;
//! - [`faults`]: the reliability suites, each compared with a clean
//!   convergence: [`throttling`] (a Lattice that throttles, fails and loses
//!   answers), [`crash`] (the controller's process killed while it
//!   converges, and started again) and [`kube_faults`] (an API server that
//!   drops watches, forgets history, conflicts and restarts);
//! - [`failover`]: two replicas, the leader killed, the follower taking
//!   over.
//!
//! [`synthetic`] makes the routes they run on; `cluster` starts the
//! emulators and the controller for `e2e` and `swap`; `external` runs the
//! controller as `lattice-host run` in a process of its own; `estate` names
//! what lattice-sim holds so that two runs compare.

mod cluster;
pub mod converge;
pub mod crash;
pub mod e2e;
mod estate;
mod external;
pub mod failover;
pub mod faults;
pub mod kube_faults;
pub mod native;
pub mod plugins;
pub mod swap;
pub mod synthetic;
pub mod throttling;
