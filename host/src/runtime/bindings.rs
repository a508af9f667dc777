//! Host bindings for the three plugin worlds, generated from `wit/`.
//!
//! The worlds share the `types` interface; the weighting and auth bindings
//! reuse the mapping bindings' types, and [`Conv`] converts them to and from
//! the SDK's plain Rust types, from the same list the guest side uses.

#![allow(missing_docs)]

pub mod mapping {
    wasmtime::component::bindgen!({
        world: "mapping-plugin",
        path: "../wit",
    });
}

pub mod weighting {
    wasmtime::component::bindgen!({
        world: "weighting-plugin",
        path: "../wit",
        with: { "lattice:plugin/types": super::mapping::lattice::plugin::types },
    });
}

pub mod auth {
    wasmtime::component::bindgen!({
        world: "auth-plugin",
        path: "../wit",
        with: { "lattice:plugin/types": super::mapping::lattice::plugin::types },
    });
}

lattice_plugin_sdk::__bridge_types!(self::mapping::lattice::plugin::types);
