//! The error shapes of the VPC Lattice REST API.
//!
//! Every error is serialised the way the botocore model describes it: the HTTP status of
//! the error shape, an `x-amzn-errortype` header naming the shape, and a JSON body with
//! `message` plus the shape's own members (`reason` and `fieldList` for
//! `ValidationException`, `resourceId` and `resourceType` for `ConflictException` and
//! `ResourceNotFoundException`, quota codes for `ServiceQuotaExceededException`).

use serde_json::{Value, json};

/// One entry of a `ValidationException`'s `fieldList`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The path of the offending member, e.g. `action.forward.targetGroups`.
    pub name: String,
    /// Why the member was rejected.
    pub message: String,
}

/// An error the emulator returns to a client, one variant per error shape in the model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// `ValidationException` (400).
    #[error("ValidationException: {message}")]
    Validation {
        /// Human-readable message.
        message: String,
        /// `unknownOperation`, `cannotParse`, `fieldValidationFailed` or `other`.
        reason: &'static str,
        /// The offending fields.
        fields: Vec<FieldError>,
    },
    /// `ConflictException` (409).
    #[error("ConflictException: {message}")]
    Conflict {
        /// Human-readable message.
        message: String,
        /// The id of the resource in conflict.
        resource_id: String,
        /// Its type, e.g. `SERVICE`.
        resource_type: String,
    },
    /// `ResourceNotFoundException` (404).
    #[error("ResourceNotFoundException: {message}")]
    NotFound {
        /// Human-readable message.
        message: String,
        /// The identifier that was not found.
        resource_id: String,
        /// Its type, e.g. `SERVICE`.
        resource_type: String,
    },
    /// `ServiceQuotaExceededException` (402).
    #[error("ServiceQuotaExceededException: {message}")]
    Quota {
        /// Human-readable message.
        message: String,
        /// The resource type the quota applies to.
        resource_type: String,
        /// A stable code naming the quota.
        quota_code: String,
    },
    /// `ThrottlingException` (429).
    #[error("ThrottlingException: {0}")]
    Throttling(String),
    /// `InternalServerException` (500).
    #[error("InternalServerException: {0}")]
    Internal(String),
    /// `AccessDeniedException` (403).
    #[error("AccessDeniedException: {0}")]
    AccessDenied(String),
}

impl ApiError {
    /// A `ValidationException` about one field.
    pub fn field(name: impl Into<String>, message: impl Into<String>) -> Self {
        let name = name.into();
        let message = message.into();
        ApiError::Validation {
            message: format!("Invalid value for {name}: {message}"),
            reason: "fieldValidationFailed",
            fields: vec![FieldError { name, message }],
        }
    }

    /// A `ValidationException` that is not about one field.
    pub fn validation(message: impl Into<String>) -> Self {
        ApiError::Validation {
            message: message.into(),
            reason: "other",
            fields: vec![],
        }
    }

    /// A `ConflictException`.
    pub fn conflict(message: impl Into<String>, id: impl Into<String>, kind: &str) -> Self {
        ApiError::Conflict {
            message: message.into(),
            resource_id: id.into(),
            resource_type: kind.to_string(),
        }
    }

    /// A `ResourceNotFoundException` for `id` of type `kind`.
    pub fn not_found(id: impl Into<String>, kind: &str) -> Self {
        let id = id.into();
        ApiError::NotFound {
            message: format!("{} '{}' not found", pretty_kind(kind), id),
            resource_id: id,
            resource_type: kind.to_string(),
        }
    }

    /// A `ServiceQuotaExceededException`.
    pub fn quota(kind: &str, code: &str, limit: u64) -> Self {
        ApiError::Quota {
            message: format!("{} quota of {limit} exceeded ({code})", pretty_kind(kind)),
            resource_type: kind.to_string(),
            quota_code: code.to_string(),
        }
    }

    /// The error shape's name, as sent in `x-amzn-errortype`.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Validation { .. } => "ValidationException",
            ApiError::Conflict { .. } => "ConflictException",
            ApiError::NotFound { .. } => "ResourceNotFoundException",
            ApiError::Quota { .. } => "ServiceQuotaExceededException",
            ApiError::Throttling(_) => "ThrottlingException",
            ApiError::Internal(_) => "InternalServerException",
            ApiError::AccessDenied(_) => "AccessDeniedException",
        }
    }

    /// The HTTP status the model gives this error shape.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::Validation { .. } => 400,
            ApiError::Conflict { .. } => 409,
            ApiError::NotFound { .. } => 404,
            ApiError::Quota { .. } => 402,
            ApiError::Throttling(_) => 429,
            ApiError::Internal(_) => 500,
            ApiError::AccessDenied(_) => 403,
        }
    }

    /// The JSON body of the error.
    pub fn body(&self) -> Value {
        match self {
            ApiError::Validation {
                message,
                reason,
                fields,
            } => {
                let list: Vec<Value> = fields
                    .iter()
                    .map(|f| json!({"name": f.name, "message": f.message}))
                    .collect();
                let mut body = json!({"message": message, "reason": reason});
                if !list.is_empty() {
                    body["fieldList"] = Value::Array(list);
                }
                body
            }
            ApiError::Conflict {
                message,
                resource_id,
                resource_type,
            }
            | ApiError::NotFound {
                message,
                resource_id,
                resource_type,
            } => json!({
                "message": message, "resourceId": resource_id, "resourceType": resource_type
            }),
            ApiError::Quota {
                message,
                resource_type,
                quota_code,
            } => json!({
                "message": message, "resourceType": resource_type,
                "serviceCode": "vpc-lattice", "quotaCode": quota_code
            }),
            ApiError::Throttling(m) => {
                json!({"message": m, "serviceCode": "vpc-lattice", "quotaCode": "api-rate"})
            }
            ApiError::Internal(m) | ApiError::AccessDenied(m) => json!({ "message": m }),
        }
    }
}

fn pretty_kind(kind: &str) -> String {
    let lower = kind.replace('_', " ").to_lowercase();
    let mut chars = lower.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_error_carries_reason_and_field_list() {
        let e = ApiError::field("priority", "must be between 1 and 2000");
        assert_eq!(e.status(), 400);
        let b = e.body();
        assert_eq!(b["reason"], "fieldValidationFailed");
        assert_eq!(b["fieldList"][0]["name"], "priority");
    }

    #[test]
    fn not_found_names_the_resource_id_and_type() {
        let b = ApiError::not_found("svc-0123", "SERVICE").body();
        assert_eq!(b["resourceId"], "svc-0123");
        assert_eq!(b["resourceType"], "SERVICE");
        assert!(
            b["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("Service"))
        );
    }
}
