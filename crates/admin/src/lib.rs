//! `lattice-admin`: the controller's admin HTTP server.
//!
//! ```text
//! GET /metrics  ─► Registry::gather ─► the Prometheus text format (0.0.4)
//! GET /healthz  ─► Health::alive: the run loop turned lately    200 | 503
//! GET /readyz   ─► Health::ready: every watched kind listed once 200 | 503,
//!                  the body says leader or standby
//! GET /          ─► the topology page (topology.rs), polling
//! GET /topology.json ─► TopologySource::get: asked of the run loop
//! ```
//!
//! [`router`] builds an axum [`Router`] from a cloneable [`AdminState`];
//! more pages merge into it (`router(state).merge(other)`), and [`serve`]
//! runs any router on a listener. `lattice-wiring` builds the state beside
//! the controller; `run` and the demo serve it.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use lattice_controller::topology::TopologySource;
use lattice_controller::{Health, Probe};
use prometheus::{Encoder, TextEncoder};

pub mod topology;

/// What the admin pages read: the metrics registry and the run loop's
/// health. Cheap to clone; clones share both.
#[derive(Clone, Debug)]
pub struct AdminState {
    /// Every family the controller, the applier and the plugin runtime record.
    pub registry: prometheus::Registry,
    /// The run loop's heartbeat, listing and leadership.
    pub health: Health,
    /// The controller's topology, for the page at `/`; none: no page.
    pub topology: Option<TopologySource>,
}

/// `/metrics`, `/healthz` and `/readyz` over `state`, and the topology
/// page at `/` when the state has a topology source.
pub fn router(state: AdminState) -> Router {
    let page = state.topology.clone().map(topology::router);
    let probes = Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(state);
    match page {
        Some(page) => probes.merge(page),
        None => probes,
    }
}

/// Serves `router` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

async fn metrics(State(state): State<AdminState>) -> Response {
    let encoder = TextEncoder::new();
    let mut body = Vec::new();
    match encoder.encode(&state.registry.gather(), &mut body) {
        Ok(()) => ([(header::CONTENT_TYPE, encoder.format_type())], body).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "metrics could not be encoded");
            (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response()
        }
    }
}

fn probe(p: Probe) -> Response {
    let status = match p.ok {
        true => StatusCode::OK,
        false => StatusCode::SERVICE_UNAVAILABLE,
    };
    (status, format!("{}\n", p.message)).into_response()
}

async fn healthz(State(state): State<AdminState>) -> Response {
    probe(state.health.alive())
}

async fn readyz(State(state): State<AdminState>) -> Response {
    probe(state.health.ready())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn serve_on_loopback(router: Router) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        tokio::spawn(serve(listener, router, std::future::pending()));
        addr
    }

    async fn get(addr: &str, path: &str) -> (u16, String) {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let req = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n");
        s.write_all(req.as_bytes()).await.unwrap();
        let mut res = String::new();
        s.read_to_string(&mut res).await.unwrap();
        let status = res.split(' ').nth(1).unwrap().parse().unwrap();
        (status, res)
    }

    fn state() -> AdminState {
        let registry = prometheus::Registry::new();
        let c = prometheus::IntCounter::new("demo_things_total", "Things.").unwrap();
        c.inc_by(3);
        registry.register(Box::new(c)).unwrap();
        AdminState {
            registry,
            health: Health::default(),
            topology: None,
        }
    }

    #[tokio::test]
    async fn metrics_are_served_in_the_classic_text_format() {
        let addr = serve_on_loopback(router(state())).await;
        let (status, res) = get(&addr, "/metrics").await;
        assert_eq!(status, 200, "{res}");
        assert!(
            res.to_ascii_lowercase()
                .contains("content-type: text/plain; version=0.0.4"),
            "{res}"
        );
        assert!(
            res.contains("# TYPE demo_things_total counter\ndemo_things_total 3\n"),
            "{res}"
        );
    }

    #[tokio::test]
    async fn a_controller_that_has_not_listed_is_alive_but_not_ready() {
        let addr = serve_on_loopback(router(state())).await;
        let (status, res) = get(&addr, "/healthz").await;
        assert_eq!(status, 200, "{res}");
        let (status, res) = get(&addr, "/readyz").await;
        assert_eq!(status, 503, "{res}");
        assert!(
            res.ends_with("not ready: 0 of 0 watched kinds listed\n"),
            "{res}"
        );
    }

    #[tokio::test]
    async fn other_routes_merge_into_the_router() {
        let page = Router::new().route("/", get_page());
        let addr = serve_on_loopback(router(state()).merge(page)).await;
        let (status, res) = get(&addr, "/").await;
        assert_eq!(status, 200, "{res}");
        assert!(res.ends_with("topology"), "{res}");
        assert_eq!(get(&addr, "/metrics").await.0, 200);
    }

    fn get_page() -> axum::routing::MethodRouter {
        axum::routing::get(|| async { "topology" })
    }
}
