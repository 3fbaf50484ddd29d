//! The web page (值班排班 for coordinators, lawyers and finance): one HTML page, its ES
//! modules and a style sheet, embedded in the binary and built on the public JSON API with
//! the user's token. No separate server, no build step, nothing fetched from elsewhere.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

const INDEX: &str = include_str!("../web/index.html");
const STYLE: &str = include_str!("../web/app.css");
const STATION: &str = include_str!("../web/station.html");
const STATION_SCRIPT: &str = include_str!("../web/station.js");
const STATION_STYLE: &str = include_str!("../web/station.css");

/// The page's ES modules (`web/js/`), by path: `main.js` signs the user in and imports the
/// rest (API, DOM helpers, formats, labels, one module per role's view).
const MODULES: [(&str, &str); 20] = [
    ("/js/main.js", include_str!("../web/js/main.js")),
    ("/js/api.js", include_str!("../web/js/api.js")),
    ("/js/dom.js", include_str!("../web/js/dom.js")),
    ("/js/format.js", include_str!("../web/js/format.js")),
    ("/js/labels.js", include_str!("../web/js/labels.js")),
    ("/js/chart.js", include_str!("../web/js/chart.js")),
    (
        "/js/coordinator.js",
        include_str!("../web/js/coordinator.js"),
    ),
    ("/js/lawyer.js", include_str!("../web/js/lawyer.js")),
    ("/js/finance.js", include_str!("../web/js/finance.js")),
    ("/js/account.js", include_str!("../web/js/account.js")),
    ("/js/director.js", include_str!("../web/js/director.js")),
    ("/js/firm.js", include_str!("../web/js/firm.js")),
    ("/js/panel.js", include_str!("../web/js/panel.js")),
    ("/js/leave.js", include_str!("../web/js/leave.js")),
    ("/js/swap.js", include_str!("../web/js/swap.js")),
    ("/js/open.js", include_str!("../web/js/open.js")),
    ("/js/attendance.js", include_str!("../web/js/attendance.js")),
    ("/js/ledger.js", include_str!("../web/js/ledger.js")),
    ("/js/notices.js", include_str!("../web/js/notices.js")),
    ("/js/reports.js", include_str!("../web/js/reports.js")),
];

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

/// Everything the page may load: its own files and API only (`script-src 'self'` covers
/// the modules and their imports).
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

/// The page's routes: `/`, its modules `/js/*.js`, `/app.css`, and the station display
/// `/station` (`/station.js`, `/station.css`).
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let mut router = Router::new()
        .route(
            "/",
            get(|| async { asset(INDEX, "text/html; charset=utf-8") }),
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
            get(|| async { asset(STATION_SCRIPT, JAVASCRIPT) }),
        )
        .route(
            "/station.css",
            get(|| async { asset(STATION_STYLE, "text/css; charset=utf-8") }),
        );
    for (path, body) in MODULES {
        router = router.route(path, get(move || async move { asset(body, JAVASCRIPT) }));
    }
    router
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    #[test]
    fn every_file_in_web_js_is_served() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web/js");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| format!("/js/{}", e.unwrap().file_name().to_string_lossy()))
            .collect();
        files.sort();
        let mut served: Vec<String> = MODULES.iter().map(|(p, _)| (*p).to_string()).collect();
        served.sort();
        assert_eq!(files, served);
    }

    #[tokio::test]
    async fn modules_are_served_as_javascript_under_the_page_policy() {
        for (path, body) in MODULES {
            let res = router::<()>()
                .oneshot(Request::get(path).body(Body::empty()).unwrap())
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK, "{path}");
            let h = res.headers();
            assert_eq!(h[header::CONTENT_TYPE], JAVASCRIPT, "{path}");
            assert_eq!(h[header::CONTENT_SECURITY_POLICY], CSP, "{path}");
            assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
            assert_eq!(h[header::CACHE_CONTROL], "no-cache", "{path}");
            let got = res.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(got, body.as_bytes(), "{path}");
        }
        // The page loads its entry module as a module; the old single script is gone.
        assert!(INDEX.contains(r#"<script type="module" src="/js/main.js"></script>"#));
        let res = router::<()>()
            .oneshot(Request::get("/app.js").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
}
