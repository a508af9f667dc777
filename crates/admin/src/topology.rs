//! The read-only topology page at `/`: service networks, services,
//! listeners and rules with their weights and deciding plugins, target
//! groups and targets, and each route's conditions. The page is static (no
//! front-end dependencies, works offline) and polls `topology.json`, which
//! the controller's run loop answers between passes.
//!
//! Everything the page shows from the cluster is set as text, and a strict
//! Content-Security-Policy allows only this origin's own script and style,
//! so an object name or annotation cannot inject markup or script.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use lattice_controller::topology::TopologySource;

const PAGE: &str = include_str!("../assets/topology.html");
const SCRIPT: &str = include_str!("../assets/topology.js");
const STYLE: &str = include_str!("../assets/topology.css");

/// Only this origin's own files; no inline script, no frames.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The page, its script and style, and `topology.json`.
pub fn router(source: TopologySource) -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { asset(PAGE, "text/html; charset=utf-8") }),
        )
        .route(
            "/topology.js",
            get(|| async { asset(SCRIPT, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/topology.css",
            get(|| async { asset(STYLE, "text/css; charset=utf-8") }),
        )
        .route("/topology.json", get(topology).with_state(source))
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    res
}

async fn topology(State(source): State<TopologySource>) -> Response {
    let Some(t) = source.get().await else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "the controller has stopped",
        )
            .into_response();
    };
    let mut res = axum::Json(t).into_response();
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_never_parses_cluster_text_as_markup() {
        // Every value is set with textContent or setAttribute.
        for sink in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
        ] {
            assert!(!SCRIPT.contains(sink), "topology.js uses {sink}");
        }
        // And nothing inline could run even if it did.
        assert!(!PAGE.contains("<script>"), "inline script in the page");
        assert!(CSP.contains("script-src 'self'") && !CSP.contains("unsafe-inline"));
    }

    #[test]
    fn assets_carry_the_content_security_policy() {
        let res = asset(PAGE, "text/html; charset=utf-8");
        let csp = res.headers().get(header::CONTENT_SECURITY_POLICY);
        assert_eq!(csp.and_then(|v| v.to_str().ok()), Some(CSP));
    }
}
