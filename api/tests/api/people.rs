//! People signing in through the real router, for the account tests: invitations, codes,
//! sign-in, and requests from a signed-in page (cookie, CSRF token, same origin).

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

/// A signed-in browser: its cookie and CSRF token.
pub(crate) struct Browser {
    pub(crate) cookie: String,
    pub(crate) csrf: String,
}

pub(crate) async fn invite(t: &TestApp, by: &str, body: Value) -> (i64, String) {
    let r = t.post("/api/v1/users", by, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert!(r.body.get("password_hash").is_none() && r.body.get("code_hash").is_none());
    (
        r.body["id"].as_i64().unwrap(),
        s(&r.body["invitation_code"]),
    )
}

pub(crate) async fn activate(t: &TestApp, code: &str, password: &str) -> Reply {
    t.call_with(
        Method::POST,
        "/api/v1/auth/activate",
        None,
        Some(json!({"code": code, "password": password})),
        &[],
    )
    .await
}

pub(crate) async fn login(t: &TestApp, login: &str, password: &str) -> Reply {
    t.call_with(
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"login": login, "password": password})),
        &[],
    )
    .await
}

pub(crate) async fn signed_in(t: &TestApp, name: &str, password: &str) -> Browser {
    let r = login(t, name, password).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let set = r.headers["set-cookie"].to_str().unwrap().to_string();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Path=/"));
    let cookie = set.split(';').next().unwrap().to_string();
    Browser {
        cookie,
        csrf: s(&r.body["csrf_token"]),
    }
}

/// A request from the page: the cookie, the CSRF token when `csrf`, the page's own origin.
pub(crate) async fn page(
    t: &TestApp,
    b: &Browser,
    method: Method,
    uri: &str,
    body: Option<Value>,
) -> Reply {
    let mut h = vec![
        ("cookie", b.cookie.as_str()),
        ("host", "zhiban.test"),
        ("origin", "https://zhiban.test"),
    ];
    h.push(("x-csrf-token", b.csrf.as_str()));
    t.call_with(method, uri, None, body, &h).await
}

/// An account made by `by` with `body`, its password set and signed in.
pub(crate) async fn person(t: &TestApp, by: &str, body: Value, password: &str) -> Browser {
    let login = s(&body["login"]);
    let (_, code) = invite(t, by, body).await;
    let r = activate(t, &code, password).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    signed_in(t, &login, password).await
}

/// Someone calling the API: with a bearer token, or signed in from the page.
pub(crate) enum Caller {
    /// A bearer token.
    Token(String),
    /// A signed-in browser.
    Page(Browser),
}

impl Caller {
    /// Sends a request as this caller.
    pub(crate) async fn call(
        &self,
        t: &TestApp,
        method: Method,
        uri: &str,
        body: Option<Value>,
    ) -> Reply {
        match self {
            Caller::Token(tok) => t.call(method, uri, tok, body).await,
            Caller::Page(b) => page(t, b, method, uri, body).await,
        }
    }
}

/// A change from the page: `POST uri` with `body`.
pub(crate) async fn post_as(t: &TestApp, b: &Browser, uri: &str, body: Option<Value>) -> Reply {
    page(t, b, Method::POST, uri, body).await
}
