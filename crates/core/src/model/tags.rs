//! The Go controller's `application-networking.k8s.aws/tags` annotation:
//! `"k1=v1,k2=v2"`, extra AWS tags for the Lattice resources an object
//! stands for (`pkg/k8s/utils.go`, `GetAdditionalTagsFromAnnotations`).
//!
//! An entry is read as the Go controller reads it: split at the first `=`,
//! key and value trimmed, neither empty, within VPC Lattice's lengths and
//! characters; the first of two equal keys wins; keys under
//! `application-networking.k8s.aws/` or `aws:` are the controllers' and
//! AWS's, never the user's. Where the Go controller drops a bad entry
//! silently, this says which and why, and keeps the well-formed rest.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use lattice_plugin_sdk::diagnostic;
use lattice_plugin_sdk::types::Diagnostic;

/// The annotation, on a route, a VpcAssociationPolicy or an AccessLogPolicy.
pub const TAGS: &str = "application-networking.k8s.aws/tags";

pub use crate::plan::Tags;

/// The prefix of the tags the controllers write themselves (`ManagedBy`, …).
const CONTROLLER_PREFIX: &str = "application-networking.k8s.aws/";

/// VPC Lattice allows 50 tags per resource; the controllers' own take up
/// to 8 (a Go controller's target group: `ManagedBy`, `ClusterName`,
/// `ServiceName`, `ServiceNamespace`, `SourceTypeKey`, `ProtocolVersion`,
/// `RouteName`, `RouteNamespace`), which leaves 42. The Go controller
/// allows 50, and Lattice then refuses the whole resource.
pub const MAX_TAGS: usize = 42;

/// VPC Lattice's longest tag key and value (`TagKey`, `TagValue`).
const MAX_KEY: usize = 128;
const MAX_VALUE: usize = 256;

/// Whether a tag key is the user's: not the controllers' (under
/// `application-networking.k8s.aws/`) nor AWS's (`aws:`, any case). Only
/// these are added, changed or removed to match the annotation.
pub fn is_user_key(key: &str) -> bool {
    !key.starts_with(CONTROLLER_PREFIX)
        && !key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:"))
}

/// The well-formed tags of an annotation value, and each entry left out
/// with the reason.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    /// The tags.
    pub tags: Tags,
    /// `"entry" (why)`, one per entry left out.
    pub ignored: Vec<String>,
}

impl Parsed {
    /// What was left out, as one sentence; `None` when nothing was.
    pub fn problems(&self) -> Option<String> {
        (!self.ignored.is_empty()).then(|| {
            format!(
                "entries left out (the others are applied): {}",
                self.ignored.join(", ")
            )
        })
    }
}

/// Reads an annotation value.
pub fn parse(value: &str) -> Parsed {
    let mut out = Parsed::default();
    for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        match check(entry, &out.tags) {
            Ok((k, v)) => {
                out.tags.insert(k.to_string(), v.to_string());
            }
            Err(why) => out.ignored.push(format!("{entry:?} ({why})")),
        }
    }
    out
}

/// The tags of an object's annotations (none without the annotation).
pub fn from_annotations<'a>(mut annotations: impl Iterator<Item = (&'a str, &'a str)>) -> Parsed {
    annotations
        .find(|(k, _)| *k == TAGS)
        .map(|(_, v)| parse(v))
        .unwrap_or_default()
}

/// A route's tags, and the diagnostic that names what was left out.
pub fn of_route<'a>(
    annotations: impl Iterator<Item = (&'a str, &'a str)>,
) -> (Tags, Option<Diagnostic>) {
    let parsed = from_annotations(annotations);
    let why = parsed.problems().map(|m| {
        diagnostic(
            "PartiallyInvalid",
            "UnsupportedValue",
            format!("metadata.annotations[{TAGS:?}]"),
            m,
        )
    });
    (parsed.tags, why)
}

/// A target group's tags from those of the routes (`namespace/name`) that
/// use it: together, the first route winning a key that two of them set,
/// so that the answer does not depend on the order they come in.
pub fn of_routes<'a>(routes: impl IntoIterator<Item = (&'a str, &'a Tags)>) -> Tags {
    let mut routes: Vec<(&str, &Tags)> = routes.into_iter().collect();
    routes.sort_by_key(|(r, _)| *r);
    let mut out = Tags::new();
    for (k, v) in routes.iter().flat_map(|(_, t)| t.iter()) {
        out.entry(k.clone()).or_insert_with(|| v.clone());
    }
    out
}

/// The tags of a policy's annotations (its status says what was left
/// out: [`problems_of`]).
pub fn of_object(meta: &ObjectMeta) -> Tags {
    annotations_of(meta).tags
}

/// What a policy's tags annotation left out, as its status says it.
pub fn problems_of(meta: &ObjectMeta) -> Option<String> {
    annotations_of(meta)
        .problems()
        .map(|m| format!("metadata.annotations[{TAGS:?}]: {m}"))
}

fn annotations_of(meta: &ObjectMeta) -> Parsed {
    let annotations = meta.annotations.iter().flatten();
    from_annotations(annotations.map(|(k, v)| (k.as_str(), v.as_str())))
}

/// One entry's key and value, or why it is left out.
fn check<'e>(entry: &'e str, held: &Tags) -> Result<(&'e str, &'e str), String> {
    let Some((k, v)) = entry.split_once('=') else {
        return Err("no `=`".into());
    };
    let (k, v) = (k.trim(), v.trim());
    if k.is_empty() || v.is_empty() {
        return Err("empty key or value".into());
    }
    if k.chars().count() > MAX_KEY || v.chars().count() > MAX_VALUE {
        return Err(format!(
            "VPC Lattice takes keys of at most {MAX_KEY} characters and values of at most {MAX_VALUE}"
        ));
    }
    if !k.chars().chain(v.chars()).all(allowed) {
        return Err("VPC Lattice takes letters, digits, spaces and `_ . : / = + - @` only".into());
    }
    if !is_user_key(k) {
        return Err(format!(
            "keys under {CONTROLLER_PREFIX} or aws: are not the user's"
        ));
    }
    if held.contains_key(k) {
        return Err("the key is given earlier".into());
    }
    if held.len() >= MAX_TAGS {
        return Err(format!("more than {MAX_TAGS} tags"));
    }
    Ok((k, v))
}

/// VPC Lattice's tag characters: Unicode letters, digits and white space,
/// and `_ . : / = + - @`.
fn allowed(c: char) -> bool {
    c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn pairs_are_split_at_the_first_equals_and_trimmed() {
        let p = parse(" Team = Backend ,url=a=b,, Env=Prod");
        assert_eq!(
            p.tags,
            tags(&[("Team", "Backend"), ("url", "a=b"), ("Env", "Prod")])
        );
        assert_eq!(p.problems(), None);
    }

    #[test]
    fn reserved_keys_are_left_out_and_said_so() {
        let p = parse("application-networking.k8s.aws/ManagedBy=x,AWS:x=1,Team=a");
        assert_eq!(p.tags, tags(&[("Team", "a")]));
        assert_eq!(p.ignored.len(), 2);
        assert!(p.ignored[0].starts_with("\"application-networking.k8s.aws/ManagedBy=x\""));
        assert!(p.ignored[1].contains("aws:"), "{:?}", p.ignored);
    }

    #[test]
    fn malformed_entries_are_named_and_the_rest_kept() {
        let p = parse("novalue,=v,k=,bad*key=v,Team=a,Team=b");
        assert_eq!(p.tags, tags(&[("Team", "a")]));
        let why = p.problems().unwrap();
        for part in [
            "\"novalue\" (no `=`)",
            "\"=v\" (empty key or value)",
            "\"k=\" (empty key or value)",
            "\"bad*key=v\" (VPC Lattice takes letters",
            "\"Team=b\" (the key is given earlier)",
        ] {
            assert!(why.contains(part), "{part} not in {why}");
        }
    }

    #[test]
    fn keys_and_values_past_lattice_lengths_are_left_out() {
        let long_key = format!("{}=v", "k".repeat(129));
        let long_value = format!("k={}", "v".repeat(257));
        let fits = format!("{}={}", "k".repeat(128), "v".repeat(256));
        let p = parse(&format!("{long_key},{long_value},{fits}"));
        assert_eq!(p.tags.len(), 1);
        assert_eq!(p.ignored.len(), 2);
    }

    #[test]
    fn unicode_letters_and_spaces_are_tag_characters() {
        let p = parse("Équipe=Données clients,owner=a@b.c:d/e+f");
        assert_eq!(p.tags.len(), 2, "{:?}", p.ignored);
    }

    #[test]
    fn at_most_42_tags_are_kept() {
        let v: Vec<String> = (0..45).map(|i| format!("k{i:02}=v")).collect();
        let p = parse(&v.join(","));
        assert_eq!(p.tags.len(), MAX_TAGS);
        assert_eq!(p.ignored.len(), 3);
        assert!(p.ignored[0].contains("more than 42 tags"));
    }

    #[test]
    fn user_keys_exclude_the_controllers_and_aws() {
        assert!(is_user_key("Team"));
        assert!(is_user_key("application-networking.k8s.aws"));
        assert!(!is_user_key("application-networking.k8s.aws/ManagedBy"));
        assert!(!is_user_key("aws:cloudformation:stack-name"));
        assert!(!is_user_key("Aws:x"));
    }

    #[test]
    fn a_route_without_the_annotation_has_no_tags_and_no_diagnostic() {
        let (t, d) = of_route([("other", "x")].into_iter());
        assert!(t.is_empty());
        assert!(d.is_none());
    }

    #[test]
    fn a_route_with_a_bad_entry_gets_a_diagnostic_at_the_annotation() {
        let (t, d) = of_route([(TAGS, "Team=a,oops")].into_iter());
        assert_eq!(t, tags(&[("Team", "a")]));
        let d = d.unwrap();
        assert_eq!(
            d.field,
            "metadata.annotations[\"application-networking.k8s.aws/tags\"]"
        );
        assert_eq!(d.condition, "PartiallyInvalid");
        assert!(d.message.contains("\"oops\" (no `=`)"), "{}", d.message);
    }
}
