//! kube-sim: an in-memory Kubernetes API server emulator.
//!
//! It speaks the real HTTP API closely enough for unmodified `kubectl`, kube-rs
//! watchers and the Python client: discovery, OpenAPI v3 for kubectl, the built-in
//! kinds a controller needs, CRDs served as soon as they are applied, every verb
//! (including watch, merge/JSON/strategic patch and server-side apply), and `Status`
//! errors with kube-apiserver's codes and reasons.
//!
//! ```text
//!  HTTP ──▶ router ──▶ handlers ──┬─▶ discovery / openapi
//!                                 ├─▶ ops (create, update, patch, apply) ─┐
//!                                 ├─▶ delete (finalizers, namespaces)     ├─▶ store ──▶ history ──▶ watch
//!                                 └─▶ list (selectors, limit/continue) ───┘     └──▶ persist (state file)
//! ```
//!
//! Start one in-process for a test with [`KubeSim::start`], or serve a listener with
//! [`KubeSim::serve`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod apply;
pub mod audit;
pub mod builtin_schema;
pub mod cel;
pub mod convert;
pub mod crd;
pub mod defaults;
pub mod delete;
pub mod discovery;
pub mod error;
pub mod faults;
pub mod fields;
pub mod handlers;
pub mod hooks;
pub mod http_util;
pub mod list;
pub mod meta;
pub mod openapi;
pub mod ops;
pub mod patch;
pub mod persist;
pub mod protobuf;
pub mod registry;
pub mod resources;
pub mod router;
pub mod seed;
pub mod selectors;
pub mod server;
pub mod state;
pub mod status;
pub mod store;
pub mod table;
pub mod tls;
pub mod update;
pub mod validate;
pub mod warnings;
pub mod watch;

pub use audit::ApiRequest;
pub use error::SimError;
pub use faults::KubeFaults;
pub use server::{KubeSim, RunningSim, write_kubeconfig, write_kubeconfig_with_ca};
pub use state::SimOptions;
pub use status::ApiError;
pub use tls::SelfSigned;
