//! Plugins the tests load as components, built by `build.rs`.

/// The fault-test mapping plugin (`testbed/plugins/faulty`): its settings
/// choose a trap, an endless loop, memory exhaustion or invalid output.
pub const FAULTY: &str = env!("FAULTY_PLUGIN_WASM");

/// The example weighting plugin (`examples/plugins/equal-split`): every
/// resolved backend of a rule gets the same weight.
pub const EQUAL_SPLIT: &str = env!("EQUAL_SPLIT_WASM");

/// The echo plugin (`testbed/plugins/echo`): one component exporting all
/// three stages, answering whatever its settings say, for the fuzzed tests.
pub const ECHO: &str = env!("ECHO_PLUGIN_WASM");
