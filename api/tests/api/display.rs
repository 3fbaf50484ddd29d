//! Each person's text size (字号), kept with their account: set from one browser, read by
//! another; only the sizes offered; tokens have none.

use axum::http::{Method, StatusCode};
use serde_json::json;
use zhiban_store::TokenRole;

use crate::helpers::*;
use crate::people::{page, person, signed_in};

on_both!(a_persons_text_size_follows_their_account);

async fn a_persons_text_size_follows_their_account(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let admin = t.token(TokenRole::Admin, None, None).await;
    let b = person(
        &t,
        &admin,
        json!({"login": "zhu.ren", "display_name": "朱主任", "role": "director", "centres": ["CH"]}),
        "a long enough password",
    )
    .await;
    let r = page(&t, &b, Method::GET, "/api/v1/me/display", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body, json!({"font_scale": 100}));
    let r = page(
        &t,
        &b,
        Method::PUT,
        "/api/v1/me/display",
        Some(json!({"font_scale": 130})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Another browser of the same person finds it.
    let other = signed_in(&t, "zhu.ren", "a long enough password").await;
    let r = page(&t, &other, Method::GET, "/api/v1/me/display", None).await;
    assert_eq!(r.body, json!({"font_scale": 130}));
    // Only the sizes offered; never smaller than normal.
    for (body, field) in [
        (json!({"font_scale": 90}), "font_scale"),
        (json!({"font_scale": 1000}), "font_scale"),
        (json!({"font_scale": "big"}), "font_scale"),
        (json!({"font_scale": 115, "colour": "red"}), "colour"),
    ] {
        let r = page(&t, &b, Method::PUT, "/api/v1/me/display", Some(body)).await;
        assert!(r.status.is_client_error(), "{}", r.body);
        assert!(r.body.to_string().contains(field), "{}", r.body);
    }
    let r = page(&t, &b, Method::GET, "/api/v1/me/display", None).await;
    assert_eq!(
        r.body,
        json!({"font_scale": 130}),
        "nothing refused was kept"
    );
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    assert_eq!(
        t.get("/api/v1/me/display", &coord).await.status,
        StatusCode::FORBIDDEN
    );
}
