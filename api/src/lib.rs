//! zhiban-api: the HTTP service and the `zhiban` command-line tool.
//!
//! Modules:
//! - [`cli`]: the `zhiban` command (`import`, `export`, `serve`, `solve`, `token`, `fixtures`);
//! - [`error`]: [`ApiError`](error::ApiError), rendered as RFC 9457 `application/problem+json`;
//! - [`auth`]: bearer tokens (random, stored hashed) and role scoping;
//! - [`http`]: the JSON API under `/api/v1`, one module per resource (router, request and
//!   response types, thin handlers), described by the OpenAPI 3.1 document at
//!   `/api/v1/openapi.json`; `statement`: pricing a month from the store's facts;
//! - [`security`]: security headers, trusted proxies, the last-resort panic answer;
//!   [`serve`]: the socket, with a header-read timeout for slow clients;
//! - [`notify`]: the dispatcher sending the notification outbox, and its channels;
//! - `jobs`: solve and repair jobs run in the background; `planning`: the one place a
//!   roster's problem is assembled from the store, and reports and violations as JSON.
//!
//! [`app`] builds the router from an [`AppState`]; tests drive it without a socket:
//!
//! ```
//! # async fn demo() {
//! use tower::ServiceExt;
//! let store = zhiban_store::connect("sqlite::memory:").await.unwrap();
//! let app = zhiban_api::app(zhiban_api::AppState::new(store));
//! let res = app
//!     .oneshot(axum::http::Request::get("/healthz").body(axum::body::Body::empty()).unwrap())
//!     .await
//!     .unwrap();
//! assert_eq!(res.status(), 200);
//! # }
//! ```

mod account_shape;
pub mod accounts;
pub mod auth;
pub mod cache;
pub mod cli;
pub mod error;
pub mod history;
pub mod http;
pub mod jobs;
pub mod notify;
mod pages;
pub mod pdf;
mod planning;
pub mod retention;
pub mod security;
pub mod serve;
mod sheet;
pub mod startup;
mod statement;
pub mod tls;
pub mod web;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use std::sync::Arc;
use std::time::Duration;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use zhiban_store::Store;

/// Largest request body accepted (a whole data-set upload stays well under this).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Largest JSON body a route takes: axum's default extractor limit, stated here so that
/// errors and documents can name it.
pub const MAX_JSON_BYTES: usize = 2 * 1024 * 1024;

/// Longest any request may take, body included, before it is answered 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Arc<dyn Store>,
    /// Failed token attempts per client, for rate limiting.
    pub failed_attempts: Arc<auth::FailedAttempts>,
    /// Serialises swap approvals within this process. An approval reads the published
    /// version, builds the swapped one on it and publishes that; the store refuses (409) a
    /// version whose base is no longer the published one, so this lock only makes a second
    /// approval in the same process build on the first instead of being refused. Publishing
    /// a draft takes no lock: the store's own check decides it.
    pub publish_lock: Arc<tokio::sync::Mutex<()>>,
    /// Default time limit of solves started through the API.
    pub solve_time_limit: Duration,
    /// The server's clock: check-ins are timestamped with it (tests set their own).
    pub clock: Clock,
    /// This process's job worker.
    pub jobs: Arc<jobs::JobRunner>,
    /// The panel and rendered feeds, kept while the store's revisions are unchanged.
    pub caches: Arc<cache::Caches>,
    /// Security headers and trusted proxies.
    pub security: Arc<security::Security>,
    /// Wrong station-display codes per lawyer and duty (guessing stops after a few).
    pub wrong_codes: Arc<http::presence::WrongCodes>,
    /// Sessions and password hashing.
    pub accounts: Arc<accounts::Accounts>,
    /// When this process last noted each token's use.
    pub token_uses: Arc<auth::TokenUses>,
    /// Notification channels: the server's, the key of centres' secrets, allowed hosts.
    pub notify: Arc<notify::Config>,
}

/// A source of the current instant.
pub type Clock = Arc<dyn Fn() -> chrono::DateTime<chrono::Utc> + Send + Sync>;

impl AppState {
    /// State over a store, with a 60-second default solve limit.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            failed_attempts: Arc::default(),
            publish_lock: Arc::default(),
            solve_time_limit: Duration::from_secs(60),
            clock: Arc::new(chrono::Utc::now),
            jobs: Arc::default(),
            caches: Arc::default(),
            security: Arc::default(),
            wrong_codes: Arc::default(),
            accounts: Arc::default(),
            token_uses: Arc::default(),
            notify: Arc::new(notify::Config::default()),
        }
    }

    /// The whole panel (as `Store::export_dataset`), from memory while it is unchanged.
    pub(crate) async fn dataset(&self) -> Result<Arc<zhiban_domain::Dataset>, error::ApiError> {
        Ok(self.panel().await?.1)
    }

    /// The store's revisions and the panel as of them.
    pub(crate) async fn panel(
        &self,
    ) -> Result<(zhiban_store::Revisions, Arc<zhiban_domain::Dataset>), error::ApiError> {
        let rev = self.store.revisions().await?;
        let ds = self.caches.dataset(&*self.store, &rev).await?;
        Ok((rev, ds))
    }

    /// The panel as of revisions read earlier in the same request (by the token check).
    pub(crate) async fn panel_at(
        &self,
        rev: &zhiban_store::Revisions,
    ) -> Result<Arc<zhiban_domain::Dataset>, error::ApiError> {
        self.caches.dataset(&*self.store, rev).await
    }

    /// Now, by the server's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        (self.clock)()
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "zhiban",
        description = "Duty-lawyer rosters for legal-aid centres (值班律师排班). Every route but \
                       /healthz needs `Authorization: Bearer TOKEN`; errors are RFC 9457 \
                       application/problem+json.",
        license(name = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "panel", description = "Centres, stations, firms, lawyers, availability, calendar, 名册"),
        (name = "rosters", description = "Generate, read, edit, publish, repair and compare rosters"),
        (name = "swaps", description = "Lawyers hand duties to each other"),
        (name = "leave", description = "Leave requested in advance and decided by a coordinator"),
        (name = "open-duties", description = "Posts opened for lawyers to claim: the first valid claim wins, or the coordinator picks among bids"),
        (name = "notifications", description = "The notification outbox: the log with retries, and lawyers' inboxes"),
        (name = "audit", description = "Who changed what, when"),
        (name = "attendance", description = "Check-in and check-out (签到), absences, the duty ledger (台账)"),
        (name = "finance", description = "Subsidy policies, monthly statements (值班补贴), approval, exports"),
        (name = "reports", description = "Reports over months for a centre and those below it: coverage, attendance, workload, ledger, subsidy"),
        (name = "feeds", description = "iCal feeds for lawyers and stations; lawyers' busy calendars"),
        (name = "health", description = "Liveness"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The routes and the OpenAPI document describing them.
fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    http::router(OpenApiRouter::with_openapi(ApiDoc::openapi())).split_for_parts()
}

/// The OpenAPI 3.1 document of the API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().1
}

async fn not_found() -> error::ApiError {
    error::ApiError::NotFound("no such route".into())
}

async fn method_not_allowed() -> axum::response::Response {
    use axum::response::IntoResponse;
    let body = serde_json::json!({
        "type": "https://zhiban.invalid/problems/method-not-allowed",
        "title": "Method not allowed",
        "status": 405,
        "detail": "this route does not accept that method",
    });
    (
        StatusCode::METHOD_NOT_ALLOWED,
        [(axum::http::header::CONTENT_TYPE, error::PROBLEM_JSON)],
        body.to_string(),
    )
        .into_response()
}

/// A request path fit for logs: feed tokens and query strings are left out.
pub fn redacted_path(uri: &axum::http::Uri) -> String {
    let path = uri.path();
    if path.starts_with("/ical/lawyers/") {
        return "/ical/lawyers/[token].ics".into();
    }
    // Query strings may hold a station feed token; the path alone is enough to follow a request.
    path.chars().take(200).collect()
}

/// The whole HTTP service.
pub fn app(state: AppState) -> Router {
    let (router, doc) = routes();
    let doc = Arc::new(doc);
    router
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .merge(web::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_JSON_BYTES))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            security::panic_response,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::headers,
        ))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            // Feed URLs carry secret tokens: log the route, never the token.
            tracing::info_span!("request", method = %req.method(), path = %redacted_path(req.uri()))
        }))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::redacted_path;

    #[test]
    fn logged_paths_never_hold_feed_tokens() {
        let u: axum::http::Uri = "/ical/lawyers/zb_abc123.ics".parse().unwrap();
        assert_eq!(redacted_path(&u), "/ical/lawyers/[token].ics");
        let u: axum::http::Uri = "/ical/sites/S1.ics?token=zb_secret".parse().unwrap();
        assert!(!redacted_path(&u).contains("zb_secret"));
        let u: axum::http::Uri = "/api/v1/versions/3?station_id=A".parse().unwrap();
        assert_eq!(redacted_path(&u), "/api/v1/versions/3");
    }
}
