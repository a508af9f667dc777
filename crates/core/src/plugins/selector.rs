//! Kubernetes label selectors, matched as the API server matches them:
//! every `matchLabels` pair and every `matchExpressions` requirement must
//! hold. An empty selector matches everything.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

/// Whether `labels` satisfy `selector`. A requirement with an unknown
/// operator matches nothing (validation reports it, see
/// [`super::validate`]).
pub fn matches(selector: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    let pairs = selector.match_labels.iter().flatten();
    let exprs = selector.match_expressions.iter().flatten();
    pairs.into_iter().all(|(k, v)| labels.get(k) == Some(v))
        && exprs.into_iter().all(|r| requirement_holds(r, labels))
}

/// One `matchExpressions` requirement.
fn requirement_holds(r: &LabelSelectorRequirement, labels: &BTreeMap<String, String>) -> bool {
    let value = labels.get(&r.key);
    let listed = |v: &String| r.values.iter().flatten().any(|x| x == v);
    match r.operator.as_str() {
        "In" => value.is_some_and(listed),
        "NotIn" => !value.is_some_and(listed),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn expr(key: &str, operator: &str, values: &[&str]) -> LabelSelectorRequirement {
        LabelSelectorRequirement {
            key: key.into(),
            operator: operator.into(),
            values: (!values.is_empty()).then(|| values.iter().map(|v| v.to_string()).collect()),
        }
    }

    fn with_exprs(exprs: Vec<LabelSelectorRequirement>) -> LabelSelector {
        LabelSelector {
            match_expressions: Some(exprs),
            ..Default::default()
        }
    }

    #[test]
    fn an_empty_selector_matches_any_labels_even_none() {
        assert!(matches(&LabelSelector::default(), &labels(&[])));
        assert!(matches(&LabelSelector::default(), &labels(&[("a", "b")])));
    }

    #[test]
    fn match_labels_need_every_pair_with_the_same_value() {
        let s = LabelSelector {
            match_labels: Some(labels(&[("team", "books"), ("env", "prod")])),
            ..Default::default()
        };
        assert!(matches(
            &s,
            &labels(&[("team", "books"), ("env", "prod"), ("x", "y")])
        ));
        assert!(!matches(&s, &labels(&[("team", "books")])));
        assert!(!matches(&s, &labels(&[("team", "books"), ("env", "dev")])));
    }

    #[test]
    fn in_needs_the_label_with_a_listed_value() {
        let s = with_exprs(vec![expr("env", "In", &["prod", "staging"])]);
        assert!(matches(&s, &labels(&[("env", "staging")])));
        assert!(!matches(&s, &labels(&[("env", "dev")])));
        assert!(!matches(&s, &labels(&[])));
    }

    #[test]
    fn not_in_matches_an_absent_label_or_an_unlisted_value() {
        let s = with_exprs(vec![expr("env", "NotIn", &["prod"])]);
        assert!(matches(&s, &labels(&[])));
        assert!(matches(&s, &labels(&[("env", "dev")])));
        assert!(!matches(&s, &labels(&[("env", "prod")])));
    }

    #[test]
    fn exists_and_does_not_exist_look_at_the_key_only() {
        let exists = with_exprs(vec![expr("team", "Exists", &[])]);
        let absent = with_exprs(vec![expr("team", "DoesNotExist", &[])]);
        let some = labels(&[("team", "")]);
        assert!(matches(&exists, &some) && !matches(&absent, &some));
        assert!(!matches(&exists, &labels(&[])) && matches(&absent, &labels(&[])));
    }

    #[test]
    fn labels_and_expressions_must_all_hold_and_an_unknown_operator_matches_nothing() {
        let mut s = with_exprs(vec![expr("env", "In", &["prod"])]);
        s.match_labels = Some(labels(&[("team", "books")]));
        assert!(matches(&s, &labels(&[("team", "books"), ("env", "prod")])));
        assert!(!matches(&s, &labels(&[("team", "music"), ("env", "prod")])));
        let odd = with_exprs(vec![expr("env", "Gt", &["1"])]);
        assert!(!matches(&odd, &labels(&[("env", "2")])));
    }
}
