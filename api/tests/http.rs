//! The router, driven without a socket.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;
use zhiban_api::{AppState, app};

#[tokio::test]
async fn healthz_reports_the_database_and_its_counts() {
    let store = zhiban_store::connect("sqlite::memory:").await.unwrap();
    store
        .import_dataset(&zhiban_fixtures::baotou())
        .await
        .unwrap();
    let res = app(AppState::new(store))
        .oneshot(Request::get("/healthz").body(Body::empty()).unwrap())
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
