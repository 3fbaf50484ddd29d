//! The API's one error type, rendered as RFC 9457 `application/problem+json`.
//!
//! Status codes are chosen in one place, [`ApiError::parts`]; store conflicts and missing
//! records become 409 and 404 in one conversion, never matched in handlers. Database and
//! unexpected errors are logged and answered with a 500 that leaks nothing.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use zhiban_store::{ErrorClass, StoreError};

/// Media type of error bodies.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One bad field of a request.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The field, as a path (`assignments[2].date`, `query.from`).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// A field error.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Something a request could not do.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Malformed input: bad JSON, a wrong type, a missing field.
    #[error("bad request: {detail}")]
    BadRequest {
        /// For a person.
        detail: String,
        /// The fields at fault.
        errors: Vec<FieldError>,
    },
    /// Well-formed input that breaks a rule: an invalid value or a hard roster rule.
    #[error("unprocessable: {detail}")]
    Unprocessable {
        /// For a person.
        detail: String,
        /// The fields at fault.
        errors: Vec<FieldError>,
        /// The hard roster rules the change would break.
        violations: Vec<serde_json::Value>,
    },
    /// No token, or an unknown or revoked one.
    #[error("unauthorized")]
    Unauthorized,
    /// The token's role may not do this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// No such thing (or not visible to this token).
    #[error("not found: {0}")]
    NotFound(String),
    /// The request conflicts with the current state.
    #[error("conflict: {0}")]
    Conflict(String),
    /// `If-Match` did not match.
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    /// Too many failed attempts.
    #[error("too many requests")]
    TooManyRequests,
    /// The request body is larger than the route accepts.
    #[error("payload too large: {0}")]
    TooLarge(String),
    /// The database does not answer.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// Anything unexpected: logged, never shown.
    #[error("internal error: {0}")]
    Internal(anyhow::Error),
}

impl ApiError {
    /// A 400 naming one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let e = FieldError::new(field, message);
        ApiError::BadRequest {
            detail: format!("{}: {}", e.field, e.message),
            errors: vec![e],
        }
    }

    /// A 422 naming one field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        let e = FieldError::new(field, message);
        ApiError::Unprocessable {
            detail: format!("{}: {}", e.field, e.message),
            errors: vec![e],
            violations: vec![],
        }
    }

    /// A 404 for a thing of some kind and id.
    pub fn not_found(kind: &str, id: impl std::fmt::Display) -> Self {
        ApiError::NotFound(format!("no {kind} {id}"))
    }
}

/// An RFC 9457 problem body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// Stable URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What happened, for a person.
    pub detail: String,
    /// The fields at fault, for 400 and 422.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The hard roster rules a change would break, for 422.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<serde_json::Value>,
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str, &'static str, String) {
        match self {
            ApiError::BadRequest { detail, .. } => (
                StatusCode::BAD_REQUEST,
                "bad-request",
                "Bad request",
                detail.clone(),
            ),
            ApiError::Unprocessable { detail, .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "unprocessable",
                "The request breaks a rule",
                detail.clone(),
            ),
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Unauthorized",
                "send a valid token as `Authorization: Bearer TOKEN`".into(),
            ),
            ApiError::Forbidden(d) => (StatusCode::FORBIDDEN, "forbidden", "Forbidden", d.clone()),
            ApiError::NotFound(d) => (StatusCode::NOT_FOUND, "not-found", "Not found", d.clone()),
            ApiError::Conflict(d) => (StatusCode::CONFLICT, "conflict", "Conflict", d.clone()),
            ApiError::PreconditionFailed(d) => (
                StatusCode::PRECONDITION_FAILED,
                "precondition-failed",
                "Precondition failed",
                d.clone(),
            ),
            ApiError::TooLarge(d) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
                d.clone(),
            ),
            ApiError::TooManyRequests => (
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-requests",
                "Too many requests",
                "too many failed attempts; wait a minute".into(),
            ),
            ApiError::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
                "the database is not answering; try again shortly".into(),
            ),
            ApiError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
                "something went wrong on our side; it has been logged".into(),
            ),
        }
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> StatusCode {
        self.parts().0
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) | StoreError::Locked(m) => ApiError::Conflict(m),
            StoreError::CheckOutWindow { from, until } => {
                let t = |x: chrono::DateTime<chrono::Utc>| {
                    x.with_timezone(&zhiban_domain::DEFAULT_TIME_ZONE)
                        .format("%m-%d %H:%M")
                        .to_string()
                };
                ApiError::invalid(
                    "check_out_at",
                    format!(
                        "签退不计为在岗：最早可于 {} 签退，最晚 {}（在岗时间须达到半日的规定比例）",
                        t(from),
                        t(until)
                    ),
                )
            }
            StoreError::NotFound(m) => ApiError::NotFound(m),
            other => match other.class() {
                ErrorClass::Unavailable => ApiError::Unavailable("pool timed out".into()),
                ErrorClass::Conflict => {
                    ApiError::Conflict("a record with this key exists already".into())
                }
                ErrorClass::Invalid => ApiError::Unprocessable {
                    detail: "the request refers to a record that does not exist".into(),
                    errors: vec![],
                    violations: vec![],
                },
                ErrorClass::NotFound | ErrorClass::Internal => ApiError::Internal(other.into()),
            },
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let text = r.body_text();
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::TooLarge(format!(
                "the body is larger than this route accepts ({} bytes at most)",
                crate::MAX_JSON_BYTES
            ));
        }
        // serde's message names the path: "…: assignments[0].date: invalid type …".
        let field = match &r {
            JsonRejection::JsonDataError(_) => text
                .split_once("target type: ")
                .and_then(|(_, rest)| rest.split_once(": "))
                .map(|(f, _)| f.to_string())
                .unwrap_or_else(|| "body".into()),
            _ => "body".into(),
        };
        let errors = vec![FieldError::new(field, text.clone())];
        // A well-formed body with a wrong value is 422 (as axum answers); bad JSON is 400.
        if matches!(r, JsonRejection::JsonDataError(_)) {
            ApiError::Unprocessable {
                detail: text,
                errors,
                violations: vec![],
            }
        } else {
            ApiError::BadRequest {
                detail: text,
                errors,
            }
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        let text = r.body_text();
        ApiError::BadRequest {
            detail: text.clone(),
            errors: vec![FieldError::new("query", text)],
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        let text = r.body_text();
        ApiError::BadRequest {
            detail: text.clone(),
            errors: vec![FieldError::new("path", text)],
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, kind, title, detail) = self.parts();
        if status.is_server_error() {
            // The cause is logged, not sent: it may hold SQL or paths.
            tracing::error!(error = %self, "request failed");
        } else {
            tracing::debug!(error = %self, "request refused");
        }
        let (errors, violations) = match self {
            ApiError::BadRequest { errors, .. } => (errors, vec![]),
            ApiError::Unprocessable {
                errors, violations, ..
            } => (errors, violations),
            _ => (vec![], vec![]),
        };
        let body = Problem {
            kind: format!("https://zhiban.invalid/problems/{kind}"),
            title: title.into(),
            status: status.as_u16(),
            detail,
            errors,
            violations,
        };
        let json = serde_json::to_vec(&body).unwrap_or_default();
        let mut res = (status, [(header::CONTENT_TYPE, PROBLEM_JSON)], json).into_response();
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        res
    }
}

/// `Json` whose rejections are problem+json 400s naming the field.
#[derive(Debug, Clone, Copy, Default, axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Body<T>(pub T);

/// `Query` whose rejections are problem+json 400s.
#[derive(Debug, Clone, Copy, Default, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

/// `Path` whose rejections are problem+json 400s.
#[derive(Debug, Clone, Copy, Default, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflicts_from_the_store_become_409() {
        let e: ApiError = StoreError::Conflict("x".into()).into();
        assert_eq!(e.status(), StatusCode::CONFLICT);
        let e: ApiError = StoreError::NotFound("x".into()).into();
        assert_eq!(e.status(), StatusCode::NOT_FOUND);
    }
}
