//! Notification channels against real servers on loopback, on both databases: the
//! 企业微信 and 钉钉 group robots and an SMS gateway (an HTTP receiver checking 钉钉's
//! signature with openssl), secrets never shown (e-mail: `notify_smtp.rs`; quiet hours
//! and reminders: `notify_reminders.rs`).

use axum::http::{HeaderMap, Method, StatusCode, Uri};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use zhiban_api::notify::{Config, Dispatcher, secret::SecretBox};
use zhiban_store::TokenRole;

use crate::helpers::*;

on_both!(robots_and_sms_get_signed_messages_and_secrets_are_never_shown);

/// What a receiver got: path, query, headers and body.
pub(crate) type Got = Arc<Mutex<Vec<(String, String, HeaderMap, Value)>>>;

/// An HTTP receiver on loopback for the robots (answering `errcode` 0) and the SMS gateway.
pub(crate) async fn receiver() -> (String, Got) {
    let got: Got = Arc::default();
    let g = got.clone();
    let app = axum::Router::new().fallback(
        move |uri: Uri, headers: HeaderMap, body: axum::body::Bytes| {
            let g = g.clone();
            async move {
                let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                g.lock().unwrap().push((
                    uri.path().to_string(),
                    uri.query().unwrap_or("").to_string(),
                    headers,
                    v,
                ));
                axum::Json(json!({"errcode": 0, "errmsg": "ok"}))
            }
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, got)
}

/// Notification settings with a secret key, robots at `base` (when given).
pub(crate) fn config(base: Option<&str>) -> Config {
    let mut c = Config {
        secrets: Some(Arc::new(SecretBox::new(&[42; 32]))),
        public_url: "https://zhiban.example.cn".into(),
        // The loopback servers of the tests; any other internal host stays refused.
        allow_hosts: Some(vec!["127.0.0.1".into(), "sms.example.cn".into()]),
        ..Config::default()
    };
    if let Some(b) = base {
        c.wecom_base = format!("{b}/wecom");
        c.dingtalk_base = format!("{b}/dingtalk");
    }
    c
}

/// Runs the outbox at `now` until nothing more is due.
pub(crate) async fn drain(t: &TestApp, now: chrono::DateTime<chrono::Utc>) -> usize {
    let d = Dispatcher::new(t.store.clone(), t.state.notify.clone(), "test".into());
    let mut total = 0;
    loop {
        let n = d.run_once(now).await.unwrap();
        total += n;
        if n == 0 {
            return total;
        }
    }
}

pub(crate) async fn put(t: &TestApp, uri: &str, tok: &str, body: Value) -> Reply {
    t.call(Method::PUT, uri, tok, Some(body)).await
}

/// The coordinator's log (every message, newest first).
pub(crate) async fn log(t: &TestApp, coord: &str) -> Vec<Value> {
    let r = t.get("/api/v1/notifications?limit=200", coord).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body.as_array().unwrap().clone()
}

/// One week of `fixtures/small` from Monday 12 October 2026 (after the National Day
/// holidays), published on 8 October; the version and its primary duties.
pub(crate) async fn week(t: &TestApp, coord: &str) -> (i64, Vec<Value>) {
    t.set_time(Some(local("2026-10-08", "08:00")));
    let v = t.solve_and_publish(coord, "CH", "2026-10-12", 1).await;
    (v, t.primaries(coord, v).await)
}

/// Publishes `v` changed by `ops`; the new version.
pub(crate) async fn change(t: &TestApp, coord: &str, v: i64, ops: Value) -> i64 {
    let r = t
        .post(&format!("/api/v1/versions/{v}/drafts"), coord, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let draft = r.body["id"].as_i64().unwrap();
    let r = t
        .post(
            &format!("/api/v1/versions/{draft}/edits"),
            coord,
            json!({ "operations": ops }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = t
        .post(
            &format!("/api/v1/versions/{draft}/publish"),
            coord,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    draft
}

pub(crate) fn unassign(d: &Value) -> Value {
    json!({"op": "unassign", "station_id": d["station_id"], "date": d["date"],
        "half_day": d["half_day"], "lawyer_id": d["lawyer_id"], "role": "primary"})
}

async fn robots_and_sms_get_signed_messages_and_secrets_are_never_shown(backend: Backend) {
    let mut t = TestApp::on(backend, "small").await;
    let (base, got) = receiver().await;
    t.set_notify(config(Some(&base)));
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let (wecom_key, dt_token, dt_secret, credential) = (
        "WECOM-KEY-0123456789",
        "DT-TOKEN-abcdef",
        "SEC-dingtalk-secret-42",
        "SMS-CRED-zyx",
    );
    for (kind, body) in [
        ("wecom", json!({"secrets": {"key": wecom_key}})),
        (
            "dingtalk",
            json!({"secrets": {"access_token": dt_token, "sign_secret": dt_secret}}),
        ),
        (
            "sms",
            json!({"settings": {"url": format!("{base}/sms"),
            "template": r#"{"mobile": "{phone}", "content": "{text}", "sign": "{credential}"}"#},
            "secrets": {"credential": credential}}),
        ),
    ] {
        let r = put(
            &t,
            &format!("/api/v1/centres/CH/channels/{kind}"),
            &coord,
            body,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{kind}: {}", r.body);
    }
    // Refused settings name the field.
    for (kind, body, field) in [
        (
            "wecom",
            json!({"settings": {"url": "http://x"}}),
            "settings.url",
        ),
        (
            "webhook",
            json!({"settings": {"url": "https://sms.example.cn/hook"}, "secrets": {"secret": "short"}}),
            "settings",
        ),
        (
            "webhook",
            json!({"settings": {"url": "https://sms.example.cn/hook"}}),
            "secrets.secret",
        ),
        (
            "email",
            json!({"settings": {"url": "smtp://u:pw@x:25", "from": "a@b.cn"}}),
            "settings.url",
        ),
        (
            "email",
            json!({"settings": {"url": "smtp://x:25"}}),
            "settings.from",
        ),
        (
            "sms",
            json!({"settings": {"url": "https://sms.example.cn/hook", "template": "{\"to\": \"{phone}\"}"}}),
            "settings",
        ),
        ("fax", json!({}), ""),
    ] {
        let r = put(
            &t,
            &format!("/api/v1/centres/CH/channels/{kind}"),
            &coord,
            body,
        )
        .await;
        if kind == "fax" {
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
            continue;
        }
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{kind}: {}",
            r.body
        );
        assert!(r.body.to_string().contains(field), "{field}: {}", r.body);
    }
    // A credential may not hide in a URL, a host the server does not allow is refused,
    // and no SMTP password goes without TLS.
    for (kind, body, field) in [
        (
            "webhook",
            json!({"settings": {"url": format!("{base}/hook?key=abc")}, "secrets": {"secret": "a webhook secret 123"}}),
            "settings.url",
        ),
        (
            "sms",
            json!({"settings": {"url": "http://10.0.0.7/send", "template": "{\"to\": \"{phone}\", \"t\": \"{text}\"}"}}),
            "settings.url",
        ),
        (
            "email",
            json!({"settings": {"url": "smtp://duty@127.0.0.1:25", "from": "a@b.cn"}, "secrets": {"password": "pw"}}),
            "settings",
        ),
    ] {
        let r = put(
            &t,
            &format!("/api/v1/centres/CH/channels/{kind}"),
            &coord,
            body,
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{kind}: {}",
            r.body
        );
        assert!(r.body.to_string().contains(field), "{field}: {}", r.body);
    }
    // A coordinator tests only the centre's own channels.
    let r = t
        .post(
            "/api/v1/centres/CH/channels/webhook/test",
            &coord,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // Secrets are never returned, and stored sealed.
    let listed = t.get("/api/v1/centres/CH/channels", &coord).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let text = listed.body.to_string();
    for secret in [wecom_key, dt_token, dt_secret, credential] {
        assert!(!text.contains(secret), "{secret} shown: {text}");
    }
    let dingtalk = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "dingtalk")
        .unwrap();
    assert_eq!(
        dingtalk["secrets_set"],
        json!(["access_token", "sign_secret"])
    );
    let stored = t
        .store
        .centre_channels(&zhiban_domain::CentreId::parse("CH").unwrap())
        .await
        .unwrap();
    assert_eq!(stored.len(), 3);
    for c in &stored {
        for secret in [wecom_key, dt_token, dt_secret, credential] {
            assert!(!c.secret.contains(secret) && !c.settings.to_string().contains(secret));
        }
    }
    let audit = t
        .get("/api/v1/audit?limit=50", &coord)
        .await
        .body
        .to_string();
    assert!(audit.contains("channel.put"));
    for secret in [wecom_key, dt_token, dt_secret, credential] {
        assert!(!audit.contains(secret), "{secret} in the audit log");
    }
    // A test message over each.
    for (kind, to) in [("wecom", ""), ("dingtalk", ""), ("sms", "13800138000")] {
        let r = t
            .post(
                &format!("/api/v1/centres/CH/channels/{kind}/test"),
                &coord,
                json!({"to": to}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{kind}: {}", r.body);
        assert_eq!(r.body["ok"], true, "{kind}: {}", r.body);
    }
    let r = t
        .post(
            "/api/v1/centres/CH/channels/sms/test",
            &coord,
            json!({"to": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    {
        let got = got.lock().unwrap();
        assert_eq!(got.len(), 3, "{got:?}");
        let (path, query, _, body) = &got[0];
        assert_eq!(path, "/wecom");
        assert_eq!(query, &format!("key={wecom_key}"));
        assert_eq!(body["msgtype"], "text");
        assert!(s(&body["text"]["content"]).contains("测试消息"), "{body}");
        // 钉钉: access_token, timestamp (ms) and sign, checked with openssl.
        let (path, query, _, body) = &got[1];
        assert_eq!(path, "/dingtalk");
        let q: std::collections::BTreeMap<String, String> = url_pairs(query);
        assert_eq!(q["access_token"], dt_token);
        let ts = &q["timestamp"];
        assert!(
            (ts.parse::<i64>().unwrap() - chrono::Utc::now().timestamp_millis()).abs() < 60_000
        );
        assert_eq!(q["sign"], openssl_dingtalk_sign(dt_secret, ts));
        assert!(s(&body["text"]["content"]).contains("测试消息"));
        let (path, _, headers, body) = &got[2];
        assert_eq!(path, "/sms");
        assert_eq!(body["mobile"], "13800138000");
        assert_eq!(body["sign"], credential);
        assert!(s(&body["content"]).starts_with("【值班】"), "{body}");
        assert_eq!(
            headers["authorization"],
            format!("Bearer {credential}").as_str()
        );
    }
    got.lock().unwrap().clear();
    // Pointed elsewhere, a channel keeps no secret: the credential never follows the URL.
    let r = put(
        &t,
        "/api/v1/centres/CH/channels/sms",
        &coord,
        json!({"settings": {"url": "https://sms.example.cn/send",
            "template": r#"{"mobile": "{phone}", "content": "{text}", "sign": "{credential}"}"#}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["secrets_set"], json!([]), "{}", r.body);
    // ... and back at the receiver, it is given again.
    let r = put(
        &t,
        "/api/v1/centres/CH/channels/sms",
        &coord,
        json!({"settings": {"url": format!("{base}/sms"),
            "template": r#"{"mobile": "{phone}", "content": "{text}", "sign": "{credential}"}"#},
            "secrets": {"credential": credential}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Coordinators' alerts go to their groups: a duty not checked in 30 minutes after its
    // start (the default).
    let (_, duties) = week(&t, &coord).await;
    let d = &duties[0];
    let (_, start, _) = small_hours(d);
    let now = local(&s(&d["date"]), &add_minutes(start, 31));
    t.set_time(Some(now));
    zhiban_api::notify::alerts::scan(&t.state, now)
        .await
        .unwrap();
    zhiban_api::notify::alerts::scan(&t.state, now)
        .await
        .unwrap();
    let late: Vec<Value> = log(&t, &coord)
        .await
        .into_iter()
        .filter(|n| n["event"] == "late_alert")
        .collect();
    assert!(!late.is_empty(), "a late alert");
    let keys: std::collections::BTreeSet<String> =
        late.iter().map(|n| s(&n["idempotency_key"])).collect();
    assert_eq!(
        keys.len(),
        late.len(),
        "each once, however often it is looked for"
    );
    assert!(
        late.iter()
            .all(|n| n["audience"] == "coordinator" && n["lawyer_id"].is_null())
    );
    drain(&t, now).await;
    let got = got.lock().unwrap().clone();
    let robots: Vec<_> = got
        .iter()
        .filter(|g| {
            (g.0 == "/wecom" || g.0 == "/dingtalk")
                && s(&g.3["text"]["content"]).contains("尚未签到")
        })
        .collect();
    assert_eq!(
        robots.len(),
        2 * late.len(),
        "each alert to both groups: {got:?}"
    );
    assert!(
        got.iter()
            .all(|g| g.0 != "/wecom" || !s(&g.3["text"]["content"]).contains("值班安排已发布")),
        "lawyers' messages do not go to the coordinators' group"
    );
    // At most five test messages a minute per centre, however many processes serve it: a
    // new process (the state built again on the same database) counts those sent before.
    let mut answers = Vec::new();
    for i in 0..7 {
        if i == 2 {
            t.set_notify(config(Some(&base)));
        }
        let r = t
            .post("/api/v1/centres/CH/channels/wecom/test", &coord, json!({}))
            .await;
        answers.push(r.status);
    }
    // Three were sent above, moments ago: two more go, then none.
    let mut expected = vec![StatusCode::OK; 2];
    expected.resize(7, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(answers, expected);
    let tests = t
        .get("/api/v1/audit?limit=500", &coord)
        .await
        .body
        .to_string()
        .matches("channel.test")
        .count();
    assert_eq!(
        tests, 5,
        "each test sent is in the audit log, the refused ones are not"
    );
}

/// A lawyer's phone as the panel holds it.
pub(crate) async fn phone_of(t: &TestApp, coord: &str, lawyer: &str) -> String {
    s(&t.get(&format!("/api/v1/lawyers/{lawyer}"), coord)
        .await
        .body["phone"])
}

fn url_pairs(query: &str) -> std::collections::BTreeMap<String, String> {
    reqwest::Url::parse(&format!("http://x/?{query}"))
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// 钉钉's `sign` computed with openssl: base64 HMAC-SHA256 of `TIMESTAMP\nSECRET`.
fn openssl_dingtalk_sign(secret: &str, ts: &str) -> String {
    let out = std::process::Command::new("sh")
        .args([
            "-c",
            "printf '%s\\n%s' \"$TS\" \"$SECRET\" | openssl dgst -sha256 -hmac \"$SECRET\" -binary | base64",
        ])
        .env("TS", ts)
        .env("SECRET", secret)
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}
