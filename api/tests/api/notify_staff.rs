//! Messages to a centre's staff reach each coordinator and finance officer by their own
//! choice, on both databases: their own address and phone (checked, never a lawyer's
//! route), channels per kind and quiet hours; e-mail to a real SMTP server and SMS to an
//! HTTP gateway on loopback, each once, across batches cut short by the lease.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use zhiban_store::{NewNotification, TokenRole};

use crate::helpers::*;
use crate::notify_channels::{config, drain, log, put, receiver, week};
use crate::notify_smtp::smtp;
use crate::people::{Browser, page, person};

on_both!(staff_choose_their_own_channels_and_each_gets_the_centres_alerts_once);

/// A signed-in staff member of `centre` with `role`.
async fn staff(t: &TestApp, admin: &str, login: &str, role: &str, centre: &str) -> Browser {
    person(
        t,
        admin,
        json!({"login": login, "display_name": login, "role": role, "centres": [centre]}),
        "a long enough password",
    )
    .await
}

async fn set(t: &TestApp, b: &Browser, uri: &str, body: Value) -> Value {
    let r = page(t, b, Method::PUT, uri, Some(body)).await;
    assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.body);
    r.body
}

async fn staff_choose_their_own_channels_and_each_gets_the_centres_alerts_once(backend: Backend) {
    let mut t = TestApp::on(backend, "small").await;
    let (base, got) = receiver().await;
    let mut cfg = config(Some(&base));
    // A short lease: 3 sends a message a batch, so an alert (a group, 赵 twice, 钱) takes two.
    cfg.lease = chrono::Duration::seconds(35);
    t.set_notify(cfg);
    let admin = t.token(TokenRole::Admin, None, None).await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let zhao = staff(&t, &admin, "coord.zhao", "coordinator", "CH").await;
    let qian = staff(&t, &admin, "coord.qian", "coordinator", "CH").await;
    let sun = staff(&t, &admin, "coord.sun", "coordinator", "CH").await;
    let fin = staff(&t, &admin, "fin.li", "finance", "CH").await;
    let gone = staff(&t, &admin, "coord.gone", "coordinator", "CH").await;

    // Each sees the kinds of message they receive, and their own (empty) address.
    let r = page(
        &t,
        &zhao,
        Method::GET,
        "/api/v1/me/notification-prefs",
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["kinds"][0]["kind"], "alert", "{}", r.body);
    assert_eq!(r.body["kinds"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["contact"], json!({"email": "", "phone": ""}));
    assert_eq!(r.body["prefs"]["channels"], json!({"alert": ["email"]}));
    let r = page(&t, &fin, Method::GET, "/api/v1/me/notification-prefs", None).await;
    assert_eq!(r.body["kinds"][0]["kind"], "month_ready", "{}", r.body);
    // Bad input names the field and writes nothing.
    for (body, field) in [
        (json!({"email": "not an address", "phone": ""}), "email"),
        (json!({"email": "", "phone": "call me"}), "phone"),
        (json!({"email": "", "phone": "1".repeat(40)}), "phone"),
        (json!({"email": "", "phone": "", "fax": "1"}), "fax"),
    ] {
        let r = page(&t, &zhao, Method::PUT, "/api/v1/me/contact", Some(body)).await;
        assert!(r.status.is_client_error(), "{}", r.body);
        assert!(r.body.to_string().contains(field), "{field}: {}", r.body);
    }
    let r = page(
        &t,
        &zhao,
        Method::PUT,
        "/api/v1/me/notification-prefs",
        Some(json!({"channels": {"swap": ["email"]}})),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.to_string().contains("channels.swap"), "{}", r.body);
    // A lawyer's address is the panel's; directors receive nothing; tokens have no account.
    let lawyer = t.token(TokenRole::Lawyer, None, Some("CH-L01")).await;
    let r = put(
        &t,
        "/api/v1/me/contact",
        &lawyer,
        json!({"email": "me@x.cn", "phone": ""}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = put(
        &t,
        "/api/v1/me/contact",
        &coord,
        json!({"email": "me@x.cn", "phone": ""}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);

    // 赵: e-mail and SMS, quiet from 09:00 to 12:00; 钱: e-mail only (the default), to an
    // address the mail server refuses; 孙: nothing outside the page; the finance officer:
    // e-mail and SMS, quiet from 09:00 to 12:00; 周, whose account is then disabled: e-mail.
    let out = set(
        &t,
        &zhao,
        "/api/v1/me/contact",
        json!({"email": " zhao@centre.test ", "phone": "139 0000 0001"}),
    )
    .await;
    assert_eq!(out["contact"]["email"], "zhao@centre.test");
    assert_eq!(out["has_phone"], true);
    set(
        &t,
        &zhao,
        "/api/v1/me/notification-prefs",
        json!({"channels": {"alert": ["email", "sms"]}, "quiet_start": "09:00", "quiet_end": "12:00"}),
    )
    .await;
    set(
        &t,
        &qian,
        "/api/v1/me/contact",
        json!({"email": "bounce.qian@centre.test", "phone": "13900000002"}),
    )
    .await;
    set(
        &t,
        &sun,
        "/api/v1/me/contact",
        json!({"email": "sun@centre.test", "phone": "13900000003"}),
    )
    .await;
    set(
        &t,
        &sun,
        "/api/v1/me/notification-prefs",
        json!({"channels": {"alert": []}}),
    )
    .await;
    set(
        &t,
        &fin,
        "/api/v1/me/contact",
        json!({"email": "li@finance.test", "phone": "13900000004"}),
    )
    .await;
    set(
        &t,
        &fin,
        "/api/v1/me/notification-prefs",
        json!({"channels": {"month_ready": ["email", "sms"]}, "quiet_start": "09:00", "quiet_end": "12:00"}),
    )
    .await;
    set(
        &t,
        &gone,
        "/api/v1/me/contact",
        json!({"email": "gone@centre.test", "phone": ""}),
    )
    .await;
    let gone_id = page(&t, &gone, Method::GET, "/api/v1/me", None).await.body["user"]["id"]
        .as_i64()
        .unwrap();
    let r = t
        .post(
            &format!("/api/v1/users/{gone_id}/state"),
            &admin,
            json!({"state": "disabled"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The audit says an address was set, never which.
    let audit = t
        .get("/api/v1/audit?limit=500", &admin)
        .await
        .body
        .to_string();
    assert!(audit.contains("contact.update"), "{audit}");
    assert!(!audit.contains("zhao@centre.test") && !audit.contains("139 0000 0001"));
    // Their own data holds them.
    let mine = page(&t, &zhao, Method::GET, "/api/v1/me/data", None).await;
    assert_eq!(
        mine.body["notification_contact"]["email"], "zhao@centre.test",
        "{}",
        mine.body
    );
    assert_eq!(mine.body["notification_prefs"]["quiet_start"], "09:00:00");

    // The centre's channels: e-mail to a real SMTP server, SMS to a gateway, a group robot.
    let server = smtp();
    for (kind, body) in [
        (
            "email",
            json!({"settings": {"url": format!("smtp://127.0.0.1:{}", server.port),
                "from": "从化值班系统 <duty@zhiban.test>"}}),
        ),
        (
            "sms",
            json!({"settings": {"url": format!("{base}/sms"),
                "template": r#"{"mobile": "{phone}", "content": "{text}"}"#}}),
        ),
        ("wecom", json!({"secrets": {"key": "WECOM-KEY-0123456789"}})),
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
    let (_, duties) = week(&t, &coord).await;
    // The lawyers' messages of the publication go first (none has an address).
    drain(&t, local("2026-10-08", "08:01")).await;
    got.lock().unwrap().clear();

    // Morning duties not checked in 31 minutes after their start; and a month ready for
    // finance at the same time, in 赵's and the finance officer's quiet hours.
    let d = duties.iter().find(|d| d["half_day"] == "am").unwrap();
    let (_, start, _) = small_hours(d);
    assert_eq!(start, "09:00");
    let now = local(&s(&d["date"]), &add_minutes(start, 31));
    t.set_time(Some(now));
    zhiban_api::notify::alerts::scan(&t.state, now)
        .await
        .unwrap();
    let late: Vec<Value> = alerts(&t, &coord, "late_alert").await;
    assert!(!late.is_empty(), "a late alert");
    month_ready(&t, now).await;
    drain(&t, now).await;
    // Each alert: the group, and 赵 by e-mail and, as a duty is under way without its
    // lawyer, by SMS in quiet hours too; 钱's address is refused. The finance officer gets
    // the month by e-mail; its SMS waits for 12:00.
    let mails = server.messages(late.len() + 1).await;
    let to = |who: &str| mails.iter().filter(|m| m["rcpt"][0] == who).count();
    assert_eq!(to("zhao@centre.test"), late.len(), "{mails:?}");
    assert_eq!(to("li@finance.test"), 1, "{mails:?}");
    assert_eq!(mails.len(), late.len() + 1, "nobody else: {mails:?}");
    let sms_to = |phone: &str| {
        got.lock()
            .unwrap()
            .iter()
            .filter(|g| g.0 == "/sms" && g.3["mobile"] == phone)
            .cloned()
            .collect::<Vec<_>>()
    };
    let zhao_sms = sms_to("139 0000 0001");
    assert_eq!(zhao_sms.len(), late.len(), "urgent: at once");
    assert!(
        s(&zhao_sms[0].3["content"]).contains("未签到"),
        "{:?}",
        zhao_sms[0]
    );
    assert!(
        sms_to("13900000004").is_empty(),
        "quiet hours hold finance's SMS"
    );
    let zhao_id = page(&t, &zhao, Method::GET, "/api/v1/me", None).await.body["user"]["id"]
        .as_i64()
        .unwrap();
    // Each person's copy has its own idempotency key (the message's, with their tag).
    assert!(
        zhao_sms.iter().all(|g| g.2["idempotency-key"]
            .to_str()
            .unwrap()
            .ends_with(&format!(".u{zhao_id}"))),
        "{zhao_sms:?}"
    );
    assert_eq!(
        got.lock()
            .unwrap()
            .iter()
            .filter(|g| g.0 == "/wecom")
            .count(),
        late.len() + 1
    );
    // 钱's refusal waits for its retry without holding back the others, and says whose
    // copy failed without the address.
    for n in alerts(&t, &coord, "late_alert").await {
        assert_eq!(n["status"], "pending", "{n}");
        assert!(s(&n["last_error"]).starts_with("email:u"), "{n}");
        assert!(!s(&n["last_error"]).contains("bounce.qian"), "{n}");
        assert!(
            s(&n["delivered"]).contains(&format!("sms:u{zhao_id}")),
            "{n}"
        );
    }
    // At 12:00 the finance officer's SMS goes, once; 钱's address is tried at each retry
    // until it is given up: then each alert is a dead letter, nothing else sent twice.
    let mut at = local(&s(&d["date"]), "12:00");
    for _ in 0..8 {
        t.set_time(Some(at));
        drain(&t, at).await;
        at += chrono::Duration::minutes(20);
    }
    assert_eq!(sms_to("13900000004").len(), 1);
    assert!(s(&sms_to("13900000004")[0].3["content"]).contains("补贴"));
    assert_eq!(sms_to("139 0000 0001").len(), late.len(), "not again");
    assert_eq!(server.messages(late.len() + 1).await.len(), late.len() + 1);
    let dead = alerts(&t, &coord, "late_alert").await;
    assert!(dead.iter().all(|n| n["status"] == "dead"), "{dead:?}");
    // A retry after the address is fixed sends only 钱's copy.
    set(
        &t,
        &qian,
        "/api/v1/me/contact",
        json!({"email": "qian@centre.test", "phone": "13900000002"}),
    )
    .await;
    for n in &dead {
        let r = t
            .post(
                &format!("/api/v1/notifications/{}/retry", n["id"]),
                &coord,
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    drain(&t, at).await;
    let mails = server.messages(2 * late.len() + 1).await;
    assert_eq!(mails.len(), 2 * late.len() + 1, "{mails:?}");
    assert_eq!(
        mails
            .iter()
            .filter(|m| m["rcpt"][0] == "qian@centre.test")
            .count(),
        late.len()
    );
    let sent = alerts(&t, &coord, "late_alert").await;
    assert!(sent.iter().all(|n| n["status"] == "sent"), "{sent:?}");
    assert_eq!(sms_to("139 0000 0001").len(), late.len(), "not again");
}

/// The coordinators' log of messages of `event`.
async fn alerts(t: &TestApp, coord: &str, event: &str) -> Vec<Value> {
    log(t, coord)
        .await
        .into_iter()
        .filter(|n| n["event"] == event)
        .collect()
}

/// A month ready for the finance officers of CH, written at `now`.
async fn month_ready(t: &TestApp, now: chrono::DateTime<chrono::Utc>) {
    t.store
        .write_notifications(
            &[NewNotification {
                centre_id: zhiban_domain::CentreId::parse("CH").unwrap(),
                lawyer_id: None,
                audience: "finance",
                event: "month_ready".into(),
                subject: "2026年10月值班补贴待审批".into(),
                body: "从化区2026年10月的签到已全部审核，请审批补贴。".into(),
                link: "/#view=finance".into(),
                idempotency_key: "month-ready-CH-2026-10".into(),
                due: now,
                expires_at: None,
                urgent: false,
            }],
            now,
        )
        .await
        .unwrap();
}

/// A channel that keeps who each message went to.
struct Recorder(std::sync::Mutex<Vec<(String, String)>>);

#[async_trait::async_trait]
impl zhiban_api::notify::Channel for Recorder {
    fn name(&self) -> &'static str {
        "email"
    }

    async fn send(
        &self,
        n: &zhiban_store::Notification,
        to: &zhiban_api::notify::Recipient,
    ) -> Result<(), String> {
        self.0
            .lock()
            .unwrap()
            .push((n.idempotency_key.clone(), to.email.clone()));
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_centres_alerts_reach_its_own_coordinators_only() {
    let t = TestApp::on(Backend::Postgres, "guangzhou").await;
    let admin = t.token(TokenRole::Admin, None, None).await;
    // 天河's coordinator, 从化's, and one of both; a finance officer of 天河.
    let mut people = Vec::new();
    for (login, role, centres) in [
        ("coord.th", "coordinator", json!(["GZ-TH"])),
        ("coord.ch", "coordinator", json!(["GZ-CH"])),
        ("coord.both", "coordinator", json!(["GZ-TH", "GZ-CH"])),
        ("fin.th", "finance", json!(["GZ-TH"])),
    ] {
        let b = person(
            &t,
            &admin,
            json!({"login": login, "display_name": login, "role": role, "centres": centres}),
            "a long enough password",
        )
        .await;
        set(
            &t,
            &b,
            "/api/v1/me/contact",
            json!({"email": format!("{login}@centre.test"), "phone": ""}),
        )
        .await;
        people.push(b);
    }
    let now = chrono::Utc::now();
    let alert = |centre: &str| NewNotification {
        centre_id: zhiban_domain::CentreId::parse(centre).unwrap(),
        lawyer_id: None,
        audience: "coordinator",
        event: "uncovered".into(),
        subject: "仍有空缺".into(),
        body: "三天后仍有岗位无人值班。".into(),
        link: "/#view=rosters".into(),
        idempotency_key: format!("uncovered-{centre}"),
        due: now,
        expires_at: None,
        urgent: false,
    };
    t.store
        .write_notifications(&[alert("GZ-TH")], now)
        .await
        .unwrap();
    let recorder = Arc::new(Recorder(Default::default()));
    let mut config = zhiban_api::notify::Config::default();
    config.server.insert("email", recorder.clone());
    let d = zhiban_api::notify::Dispatcher::new(t.store.clone(), Arc::new(config), "t".into());
    while d.run_once(now).await.unwrap() > 0 {}
    let mut got: Vec<String> = recorder
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.1.clone())
        .collect();
    got.sort();
    assert_eq!(got, vec!["coord.both@centre.test", "coord.th@centre.test"]);
    // Moved to director, an account's address goes, and with it its copies.
    let both = page(&t, &people[2], Method::GET, "/api/v1/me", None)
        .await
        .body["user"]["id"]
        .as_i64()
        .unwrap();
    let r = t
        .call(
            Method::PUT,
            &format!("/api/v1/users/{both}/role"),
            &admin,
            Some(json!({"role": "director", "centres": ["GZ-TH"]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let gone = t.store.staff_notify(both).await.unwrap().unwrap();
    assert_eq!((gone.email.as_str(), gone.phone.as_str()), ("", ""));
    recorder.0.lock().unwrap().clear();
    t.store
        .write_notifications(&[alert("GZ-CH")], now)
        .await
        .unwrap();
    while d.run_once(now).await.unwrap() > 0 {}
    let got: Vec<String> = recorder
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.1.clone())
        .collect();
    assert_eq!(got, vec!["coord.ch@centre.test"]);
}
