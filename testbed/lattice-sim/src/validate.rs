//! Input checks that mirror the botocore model's constraints (lengths, ranges, enums,
//! name patterns), written by hand because the model's patterns use lookahead.

use crate::errors::ApiError;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Check a Lattice resource name: `min..=max` characters of `[a-z0-9-]`, not starting or
/// ending with `-`, no `--`, and not starting with `reserved` (e.g. `svc-`).
pub fn name(
    field: &str,
    v: &str,
    min: usize,
    max: usize,
    reserved: Option<&str>,
) -> Result<(), ApiError> {
    let n = v.chars().count();
    if n < min || n > max {
        return Err(ApiError::field(
            field,
            format!("length must be between {min} and {max}"),
        ));
    }
    if !v
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(ApiError::field(
            field,
            "must contain only a-z, 0-9 and hyphens",
        ));
    }
    if v.starts_with('-') || v.ends_with('-') || v.contains("--") {
        return Err(ApiError::field(
            field,
            "must not start or end with a hyphen or contain consecutive hyphens",
        ));
    }
    if let Some(p) = reserved.filter(|p| v.starts_with(p)) {
        return Err(ApiError::field(field, format!("must not start with '{p}'")));
    }
    Ok(())
}

/// Check a string length.
pub fn len(field: &str, v: &str, min: usize, max: usize) -> Result<(), ApiError> {
    let n = v.chars().count();
    if n < min || n > max {
        return Err(ApiError::field(
            field,
            format!("length must be between {min} and {max}"),
        ));
    }
    Ok(())
}

/// Check an integer range.
pub fn range(field: &str, v: i64, min: i64, max: i64) -> Result<(), ApiError> {
    if v < min || v > max {
        return Err(ApiError::field(
            field,
            format!("must be between {min} and {max}"),
        ));
    }
    Ok(())
}

/// Check a string against an enum.
pub fn one_of(field: &str, v: &str, allowed: &[&str]) -> Result<(), ApiError> {
    if !allowed.contains(&v) {
        return Err(ApiError::field(
            field,
            format!("must be one of {}", allowed.join(", ")),
        ));
    }
    Ok(())
}

/// A JSON object from a request body, read with typed accessors that turn type errors and
/// missing required members into `ValidationException`s naming the member's path.
#[derive(Debug, Clone)]
pub struct Obj<'a> {
    map: Option<&'a Map<String, Value>>,
    path: String,
}

impl<'a> Obj<'a> {
    /// Wrap a value that must be an object (`path` is its member path, `""` at the root).
    pub fn new(v: &'a Value, path: &str) -> Result<Self, ApiError> {
        let path = path.to_string();
        match v {
            Value::Object(m) => Ok(Obj { map: Some(m), path }),
            Value::Null => Ok(Obj { map: None, path }),
            _ => Err(ApiError::field(path_or_body(&path), "must be an object")),
        }
    }

    fn at(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// The raw member, if present and not null.
    pub fn raw(&self, key: &str) -> Option<&'a Value> {
        self.map.and_then(|m| m.get(key)).filter(|v| !v.is_null())
    }

    /// True if the member is present.
    pub fn has(&self, key: &str) -> bool {
        self.raw(key).is_some()
    }

    /// An optional string member.
    pub fn str_opt(&self, key: &str) -> Result<Option<&'a str>, ApiError> {
        match self.raw(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ApiError::field(self.at(key), "must be a string")),
        }
    }

    /// A required string member.
    pub fn str_req(&self, key: &str) -> Result<&'a str, ApiError> {
        self.str_opt(key)?.ok_or_else(|| self.missing(key))
    }

    /// An optional integer member.
    pub fn int_opt(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.raw(key) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| ApiError::field(self.at(key), "must be an integer")),
        }
    }

    /// A required integer member.
    pub fn int_req(&self, key: &str) -> Result<i64, ApiError> {
        self.int_opt(key)?.ok_or_else(|| self.missing(key))
    }

    /// An optional boolean member.
    pub fn bool_opt(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.raw(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(ApiError::field(self.at(key), "must be a boolean")),
        }
    }

    /// An optional object member.
    pub fn obj_opt(&self, key: &str) -> Result<Option<Obj<'a>>, ApiError> {
        match self.raw(key) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(Obj {
                map: Some(m),
                path: self.at(key),
            })),
            Some(_) => Err(ApiError::field(self.at(key), "must be an object")),
        }
    }

    /// A required object member.
    pub fn obj_req(&self, key: &str) -> Result<Obj<'a>, ApiError> {
        self.obj_opt(key)?.ok_or_else(|| self.missing(key))
    }

    /// An optional array member.
    pub fn arr_opt(&self, key: &str) -> Result<Option<&'a Vec<Value>>, ApiError> {
        match self.raw(key) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(_) => Err(ApiError::field(self.at(key), "must be a list")),
        }
    }

    /// A required array member with `min..=max` entries.
    pub fn arr_req(&self, key: &str, min: usize, max: usize) -> Result<&'a Vec<Value>, ApiError> {
        let a = self.arr_opt(key)?.ok_or_else(|| self.missing(key))?;
        if a.len() < min || a.len() > max {
            return Err(ApiError::field(
                self.at(key),
                format!("must have between {min} and {max} items"),
            ));
        }
        Ok(a)
    }

    /// The member path of `key`, for error messages.
    pub fn path_of(&self, key: &str) -> String {
        self.at(key)
    }

    /// The keys present in this object.
    pub fn keys(&self) -> Vec<&'a str> {
        self.map
            .map(|m| {
                m.iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, _)| k.as_str())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn missing(&self, key: &str) -> ApiError {
        ApiError::field(self.at(key), "is required")
    }
}

fn path_or_body(path: &str) -> &str {
    if path.is_empty() { "body" } else { path }
}

/// Read and check a `tags` map: at most 200 entries, keys 1–128 and values 0–256 characters.
pub fn tags(body: &Obj<'_>, key: &str) -> Result<BTreeMap<String, String>, ApiError> {
    let mut out = BTreeMap::new();
    let Some(v) = body.raw(key) else {
        return Ok(out);
    };
    let Value::Object(m) = v else {
        return Err(ApiError::field(
            body.path_of(key),
            "must be a map of strings",
        ));
    };
    if m.len() > 200 {
        return Err(ApiError::field(
            body.path_of(key),
            "must have at most 200 entries",
        ));
    }
    for (k, v) in m {
        len(&body.path_of(key), k, 1, 128)?;
        let Value::String(s) = v else {
            return Err(ApiError::field(body.path_of(key), "values must be strings"));
        };
        len(&body.path_of(key), s, 0, 256)?;
        out.insert(k.clone(), s.clone());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_follow_the_model_patterns() {
        assert!(name("name", "my-svc", 3, 40, Some("svc-")).is_ok());
        assert!(name("name", "svc-abc", 3, 40, Some("svc-")).is_err());
        assert!(name("name", "-abc", 3, 40, None).is_err());
        assert!(name("name", "abc-", 3, 40, None).is_err());
        assert!(name("name", "a--b", 3, 40, None).is_err());
        assert!(name("name", "Abc", 3, 40, None).is_err());
        assert!(name("name", "ab", 3, 40, None).is_err());
    }

    #[test]
    fn nested_errors_name_the_member_path() {
        let v = json!({"action": {"forward": {"targetGroups": "x"}}});
        let root = Obj::new(&v, "").expect("object");
        let fwd = root
            .obj_req("action")
            .and_then(|a| a.obj_req("forward"))
            .expect("nested");
        let err = fwd.arr_req("targetGroups", 1, 10).expect_err("not a list");
        assert!(err.body()["fieldList"][0]["name"] == "action.forward.targetGroups");
    }
}
