//! `connect()` follows the AWS configuration chain for credentials and takes
//! the endpoint it is given. Alone in its binary: the test runs itself again
//! as a child process with the variables set, so nothing mutates the
//! environment of a running process.

#[path = "e2e/common.rs"]
mod common;
use common::*;
use lattice_apply::{apply, connect};
use lattice_core::ClusterConfig;

const CHILD: &str = "LATTICE_APPLY_CLIENT_ENV_CHILD";

#[test]
fn client_takes_credentials_from_the_environment_and_the_endpoint_it_is_given() {
    if std::env::var_os(CHILD).is_none() {
        let out = std::process::Command::new(std::env::current_exe().expect("test binary"))
            .args([
                "--exact",
                "client_takes_credentials_from_the_environment_and_the_endpoint_it_is_given",
                "--nocapture",
            ])
            .env(CHILD, "1")
            .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
            .env("AWS_SECRET_ACCESS_KEY", "secret")
            .env_remove("AWS_PROFILE")
            .output()
            .expect("run the test as a child");
        assert!(
            out.status.success(),
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let sim = rt.block_on(sim());
    rt.block_on(async {
        let c = connect(Some(&sim.url()), "us-west-2")
            .await
            .expect("credentials from the environment");
        let plan = routes(3);
        let r = apply(&c, &ClusterConfig::default(), &plan, &fast()).await;
        assert!(r.is_success(), "{r}");
        assert_eq!(r.writes(), fixtures::min_writes(&plan));
        assert!(
            r.to_string()
                .contains("created  service route-0-bench (CreateService)"),
            "{r}"
        );
        assert_holds_exactly(&sim, &plan).await;
    });
}
