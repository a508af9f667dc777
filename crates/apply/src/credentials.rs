//! AWS credentials, checked once before the first call: without them every
//! call would fail alike, each with the SDK's account of the whole chain.
//! [`check`] turns that into one line that names each source the default
//! chain tried and why it gave nothing.

use std::error::Error;
use std::time::Duration;

use aws_config::meta::ProviderChainError;
use aws_sdk_vpclattice::config::ProvideCredentials;
use aws_sdk_vpclattice::config::SharedCredentialsProvider;

/// The longest the chain may take (a web identity or container source
/// calls out to STS or the agent; instance metadata may time out).
const LOAD_TIMEOUT: Duration = Duration::from_secs(30);

/// No credentials: the message is one line.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct NoCredentials(String);

/// What a source of the default chain is, for people.
fn source_name(chain_name: &str) -> &str {
    match chain_name {
        "Environment" => "environment (AWS_ACCESS_KEY_ID)",
        "Profile" => "profile (~/.aws/config, ~/.aws/credentials, AWS_PROFILE)",
        "WebIdentityToken" => "web identity token (IRSA: AWS_WEB_IDENTITY_TOKEN_FILE)",
        "EcsContainer" => {
            "container endpoint (EKS Pod Identity, ECS: AWS_CONTAINER_CREDENTIALS_FULL_URI)"
        }
        "Ec2InstanceMetadata" => "EC2 instance metadata (IMDS)",
        other => other,
    }
}

/// Why a source gave nothing: the innermost message of its error (the
/// SDK's wrappers say only "not loaded"); a bare one means it found nothing.
fn reason(e: &(dyn Error + 'static)) -> String {
    let Some(mut inner) = e.source() else {
        return "nothing found".into();
    };
    while let Some(next) = inner.source() {
        inner = next;
    }
    inner.to_string()
}

/// The one-line account of a failed load.
fn explain(e: &(dyn Error + 'static)) -> String {
    let mut cur: Option<&(dyn Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(chain) =
            err.downcast_ref::<ProviderChainError<aws_credential_types::provider::error::CredentialsError>>()
        {
            let tried: Vec<String> = chain
                .attempts()
                .iter()
                .map(|a| format!("{}: {}", source_name(a.name()), reason(a.error())))
                .collect();
            return format!(
                "no AWS credentials; the default chain tried {}",
                tried.join("; ")
            );
        }
        cur = err.source();
    }
    format!(
        "no AWS credentials; the default chain (environment, profile, web identity, \
         container endpoint, instance metadata) stopped at: {}",
        messages(e)
    )
}

/// An error and its sources, `outer: inner`, each level once, on one line.
fn messages(e: &(dyn Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn Error + 'static)> = Some(e);
    while let Some(err) = cur {
        let text = err.to_string().trim().to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = err.source();
    }
    parts.join(": ").replace('\n', " ")
}

/// Loads credentials from `provider` once. `Ok` when some source gave
/// them; otherwise the line to show, naming every source tried.
pub async fn check(provider: Option<SharedCredentialsProvider>) -> Result<(), NoCredentials> {
    let Some(provider) = provider else {
        return Err(NoCredentials(
            "no AWS credentials provider is configured".into(),
        ));
    };
    match tokio::time::timeout(LOAD_TIMEOUT, provider.provide_credentials()).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(NoCredentials(explain(&e))),
        Err(_) => Err(NoCredentials(format!(
            "no AWS credentials within {} s from the default chain (environment, profile, web identity, container endpoint, instance metadata)",
            LOAD_TIMEOUT.as_secs()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_credential_types::provider::error::CredentialsError;

    #[test]
    fn a_chain_that_found_nothing_is_one_line_naming_each_source() {
        let chain = aws_config::meta::credentials::CredentialsProviderChain::first_try(
            "Environment",
            Failing("environment variable not set"),
        )
        .or_else("Ec2InstanceMetadata", Failing("disabled"));
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let err = rt
            .block_on(chain.provide_credentials())
            .expect_err("nothing to find");
        let line = explain(&err);
        assert!(!line.contains('\n'), "{line}");
        assert_eq!(
            line,
            "no AWS credentials; the default chain tried environment (AWS_ACCESS_KEY_ID): \
             environment variable not set; EC2 instance metadata (IMDS): disabled"
        );
    }

    #[test]
    fn a_source_that_failed_outright_is_named_with_its_reasons_on_one_line() {
        let e = CredentialsError::provider_error(std::io::Error::other(
            "failed to load IMDS session token",
        ));
        let line = explain(&e);
        assert!(!line.contains('\n'), "{line}");
        assert!(line.ends_with("stopped at: an error occurred while loading credentials: failed to load IMDS session token"), "{line}");
    }

    #[derive(Debug)]
    struct Failing(&'static str);

    impl ProvideCredentials for Failing {
        fn provide_credentials<'a>(
            &'a self,
        ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
        where
            Self: 'a,
        {
            aws_credential_types::provider::future::ProvideCredentials::ready(Err(
                CredentialsError::not_loaded(self.0),
            ))
        }
    }
}
