//! The Go controller's `standalone` annotation: a route's service joins no
//! service network. The route's own annotation decides when present
//! (`true` or `false`, any case); else any accepting Gateway annotated
//! `true` makes it standalone (`pkg/k8s/utils.go`,
//! `GetStandaloneModeForRouteWithValidation`).

use lattice_plugin_sdk::diagnostic;
use lattice_plugin_sdk::types::Diagnostic;

use super::RouteView;
use super::parents::Attachment;
use crate::snapshot::Snapshot;

/// The annotation, on a route or a Gateway.
pub const STANDALONE: &str = "application-networking.k8s.aws/standalone";

/// Whether the route's service stands alone, and, when the route's own
/// value is neither `true` nor `false`, why it was read as `false`.
pub fn standalone(
    snapshot: &Snapshot,
    view: &RouteView,
    attachments: &[Attachment],
) -> (bool, Option<Diagnostic>) {
    if let Some((_, v)) = view.annotations.iter().find(|(k, _)| k == STANDALONE) {
        return match parse(v) {
            Some(b) => (b, None),
            None => (false, Some(invalid(v))),
        };
    }
    let by_gateway = attachments
        .iter()
        .filter(|a| a.refused.is_none())
        .filter_map(|a| snapshot.gateways.get(&a.gateway))
        .filter_map(|gw| gw.metadata.annotations.as_ref()?.get(STANDALONE))
        .any(|v| parse(v) == Some(true));
    (by_gateway, None)
}

fn parse(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

fn invalid(v: &str) -> Diagnostic {
    diagnostic(
        "PartiallyInvalid",
        "UnsupportedValue",
        format!("metadata.annotations[{STANDALONE:?}]"),
        format!(
            "{v:?} is neither \"true\" nor \"false\"; read as \"false\" (the service joins its service networks)"
        ),
    )
}
