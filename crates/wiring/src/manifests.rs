//! Reads Kubernetes manifests (multi-document YAML or JSON, files or
//! directories) into a [`Snapshot`], with errors that name file and line.

use std::path::{Path, PathBuf};

use lattice_core::Snapshot;
use thiserror::Error;

/// A manifest that could not be read.
#[derive(Debug, Error)]
pub enum ManifestError {
    /// The file or directory could not be read.
    #[error("{path}: {source}")]
    Io {
        /// Path.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// Not YAML, or not an object of a known kind's schema.
    #[error("{path}:{line}: {message}")]
    Invalid {
        /// Path.
        path: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// What reading found besides objects: kinds the plan does not read.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The objects.
    pub snapshot: Snapshot,
    /// `path:line: ignoring Kind` notes.
    pub ignored: Vec<String>,
}

/// Reads every path; directories are read recursively (`.yaml`, `.yml`, `.json`).
pub fn load(paths: &[PathBuf]) -> Result<Loaded, ManifestError> {
    let mut loaded = Loaded::default();
    for p in paths {
        for file in files(p)? {
            let text = std::fs::read_to_string(&file).map_err(|source| ManifestError::Io {
                path: file.display().to_string(),
                source,
            })?;
            add_text(&mut loaded, &file.display().to_string(), &text)?;
        }
    }
    Ok(loaded)
}

/// The manifest files under `p`: itself, or recursively `.yaml`, `.yml`, `.json`.
pub fn files(p: &Path) -> Result<Vec<PathBuf>, ManifestError> {
    let io = |source| ManifestError::Io {
        path: p.display().to_string(),
        source,
    };
    if !p.is_dir() {
        std::fs::metadata(p).map_err(io)?;
        return Ok(vec![p.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for e in entries {
        if e.is_dir() {
            out.extend(files(&e)?);
        } else if matches!(
            e.extension().and_then(|x| x.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            out.push(e);
        }
    }
    Ok(out)
}

/// Splits on `---` lines, keeping each document's first line number.
fn documents(text: &str) -> Vec<(usize, String)> {
    let mut docs = vec![(1, String::new())];
    for (i, line) in text.lines().enumerate() {
        if line.trim_end() == "---" || line.starts_with("--- ") {
            docs.push((i + 2, String::new()));
            continue;
        }
        let doc = &mut docs.last_mut().expect("never empty").1;
        doc.push_str(line);
        doc.push('\n');
    }
    docs
}

/// Adds every document of one file's text.
pub fn add_text(loaded: &mut Loaded, path: &str, text: &str) -> Result<(), ManifestError> {
    for (start, doc) in documents(text) {
        let invalid = |line: usize, message: String| ManifestError::Invalid {
            path: path.to_string(),
            line,
            message,
        };
        let value: serde_json::Value = serde_yaml::from_str(&doc).map_err(|e| {
            let line = e.location().map(|l| start + l.line() - 1).unwrap_or(start);
            invalid(line, format!("not valid YAML: {e}"))
        })?;
        let items = match value {
            serde_json::Value::Null => continue,
            serde_json::Value::Object(ref o)
                if o.get("kind").and_then(|k| k.as_str()) == Some("List") =>
            {
                o.get("items")
                    .and_then(|i| i.as_array())
                    .cloned()
                    .unwrap_or_default()
            }
            serde_json::Value::Object(_) => vec![value],
            other => {
                return Err(invalid(
                    start,
                    format!("expected a Kubernetes object, found {other}"),
                ));
            }
        };
        for item in items {
            let kind = item
                .get("kind")
                .and_then(|k| k.as_str())
                .unwrap_or("")
                .to_string();
            match loaded.snapshot.add_manifest(item) {
                Ok(true) => {}
                Ok(false) => loaded.ignored.push(format!(
                    "{path}:{start}: ignoring {kind}: the plan does not read it"
                )),
                Err(e) => return Err(invalid(start, e.to_string())),
            }
        }
    }
    Ok(())
}
