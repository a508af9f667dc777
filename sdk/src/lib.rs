//! `lattice-plugin-sdk`: write lattice-host plugins in Rust.
//!
//! A plugin decides one stage of turning Gateway API routes into VPC Lattice
//! resources: **mapping** (route rules → listener rules), **weighting**
//! (backends → weighted forward action) or **auth** (IAMAuthPolicy → Lattice
//! auth policy). Implement [`Plugin`] plus one of [`Mapper`], [`Weigher`] or
//! [`Authorizer`] on a unit struct, then export it:
//!
//! ```ignore
//! use lattice_plugin_sdk::{Mapper, Plugin, types::*};
//!
//! struct MyMapper;
//! impl Plugin for MyMapper {
//!     type Settings = ();
//!     const NAME: &'static str = "my-mapper";
//!     const VERSION: &'static str = env!("CARGO_PKG_VERSION");
//! }
//! impl Mapper for MyMapper {
//!     fn map_route(_: &(), route: &Route) -> MappingResult { todo!() }
//! }
//! lattice_plugin_sdk::export_mapper!(MyMapper);
//! ```
//!
//! `cargo build --target wasm32-wasip2 --release` turns the crate (with
//! `crate-type = ["cdylib", "rlib"]`) into a component. On any other target
//! the export macro expands to nothing, so the same logic links natively and
//! is unit-tested with [`testing`].
#![deny(missing_docs)]
// Guests are no_std: a std guest would import WASI (stdio, environment,
// exit), and the host grants plugins no capabilities at all.
#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

mod bridge;
#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod guest;
pub mod limits;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;
pub mod types;

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use serde::de::DeserializeOwned;
use types::*;

/// What the export macros need from `alloc`, for crates that are no_std.
#[doc(hidden)]
pub mod __rt {
    pub use alloc::string::String;
    pub use alloc::vec::Vec;
}

/// What every plugin declares: its name, version and settings.
pub trait Plugin {
    /// Settings, parsed from the JSON the operator configures. An empty
    /// string means `Default::default()`.
    type Settings: DeserializeOwned + Default;
    /// Short name, e.g. `route-mapper`.
    const NAME: &'static str;
    /// Semantic version, usually `env!("CARGO_PKG_VERSION")`.
    const VERSION: &'static str;

    /// Checks settings beyond their shape, e.g. ranges. Called once at load.
    fn check_settings(_settings: &Self::Settings) -> Result<(), String> {
        Ok(())
    }
}

/// A mapping plugin: one route to Lattice listener rules.
pub trait Mapper: Plugin {
    /// Maps one route.
    fn map_route(settings: &Self::Settings, route: &Route) -> MappingResult;
}

/// A weighting plugin: one rule's backends to a forward action.
pub trait Weigher: Plugin {
    /// Weighs one rule.
    fn weigh_rule(settings: &Self::Settings, rule: &RuleBackends) -> WeightingResult;
}

/// An auth plugin: the policies on one target to a Lattice auth policy.
pub trait Authorizer: Plugin {
    /// Decides one target.
    fn decide_auth(settings: &Self::Settings, target: &AuthTarget) -> AuthResult;
}

/// Parses and checks settings JSON the way the host's `validate-settings` call does.
pub fn parse_settings<P: Plugin>(json: &str) -> Result<P::Settings, String> {
    let settings = if json.trim().is_empty() {
        P::Settings::default()
    } else {
        serde_json::from_str(json).map_err(|e| format!("invalid settings for {}: {e}", P::NAME))?
    };
    P::check_settings(&settings)?;
    Ok(settings)
}

/// The plugin's `info` for the given stage.
pub fn info<P: Plugin>(stage: Stage) -> PluginInfo {
    PluginInfo {
        name: P::NAME.to_string(),
        version: P::VERSION.to_string(),
        stage,
    }
}

/// A diagnostic for settings that no longer parse; attached to every answer.
fn settings_diagnostic(message: String) -> Diagnostic {
    Diagnostic {
        condition: "Accepted".into(),
        reason: "PluginSettingsInvalid".into(),
        message,
        field: String::new(),
    }
}

/// Runs a mapper over a batch, as the exported `map-routes` does.
pub fn map_routes<P: Mapper>(settings: &str, routes: &[Route]) -> Vec<MappingResult> {
    match parse_settings::<P>(settings) {
        Ok(s) => routes
            .iter()
            .map(|r| {
                let mut a = P::map_route(&s, r);
                limits::fit_diagnostics(&mut a.diagnostics);
                a
            })
            .collect(),
        Err(e) => routes
            .iter()
            .map(|_| MappingResult {
                diagnostics: vec![settings_diagnostic(e.clone())],
                ..Default::default()
            })
            .collect(),
    }
}

/// Runs a weigher over a batch, as the exported `weigh-rules` does.
pub fn weigh_rules<P: Weigher>(settings: &str, rules: &[RuleBackends]) -> Vec<WeightingResult> {
    match parse_settings::<P>(settings) {
        Ok(s) => rules
            .iter()
            .map(|r| {
                let mut a = P::weigh_rule(&s, r);
                limits::fit_diagnostics(&mut a.diagnostics);
                a
            })
            .collect(),
        Err(e) => rules
            .iter()
            .map(|_| WeightingResult {
                action: WeightedAction::FixedResponse(500),
                diagnostics: vec![settings_diagnostic(e.clone())],
            })
            .collect(),
    }
}

/// Runs an authorizer over a batch, as the exported `decide-auth` does.
pub fn decide_auth<P: Authorizer>(settings: &str, targets: &[AuthTarget]) -> Vec<AuthResult> {
    match parse_settings::<P>(settings) {
        Ok(s) => targets
            .iter()
            .map(|t| {
                let mut a = P::decide_auth(&s, t);
                limits::fit_diagnostics(&mut a.diagnostics);
                a
            })
            .collect(),
        Err(e) => targets
            .iter()
            .map(|_| AuthResult {
                auth_type: "NONE".into(),
                policy: None,
                diagnostics: vec![settings_diagnostic(e.clone())],
            })
            .collect(),
    }
}

/// Builds a [`Diagnostic`].
pub fn diagnostic(
    condition: &str,
    reason: &str,
    field: impl Into<String>,
    message: impl Into<String>,
) -> Diagnostic {
    Diagnostic {
        condition: condition.to_string(),
        reason: reason.to_string(),
        message: message.into(),
        field: field.into(),
    }
}

/// Exports a [`Mapper`] as a `mapping-plugin` component (wasm32 only).
#[macro_export]
macro_rules! export_mapper {
    ($t:ty) => {
        #[cfg(target_arch = "wasm32")]
        $crate::__export_stage!(
            $t,
            mapping,
            Mapping,
            __export_mapping,
            fn map_routes(
                settings: $crate::__rt::String,
                routes: $crate::__rt::Vec<w::Route>,
            ) -> $crate::__rt::Vec<w::MappingResult> {
                let routes: $crate::__rt::Vec<$crate::types::Route> = routes.conv();
                $crate::map_routes::<$t>(&settings, &routes).conv()
            }
        );
    };
}

/// Exports a [`Weigher`] as a `weighting-plugin` component (wasm32 only).
#[macro_export]
macro_rules! export_weigher {
    ($t:ty) => {
        #[cfg(target_arch = "wasm32")]
        $crate::__export_stage!(
            $t,
            weighting,
            Weighting,
            __export_weighting,
            fn weigh_rules(
                settings: $crate::__rt::String,
                rules: $crate::__rt::Vec<w::RuleBackends>,
            ) -> $crate::__rt::Vec<w::WeightingResult> {
                let rules: $crate::__rt::Vec<$crate::types::RuleBackends> = rules.conv();
                $crate::weigh_rules::<$t>(&settings, &rules).conv()
            }
        );
    };
}

/// Exports an [`Authorizer`] as an `auth-plugin` component (wasm32 only).
#[macro_export]
macro_rules! export_authorizer {
    ($t:ty) => {
        #[cfg(target_arch = "wasm32")]
        $crate::__export_stage!(
            $t,
            auth,
            Auth,
            __export_auth,
            fn decide_auth(
                settings: $crate::__rt::String,
                targets: $crate::__rt::Vec<w::AuthTarget>,
            ) -> $crate::__rt::Vec<w::AuthResult> {
                let targets: $crate::__rt::Vec<$crate::types::AuthTarget> = targets.conv();
                $crate::decide_auth::<$t>(&settings, &targets).conv()
            }
        );
    };
}

/// Shared body of the export macros.
#[doc(hidden)]
#[macro_export]
macro_rules! __export_stage {
    ($t:ty, $stage:ident, $variant:ident, $export:ident, $($f:tt)*) => {
        const _: () = {
            use $crate::guest::Conv;
            use $crate::guest::mapping::lattice::plugin::types as w;
            struct Guest;
            impl $crate::guest::$stage::exports::lattice::plugin::$stage::Guest for Guest {
                fn info() -> w::PluginInfo {
                    $crate::info::<$t>($crate::types::Stage::$variant).conv()
                }
                fn validate_settings(settings: $crate::__rt::String) -> Result<(), $crate::__rt::String> {
                    $crate::parse_settings::<$t>(&settings).map(|_| ())
                }
                $($f)*
            }
            $crate::guest::$stage::$export!(Guest with_types_in $crate::guest::$stage);
        };
    };
}
