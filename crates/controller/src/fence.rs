//! Every Kubernetes write the controller sends is fenced by leadership.
//!
//! The pass checks leadership before it writes, but a pass writes for
//! seconds (30,000 writes at 10,000 routes): a leader paused past its
//! Lease (a GC stall, SIGSTOP, a partition) would go on writing beside the
//! new leader. The controller's client is therefore wrapped once: a write
//! (any method but GET, HEAD and OPTIONS) is sent only while this replica
//! leads, checked at the moment it would be sent. Reads pass, so a follower
//! keeps its watches. The Lease itself is renewed through its own client.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Method, Request, Response};
use kube::client::Body;
use lattice_apply::Fence;

use crate::leader::Leadership;

/// Refused without being sent: this replica does not lead.
#[derive(Debug, thiserror::Error)]
#[error("{method} {path} not sent: this replica does not lead")]
pub struct NotLeading {
    method: Method,
    path: String,
}

/// Whether `e` is a write this replica refused to send: nothing to warn
/// about or retry (the new leader re-checks everything).
pub fn is_not_leading(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Service(s) if s.is::<NotLeading>())
}

/// The check every write makes while replicas elect a leader: this one
/// leads. `None` without an election. The Lattice applier and the
/// Kubernetes client share it.
pub fn of(leader: Option<Leadership>) -> Option<Fence> {
    leader.map(|l| Arc::new(move || l.leading()) as Fence)
}

/// A client whose writes pass only while `leading` says so.
pub fn fenced(client: kube::Client, leading: Fence) -> kube::Client {
    let namespace = client.default_namespace().to_string();
    kube::Client::new(Fenced { client, leading }, namespace)
}

#[derive(Clone)]
struct Fenced {
    client: kube::Client,
    leading: Fence,
}

type Answer = Pin<Box<dyn Future<Output = Result<Response<Body>, kube::Error>> + Send>>;

impl tower_service::Service<Request<Body>> for Fenced {
    type Response = Response<Body>;
    type Error = kube::Error;
    type Future = Answer;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // The inner client buffers its own requests.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let read = matches!(
            *request.method(),
            Method::GET | Method::HEAD | Method::OPTIONS
        );
        if !read && !(self.leading)() {
            let refused = NotLeading {
                method: request.method().clone(),
                path: request.uri().path().to_string(),
            };
            return Box::pin(std::future::ready(Err(kube::Error::Service(
                refused.into(),
            ))));
        }
        let client = self.client.clone();
        Box::pin(async move { client.send(request).await })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::api::{Api, Patch, PatchParams, PostParams};

    use super::*;

    #[tokio::test]
    async fn writes_pass_only_while_leading_and_reads_always() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let sim = kube_sim::KubeSim::start(kube_sim::SimOptions::default())
            .await
            .unwrap();
        let inner = kube::Client::try_from(kube::Config::new(sim.url().parse().unwrap())).unwrap();
        let leads = Arc::new(AtomicBool::new(true));
        let flag = leads.clone();
        let client = fenced(inner.clone(), Arc::new(move || flag.load(Ordering::SeqCst)));
        let api: Api<ConfigMap> = Api::namespaced(client, "default");
        let mut cm = ConfigMap::default();
        cm.metadata.name = Some("fenced".into());
        api.create(&PostParams::default(), &cm).await.unwrap();

        leads.store(false, Ordering::SeqCst);
        let patch = serde_json::json!({"data": {"k": "v"}});
        let err = api
            .patch("fenced", &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("does not lead"), "{err}");
        assert!(is_not_leading(&err), "{err:?}");
        // Nothing reached the server, and reads still pass.
        let read = api.get("fenced").await.unwrap();
        assert!(read.data.is_none(), "{read:?}");

        leads.store(true, Ordering::SeqCst);
        api.patch("fenced", &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .unwrap();
        let read = Api::<ConfigMap>::namespaced(inner, "default")
            .get("fenced")
            .await
            .unwrap();
        assert_eq!(read.data.unwrap()["k"], "v");
    }
}
