//! Auth answers: an auth type and policy for a target.

use lattice_plugin_sdk::types::*;
use proptest::prelude::*;
use proptest::sample::select;

use super::faults::{DIAGNOSTIC_FAULTS, Fault, bad_reason, break_diagnostics, diagnostics, fault};

/// An auth answer: no policy, or a valid one, sound or (when `faulty`)
/// with one fault.
pub fn auth(faulty: bool) -> BoxedStrategy<AuthResult> {
    let allow = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"vpc-lattice-svcs:Invoke","Resource":"*"}]}"#;
    // Valid documents, of any size up to the quota.
    let sized = (0..10_000usize).prop_map(|n| format!(r#"{{"Pad":"{}"}}"#, "x".repeat(n)));
    let policy = prop_oneof![
        2 => Just(None),
        2 => Just(Some(allow.to_string())),
        1 => sized.prop_map(Some),
    ];
    let faults = [
        Fault::PolicyWithNone,
        Fault::AuthType,
        Fault::PolicyNotJson,
        Fault::PolicyNotObject,
        Fault::PolicyTooBig,
    ];
    let all: Vec<Fault> = faults.into_iter().chain(DIAGNOSTIC_FAULTS).collect();
    let bad = (
        bad_reason(),
        select(vec!["", "aws_iam", "IAM", "NONE "]),
        select(vec!["{not json", "", "[1,2]", "null", "\"s\""]),
    );
    (
        any::<bool>(),
        policy,
        diagnostics(),
        fault(&all, faulty),
        bad,
    )
        .prop_map(
            move |(none, policy, mut diagnostics, fault, (reason, bad_type, bad_doc))| {
                let mut a = AuthResult {
                    auth_type: if none && policy.is_none() {
                        "NONE"
                    } else {
                        "AWS_IAM"
                    }
                    .into(),
                    policy,
                    diagnostics: Vec::new(),
                };
                if let Some(f) = fault
                    && !break_diagnostics(&mut diagnostics, f, &reason)
                {
                    match f {
                        Fault::PolicyWithNone => {
                            a.auth_type = "NONE".into();
                            a.policy = Some(allow.into());
                        }
                        Fault::AuthType => a.auth_type = bad_type.into(),
                        Fault::PolicyNotJson | Fault::PolicyNotObject => {
                            a.auth_type = "AWS_IAM".into();
                            a.policy = Some(if f == Fault::PolicyNotJson {
                                "{not json".into()
                            } else {
                                bad_doc.into()
                            });
                        }
                        Fault::PolicyTooBig => {
                            a.auth_type = "AWS_IAM".into();
                            a.policy = Some(format!(r#"{{"Pad":"{}"}}"#, "x".repeat(10 * 1024)));
                        }
                        _ => {}
                    }
                }
                a.diagnostics = diagnostics;
                a
            },
        )
        .boxed()
}
