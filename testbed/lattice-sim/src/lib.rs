//! lattice-sim: an in-memory Amazon VPC Lattice that speaks the real REST protocol
//! (`vpc-lattice` 2022-11-30), so `aws-sdk-vpclattice`, boto3 and the AWS CLI can talk to
//! it through `endpoint_url`.
//!
//! ```text
//! HTTP/1.1 ──► router (ROUTES: op, method, URI, status) ──► faults (latency, 429, 500, drop)
//!                                                        ──► ops::run (clientToken idempotency)
//!                                                        ──► one module per resource kind
//!                                                        ──► State (one Mutex) ──► JSON / error shape
//! /_sim/… ──► introspect (calls, state, faults, quotas, routes)
//! ```
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use lattice_sim::{LatticeSim, SimConfig};
//! let running = LatticeSim::new(SimConfig::default()).start().await?;
//! println!("endpoint_url = {}", running.url());
//! let calls = running.call_counts();
//! # let _ = calls; Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod access_logs;
mod actions;
mod callers;
mod client;
pub mod config;
pub mod errors;
pub mod faults;
pub mod ids;
mod introspect;
mod listeners;
mod ops;
pub mod pagination;
mod policies;
pub mod router;
mod rules;
mod server;
mod service_associations;
mod service_networks;
mod services;
mod state;
mod tags;
mod target_groups;
mod targets;
pub mod validate;
mod vpc_associations;

pub use callers::Caller;
pub use client::client;
pub use config::{Quotas, SimConfig};
pub use errors::{ApiError, FieldError};
pub use faults::{FaultRules, FaultSpec};
pub use router::{ROUTES, Request, Route, is_read_operation};
pub use server::{Dropped, LatticeSim, RunningSim};
