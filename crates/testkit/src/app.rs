//! The API under test: the real router (`zhiban_api::app`) over a fresh database holding a
//! fixture, with a clock the test sets, tokens of any role, and one HTTP call helper, driven
//! with `oneshot` and no socket, that checks every error is problem+json.

use crate::db::{Backend, TestDb};
use crate::values::s;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tower::ServiceExt;
use zhiban_api::{AppState, app};
use zhiban_store::{Store, TokenRole};

/// The workspace's `fixtures/` folder.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// The real router over a scratch database.
pub struct TestApp {
    /// The router, as `zhiban serve` builds it (without the socket).
    pub router: axum::Router,
    /// The store behind it.
    pub store: Arc<dyn Store>,
    /// The router's state, for running what `zhiban serve` runs in the background (the
    /// retention of check-in positions) on the test's clock.
    pub state: AppState,
    /// The server's clock: `None` is the real time (see [`TestApp::set_time`]).
    pub clock: Arc<Mutex<Option<chrono::DateTime<chrono::Utc>>>>,
    db: TestDb,
}

/// An answer: status, headers and the body as JSON (a string when it is not JSON, null
/// when empty).
#[derive(Debug)]
pub struct Reply {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Value,
}

impl TestApp {
    /// `fixtures/<fixture>` imported into a SQLite file.
    pub async fn new(fixture: &str) -> Self {
        Self::on(Backend::Sqlite, fixture).await
    }

    /// `fixtures/<fixture>` imported into a new database on `backend`.
    pub async fn on(backend: Backend, fixture: &str) -> Self {
        let db = TestDb::new(backend).await;
        let store = zhiban_store::connect(&db.url).await.unwrap();
        let ds = zhiban_dataset::read_dir(
            &fixtures_dir().join(fixture),
            chrono::Utc::now().date_naive(),
        )
        .unwrap();
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
        &self.db.url
    }

    fn with_store(db: TestDb, store: Arc<dyn Store>) -> Self {
        let clock: Arc<Mutex<Option<chrono::DateTime<chrono::Utc>>>> = Arc::default();
        let mut state = AppState::new(store.clone());
        let c = clock.clone();
        state.clock = Arc::new(move || c.lock().unwrap().unwrap_or_else(chrono::Utc::now));
        let router = app(state.clone());
        Self {
            router,
            store,
            state,
            clock,
            db,
        }
    }

    /// Serves with these notification settings (channels, secret key, robot services).
    pub fn set_notify(&mut self, config: zhiban_api::notify::Config) {
        self.state.notify = Arc::new(config);
        self.router = app(self.state.clone());
    }

    /// Sets the server's clock (None: the real time).
    pub fn set_time(&self, t: Option<chrono::DateTime<chrono::Utc>>) {
        *self.clock.lock().unwrap() = t;
    }

    /// A new API token of `role`, for `centre` or `lawyer` where the role needs one.
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
        t.token
    }

    /// The one call helper: a request with an optional bearer token, an optional body of
    /// a content type, and extra headers. Every 4xx and 5xx must be problem+json carrying
    /// its status, and no answer may be a 5xx.
    pub async fn send(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<(&str, Vec<u8>)>,
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
            Some((content_type, b)) => req
                .header("content-type", content_type)
                .body(Body::from(b))
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

    /// [`TestApp::send`] with a JSON body.
    pub async fn call_with(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
        extra: &[(&str, &str)],
    ) -> Reply {
        let body = body.map(|b| ("application/json", b.to_string().into_bytes()));
        self.send(method, uri, token, body, extra).await
    }

    /// A request with a token and an optional JSON body.
    pub async fn call(&self, method: Method, uri: &str, token: &str, body: Option<Value>) -> Reply {
        self.call_with(method, uri, Some(token), body, &[]).await
    }

    /// A GET with a token.
    pub async fn get(&self, uri: &str, token: &str) -> Reply {
        self.call(Method::GET, uri, token, None).await
    }

    /// A POST of JSON with a token.
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

    /// Starts a job (a roster or a repair) at `uri`, waits for it to succeed and publishes
    /// the version it made; returns the version's id.
    pub async fn run_and_publish(&self, token: &str, uri: &str, body: Value) -> i64 {
        let r = self.post(uri, token, body).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{uri}: {}", r.body);
        let job = self.wait_job(token, r.body["id"].as_i64().unwrap()).await;
        assert_eq!(job["status"], "succeeded", "{job}");
        let v = job["version_id"].as_i64().unwrap();
        let r = self
            .post(
                &format!("/api/v1/versions/{v}/publish"),
                token,
                serde_json::json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "publishing {v}: {}", r.body);
        v
    }

    /// Solves `weeks` weeks of `centre` from `from` and publishes the roster; returns the
    /// version's id.
    pub async fn solve_and_publish(
        &self,
        token: &str,
        centre: &str,
        from: &str,
        weeks: u32,
    ) -> i64 {
        let body = serde_json::json!({"centre_id": centre, "from": from, "weeks": weeks});
        self.run_and_publish(token, "/api/v1/rosters", body).await
    }

    /// A version's assignments, as the API lists them.
    pub async fn assignments(&self, token: &str, version: i64) -> Vec<Value> {
        let r = self
            .get(&format!("/api/v1/versions/{version}"), token)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body["assignments"].as_array().unwrap().clone()
    }

    /// A version's primary duties, by date, half-day and station.
    pub async fn primaries(&self, token: &str, version: i64) -> Vec<Value> {
        let mut p: Vec<Value> = self
            .assignments(token, version)
            .await
            .into_iter()
            .filter(|a| a["role"] == "primary")
            .collect();
        p.sort_by_key(|a| (s(&a["date"]), s(&a["half_day"]), s(&a["station_id"])));
        p
    }
}
