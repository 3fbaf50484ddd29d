//! The web page (值班排班 for coordinators, lawyers and finance): one HTML page, a script
//! and a style sheet, embedded in the binary and built on the public JSON API with the
//! user's token. No separate server, no build step, nothing fetched from elsewhere.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

const INDEX: &str = include_str!("../web/index.html");
const SCRIPT: &str = include_str!("../web/app.js");
const STYLE: &str = include_str!("../web/app.css");
const STATION: &str = include_str!("../web/station.html");
const STATION_SCRIPT: &str = include_str!("../web/station.js");
const STATION_STYLE: &str = include_str!("../web/station.css");

/// Everything the page may load: its own files and API only.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

fn asset(body: &'static str, kind: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

/// The page's routes: `/`, `/app.js`, `/app.css`, and the station display `/station`
/// (`/station.js`, `/station.css`).
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route(
            "/",
            get(|| async { asset(INDEX, "text/html; charset=utf-8") }),
        )
        .route(
            "/app.js",
            get(|| async { asset(SCRIPT, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/app.css",
            get(|| async { asset(STYLE, "text/css; charset=utf-8") }),
        )
        .route(
            "/station",
            get(|| async { asset(STATION, "text/html; charset=utf-8") }),
        )
        .route(
            "/station.js",
            get(|| async { asset(STATION_SCRIPT, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/station.css",
            get(|| async { asset(STATION_STYLE, "text/css; charset=utf-8") }),
        )
}
