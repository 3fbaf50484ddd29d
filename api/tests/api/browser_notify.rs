//! Notifications in a real browser (`browser_people.rs` runs these phases): the
//! coordinator sets the centre's 企业微信 group robot under 通知 → 通知渠道 and sends a test
//! message that reaches a loopback receiver, then gives their own address and phone and
//! chooses SMS for alerts under 我的通知设置; a lawyer on a phone chooses SMS for swaps, no
//! SMS for roster changes, and quiet hours (`web-tests/run.mjs`, phases `channels` and
//! `prefs`).

use crate::browser::{account_of, browser};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use zhiban_domain::notify_route::{EventKind, Personal};
use zhiban_store::{Store, TokenRole};

/// What the loopback robot service got: (query, body).
pub(crate) type Got = Arc<Mutex<Vec<(String, Value)>>>;

/// A loopback 企业微信 robot service; its send URL and what it got.
pub(crate) async fn robot() -> (String, Got) {
    let got: Got = Arc::default();
    let g = got.clone();
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri, body: axum::body::Bytes| {
        let g = g.clone();
        async move {
            let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            g.lock()
                .unwrap()
                .push((uri.query().unwrap_or("").to_string(), v));
            axum::Json(serde_json::json!({"errcode": 0, "errmsg": "ok"}))
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/wecom", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, got)
}

/// The coordinator sets the group robot and tests it; a lawyer sets their preferences.
pub(crate) async fn notify(store: &Arc<dyn Store>, base: &str, got: &Got) {
    let signin = account_of(
        store,
        "notify.keeper",
        TokenRole::Coordinator,
        Some("CH"),
        None,
        None,
    )
    .await;
    let extra: Vec<(&str, String)> = signin
        .into_iter()
        .chain([("ROBOT_KEY", "WECOM-KEY-FROM-THE-PAGE".to_string())])
        .collect();
    let b = base.to_string();
    tokio::task::spawn_blocking(move || browser("channels", &b, &extra))
        .await
        .unwrap();
    let centre = zhiban_domain::CentreId::parse("CH").unwrap();
    let stored = store.centre_channels(&centre).await.unwrap();
    let wecom = stored
        .iter()
        .find(|c| c.kind == "wecom")
        .expect("saved from the page");
    assert!(
        wecom.enabled && !wecom.secret.contains("WECOM-KEY"),
        "sealed: {wecom:?}"
    );
    {
        let got = got.lock().unwrap();
        assert_eq!(got.len(), 1, "the test message: {got:?}");
        assert_eq!(got[0].0, "key=WECOM-KEY-FROM-THE-PAGE");
        assert!(
            got[0].1["text"]["content"]
                .as_str()
                .unwrap()
                .contains("测试消息")
        );
    }
    // The coordinator's own choices, saved from 我的通知设置.
    let keeper = store.user_by_login("notify.keeper").await.unwrap().unwrap();
    let mine = store.staff_notify(keeper.id).await.unwrap().unwrap();
    assert_eq!(
        (mine.email.as_str(), mine.phone.as_str()),
        ("keeper@centre.test", "13900000088")
    );
    assert_eq!(
        mine.prefs.for_kind(EventKind::Alert),
        vec![Personal::Email, Personal::Sms]
    );
    assert_eq!(
        mine.prefs.quiet_start,
        chrono::NaiveTime::from_hms_opt(22, 30, 0)
    );
    let free = store.lawyers_without_account(None).await.unwrap();
    let lawyer = free
        .iter()
        .find(|l| l.as_str().starts_with("CH-"))
        .expect("a lawyer of CH without an account")
        .clone();
    let signin = account_of(
        store,
        "notify.lawyer",
        TokenRole::Lawyer,
        None,
        Some(lawyer.as_str()),
        None,
    )
    .await;
    let b = base.to_string();
    tokio::task::spawn_blocking(move || browser("prefs", &b, &signin))
        .await
        .unwrap();
    let p = store.notification_prefs(&lawyer).await.unwrap();
    assert!(
        !p.for_kind(EventKind::Roster).contains(&Personal::Sms),
        "{p:?}"
    );
    assert!(
        p.for_kind(EventKind::Swap).contains(&Personal::Sms),
        "{p:?}"
    );
    assert_eq!(p.quiet_start, chrono::NaiveTime::from_hms_opt(21, 30, 0));
    assert_eq!(p.quiet_end, chrono::NaiveTime::from_hms_opt(7, 0, 0));
}
