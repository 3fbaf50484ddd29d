//! zhiban-api: the HTTP service and the `zhiban` command-line tool.
//!
//! Modules:
//! - [`cli`]: the `zhiban` command (`import`, `export`, `serve`, `solve`, `fixtures generate`);
//! - [`error`]: [`ApiError`](error::ApiError), rendered as RFC 9457 `application/problem+json`;
//! - [`health`]: `GET /healthz`.
//!
//! [`app`] builds the router from an [`AppState`]; tests drive it without a socket:
//!
//! ```
//! # async fn demo() {
//! use tower::ServiceExt;
//! let store = zhiban_store::connect("sqlite::memory:").await.unwrap();
//! let app = zhiban_api::app(zhiban_api::AppState { store });
//! let res = app
//!     .oneshot(axum::http::Request::get("/healthz").body(axum::body::Body::empty()).unwrap())
//!     .await
//!     .unwrap();
//! assert_eq!(res.status(), 200);
//! # }
//! ```

pub mod cli;
pub mod error;
pub mod health;
mod solve_cmd;

use axum::Router;
use std::sync::Arc;
use std::time::Duration;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use zhiban_store::Store;

/// Largest request body accepted (a whole data-set upload stays well under this).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Arc<dyn Store>,
}

/// The whole HTTP service.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(health::router())
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
