//! Leader election over a Lease on kube-sim: one leader at a time, and a
//! takeover once the leader stops renewing.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use kube::Api;
use lattice_controller::leader::Election;

fn election(identity: &str) -> Election {
    Election {
        namespace: "default".into(),
        name: "lattice-host-leader".into(),
        identity: identity.into(),
        duration: Duration::from_secs(1),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_one_replica_leads_and_another_takes_over_when_it_stops() {
    let sim = kube_sim::KubeSim::start(kube_sim::SimOptions::default())
        .await
        .unwrap();
    lattice_wiring::install_crypto_provider();
    let client = kube::Client::try_from(kube::Config::new(sim.url().parse().unwrap())).unwrap();
    let api: Api<Lease> = Api::namespaced(client.clone(), "default");

    let (a, b) = (election("replica-a"), election("replica-b"));
    assert!(
        a.try_hold(&api).await.unwrap(),
        "the first candidate creates the Lease"
    );
    assert!(
        !b.try_hold(&api).await.unwrap(),
        "the second waits while the Lease is fresh"
    );
    assert!(a.try_hold(&api).await.unwrap(), "the holder renews");

    // The holder stops renewing; after the lease duration the other takes over.
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert!(
        b.try_hold(&api).await.unwrap(),
        "an expired Lease changes hands"
    );
    assert!(
        !a.try_hold(&api).await.unwrap(),
        "the old holder does not snatch it back"
    );
    let lease = api.get("lattice-host-leader").await.unwrap();
    let spec = lease.spec.unwrap();
    assert_eq!(spec.holder_identity.as_deref(), Some("replica-b"));
    assert_eq!(spec.lease_transitions, Some(1));

    // The background campaign reports leadership on its channel.
    let leadership = election("replica-b").start(client);
    let mut rx = leadership.flag();
    tokio::time::timeout(Duration::from_secs(5), rx.wait_for(|l| *l))
        .await
        .unwrap()
        .unwrap();
    // Fenced by its renewal's deadline, which is in the future.
    assert!(leadership.leading());
}
