//! lattice-apply against lattice-sim through the real AWS SDK client. One test
//! binary for the crate (but `client_env`, which sets environment variables and
//! so runs alone), so CI links it once.

mod access_logs;
mod api;
mod apply_kinds;
mod behaviour;
mod certificate;
mod common;
mod health_check;
mod kept;
mod lambda;
mod report;
mod scope;
mod tags;
mod vpc_association;
