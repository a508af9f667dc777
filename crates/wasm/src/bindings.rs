//! Host bindings for the three plugin worlds, generated from `wit/`.
//!
//! The worlds share the `types` interface; the weighting and auth bindings
//! reuse the mapping bindings' types. They serve instantiation, `info` and
//! `validate-settings`; the batched calls use the SDK's types directly (see
//! `plugin.rs`).

#![allow(missing_docs)]

pub mod mapping {
    wasmtime::component::bindgen!({
        world: "mapping-plugin",
        path: "../../wit",
    });
}

pub mod weighting {
    wasmtime::component::bindgen!({
        world: "weighting-plugin",
        path: "../../wit",
        with: { "lattice:plugin/types": super::mapping::lattice::plugin::types },
    });
}

pub mod auth {
    wasmtime::component::bindgen!({
        world: "auth-plugin",
        path: "../../wit",
        with: { "lattice:plugin/types": super::mapping::lattice::plugin::types },
    });
}

use lattice_plugin_sdk::types as s;
use mapping::lattice::plugin::types as w;

/// What `info` returned, as the SDK's type.
pub fn plugin_info(i: w::PluginInfo) -> s::PluginInfo {
    s::PluginInfo {
        name: i.name,
        version: i.version,
        stage: match i.stage {
            w::Stage::Mapping => s::Stage::Mapping,
            w::Stage::Weighting => s::Stage::Weighting,
            w::Stage::Auth => s::Stage::Auth,
        },
    }
}
