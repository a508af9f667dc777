//! Lattice-shaped ids and ARNs, and turning an identifier (id or ARN) back into an id.

use crate::errors::ApiError;
use rand::Rng;

/// The kinds of resource the emulator stores, with their id prefix and ARN path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `sn-…`, `servicenetwork/sn-…`.
    ServiceNetwork,
    /// `svc-…`, `service/svc-…`.
    Service,
    /// `listener-…`, `service/svc-…/listener/listener-…`.
    Listener,
    /// `rule-…`, `…/listener/listener-…/rule/rule-…`.
    Rule,
    /// `tg-…`, `targetgroup/tg-…`.
    TargetGroup,
    /// `snsa-…`, `servicenetworkserviceassociation/snsa-…`.
    ServiceAssociation,
    /// `snva-…`, `servicenetworkvpcassociation/snva-…`.
    VpcAssociation,
    /// `als-…`, `accesslogsubscription/als-…`.
    AccessLogSubscription,
}

impl Kind {
    /// The id prefix, without the dash.
    pub fn prefix(self) -> &'static str {
        match self {
            Kind::ServiceNetwork => "sn",
            Kind::Service => "svc",
            Kind::Listener => "listener",
            Kind::Rule => "rule",
            Kind::TargetGroup => "tg",
            Kind::ServiceAssociation => "snsa",
            Kind::VpcAssociation => "snva",
            Kind::AccessLogSubscription => "als",
        }
    }

    /// The resource type named in `resourceType` of errors.
    pub fn type_name(self) -> &'static str {
        match self {
            Kind::ServiceNetwork => "SERVICE_NETWORK",
            Kind::Service => "SERVICE",
            Kind::Listener => "LISTENER",
            Kind::Rule => "RULE",
            Kind::TargetGroup => "TARGET_GROUP",
            Kind::ServiceAssociation => "SERVICE_NETWORK_SERVICE_ASSOCIATION",
            Kind::VpcAssociation => "SERVICE_NETWORK_VPC_ASSOCIATION",
            Kind::AccessLogSubscription => "ACCESS_LOG_SUBSCRIPTION",
        }
    }

    /// The top-level ARN resource word (`service`, `targetgroup`, …).
    fn arn_word(self) -> &'static str {
        match self {
            Kind::ServiceNetwork => "servicenetwork",
            Kind::Service | Kind::Listener | Kind::Rule => "service",
            Kind::TargetGroup => "targetgroup",
            Kind::ServiceAssociation => "servicenetworkserviceassociation",
            Kind::VpcAssociation => "servicenetworkvpcassociation",
            Kind::AccessLogSubscription => "accesslogsubscription",
        }
    }
}

/// A fresh id: the prefix, a dash and 17 characters of `[0-9a-z]`.
pub fn new_id(kind: Kind) -> String {
    const ALPHABET: &[u8] = b"0123456789abcdef";
    let mut rng = rand::rng();
    let suffix: String = (0..17)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{}-{}", kind.prefix(), suffix)
}

/// The ARN of a top-level resource (not a listener or rule).
pub fn arn(region: &str, account: &str, kind: Kind, id: &str) -> String {
    format!(
        "arn:aws:vpc-lattice:{region}:{account}:{}/{id}",
        kind.arn_word()
    )
}

/// The ARN of a listener of service `svc`.
pub fn listener_arn(service_arn: &str, listener_id: &str) -> String {
    format!("{service_arn}/listener/{listener_id}")
}

/// The ARN of rule `rule` of a listener.
pub fn rule_arn(listener_arn: &str, rule_id: &str) -> String {
    format!("{listener_arn}/rule/{rule_id}")
}

/// True if `s` is `<prefix>-` followed by exactly 17 characters of `[0-9a-z]`.
pub fn is_id(kind: Kind, s: &str) -> bool {
    s.strip_prefix(kind.prefix())
        .and_then(|r| r.strip_prefix('-'))
        .is_some_and(|r| {
            r.len() == 17
                && r.bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
        })
}

/// The parts of a Lattice ARN this emulator cares about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedArn {
    /// The region field.
    pub region: String,
    /// The account field.
    pub account: String,
    /// Everything after the account, e.g. `service/svc-…/listener/listener-…`.
    pub resource: String,
}

/// Parse `arn:<partition>:vpc-lattice:<region>:<account>:<resource>`.
pub fn parse_arn(s: &str) -> Option<ParsedArn> {
    let mut parts = s.splitn(6, ':');
    let (arn, partition, service) = (parts.next()?, parts.next()?, parts.next()?);
    let (region, account, resource) = (parts.next()?, parts.next()?, parts.next()?);
    let ok = arn == "arn"
        && !partition.is_empty()
        && service == "vpc-lattice"
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && !resource.is_empty();
    ok.then(|| ParsedArn {
        region: region.to_string(),
        account: account.to_string(),
        resource: resource.to_string(),
    })
}

/// Resolve an identifier member (an id or an ARN of `kind`) to the bare id.
///
/// A malformed identifier is a `ValidationException` naming `field`, as the model's
/// pattern would reject it.
pub fn resolve(kind: Kind, field: &str, ident: &str) -> Result<String, ApiError> {
    if is_id(kind, ident) {
        return Ok(ident.to_string());
    }
    if let Some(parsed) = parse_arn(ident) {
        let last = parsed.resource.rsplit('/').next().unwrap_or_default();
        let word_ok = parsed
            .resource
            .starts_with(&format!("{}/", kind.arn_word()));
        if word_ok && is_id(kind, last) {
            return Ok(last.to_string());
        }
    }
    Err(ApiError::field(
        field,
        format!("'{ident}' is not a valid {} id or ARN", kind.prefix()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_have_lattice_shape() {
        let id = new_id(Kind::Service);
        assert_eq!(id.len(), 21);
        assert!(is_id(Kind::Service, &id));
        assert!(!is_id(Kind::ServiceNetwork, &id));
    }

    #[test]
    fn listener_arn_resolves_to_listener_id() {
        let svc = arn(
            "us-west-2",
            "111122223333",
            Kind::Service,
            "svc-0123456789abcdef0",
        );
        let l = listener_arn(&svc, "listener-0123456789abcdef0");
        assert_eq!(
            resolve(Kind::Listener, "l", &l).ok().as_deref(),
            Some("listener-0123456789abcdef0")
        );
        assert!(resolve(Kind::Listener, "l", "listener-XYZ").is_err());
    }
}
