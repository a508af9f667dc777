//! Stable names for what the plan does not name: listeners and rules.
//!
//! Lattice's `ListenerName` and `RuleName` are 3–63 characters of lower-case
//! letters, digits and hyphens, and may not start with `listener-` / `rule-`.
//!
//! - listener: `<protocol>-<port>`, e.g. `http-80`, `https-443`,
//!   `tls-passthrough-443` (one listener per port, so this is unique);
//! - rule: `k8s-` + the first 16 hex digits of the SHA-256 of the match's
//!   canonical JSON, e.g. `k8s-3f2a…`. A rule keeps its name when its priority
//!   or action changes; a second rule with the same match in one listener, or a
//!   name already taken by a drifted rule, gets `-2`, `-3`, ….

use lattice_core::plan::MatchPlan;
use sha2::{Digest, Sha256};

/// The listener name for a protocol and port.
pub fn listener_name(protocol: &str, port: i32) -> String {
    let p = protocol.to_ascii_lowercase().replace('_', "-");
    format!("{p}-{port}")
}

/// The base rule name for a match.
pub fn rule_name(m: &MatchPlan) -> String {
    // Serialising a plan type cannot fail: no maps with non-string keys.
    let json = serde_json::to_string(m).unwrap_or_default();
    let digest = Sha256::digest(json.as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("k8s-{hex}")
}

/// `base`, or `base-2`, `base-3`, … whichever `taken` does not contain.
pub fn unique_name(base: &str, taken: impl Fn(&str) -> bool) -> String {
    if !taken(base) {
        return base.to_string();
    }
    (2..)
        .map(|i| format!("{base}-{i}"))
        .find(|n| !taken(n))
        .unwrap_or_else(|| base.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use lattice_core::plan::PathMatchPlan;

    fn valid(n: &str) -> bool {
        (3..=63).contains(&n.len())
            && n.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !n.starts_with("listener-")
            && !n.starts_with("rule-")
            && !n.starts_with('-')
            && !n.ends_with('-')
    }

    #[test]
    fn listener_names_are_protocol_and_port() {
        assert_eq!(listener_name("HTTP", 80), "http-80");
        assert_eq!(listener_name("TLS_PASSTHROUGH", 443), "tls-passthrough-443");
        assert!(valid(&listener_name("TLS_PASSTHROUGH", 65535)));
    }

    #[test]
    fn rule_names_are_stable_valid_and_differ_by_match() {
        let a = MatchPlan::default();
        let b = MatchPlan {
            path: Some(PathMatchPlan {
                r#type: "prefix".into(),
                value: "/a".into(),
                case_sensitive: true,
            }),
            ..Default::default()
        };
        assert_eq!(rule_name(&a), rule_name(&a.clone()));
        assert_ne!(rule_name(&a), rule_name(&b));
        assert!(valid(&rule_name(&b)));
        assert_eq!(rule_name(&b).len(), 20);
    }

    #[test]
    fn taken_names_get_a_numeric_suffix() {
        assert_eq!(unique_name("k8s-x", |_| false), "k8s-x");
        assert_eq!(
            unique_name("k8s-x", |n| n == "k8s-x" || n == "k8s-x-2"),
            "k8s-x-3"
        );
    }
}
