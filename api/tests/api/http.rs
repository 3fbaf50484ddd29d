//! The router, driven without a socket.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;
use zhiban_api::{AppState, app};

#[tokio::test]
async fn healthz_reports_the_database_and_its_counts_to_a_caller_with_a_token() {
    let store = zhiban_store::connect("sqlite::memory:").await.unwrap();
    store
        .import_dataset(&zhiban_fixtures::baotou())
        .await
        .unwrap();
    let token =
        zhiban_api::cli::create_token(&store, zhiban_store::TokenRole::Admin, None, None, "test")
            .await
            .unwrap();
    let token = token.token;
    let router = app(AppState::new(store));
    let res = router
        .clone()
        .oneshot(Request::get("/healthz").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: serde_json::Value =
        serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(body["database"], "ok");
    assert!(body.get("counts").is_none(), "{body}");
    let res = router
        .oneshot(
            Request::get("/healthz")
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: serde_json::Value =
        serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "ok");
    assert_eq!(body["counts"]["lawyers"], 180);
    assert_eq!(body["counts"]["stations"], 31);
}

#[tokio::test]
async fn a_closed_database_answers_503_problem_json() {
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", tmp.path().join("z.db").display());
    let store = zhiban_store::sqlite::SqliteStore::open(&url).await.unwrap();
    store.pool().close().await;
    let res = app(AppState::new(std::sync::Arc::new(store)))
        .oneshot(Request::get("/healthz").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let body: serde_json::Value =
        serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(body["status"], 503);
    assert!(body["type"].as_str().unwrap().ends_with("/unavailable"));
    assert!(!body["detail"].as_str().unwrap().contains("sqlite"));
}

/// A client that does not finish its request headers is disconnected after the header-read
/// timeout, so slow clients cannot hold connections; a normal request on the same server
/// is answered.
#[tokio::test]
async fn a_slow_client_is_cut_off_after_the_header_read_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let store = zhiban_store::connect("sqlite::memory:").await.unwrap();
    let limits = zhiban_api::serve::Limits {
        header_read: std::time::Duration::from_millis(500),
        ..zhiban_api::serve::Limits::default()
    };
    let (addr, _server) = zhiban_api::serve::spawn_for_test(app(AppState::new(store)), limits)
        .await
        .unwrap();
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut buf = vec![0u8; 1024];
    // The server closes the connection (perhaps after a 408) instead of waiting for ever.
    let closed = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            match slow.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => continue,
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "the slow connection was still open after 10 s"
    );
    assert!(started.elapsed() >= std::time::Duration::from_millis(400));
    let mut fast = tokio::net::TcpStream::connect(addr).await.unwrap();
    fast.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut reply = String::new();
    fast.read_to_string(&mut reply).await.unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
}
