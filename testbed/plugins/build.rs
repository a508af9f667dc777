//! Builds the fault-test plugin for wasm32-wasip2.

fn main() {
    let root = lattice_plugin_build::workspace_root();
    let built = lattice_plugin_build::build(
        &root,
        &[("faulty-plugin", "faulty_plugin")],
        &["wit", "sdk", "testbed/plugins/faulty"],
    );
    println!("cargo:rustc-env=FAULTY_PLUGIN_WASM={}", built[0].display());
}
