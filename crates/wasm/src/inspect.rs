//! What a component file is, as the controller would see it: its digest,
//! the contract version and stage it exports, what it imports, and what its
//! `info` says. For `plugin inspect` and `plugin build`.

use lattice_plugin_sdk::types::{PluginInfo, Stage};
use sha2::{Digest, Sha256};

use crate::PluginRuntime;
use crate::plugin::{LoadError, compile, exported_contract, is_component};

/// A component, described.
#[derive(Clone, Debug)]
pub struct Inspection {
    /// Bytes.
    pub size: usize,
    /// Hex sha256 of the bytes.
    pub sha256: String,
    /// The contract package it exports, e.g. `lattice:plugin@0.1.0`.
    pub contract: Option<String>,
    /// Every export's name.
    pub exports: Vec<String>,
    /// Every import's name (a plugin the controller loads has none, bar the
    /// contract's own `types`).
    pub imports: Vec<String>,
    /// The stage its exports name.
    pub stage: Option<Stage>,
    /// Loading it for that stage, with empty settings: what `info` said, or
    /// why the controller would refuse it.
    pub load: Result<PluginInfo, String>,
}

/// Describes `bytes`, named `name` in messages. Fails only when the bytes
/// are not a component wasmtime can compile.
pub fn inspect(rt: &PluginRuntime, name: &str, bytes: &[u8]) -> Result<Inspection, LoadError> {
    if !is_component(bytes) {
        return Err(LoadError::NotAComponent { name: name.into() });
    }
    let sha256 = hex::encode(Sha256::digest(bytes));
    let shared = rt.shared();
    let component = compile(shared, name, &sha256, bytes)?;
    let engine = &shared.engine;
    let ty = component.component_type();
    let exports: Vec<String> = ty.exports(engine).map(|(n, _)| n.to_string()).collect();
    let imports: Vec<String> = ty.imports(engine).map(|(n, _)| n.to_string()).collect();
    let stage = stage_of(&exports);
    let load = match stage {
        Some(s) => rt
            .load(s, name, bytes, "")
            .map(|p| p.info.clone())
            .map_err(|e| e.to_string()),
        None => Err(format!(
            "{name}: exports no stage of lattice:plugin ({})",
            exports.join(", ")
        )),
    };
    Ok(Inspection {
        size: bytes.len(),
        sha256,
        contract: exported_contract(engine, &component),
        exports,
        imports,
        stage,
        load,
    })
}

/// The stage whose interface an export list names.
fn stage_of(exports: &[String]) -> Option<Stage> {
    exports.iter().find_map(|e| {
        let rest = e.strip_prefix("lattice:plugin/")?;
        match rest.split('@').next()? {
            "mapping" => Some(Stage::Mapping),
            "weighting" => Some(Stage::Weighting),
            "auth" => Some(Stage::Auth),
            _ => None,
        }
    })
}
