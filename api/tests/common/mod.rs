//! The API test harness shared by the API test files: the real router over a fresh
//! database (a SQLite file or a database on the real PostgreSQL server), a settable clock,
//! tokens, and one HTTP call helper that checks every error is problem+json.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use chrono::{Datelike, Duration, NaiveDate};
use http_body_util::BodyExt;
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;
use zhiban_api::{AppState, app};
use zhiban_store::{Store, TokenRole};

#[path = "../../../crates/store/tests/common/db.rs"]
pub(crate) mod db;
pub(crate) use db::{Backend, TestDb};

/// Runs `async fn NAME(Backend)` as two tests, on SQLite (`NAME::sqlite`) and on a real
/// PostgreSQL server (`NAME::postgres`).
#[macro_export]
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(super::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(super::Backend::Postgres).await
            }
        }
    )*};
}

pub struct TestApp {
    pub router: axum::Router,
    pub store: Arc<dyn Store>,
    pub clock: Arc<std::sync::Mutex<Option<chrono::DateTime<chrono::Utc>>>>,
    _db: TestDb,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl TestApp {
    pub async fn new(fixture: &str) -> Self {
        Self::on(Backend::Sqlite, fixture).await
    }

    pub async fn on(backend: Backend, fixture: &str) -> Self {
        let db = TestDb::new(backend).await;
        let store = zhiban_store::connect(&db.url).await.unwrap();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
        let ds =
            zhiban_dataset::read_dir(&root.join(fixture), chrono::Utc::now().date_naive()).unwrap();
        store.import_dataset(&ds).await.unwrap();
        Self::with_store(db, store)
    }

    /// The real router over a database that already holds data (opened and migrated).
    pub async fn open(db: TestDb) -> Self {
        let store = zhiban_store::connect(&db.url).await.unwrap();
        Self::with_store(db, store)
    }

    /// The database's URL.
    pub fn url(&self) -> &str {
        &self._db.url
    }

    fn with_store(db: TestDb, store: Arc<dyn Store>) -> Self {
        let clock: Arc<std::sync::Mutex<Option<chrono::DateTime<chrono::Utc>>>> = Arc::default();
        let mut state = AppState::new(store.clone());
        let c = clock.clone();
        state.clock = Arc::new(move || c.lock().unwrap().unwrap_or_else(chrono::Utc::now));
        let router = app(state);
        Self {
            router,
            store,
            clock,
            _db: db,
        }
    }

    /// Sets the server's clock (None: the real time).
    pub fn set_time(&self, t: Option<chrono::DateTime<chrono::Utc>>) {
        *self.clock.lock().unwrap() = t;
    }

    pub async fn token(
        &self,
        role: TokenRole,
        centre: Option<&str>,
        lawyer: Option<&str>,
    ) -> String {
        let t = zhiban_api::cli::create_token(
            &self.store,
            role,
            centre.map(|c| zhiban_domain::CentreId::parse(c).unwrap()),
            lawyer.map(|c| zhiban_domain::LawyerId::parse(c).unwrap()),
            &format!("test {}", role.code()),
        )
        .await
        .unwrap();
        t.split('\t').next().unwrap().to_string()
    }

    pub async fn call_with(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
        extra: &[(&str, &str)],
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b.to_string()))
                .unwrap(),
            None => req.body(Body::empty()).unwrap(),
        };
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        if status.is_client_error() || status.is_server_error() {
            assert_eq!(
                headers["content-type"], "application/problem+json",
                "{uri}: error {status} without problem+json: {body}"
            );
            assert_eq!(body["status"], status.as_u16());
        }
        assert!(!status.is_server_error(), "{uri}: {status} {body}");
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn call(&self, method: Method, uri: &str, token: &str, body: Option<Value>) -> Reply {
        self.call_with(method, uri, Some(token), body, &[]).await
    }

    pub async fn get(&self, uri: &str, token: &str) -> Reply {
        self.call(Method::GET, uri, token, None).await
    }

    pub async fn post(&self, uri: &str, token: &str, body: Value) -> Reply {
        self.call(Method::POST, uri, token, Some(body)).await
    }

    /// Polls a job until it ends; returns it.
    pub async fn wait_job(&self, token: &str, id: i64) -> Value {
        for _ in 0..1200 {
            let r = self.get(&format!("/api/v1/jobs/{id}"), token).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            match r.body["status"].as_str().unwrap() {
                "succeeded" | "failed" => return r.body,
                _ => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            }
        }
        panic!("job {id} did not finish in 120 s");
    }
}

/// The Monday at least two days ahead, so every duty of the second week is more than 24
/// hours away whatever the time of day.
pub fn next_monday() -> NaiveDate {
    let today = chrono::Utc::now().date_naive() + Duration::days(2);
    today + Duration::days(i64::from((7 - today.weekday().num_days_from_monday()) % 7))
}

pub fn s(v: &Value) -> String {
    v.as_str().unwrap().to_string()
}

pub fn slot_key(a: &Value) -> (String, String, String) {
    (s(&a["station_id"]), s(&a["date"]), s(&a["half_day"]))
}

/// Local (UTC+8) time on a date, as an instant.
pub fn local(date: &str, hm: &str) -> chrono::DateTime<chrono::Utc> {
    let naive =
        chrono::NaiveDateTime::parse_from_str(&format!("{date} {hm}"), "%Y-%m-%d %H:%M").unwrap();
    naive.and_utc() - Duration::hours(8)
}

pub fn same_duty(a: &Value, b: &Value) -> bool {
    ["station_id", "date", "half_day", "lawyer_id", "role"]
        .iter()
        .all(|k| a[*k] == b[*k])
}

pub fn add_minutes(hm: &str, m: i64) -> String {
    let t = chrono::NaiveTime::parse_from_str(hm, "%H:%M").unwrap() + Duration::minutes(m);
    t.format("%H:%M").to_string()
}
