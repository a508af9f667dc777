//! A target group's health check: the plan's [`HealthCheckPlan`] ↔ the SDK's
//! `HealthCheckConfig`, what an update sends, and Lattice's limits.
//!
//! Every field of a plan's health check is optional: one left out is left as
//! Lattice has it. `UpdateTargetGroup` replaces the whole configuration, so an
//! update sends what Lattice holds with the plan's fields laid over it
//! ([`merged`]).

use aws_sdk_vpclattice::types as t;
use lattice_core::plan::HealthCheckPlan;

/// A health check that Lattice would refuse: the field and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("healthCheck.{field} {problem}")]
pub struct InvalidHealthCheck {
    /// The field, as `HealthCheckConfig` names it.
    pub field: &'static str,
    /// What is wrong with its value.
    pub problem: String,
}

/// The SDK configuration that sets exactly the fields `h` sets.
pub fn to_sdk(h: &HealthCheckPlan) -> t::HealthCheckConfig {
    t::HealthCheckConfig::builder()
        .set_enabled(h.enabled)
        .set_protocol(h.protocol.as_deref().map(t::TargetGroupProtocol::from))
        .set_protocol_version(
            h.protocol_version
                .as_deref()
                .map(t::HealthCheckProtocolVersion::from),
        )
        .set_port(h.port)
        .set_path(h.path.clone())
        .set_health_check_interval_seconds(h.health_check_interval_seconds)
        .set_health_check_timeout_seconds(h.health_check_timeout_seconds)
        .set_healthy_threshold_count(h.healthy_threshold_count)
        .set_unhealthy_threshold_count(h.unhealthy_threshold_count)
        .set_matcher(h.http_code.clone().map(t::Matcher::HttpCode))
        .build()
}

/// What Lattice holds, as a plan would say it; no configuration at all is
/// every field unset.
pub fn from_sdk(h: Option<&t::HealthCheckConfig>) -> HealthCheckPlan {
    let Some(h) = h else {
        return HealthCheckPlan::default();
    };
    HealthCheckPlan {
        enabled: h.enabled(),
        protocol: h.protocol().map(|p| p.as_str().to_string()),
        protocol_version: h.protocol_version().map(|p| p.as_str().to_string()),
        port: h.port(),
        path: h.path().map(str::to_string),
        health_check_interval_seconds: h.health_check_interval_seconds(),
        health_check_timeout_seconds: h.health_check_timeout_seconds(),
        healthy_threshold_count: h.healthy_threshold_count(),
        unhealthy_threshold_count: h.unhealthy_threshold_count(),
        http_code: match h.matcher() {
            Some(t::Matcher::HttpCode(c)) => Some(c.clone()),
            _ => None,
        },
    }
}

/// `have` with every field `want` sets replaced by `want`'s: what an
/// `UpdateTargetGroup` must send so that the fields the plan leaves out
/// keep their values.
pub fn merged(have: &HealthCheckPlan, want: &HealthCheckPlan) -> HealthCheckPlan {
    fn pick<T: Clone>(w: &Option<T>, h: &Option<T>) -> Option<T> {
        w.clone().or_else(|| h.clone())
    }
    HealthCheckPlan {
        enabled: pick(&want.enabled, &have.enabled),
        protocol: pick(&want.protocol, &have.protocol),
        protocol_version: pick(&want.protocol_version, &have.protocol_version),
        port: pick(&want.port, &have.port),
        path: pick(&want.path, &have.path),
        health_check_interval_seconds: pick(
            &want.health_check_interval_seconds,
            &have.health_check_interval_seconds,
        ),
        health_check_timeout_seconds: pick(
            &want.health_check_timeout_seconds,
            &have.health_check_timeout_seconds,
        ),
        healthy_threshold_count: pick(&want.healthy_threshold_count, &have.healthy_threshold_count),
        unhealthy_threshold_count: pick(
            &want.unhealthy_threshold_count,
            &have.unhealthy_threshold_count,
        ),
        http_code: pick(&want.http_code, &have.http_code),
    }
}

/// Check `h` against Lattice's documented limits. The botocore model is
/// laxer (0 is allowed everywhere) than the service, so this is the
/// service's word: a plan that breaks it would be refused call by call.
/// A TCP (TLS passthrough) target group is checked over HTTP or HTTPS too,
/// so the protocol rule is the same for every group.
pub fn validate(h: &HealthCheckPlan) -> Result<(), InvalidHealthCheck> {
    one_of("protocol", h.protocol.as_deref(), &["HTTP", "HTTPS"])?;
    one_of(
        "protocolVersion",
        h.protocol_version.as_deref(),
        &["HTTP1", "HTTP2"],
    )?;
    ranges(h)?;
    path(h.path.as_deref())?;
    http_code(h.http_code.as_deref())
}

fn ranges(h: &HealthCheckPlan) -> Result<(), InvalidHealthCheck> {
    let ranges = [
        ("port", h.port, 1, 65535),
        (
            "healthCheckIntervalSeconds",
            h.health_check_interval_seconds,
            5,
            300,
        ),
        (
            "healthCheckTimeoutSeconds",
            h.health_check_timeout_seconds,
            1,
            120,
        ),
        ("healthyThresholdCount", h.healthy_threshold_count, 2, 10),
        (
            "unhealthyThresholdCount",
            h.unhealthy_threshold_count,
            2,
            10,
        ),
    ];
    for (field, v, lo, hi) in ranges {
        if let Some(v) = v.filter(|v| !(lo..=hi).contains(v)) {
            return Err(InvalidHealthCheck {
                field,
                problem: format!("is {v}, outside {lo}-{hi}"),
            });
        }
    }
    Ok(())
}

/// The model's pattern: empty, or `/` and URI characters.
fn path(p: Option<&str>) -> Result<(), InvalidHealthCheck> {
    match p {
        Some(p) if !p.is_empty() && (!p.starts_with('/') || p.len() > 2048) => {
            Err(InvalidHealthCheck {
                field: "path",
                problem: format!("is {p:?}: a path starts with / and has at most 2048 characters"),
            })
        }
        _ => Ok(()),
    }
}

/// The model's pattern: digits, `-` and `,` (`200`, `200-299`, `200,204`).
fn http_code(c: Option<&str>) -> Result<(), InvalidHealthCheck> {
    let valid = |c: &str| {
        c.len() <= 2000
            && c.bytes()
                .all(|b| b.is_ascii_digit() || b == b'-' || b == b',')
    };
    match c {
        Some(c) if !valid(c) => Err(InvalidHealthCheck {
            field: "matcher.httpCode",
            problem: format!("is {c:?}: codes are digits, ranges (200-299) and commas"),
        }),
        _ => Ok(()),
    }
}

fn one_of(
    field: &'static str,
    v: Option<&str>,
    allowed: &[&str],
) -> Result<(), InvalidHealthCheck> {
    match v {
        Some(v) if !allowed.contains(&v) => Err(InvalidHealthCheck {
            field,
            problem: format!("is {v}, not one of {}", allowed.join(", ")),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> HealthCheckPlan {
        HealthCheckPlan {
            enabled: Some(true),
            protocol: Some("HTTPS".into()),
            protocol_version: Some("HTTP2".into()),
            port: Some(8443),
            path: Some("/healthz".into()),
            health_check_interval_seconds: Some(10),
            health_check_timeout_seconds: Some(3),
            healthy_threshold_count: Some(3),
            unhealthy_threshold_count: Some(4),
            http_code: Some("200-299".into()),
        }
    }

    #[test]
    fn a_health_check_survives_a_round_trip_through_sdk_types() {
        assert_eq!(from_sdk(Some(&to_sdk(&full()))), full());
        let partial = HealthCheckPlan {
            path: Some("/ready".into()),
            ..Default::default()
        };
        assert_eq!(from_sdk(Some(&to_sdk(&partial))), partial);
        assert_eq!(from_sdk(None), HealthCheckPlan::default());
    }

    #[test]
    fn fields_the_plan_leaves_out_keep_what_lattice_has() {
        let want = HealthCheckPlan {
            path: Some("/ready".into()),
            enabled: Some(false),
            ..Default::default()
        };
        let m = merged(&full(), &want);
        assert_eq!(m.path.as_deref(), Some("/ready"));
        assert_eq!(m.enabled, Some(false));
        assert_eq!(m.port, Some(8443));
        assert_eq!(m.http_code.as_deref(), Some("200-299"));
        assert_eq!(merged(&full(), &HealthCheckPlan::default()), full());
    }

    #[test]
    fn values_within_lattice_s_limits_pass() {
        assert_eq!(validate(&full()), Ok(()));
        assert_eq!(validate(&HealthCheckPlan::default()), Ok(()));
        let edges = HealthCheckPlan {
            port: Some(1),
            health_check_interval_seconds: Some(300),
            health_check_timeout_seconds: Some(120),
            healthy_threshold_count: Some(2),
            unhealthy_threshold_count: Some(10),
            ..Default::default()
        };
        assert_eq!(validate(&edges), Ok(()));
    }

    #[test]
    fn values_beyond_lattice_s_limits_name_the_field() {
        let cases: [(HealthCheckPlan, &str); 8] = [
            (
                HealthCheckPlan {
                    health_check_interval_seconds: Some(4),
                    ..Default::default()
                },
                "healthCheckIntervalSeconds",
            ),
            (
                HealthCheckPlan {
                    health_check_timeout_seconds: Some(0),
                    ..Default::default()
                },
                "healthCheckTimeoutSeconds",
            ),
            (
                HealthCheckPlan {
                    healthy_threshold_count: Some(11),
                    ..Default::default()
                },
                "healthyThresholdCount",
            ),
            (
                HealthCheckPlan {
                    unhealthy_threshold_count: Some(1),
                    ..Default::default()
                },
                "unhealthyThresholdCount",
            ),
            (
                HealthCheckPlan {
                    port: Some(0),
                    ..Default::default()
                },
                "port",
            ),
            (
                HealthCheckPlan {
                    protocol: Some("TCP".into()),
                    ..Default::default()
                },
                "protocol",
            ),
            (
                HealthCheckPlan {
                    protocol_version: Some("GRPC".into()),
                    ..Default::default()
                },
                "protocolVersion",
            ),
            (
                HealthCheckPlan {
                    http_code: Some("2xx".into()),
                    ..Default::default()
                },
                "matcher.httpCode",
            ),
        ];
        for (h, field) in cases {
            let e = validate(&h).expect_err(field);
            assert_eq!(e.field, field, "{e}");
        }
    }
}
