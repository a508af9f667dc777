//! Builds the plugins the tests load as components, for wasm32-wasip2: the
//! fault-test plugin, the echo plugin and the equal-split example.

fn main() {
    let root = lattice_plugin_build::workspace_root();
    let built = lattice_plugin_build::build(
        &root,
        &[
            ("faulty-plugin", "faulty_plugin"),
            ("equal-split", "equal_split"),
            ("echo-plugin", "echo_plugin"),
        ],
        &[
            "wit",
            "sdk",
            "testbed/plugins/faulty",
            "testbed/plugins/echo",
            "examples/plugins/equal-split",
        ],
    );
    println!("cargo:rustc-env=FAULTY_PLUGIN_WASM={}", built[0].display());
    println!("cargo:rustc-env=EQUAL_SPLIT_WASM={}", built[1].display());
    println!("cargo:rustc-env=ECHO_PLUGIN_WASM={}", built[2].display());
}
