//! The cluster's identity from EC2 instance metadata (IMDSv2), for what
//! the configuration leaves unset, read as the Go controller reads it
//! (its `pkg/config/ec2_metadata.go`): the region from `placement/region`,
//! the account from `identity-credentials/ec2/info`, and the VPC of the
//! primary interface (`mac`, then `network/interfaces/macs/<mac>/vpc-id`).
//!
//! The AWS SDK's IMDS client speaks the protocol (a session token from
//! `PUT /latest/api/token`, then each `GET` with it); the endpoint is
//! `AWS_EC2_METADATA_SERVICE_ENDPOINT` as the SDKs read it, and
//! `AWS_EC2_METADATA_DISABLED=true` turns the lookup off.

use std::time::Duration;

use aws_config::imds::Client;

use super::{ConfigError, Settings};

/// The endpoint when `AWS_EC2_METADATA_SERVICE_ENDPOINT` is unset.
pub const DEFAULT_ENDPOINT: &str = "http://169.254.169.254";

/// Each call's budget: off EC2 the answer is a timeout, and should be quick.
const CALL_TIMEOUT: Duration = Duration::from_secs(1);

/// The whole lookup's budget (a token and at most four reads).
const TOTAL_TIMEOUT: Duration = Duration::from_secs(4);

/// Where instance metadata is, and whether it may be asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Metadata {
    /// The base URL.
    pub endpoint: String,
    /// `AWS_EC2_METADATA_DISABLED=true`.
    pub disabled: bool,
}

impl Metadata {
    /// As the AWS SDKs read the environment; an empty variable is unset.
    pub fn from_env() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        Metadata {
            endpoint: var("AWS_EC2_METADATA_SERVICE_ENDPOINT")
                .unwrap_or_else(|| DEFAULT_ENDPOINT.into()),
            disabled: var("AWS_EC2_METADATA_DISABLED")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
        }
    }

    /// `settings` with its unset region, account and VPC read from instance
    /// metadata. Nothing is asked when all three are set. An error names the
    /// variables to set instead, on one line.
    pub async fn complete(&self, mut settings: Settings) -> Result<Settings, ConfigError> {
        let missing = settings.unset_identity();
        if missing.is_empty() {
            return Ok(settings);
        }
        let fail = |reason: String| ConfigError::Metadata {
            reason,
            missing: missing.clone(),
        };
        if self.disabled {
            return Err(fail("AWS_EC2_METADATA_DISABLED=true".into()));
        }
        let client = self.client().map_err(|e| fail(one_line(&*e)))?;
        let read = async {
            for &key in &missing {
                let value = lookup(&client, key).await?;
                tracing::info!(variable = key, %value, "from EC2 instance metadata");
                *slot(&mut settings, key) = Some(value);
            }
            Ok::<_, String>(())
        };
        match tokio::time::timeout(TOTAL_TIMEOUT, read).await {
            Ok(Ok(())) => Ok(settings),
            Ok(Err(reason)) => Err(fail(format!("{}: {reason}", self.endpoint))),
            Err(_) => Err(fail(format!(
                "{}: no answer in {TOTAL_TIMEOUT:?}",
                self.endpoint
            ))),
        }
    }

    /// An IMDSv2 client with short timeouts and one retry.
    fn client(&self) -> Result<Client, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Client::builder()
            .endpoint(&self.endpoint)?
            .connect_timeout(CALL_TIMEOUT)
            .read_timeout(CALL_TIMEOUT)
            .operation_attempt_timeout(CALL_TIMEOUT)
            .operation_timeout(TOTAL_TIMEOUT)
            .max_attempts(2)
            .build())
    }
}

/// The setting of an identity variable.
fn slot<'s>(settings: &'s mut Settings, key: &str) -> &'s mut Option<String> {
    match key {
        "REGION" => &mut settings.region,
        "AWS_ACCOUNT_ID" => &mut settings.aws_account_id,
        _ => &mut settings.cluster_vpc_id,
    }
}

/// Reads one identity variable's value, as the Go controller does.
async fn lookup(client: &Client, key: &str) -> Result<String, String> {
    match key {
        "REGION" => get(client, "placement/region").await,
        "AWS_ACCOUNT_ID" => account(client).await,
        _ => {
            let mac = get(client, "mac").await?;
            get(client, &format!("network/interfaces/macs/{mac}/vpc-id")).await
        }
    }
}

/// The account from `identity-credentials/ec2/info`, a JSON document.
async fn account(client: &Client) -> Result<String, String> {
    const PATH: &str = "identity-credentials/ec2/info";
    #[derive(serde::Deserialize)]
    struct Info {
        #[serde(rename = "AccountId")]
        account_id: String,
    }
    let text = get(client, PATH).await?;
    let info: Info = serde_json::from_str(&text).map_err(|e| format!("{PATH}: {e}"))?;
    non_empty(PATH, info.account_id)
}

/// `GET /latest/meta-data/<path>`, trimmed; an empty answer is an error.
async fn get(client: &Client, path: &str) -> Result<String, String> {
    let answer = client
        .get(format!("/latest/meta-data/{path}"))
        .await
        .map_err(|e| format!("{path}: {}", one_line(&e)))?;
    non_empty(path, answer.as_ref().trim().to_string())
}

fn non_empty(path: &str, value: String) -> Result<String, String> {
    if value.is_empty() {
        Err(format!("{path}: an empty answer"))
    } else {
        Ok(value)
    }
}

/// An error and its sources, on one line, each cause once.
fn one_line(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(e);
    while let Some(e) = next {
        let text = e.to_string().replace('\n', " ");
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests;
