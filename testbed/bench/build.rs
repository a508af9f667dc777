//! Builds the equal-split example plugin for wasm32-wasip2: `bench swap`
//! serves it as a plugin object from a ConfigMap (`src/swap.rs` embeds it).

fn main() {
    let root = lattice_plugin_build::workspace_root();
    let built = lattice_plugin_build::build(
        &root,
        &[("equal-split", "equal_split")],
        &["wit", "sdk", "examples/plugins/equal-split"],
    );
    println!("cargo:rustc-env=EQUAL_SPLIT_WASM={}", built[0].display());
}
