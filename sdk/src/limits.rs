//! VPC Lattice's limits on what a plugin drafts (the botocore `vpc-lattice`
//! model and the service quotas), and the host's caps on diagnostics, as
//! the host checks every answer against them. A plugin that checks its
//! drafts with the same functions reports what Lattice cannot express at
//! the route's own field, instead of having its whole answer refused.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::types::Diagnostic;

/// Lattice `RulePriority`: 1 to 2000.
pub const PRIORITIES: core::ops::RangeInclusive<u32> = 1..=2000;
/// Lattice `TargetGroupWeight`: 0 to 999.
pub const MAX_WEIGHT: u32 = 999;
/// Lattice `WeightedTargetGroupList`: 1 to 10.
pub const MAX_TARGET_GROUPS: usize = 10;
/// Lattice `HeaderMatchList`: at most 5.
pub const MAX_HEADER_MATCHES: usize = 5;
/// Lattice auth policy quota, in bytes.
pub const MAX_AUTH_POLICY_BYTES: usize = 10 * 1024;

/// Diagnostics the host keeps from one answer; an answer with more is refused.
pub const MAX_DIAGNOSTICS: usize = 64;
/// Longest diagnostic message the host keeps, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 1024;
/// Longest diagnostic field path the host keeps, in bytes.
pub const MAX_FIELD_BYTES: usize = 256;

/// Lattice `PathMatchExact` / `PathMatchPrefix`: 1 to 200 characters of
/// `/[a-zA-Z0-9@:%_+.~#?&/=-]*`.
pub fn path(value: &str) -> Result<(), String> {
    let ok = (1..=200).contains(&value.len())
        && value.starts_with('/')
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"@:%_+.~#?&/=-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "path {value:?} is not a VPC Lattice path match (1-200 characters of /[a-zA-Z0-9@:%_+.~#?&/=-]*)"
        ))
    }
}

/// Lattice `HeaderMatch`: a name of 1 to 100 and a value of 1 to 200
/// characters (counted in bytes: never looser than Lattice).
pub fn header(name: &str, value: &str) -> Result<(), String> {
    if (1..=100).contains(&name.len()) && (1..=200).contains(&value.len()) {
        Ok(())
    } else {
        Err(format!(
            "header match {name:?}: VPC Lattice header names are 1-100 and values 1-200 characters"
        ))
    }
}

/// Whether `reason` can be a Kubernetes condition's reason
/// (`^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$`, at most 1024 characters):
/// the host writes a diagnostic's reason into route status as it is.
pub fn condition_reason(reason: &str) -> bool {
    let b = reason.as_bytes();
    let (Some(first), Some(last)) = (b.first(), b.last()) else {
        return false;
    };
    b.len() <= 1024
        && first.is_ascii_alphabetic()
        && (last.is_ascii_alphanumeric() || *last == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"_,:".contains(c))
}

/// `s` cut to at most `max` bytes at a character boundary, with `…` at
/// the end when anything was cut.
fn cut(s: &mut String, max: usize) {
    if s.len() <= max {
        return;
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    s.push('…');
}

/// Fits diagnostics within the host's caps: long messages and fields are
/// cut, and past [`MAX_DIAGNOSTICS`] the rest become one that counts them.
/// The SDK's runners ([`crate::map_routes`] and friends) apply it to every
/// answer, so a route with many problems gets its answer, not a refusal.
pub fn fit_diagnostics(ds: &mut Vec<Diagnostic>) {
    if ds.len() > MAX_DIAGNOSTICS {
        let rest = ds.split_off(MAX_DIAGNOSTICS - 1);
        let first = &rest[0];
        let more = Diagnostic {
            message: format!(
                "{} and {} more problems not listed",
                first.message,
                rest.len() - 1
            ),
            ..first.clone()
        };
        ds.push(more);
    }
    for d in ds.iter_mut() {
        cut(&mut d.message, MAX_MESSAGE_BYTES);
        cut(&mut d.field, MAX_FIELD_BYTES);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_lattices_alphabet_from_a_slash() {
        assert!(path("/api/v1?x=1&y=%20").is_ok());
        for bad in ["", "api", "/a b", "/ünï", "/a\"b"] {
            assert!(path(bad).is_err(), "{bad:?}");
        }
        assert!(path(&alloc::format!("/{}", "a".repeat(200))).is_err());
    }

    #[test]
    fn header_names_and_values_have_lattices_lengths() {
        assert!(header("x-env", "prod").is_ok());
        assert!(header("", "v").is_err());
        assert!(header("x", "").is_err());
        assert!(header(&"n".repeat(101), "v").is_err());
    }

    #[test]
    fn diagnostics_are_fitted_within_the_hosts_caps() {
        let d = |i: usize| {
            crate::diagnostic(
                "Accepted",
                "UnsupportedValue",
                "spec",
                alloc::format!("{i}"),
            )
        };
        let mut ds: Vec<Diagnostic> = (0..100).map(d).collect();
        ds[0].message = "é".repeat(600);
        fit_diagnostics(&mut ds);
        assert_eq!(ds.len(), MAX_DIAGNOSTICS);
        assert!(ds[0].message.len() <= MAX_MESSAGE_BYTES && ds[0].message.ends_with('…'));
        assert_eq!(ds[63].message, "63 and 36 more problems not listed");
    }

    #[test]
    fn reasons_are_what_a_kubernetes_condition_accepts() {
        for good in ["UnsupportedValue", "A", "Ref_Not:Permitted,x"] {
            assert!(condition_reason(good), "{good:?}");
        }
        for bad in ["", "not a reason!", "1st", "Trailing,", "Ünï"] {
            assert!(!condition_reason(bad), "{bad:?}");
        }
    }
}
