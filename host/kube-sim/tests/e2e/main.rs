//! End-to-end tests of kube-sim with real clients: kubectl, kube-rs and the Python client.

mod common;
mod kube_rs;
mod kubectl;
