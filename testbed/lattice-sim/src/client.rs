//! An AWS SDK client for a running lattice-sim, as tests, benchmarks and the
//! demo use it: static credentials, no SDK retries.

use std::time::Duration;

/// A client for an emulator at `url`: static credentials, no SDK retries.
pub fn client(url: &str) -> aws_sdk_vpclattice::Client {
    use aws_sdk_vpclattice::config::{BehaviorVersion, Credentials, Region};
    let conf = aws_sdk_vpclattice::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-west-2"))
        .credentials_provider(Credentials::new(
            "AKIDLATTICESIM",
            "secret",
            None,
            None,
            "lattice-sim",
        ))
        .endpoint_url(url)
        .stalled_stream_protection(
            aws_sdk_vpclattice::config::StalledStreamProtectionConfig::disabled(),
        )
        .retry_config(aws_sdk_vpclattice::config::retry::RetryConfig::disabled())
        .timeout_config(
            aws_sdk_vpclattice::config::timeout::TimeoutConfig::builder()
                .operation_attempt_timeout(Duration::from_secs(20))
                .build(),
        )
        .build();
    aws_sdk_vpclattice::Client::from_conf(conf)
}
