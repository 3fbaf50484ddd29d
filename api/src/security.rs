//! What every response carries and every request is checked against, whatever the route:
//! security headers, the client's address behind a trusted reverse proxy, and a last-resort
//! answer to a panic.

use crate::AppState;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::IpAddr;

/// Deployment settings that shape responses and client addresses.
#[derive(Debug, Clone, Default)]
pub struct Security {
    /// Send `Strict-Transport-Security` (when the service is reached over TLS, at the proxy).
    pub hsts: bool,
    /// Peers whose `X-Forwarded-For` is believed (the reverse proxies in front of zhiban).
    /// From any other peer the header is ignored, so a client cannot pick its address.
    pub trusted_proxies: Vec<IpAddr>,
}

impl Security {
    /// Parses a comma-separated list of proxy addresses (`--trusted-proxies`).
    pub fn parse_proxies(raw: &str) -> Result<Vec<IpAddr>, String> {
        raw.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().map_err(|_| format!("{s:?} is not an IP address")))
            .collect()
    }

    /// The client's address: the peer's, or, when the peer is a trusted proxy, the last
    /// address in `X-Forwarded-For` that is not itself a trusted proxy.
    pub fn client_ip(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        if !self.trusted_proxies.contains(&peer) {
            return peer;
        }
        let Some(list) = forwarded_for else {
            return peer;
        };
        list.rsplit(',')
            .filter_map(|s| s.trim().parse::<IpAddr>().ok())
            .find(|ip| !self.trusted_proxies.contains(ip))
            .unwrap_or(peer)
    }
}

/// Adds the security headers: `X-Content-Type-Options: nosniff` and a `Referrer-Policy` on
/// every response, `Cache-Control: no-store` on every answer to a request that carried
/// credentials (a bearer token, or a feed token in the path or query), and HSTS when
/// configured.
pub(crate) async fn headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let credentials = req.headers().contains_key(header::AUTHORIZATION)
        || req.uri().path().starts_with("/ical/")
        || req.uri().query().is_some_and(|q| q.contains("token="));
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if credentials {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.security.hsts {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}

/// The answer to a handler that panicked: a logged 500 problem+json that says nothing of
/// the panic. A last resort only: input never reaches a panic on purpose.
pub(crate) fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = what, "a request handler panicked");
    let body = serde_json::json!({
        "type": "https://zhiban.invalid/problems/internal",
        "title": "Internal error",
        "status": 500,
        "detail": "the server failed; the request may be retried, and the failure is logged",
    });
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, crate::error::PROBLEM_JSON)],
        body.to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let s = Security {
            hsts: false,
            trusted_proxies: vec![proxy],
        };
        let client: IpAddr = "203.0.113.7".parse().unwrap();
        let other: IpAddr = "198.51.100.9".parse().unwrap();
        // From the proxy: the client it forwarded for (a spoofed first entry is ignored).
        assert_eq!(s.client_ip(proxy, Some("1.2.3.4, 203.0.113.7")), client);
        // From anyone else the header means nothing.
        assert_eq!(s.client_ip(other, Some("203.0.113.7")), other);
        // A proxy that forwards nothing usable is the client.
        assert_eq!(s.client_ip(proxy, Some("garbage")), proxy);
        assert_eq!(s.client_ip(proxy, None), proxy);
        assert!(Security::parse_proxies("10.0.0.1, ::1").unwrap().len() == 2);
        assert!(Security::parse_proxies("10.0.0.300").is_err());
    }
}

#[cfg(test)]
mod panic_tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_panicking_handler_answers_500_problem_json_and_the_service_goes_on() {
        async fn boom() -> &'static str {
            panic!("an input reached a panic")
        }
        let app = axum::Router::new()
            .route("/boom", axum::routing::get(boom))
            .route("/fine", axum::routing::get(|| async { "ok" }))
            .layer(tower_http::catch_panic::CatchPanicLayer::custom(
                super::panic_response,
            ));
        let res = app
            .clone()
            .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        let body = res.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&body);
        assert!(!text.contains("an input reached"), "{text}");
        let res = app
            .oneshot(Request::get("/fine").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
}
