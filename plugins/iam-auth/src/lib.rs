//! `iam-auth`: the default auth plugin.
//!
//! An `application-networking.k8s.aws` IAMAuthPolicy that targets a Gateway
//! applies to its service network; one that targets an HTTPRoute or GRPCRoute
//! applies to that route's service. The oldest policy on a target wins; the
//! others are reported as `Conflicted`.
#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use lattice_plugin_sdk::types::*;
use lattice_plugin_sdk::{Authorizer, Plugin, diagnostic};
use serde::Deserialize;

/// Lattice's auth policy size quota, in bytes.
pub const MAX_POLICY_BYTES: usize = 10 * 1024;

/// Settings of `iam-auth` (none yet; unknown keys are rejected).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {}

/// The plugin.
pub struct IamAuth;

impl Plugin for IamAuth {
    type Settings = Settings;
    const NAME: &'static str = "iam-auth";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
}

impl Authorizer for IamAuth {
    fn decide_auth(_: &Settings, target: &AuthTarget) -> AuthResult {
        let mut order: Vec<usize> = (0..target.policies.len()).collect();
        // Oldest first; namespace/name breaks ties, as Gateway API policy
        // conflict resolution does.
        order.sort_by(|&a, &b| {
            let (pa, pb) = (&target.policies[a], &target.policies[b]);
            (&pa.creation_timestamp, &pa.id).cmp(&(&pb.creation_timestamp, &pb.id))
        });
        let Some((&winner, losers)) = order.split_first() else {
            return AuthResult {
                auth_type: "NONE".into(),
                policy: None,
                diagnostics: vec![],
            };
        };
        let w = &target.policies[winner];
        let mut diagnostics: Vec<Diagnostic> = losers
            .iter()
            .map(|&i| {
                diagnostic(
                    "Accepted",
                    "Conflicted",
                    format!("policies[{i}].spec.targetRef"),
                    format!(
                        "{} {} already has IAMAuthPolicy {}, which is older",
                        target.object_kind, target.id, w.id
                    ),
                )
            })
            .collect();
        // An invalid winner fails closed: AWS_IAM with no policy denies all.
        let policy = match check_policy(&w.policy) {
            Ok(p) => Some(p),
            Err(why) => {
                diagnostics.push(diagnostic(
                    "Accepted",
                    "Invalid",
                    format!("policies[{winner}].spec.policy"),
                    format!(
                        "{why}; {} {} denies all requests until it is fixed",
                        target.object_kind, target.id
                    ),
                ));
                None
            }
        };
        AuthResult {
            auth_type: "AWS_IAM".into(),
            policy,
            diagnostics,
        }
    }
}

lattice_plugin_sdk::export_authorizer!(IamAuth);

/// Checks a policy document and returns it in compact form.
pub fn check_policy(policy: &str) -> Result<String, String> {
    let v: serde_json::Value =
        serde_json::from_str(policy).map_err(|e| format!("spec.policy is not valid JSON: {e}"))?;
    if !v.is_object() {
        return Err("spec.policy must be a JSON object (an IAM policy document)".into());
    }
    let compact = v.to_string();
    if compact.len() > MAX_POLICY_BYTES {
        return Err(format!(
            "spec.policy is {} bytes; VPC Lattice auth policies are at most {MAX_POLICY_BYTES}",
            compact.len()
        ));
    }
    Ok(compact)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALLOW: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*"}]}"#;

    fn policy(name: &str, ts: &str, doc: &str) -> IamAuthPolicy {
        IamAuthPolicy {
            id: ObjectRef {
                namespace: "ns".into(),
                name: name.into(),
            },
            creation_timestamp: ts.into(),
            policy: doc.into(),
        }
    }

    fn target(kind: AuthTargetKind, policies: Vec<IamAuthPolicy>) -> AuthResult {
        let t = AuthTarget {
            kind,
            id: ObjectRef {
                namespace: "ns".into(),
                name: "gw".into(),
            },
            object_kind: "Gateway".into(),
            policies,
        };
        lattice_plugin_sdk::decide_auth::<IamAuth>("", &[t]).remove(0)
    }

    #[test]
    fn no_policy_means_auth_type_none() {
        let r = target(AuthTargetKind::ServiceNetwork, vec![]);
        assert_eq!((r.auth_type.as_str(), r.policy), ("NONE", None));
    }

    #[test]
    fn policy_on_a_gateway_gives_its_service_network_aws_iam() {
        let r = target(
            AuthTargetKind::ServiceNetwork,
            vec![policy("p", "2024-01-01T00:00:00Z", ALLOW)],
        );
        assert_eq!(r.auth_type, "AWS_IAM");
        let got: serde_json::Value = serde_json::from_str(r.policy.as_deref().unwrap()).unwrap();
        assert_eq!(
            got,
            serde_json::from_str::<serde_json::Value>(ALLOW).unwrap()
        );
        assert!(r.diagnostics.is_empty());
    }

    #[test]
    fn policy_on_a_route_gives_its_service_aws_iam() {
        let r = target(
            AuthTargetKind::Service,
            vec![policy("p", "2024-01-01T00:00:00Z", ALLOW)],
        );
        assert_eq!(r.auth_type, "AWS_IAM");
        assert!(r.policy.is_some());
    }

    #[test]
    fn oldest_policy_wins_and_the_others_are_conflicted() {
        let newer = r#"{"Statement":[]}"#;
        let r = target(
            AuthTargetKind::Service,
            vec![
                policy("new", "2025-01-01T00:00:00Z", newer),
                policy("old", "2024-01-01T00:00:00Z", ALLOW),
            ],
        );
        assert!(
            r.policy
                .as_deref()
                .unwrap()
                .contains("vpc-lattice-svcs:Invoke")
        );
        assert_eq!(r.diagnostics.len(), 1);
        assert_eq!(r.diagnostics[0].reason, "Conflicted");
        assert_eq!(r.diagnostics[0].field, "policies[0].spec.targetRef");
    }

    #[test]
    fn invalid_json_fails_closed() {
        let r = target(
            AuthTargetKind::Service,
            vec![policy("p", "2024-01-01T00:00:00Z", "{not json")],
        );
        assert_eq!(
            (r.auth_type.as_str(), r.policy.as_deref()),
            ("AWS_IAM", None)
        );
        assert_eq!(r.diagnostics[0].field, "policies[0].spec.policy");
    }

    #[test]
    fn policy_over_10kb_fails_closed() {
        let big = format!(
            r#"{{"Statement":[],"Pad":"{}"}}"#,
            "x".repeat(MAX_POLICY_BYTES)
        );
        let r = target(
            AuthTargetKind::Service,
            vec![policy("p", "2024-01-01T00:00:00Z", &big)],
        );
        assert_eq!(r.policy, None);
        assert!(r.diagnostics[0].message.contains("at most 10240"));
    }

    #[test]
    fn non_object_policy_is_invalid() {
        assert!(check_policy("[1,2]").is_err());
        assert!(check_policy(ALLOW).is_ok());
    }
}
