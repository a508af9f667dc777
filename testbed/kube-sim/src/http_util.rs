//! Small HTTP helpers: JSON responses, query strings, body decoding.

use std::collections::HashMap;

use axum::body::Body;
use axum::response::Response;
use http::{HeaderValue, StatusCode, header};
use serde_json::Value;

use crate::status::ApiError;

/// A JSON response with the given status code.
pub fn json_response(code: StatusCode, v: &Value) -> Response {
    let body = serde_json::to_vec(v).unwrap_or_default();
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = code;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// A 200 JSON response.
pub fn ok(v: &Value) -> Response {
    json_response(StatusCode::OK, v)
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Decodes `%XX` escapes and `+` (as a space).
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses a query string into a map (the last value of a repeated key wins).
pub fn parse_query(q: Option<&str>) -> HashMap<String, String> {
    let mut m = HashMap::new();
    for pair in q.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        m.insert(percent_decode(k), percent_decode(v));
    }
    m
}

/// Whether a query flag is set (`true` or `1`).
pub fn flag(q: &HashMap<String, String>, k: &str) -> bool {
    matches!(q.get(k).map(String::as_str), Some("true" | "1"))
}

/// How deeply YAML flow collections (`[`, `{`) may nest; serde_yaml stops at 128 too.
const MAX_YAML_DEPTH: usize = 128;

/// The deepest nesting of flow collections in YAML text, outside quoted strings.
fn flow_depth(text: &str) -> usize {
    let (mut depth, mut max, mut quote) = (0usize, 0usize, None::<char>);
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '{') => {
                depth += 1;
                max = max.max(depth);
            }
            (None, ']' | '}') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// The media types a create or update body may come in.
pub const BODY_TYPES: &[&str] = &[
    "application/json",
    "application/yaml",
    "application/vnd.kubernetes.protobuf",
];

/// Decodes a JSON or YAML request body into a JSON value, with the error text
/// kube-apiserver uses.
pub fn decode_body(content_type: &str, body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("Object 'Kind' is missing in ''"));
    }
    if content_type.starts_with("application/vnd.kubernetes.protobuf") {
        crate::protobuf::decode(body)
    } else if content_type.contains("yaml") {
        let text = std::str::from_utf8(body)
            .map_err(|e| ApiError::bad_request(format!("error converting YAML to JSON: {e}")))?;
        if flow_depth(text) > MAX_YAML_DEPTH {
            // The parser would refuse it too, but only after time that grows with the
            // square of the depth, and every other request would wait on it.
            return Err(ApiError::bad_request(format!(
                "error converting YAML to JSON: yaml: exceeded max depth of {MAX_YAML_DEPTH}"
            )));
        }
        serde_yaml::from_str::<Value>(text)
            .map_err(|e| ApiError::bad_request(format!("error converting YAML to JSON: yaml: {e}")))
    } else if content_type.is_empty() || content_type.contains("json") {
        serde_json::from_slice::<Value>(body).map_err(|e| {
            ApiError::bad_request(format!("couldn't get version/kind; json parse error: {e}"))
        })
    } else {
        Err(ApiError::unsupported_media_type(BODY_TYPES))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deeply_nested_yaml_is_refused_at_once() {
        let deep = format!("a: {}{}", "[".repeat(50_000), "]".repeat(50_000));
        let err = decode_body("application/yaml", deep.as_bytes()).expect_err("too deep");
        assert_eq!(err.code, 400);
        assert!(
            err.message.contains("exceeded max depth"),
            "{}",
            err.message
        );
        let quoted = "a: \"[[[[\"\nb: [1, [2]]";
        assert!(decode_body("application/yaml", quoted.as_bytes()).is_ok());
    }

    #[test]
    fn query_strings_are_percent_decoded() {
        let q = parse_query(Some("labelSelector=app%3Dweb%2Ctier+in+(a)&watch=1&x"));
        assert_eq!(q["labelSelector"], "app=web,tier in (a)");
        assert!(flag(&q, "watch"));
        assert_eq!(q["x"], "");
        assert_eq!(percent_decode("100%"), "100%");
    }

    #[test]
    fn malformed_bodies_are_bad_requests() {
        assert_eq!(
            decode_body("application/json", b"{not json")
                .expect_err("bad")
                .code,
            400
        );
        assert_eq!(
            decode_body("application/yaml", b"a: [")
                .expect_err("bad")
                .code,
            400
        );
        assert_eq!(decode_body("text/plain", b"x").expect_err("bad").code, 415);
        assert_eq!(
            decode_body("application/yaml", b"a: 1").expect("ok")["a"],
            1
        );
    }
}
