//! `client()` follows the AWS configuration chain and the anchor's
//! `LATTICE_ENDPOINT`. Alone in its binary: it sets environment variables
//! before any thread starts.

#[path = "e2e/common.rs"]
mod common;
use common::*;
use lattice_apply::{apply, client};
use lattice_core::ClusterConfig;

#[test]
fn client_takes_credentials_from_the_environment_and_the_endpoint_from_lattice_endpoint() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let sim = rt.block_on(sim());
    // SAFETY: this binary has a single test, and no other thread reads the
    // environment while these are set (the runtime's workers are idle).
    unsafe {
        std::env::set_var("AWS_ACCESS_KEY_ID", "AKIDTEST");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "secret");
        std::env::set_var("LATTICE_ENDPOINT", sim.url());
    }
    rt.block_on(async {
        let c = client(None, "us-west-2").await;
        let plan = routes(3);
        let r = apply(&c, &ClusterConfig::default(), &plan, &fast()).await;
        assert!(r.is_success(), "{r}");
        assert_eq!(r.writes(), lattice_apply::bench::min_writes(&plan));
        assert!(
            r.to_string()
                .contains("created  service route-0-bench (CreateService)"),
            "{r}"
        );
        assert_holds_exactly(&sim, &plan).await;
    });
}
