//! End-to-end tests of kube-sim with real clients: kubectl, kube-rs and the Python client.

mod audit;
mod bad_input;
mod common;
mod controller;
mod fuzzed;
mod kube_rs;
mod kubectl;
mod lifecycle;
mod load;
mod persist;
mod python;
mod tls;
mod watching;
