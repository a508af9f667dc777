//! Lattice names, derived exactly as the Go controller derives them, so
//! resources it created are found and adopted rather than duplicated.

use crate::config::DOMAIN;

/// Annotation that replaces the derived service name.
pub const SERVICE_NAME_OVERRIDE: &str = "application-networking.k8s.aws/service-name-override";

/// The anchor's route annotation naming the `<account>/<cluster>/<vpc>` owner
/// whose Lattice service this route may take over.
pub const ALLOW_TAKEOVER_FROM: &str = "application-networking.k8s.aws/allow-takeover-from";

/// At most `n` bytes of `s`, cut at a character boundary: names in a
/// cluster are ASCII, but the offline `plan` reads any manifest, and the
/// service name override is an annotation's free text.
fn truncate(s: &str, n: usize) -> &str {
    let mut end = s.len().min(n);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Lattice names are lower-case, with no leading, trailing or double hyphen;
/// truncation can leave a trailing one, which Lattice would reject.
fn tidy(s: String) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = c.to_ascii_lowercase();
        let c = if c.is_ascii_alphanumeric() { c } else { '-' };
        if c == '-' && (out.is_empty() || out.ends_with('-')) {
            continue;
        }
        out.push(c);
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// The Lattice service name of a route: `<route:20>-<namespace:18>`, unless
/// the route carries [`SERVICE_NAME_OVERRIDE`].
pub fn service_name(route: &str, namespace: &str, annotations: &[(String, String)]) -> String {
    if let Some((_, v)) = annotations.iter().find(|(k, _)| k == SERVICE_NAME_OVERRIDE) {
        return v.clone();
    }
    let r = tidy(truncate(route, 20).to_string());
    let n = tidy(truncate(namespace, 18).to_string());
    format!("{r}-{n}")
}

/// The Lattice target group of one route's backend: a Service port, for one
/// protocol, under the route's Lattice service `lattice_service`.
///
/// Lattice lets a target group serve one service only, so two routes to the
/// same Service get a target group each (the Go controller does the same,
/// with a random suffix and tags; this name is deterministic instead):
/// `k8s-<lattice service>-<service:30>-<namespace:20>-<port>-<protocol>[-<version>]`,
/// at most 114 characters (Lattice allows 128).
pub fn target_group_name(
    lattice_service: &str,
    service: &str,
    namespace: &str,
    port: i32,
    protocol: &str,
    version: Option<&str>,
) -> String {
    let mut s = format!(
        "k8s-{}-{}-{}-{port}-{protocol}",
        truncate(lattice_service, 40),
        truncate(service, 30),
        truncate(namespace, 20)
    );
    if let Some(v) = version {
        s.push('-');
        s.push_str(v);
    }
    tidy(s)
}

/// The Lattice target group of a ServiceExport's port, in this cluster:
/// `k8s-export-<export:30>-<namespace:20>-<port>-<protocol>[-<version>]-<cluster:30>`.
/// Lattice names target groups per account and region, and every cluster
/// that exports a namesake needs its own; other clusters find it by its
/// tags, not its name (the Go controller's names end in random letters).
pub fn export_target_group_name(
    export: &str,
    namespace: &str,
    port: i32,
    protocol: &str,
    version: Option<&str>,
    cluster: &str,
) -> String {
    let mut s = format!(
        "k8s-export-{}-{}-{port}-{protocol}",
        truncate(export, 30),
        truncate(namespace, 20)
    );
    if let Some(v) = version {
        s.push('-');
        s.push_str(v);
    }
    s.push('-');
    s.push_str(truncate(cluster, 30));
    tidy(s)
}

/// The Lattice target group of one route's LambdaTarget backend, under
/// the route's Lattice service `lattice_service`: one per route, as for a
/// Service, and deterministic:
/// `k8s-<lattice service:40>-<name:30>-<namespace:20>-lambda`, at most 103
/// characters (Lattice allows 128). The suffix keeps it apart from every
/// Service group, whose names end in a protocol.
pub fn lambda_target_group_name(lattice_service: &str, name: &str, namespace: &str) -> String {
    tidy(format!(
        "k8s-{}-{}-{}-lambda",
        truncate(lattice_service, 40),
        truncate(name, 30),
        truncate(namespace, 20)
    ))
}

/// Why a name is not a valid Lattice name of the given kind.
pub fn check_name(kind: NameKind, name: &str) -> Result<(), String> {
    let (min, max, reserved) = match kind {
        NameKind::Service => (3, 40, Some("svc-")),
        NameKind::TargetGroup => (3, 128, Some("tg-")),
        NameKind::ServiceNetwork => (3, 63, None),
    };
    if name.len() < min || name.len() > max {
        return Err(format!("{name:?} must be {min} to {max} characters"));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(format!(
            "{name:?} may contain only lower-case letters, digits and hyphens"
        ));
    }
    if name.starts_with('-') || name.ends_with('-') || name.contains("--") {
        return Err(format!(
            "{name:?} must not start or end with a hyphen, or contain two in a row"
        ));
    }
    if let Some(r) = reserved.filter(|r| name.starts_with(r)) {
        return Err(format!("{name:?} must not start with {r:?}"));
    }
    Ok(())
}

/// Why a hostname is not a valid Lattice custom domain name
/// (`ServiceCustomDomainName`: 3 to 255 characters).
pub fn check_custom_domain(name: &str) -> Result<(), String> {
    match name.len() {
        3..=255 => Ok(()),
        _ => Err(format!("{name:?} must be 3 to 255 characters")),
    }
}

/// Kinds of Lattice names, each with its own length and reserved prefix.
#[derive(Clone, Copy, Debug)]
pub enum NameKind {
    /// `ServiceName`.
    Service,
    /// `TargetGroupName`.
    TargetGroup,
    /// `ServiceNetworkName`.
    ServiceNetwork,
}

/// The ownership tag key shared with the Go controller.
pub fn managed_by_tag() -> String {
    format!("{DOMAIN}/ManagedBy")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_name_truncates_route_to_20_and_namespace_to_18() {
        let n = service_name(
            "a-very-long-route-name-indeed",
            "an-even-longer-namespace-name",
            &[],
        );
        assert_eq!(n, "a-very-long-route-na-an-even-longer-nam");
        assert!(check_name(NameKind::Service, &n).is_ok());
    }

    #[test]
    fn truncation_never_leaves_a_double_hyphen() {
        assert_eq!(
            service_name("abcdefghijklmnopqrs-tuv", "ns", &[]),
            "abcdefghijklmnopqrs-ns"
        );
    }

    /// Issue 15 (fuzzed bad input): a name cut inside a character panicked.
    #[test]
    fn a_name_cut_inside_a_character_is_cut_before_it() {
        let route = "aaaaaaaaaaaaaaaaaaaé-route";
        assert_eq!(service_name(route, "ns", &[]), "aaaaaaaaaaaaaaaaaaa-ns");
        let tg = target_group_name(&"é".repeat(30), "web", "ns", 80, "HTTP", None);
        assert!(check_name(NameKind::TargetGroup, &tg).is_ok(), "{tg}");
    }

    #[test]
    fn export_groups_are_named_per_cluster_within_lattice_limits() {
        let east =
            export_target_group_name("inventory", "default", 80, "HTTP", Some("HTTP1"), "east");
        assert_eq!(east, "k8s-export-inventory-default-80-http-http1-east");
        let west =
            export_target_group_name("inventory", "default", 80, "HTTP", Some("HTTP1"), "west");
        assert_ne!(east, west);
        let long = export_target_group_name(
            &"e".repeat(90),
            &"n".repeat(63),
            65535,
            "TCP",
            None,
            &"c".repeat(100),
        );
        assert!(check_name(NameKind::TargetGroup, &long).is_ok(), "{long}");
    }

    #[test]
    fn a_lambda_target_group_name_is_cut_tidied_and_valid() {
        assert_eq!(
            lambda_target_group_name("books-bookstore", "Books_Fn", "bookstore"),
            "k8s-books-bookstore-books-fn-bookstore-lambda"
        );
        let long = lambda_target_group_name(&"s".repeat(90), &"n".repeat(90), &"a".repeat(90));
        assert_eq!(long.len(), 103, "{long}");
        assert!(check_name(NameKind::TargetGroup, &long).is_ok(), "{long}");
        // A cut that ends on a hyphen leaves no double hyphen.
        let cut = lambda_target_group_name("svc", &format!("{}-x", "f".repeat(29)), "ns");
        assert_eq!(cut, format!("k8s-svc-{}-ns-lambda", "f".repeat(29)));
        assert!(check_name(NameKind::TargetGroup, &cut).is_ok(), "{cut}");
    }

    #[test]
    fn service_name_override_is_honoured() {
        let a = vec![(SERVICE_NAME_OVERRIDE.to_string(), "custom".to_string())];
        assert_eq!(service_name("r", "ns", &a), "custom");
    }

    #[test]
    fn names_are_checked_against_lattice_patterns() {
        assert!(check_name(NameKind::Service, "svc-abc").is_err());
        assert!(check_name(NameKind::Service, "ab").is_err());
        assert!(check_name(NameKind::Service, "a--b").is_err());
        assert!(check_name(NameKind::Service, "Upper").is_err());
        assert!(check_name(NameKind::TargetGroup, "tg-x").is_err());
        assert!(check_name(NameKind::ServiceNetwork, "my-network").is_ok());
    }
}
