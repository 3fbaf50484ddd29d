//! The API's one error type, rendered as RFC 9457 `application/problem+json`.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Media type of error bodies.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Something a request could not do.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The database does not answer.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// Anything unexpected: logged, never shown.
    #[error("internal error: {0}")]
    Internal(anyhow::Error),
}

/// An RFC 9457 problem body.
#[derive(Debug, Serialize)]
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
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str, &'static str, String) {
        match self {
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
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, kind, title, detail) = self.parts();
        // The cause is logged, not sent: it may hold SQL or paths.
        tracing::error!(error = %self, "request failed");
        let body = Problem {
            kind: format!("https://zhiban.invalid/problems/{kind}"),
            title: title.into(),
            status: status.as_u16(),
            detail,
        };
        let json = serde_json::to_vec(&body).unwrap_or_default();
        (status, [(header::CONTENT_TYPE, PROBLEM_JSON)], json).into_response()
    }
}
