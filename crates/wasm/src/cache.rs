//! Compiled components cached on disk, keyed by (sha256 of the component,
//! the engine's precompile compatibility hash), so each component is compiled
//! once per engine configuration and wasmtime version.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use wasmtime::Engine;
use wasmtime::component::Component;

/// Where compiled components live.
#[derive(Clone, Debug)]
pub struct ComponentCache {
    dir: Option<PathBuf>,
    compat: String,
}

impl ComponentCache {
    /// A cache in `dir`; `None` disables it.
    pub fn new(engine: &Engine, dir: Option<PathBuf>) -> Self {
        // DefaultHasher::new() has fixed keys, so the hash is stable across runs.
        let mut h = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        ComponentCache {
            dir,
            compat: format!("{:016x}", h.finish()),
        }
    }

    /// The default directory: the user's
    /// cache directory, else none.
    pub fn default_dir() -> Option<PathBuf> {
        dirs_next::cache_dir().map(|d| d.join("lattice-host").join("components"))
    }

    fn path(&self, sha256: &str) -> Option<PathBuf> {
        self.dir
            .as_ref()
            .map(|d| d.join(format!("{sha256}-{}.cwasm", self.compat)))
    }

    /// The compiled component for `bytes`, from the cache or compiled now.
    #[allow(unsafe_code)]
    pub fn load(&self, engine: &Engine, sha256: &str, bytes: &[u8]) -> wasmtime::Result<Component> {
        if let Some(path) = self.path(sha256)
            && path.exists()
        {
            // SAFETY: files in the cache directory are written only by
            // `store` below from `Engine::precompile_component`, named by the
            // component's sha256 and the engine's compatibility hash; wasmtime
            // also checks the header and rejects incompatible artifacts.
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(c) => return Ok(c),
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "ignoring unusable cached component")
                }
            }
        }
        let compiled = engine.precompile_component(bytes)?;
        if let Some(path) = self.path(sha256)
            && let Err(e) = store(&path, &compiled)
        {
            tracing::warn!(path = %path.display(), error = %e, "could not cache compiled component");
        }
        // SAFETY: `compiled` was produced just now by this engine.
        unsafe { Component::deserialize(engine, &compiled) }
    }
}

/// Writes atomically, so a concurrent reader never sees half a file.
fn store(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
