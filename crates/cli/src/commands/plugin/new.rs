//! `plugin new NAME --stage STAGE [--path DIR]`: a plugin crate that builds
//! as it stands, with one passing fixture.
//!
//! The crate is its own workspace and depends on the SDK by path: the
//! `sdk/` of the lattice-host checkout this binary was built from, or
//! `--sdk DIR` / `LATTICE_PLUGIN_SDK`. Inside that checkout the path is
//! relative, so the checkout can move.

use std::path::{Component, Path, PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};

/// The stage a new plugin implements.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum NewStage {
    /// Route rules to VPC Lattice listener rules.
    Mapping,
    /// A rule's backends to weighted target groups.
    Weighting,
    /// IAMAuthPolicies to a VPC Lattice auth policy.
    Auth,
}

impl NewStage {
    fn as_str(self) -> &'static str {
        match self {
            NewStage::Mapping => "mapping",
            NewStage::Weighting => "weighting",
            NewStage::Auth => "auth",
        }
    }

    fn lib_template(self) -> &'static str {
        match self {
            NewStage::Mapping => include_str!("templates/mapping.rs.tmpl"),
            NewStage::Weighting => include_str!("templates/weighting.rs.tmpl"),
            NewStage::Auth => include_str!("templates/auth.rs.tmpl"),
        }
    }

    fn expect_template(self) -> &'static str {
        match self {
            NewStage::Mapping => include_str!("templates/expect-mapping.yaml.tmpl"),
            NewStage::Weighting => include_str!("templates/expect-weighting.yaml.tmpl"),
            NewStage::Auth => include_str!("templates/expect-auth.yaml.tmpl"),
        }
    }
}

/// `plugin new` arguments.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The crate and plugin name: lower-case letters, digits and dashes.
    name: String,
    /// The stage it implements.
    #[arg(long, value_enum)]
    stage: NewStage,
    /// The directory to create it in (default: the current one).
    #[arg(long, default_value = ".")]
    path: PathBuf,
    /// The SDK to depend on: the `sdk/` folder of a lattice-host checkout.
    #[arg(long, env = "LATTICE_PLUGIN_SDK")]
    sdk: Option<PathBuf>,
}

/// The SDK of the checkout this binary was built from.
fn built_from_sdk() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sdk")
}

/// Runs `plugin new`.
pub fn run(args: NewArgs) -> anyhow::Result<()> {
    check_name(&args.name)?;
    let sdk = args.sdk.clone().unwrap_or_else(built_from_sdk);
    let sdk = sdk.canonicalize().ok().filter(|p| p.join("Cargo.toml").exists()).with_context(|| {
        format!(
            "no lattice-plugin-sdk at {}: pass --sdk DIR (the sdk/ folder of a lattice-host checkout)",
            sdk.display()
        )
    })?;
    let dir = args.path.join(&args.name);
    anyhow::ensure!(!dir.exists(), "{}: already exists", dir.display());
    std::fs::create_dir_all(dir.join("src"))
        .with_context(|| format!("{}: cannot create", dir.display()))?;
    std::fs::create_dir_all(dir.join("fixtures"))?;
    let dir = dir.canonicalize()?;
    let sdk_path = relative_if_inside(&sdk, &dir);
    let fill = |t: &str| fill(t, &args.name, args.stage, &sdk_path);
    let fixture = format!(
        "# One case of `lattice-host plugin test`: the manifests are planned with\n# this plugin for its stage (the built-in plugins for the others), and the\n# plan must contain the fragment under `expect`.\ndescription: the cart route through {name}\nmanifests: |\n{manifests}{expect}",
        name = args.name,
        manifests = indent(include_str!("templates/manifests.yaml.tmpl")),
        expect = args.stage.expect_template(),
    );
    let files = [
        (
            "Cargo.toml",
            fill(include_str!("templates/Cargo.toml.tmpl")),
        ),
        ("src/lib.rs", fill(args.stage.lib_template())),
        ("fixtures/cart.yaml", fixture),
        ("README.md", fill(include_str!("templates/README.md.tmpl"))),
        (
            "plugin.yaml",
            fill(include_str!("templates/plugin.yaml.tmpl")),
        ),
        (
            ".gitignore",
            include_str!("templates/gitignore.tmpl").to_string(),
        ),
    ];
    for (file, text) in files {
        let path = dir.join(file);
        std::fs::write(&path, text).with_context(|| format!("{}: cannot write", path.display()))?;
    }
    copy_lockfile(&sdk, &dir);
    println!(
        "created {} ({} plugin, SDK at {})",
        dir.display(),
        args.stage.as_str(),
        sdk_path
    );
    println!(
        "next: cd {} && lattice-host plugin build && lattice-host plugin test",
        dir.display()
    );
    Ok(())
}

/// A crate name cargo and a plugin object both accept.
fn check_name(name: &str) -> anyhow::Result<()> {
    let ok = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
        && name.len() <= 63;
    anyhow::ensure!(
        ok,
        "{name}: a plugin name is lower-case letters, digits and dashes, starting with a letter (at most 63)"
    );
    Ok(())
}

fn fill(template: &str, name: &str, stage: NewStage, sdk: &str) -> String {
    let type_name: String = name
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    template
        .replace("{{name}}", name)
        .replace("{{type}}", &type_name)
        .replace("{{stage}}", stage.as_str())
        .replace("{{lib}}", &name.replace('-', "_"))
        .replace("{{sdk}}", sdk)
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

/// `sdk` relative to `dir` when both sit in the SDK's checkout, else absolute.
fn relative_if_inside(sdk: &Path, dir: &Path) -> String {
    let Some(root) = sdk.parent() else {
        return sdk.display().to_string();
    };
    let Ok(rest) = dir.strip_prefix(root) else {
        return sdk.display().to_string();
    };
    let ups = rest
        .components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .count();
    let mut rel = PathBuf::new();
    for _ in 0..ups {
        rel.push("..");
    }
    rel.join("sdk").display().to_string()
}

/// Starts from the checkout's lockfile, so the plugin builds with the
/// dependency versions lattice-host was tested with (cargo drops the rest).
fn copy_lockfile(sdk: &Path, dir: &Path) {
    if let Some(lock) = sdk.parent().map(|root| root.join("Cargo.lock")) {
        let _ = std::fs::copy(lock, dir.join("Cargo.lock"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_rust_types_and_file_stems() {
        let t = fill(
            "{{type}} {{lib}} {{name}} {{stage}}",
            "my-split",
            NewStage::Weighting,
            "x",
        );
        assert_eq!(t, "MySplit my_split my-split weighting");
    }

    #[test]
    fn only_names_a_crate_and_a_kubernetes_object_accept_pass() {
        assert!(check_name("my-split2").is_ok());
        for bad in ["My", "2x", "a_b", "a-", ""] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_sdk_path_is_relative_inside_its_checkout() {
        let sdk = Path::new("/src/lattice-host/sdk");
        assert_eq!(
            relative_if_inside(sdk, Path::new("/src/lattice-host/plugins/mine")),
            "../../sdk"
        );
        assert_eq!(
            relative_if_inside(sdk, Path::new("/elsewhere/mine")),
            "/src/lattice-host/sdk"
        );
    }
}
