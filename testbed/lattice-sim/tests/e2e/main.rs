//! lattice-sim checked by clients it did not write: aws-sdk-vpclattice, boto3,
//! moto and botocore's service model. One test binary for the crate, so CI
//! links it once.

mod boto3_client;
mod botocore_routes;
mod common;
mod faults_and_introspection;
mod fuzzed;
mod moto_differential;
mod sdk_associations;
mod sdk_listeners_rules;
mod sdk_services;
