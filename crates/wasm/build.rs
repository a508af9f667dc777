//! Builds the default plugins for wasm32-wasip2; `src/defaults.rs` embeds
//! them with `include_bytes!`.

const DEFAULTS: &[(&str, &str)] = &[
    ("route-mapper", "route_mapper"),
    ("weighted-forward", "weighted_forward"),
    ("iam-auth", "iam_auth"),
];

fn main() {
    let root = lattice_plugin_build::workspace_root();
    let built = lattice_plugin_build::build(&root, DEFAULTS, &["wit", "sdk", "plugins"]);
    for ((pkg, _), path) in DEFAULTS.iter().zip(built) {
        let var = format!("{}_WASM", pkg.replace('-', "_").to_uppercase());
        println!("cargo:rustc-env={var}={}", path.display());
    }
}
