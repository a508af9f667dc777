//! `lattice-fuzz`: what the fuzzed tests of issue 15 ("bad input, fuzzed")
//! generate, and the oracles they judge the answers by.
//!
//! ```text
//! manifests ──► Snapshot ──► model ──► stages (native, scripted or WASM) ──► Plan
//!   (plausible shapes,                    │ answers: Script                    │
//!    adversarial values)                  ▼                                    ▼
//!                                  judge: would the host       lattice: would VPC Lattice
//!                                  accept this answer?         accept every element?
//! ```
//!
//! The oracles are written from VPC Lattice's limits (the botocore
//! `vpc-lattice` model, the service quotas) and the host's documented
//! promises, not from the host's own validation code: a test that compares
//! the two finds the places where they disagree.
//!
//! Only test targets depend on this crate (`scripts/check-layout` checks it).

pub mod answers;
pub mod expect;
pub mod judge;
pub mod lattice;
pub mod manifests;
pub mod stages;

/// The number of cases to run: `var` from the environment when set and a
/// number, else `default`. CI runs the default; a longer run sets the variable.
pub fn cases(var: &str, default: u32) -> u32 {
    std::env::var(var)
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}
