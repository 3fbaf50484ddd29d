//! Notifications on both databases: publishing a roster writes, in its transaction, one
//! message to each lawyer with their duties, and a change only to those whose duties it
//! changes; a lawyer's inbox holds only theirs; the dispatcher signs each webhook with
//! HMAC-SHA256, retries a failing receiver with backoff until the message is a dead letter,
//! and a coordinator's retry sends it; two dispatchers on one database never send one
//! message twice, and a dispatcher that dies holding a lease leaves the messages to another
//! once the lease has run out.

use axum::http::{HeaderMap, Method, StatusCode};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use zhiban_api::notify::{Dispatcher, LEASE, webhook::Webhook};
use zhiban_store::TokenRole;

use crate::helpers::*;

on_both!(
    publishing_tells_each_lawyer_their_duties_and_a_change_only_those_it_concerns,
    the_dispatcher_signs_retries_and_a_dead_letter_is_sent_again,
    two_dispatchers_never_send_a_message_twice_and_a_dead_one_leaves_its_lease,
    leave_decisions_and_swap_steps_reach_the_lawyers_concerned,
);

const SECRET: &str = "a webhook secret of the test";

/// The requests a receiver got: headers and body.
type Got = Arc<Mutex<Vec<(HeaderMap, Vec<u8>)>>>;

/// A webhook receiver on loopback: what it got (headers, body), answering `status`.
struct Receiver {
    url: String,
    got: Got,
    status: Arc<AtomicU16>,
}

async fn receiver() -> Receiver {
    let got: Got = Arc::default();
    let status = Arc::new(AtomicU16::new(200));
    let (g, s) = (got.clone(), status.clone());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let (g, s) = (g.clone(), s.clone());
            async move {
                g.lock().unwrap().push((headers, body.to_vec()));
                StatusCode::from_u16(s.load(Ordering::SeqCst)).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Receiver { url, got, status }
}

/// The signature a receiver expects: `sha256=` HMAC-SHA256(secret, `TIMESTAMP.BODY`), computed
/// here with `openssl` (an implementation independent of the service's).
fn expected_signature(timestamp: &str, body: &[u8]) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("openssl")
        .args(["dgst", "-sha256", "-hmac", SECRET, "-r"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("openssl");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(timestamp.as_bytes()).unwrap();
    stdin.write_all(b".").unwrap();
    stdin.write_all(body).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let hex = String::from_utf8(out.stdout).unwrap();
    format!("sha256={}", hex.split_whitespace().next().unwrap())
}

/// Publishes two weeks of `fixtures/small`; the version and its lawyers.
async fn published(t: &TestApp, coord: &str) -> (i64, Vec<String>) {
    let v = t
        .solve_and_publish(coord, "CH", &next_monday().to_string(), 2)
        .await;
    let mut lawyers: Vec<String> = t
        .assignments(coord, v)
        .await
        .iter()
        .map(|a| s(&a["lawyer_id"]))
        .collect();
    lawyers.sort();
    lawyers.dedup();
    (v, lawyers)
}

async fn publishing_tells_each_lawyer_their_duties_and_a_change_only_those_it_concerns(
    backend: Backend,
) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let (v, lawyers) = published(&t, &coord).await;
    let log = t.get("/api/v1/notifications?limit=200", &coord).await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.body);
    // Besides the reminders scheduled for each duty: one message per lawyer.
    let log: Vec<Value> = log
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["event"] == "roster_published")
        .cloned()
        .collect();
    assert_eq!(
        log.len(),
        lawyers.len(),
        "one message per lawyer on the roster"
    );
    for n in &log {
        assert_eq!(n["event"], "roster_published");
        assert_eq!(n["status"], "pending");
        assert!(s(&n["subject"]).contains("值班安排已发布"), "{n}");
        assert!(s(&n["body"]).contains("工作站"), "station names: {n}");
    }
    // A lawyer's inbox: their own message only.
    let me = &lawyers[0];
    let tok = t.token(TokenRole::Lawyer, None, Some(me)).await;
    let inbox = t.get("/api/v1/notifications", &tok).await.body;
    assert_eq!(inbox.as_array().unwrap().len(), 1, "{inbox}");
    let mine = log.iter().find(|n| n["lawyer_id"] == me.as_str()).unwrap();
    assert_eq!(inbox[0]["id"], mine["id"]);
    assert_eq!(inbox[0]["subject"], mine["subject"]);
    // Only what it says: not how it was delivered (errors may name the gateway).
    for staff_only in [
        "last_error",
        "idempotency_key",
        "attempts",
        "status",
        "lawyer_id",
    ] {
        assert!(inbox[0].get(staff_only).is_none(), "{staff_only}: {inbox}");
    }
    // Bounds and roles.
    for q in ["?limit=0", "?limit=201", "?status=lost", "?centre_id=CH"] {
        let r = t.get(&format!("/api/v1/notifications{q}"), &coord).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}: {}", r.body);
    }
    // Finance staff have an inbox of their own (months ready to approve): nothing yet.
    let finance = t.token(TokenRole::Finance, Some("CH"), None).await;
    let r = t.get("/api/v1/notifications", &finance).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body, json!([]));
    // One duty taken away: only its lawyer hears of it.
    let duty = t.primaries(&coord, v).await[0].clone();
    let draft = t
        .post(&format!("/api/v1/versions/{v}/drafts"), &coord, json!({}))
        .await;
    let draft = draft.body["id"].as_i64().unwrap();
    let r = t
        .post(
            &format!("/api/v1/versions/{draft}/edits"),
            &coord,
            json!({"operations": [{"op": "unassign", "station_id": duty["station_id"],
                "date": duty["date"], "half_day": duty["half_day"], "lawyer_id": duty["lawyer_id"],
                "role": "primary"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = t
        .post(
            &format!("/api/v1/versions/{draft}/publish"),
            &coord,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let changed = t
        .get("/api/v1/notifications?limit=200", &coord)
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["event"] == "roster_changed")
        .cloned()
        .collect::<Vec<Value>>();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(changed[0]["lawyer_id"], duty["lawyer_id"]);
    assert!(
        s(&changed[0]["subject"]).contains("新增 0 个，取消 1 个"),
        "{}",
        changed[0]
    );
}

/// Runs `d` at `now` until nothing more is due; how many messages it leased.
async fn drain(d: &Dispatcher, now: chrono::DateTime<chrono::Utc>) -> usize {
    let mut total = 0;
    loop {
        let n = d.run_once(now).await.unwrap();
        total += n;
        if n == 0 {
            return total;
        }
    }
}

async fn the_dispatcher_signs_retries_and_a_dead_letter_is_sent_again(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let (_, lawyers) = published(&t, &coord).await;
    let hook = receiver().await;
    let channel = Arc::new(Webhook::new(&hook.url, SECRET).unwrap());
    let d = Dispatcher::with_channel(t.store.clone(), Some(channel), "d1".into());
    // The receiver fails: each message is tried at 1, 2, 4, 8 and 16 minutes, then dead.
    hook.status.store(503, Ordering::SeqCst);
    let mut now = chrono::Utc::now();
    assert_eq!(drain(&d, now).await, lawyers.len());
    assert_eq!(drain(&d, now).await, 0, "nothing is due again at once");
    for wait in [1, 2, 4, 8, 16] {
        now += chrono::Duration::minutes(wait) + chrono::Duration::seconds(1);
        assert_eq!(drain(&d, now).await, lawyers.len(), "after {wait} min");
    }
    now += chrono::Duration::hours(2);
    assert_eq!(drain(&d, now).await, 0, "dead letters are not tried again");
    let dead = t
        .get("/api/v1/notifications?status=dead&limit=200", &coord)
        .await
        .body;
    let dead = dead.as_array().unwrap();
    assert_eq!(dead.len(), lawyers.len());
    assert!(
        dead.iter()
            .all(|n| n["attempts"] == 6 && s(&n["last_error"]).contains("503"))
    );
    assert_eq!(hook.got.lock().unwrap().len(), 6 * lawyers.len());
    // Every request is signed over its timestamp and body, with the message's key.
    for (headers, body) in hook.got.lock().unwrap().iter() {
        let ts = headers["x-zhiban-timestamp"].to_str().unwrap();
        assert_eq!(
            headers["x-zhiban-signature"].to_str().unwrap(),
            expected_signature(ts, body)
        );
        let v: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(
            headers["idempotency-key"].to_str().unwrap(),
            s(&v["idempotency_key"])
        );
        assert!(
            s(&v["subject"]).contains("值班安排已发布"),
            "UTF-8 Chinese: {v}"
        );
    }
    // A coordinator sends one again: it goes out once the receiver is back.
    let id = dead[0]["id"].as_i64().unwrap();
    let tok = t.token(TokenRole::Lawyer, None, Some(&lawyers[0])).await;
    let r = t
        .call(
            Method::POST,
            &format!("/api/v1/notifications/{id}/retry"),
            &tok,
            None,
        )
        .await;
    assert!(
        [StatusCode::FORBIDDEN, StatusCode::NOT_FOUND].contains(&r.status),
        "{}",
        r.body
    );
    let r = t
        .post(
            &format!("/api/v1/notifications/{id}/retry"),
            &coord,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "pending");
    hook.status.store(200, Ordering::SeqCst);
    assert_eq!(
        drain(&d, chrono::Utc::now() + chrono::Duration::seconds(1)).await,
        1
    );
    let sent = t
        .get("/api/v1/notifications?status=sent", &coord)
        .await
        .body;
    assert_eq!(sent.as_array().unwrap().len(), 1, "{sent}");
    assert_eq!(sent[0]["channel"], "webhook");
    let r = t
        .post(
            &format!("/api/v1/notifications/{id}/retry"),
            &coord,
            json!({}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "only dead letters: {}",
        r.body
    );
    let audit = t
        .get("/api/v1/audit?limit=20", &coord)
        .await
        .body
        .to_string();
    assert!(audit.contains("notification.retry"));
    // Past the retention (400 days) sent and dead messages are deleted; what waits stays.
    t.set_time(Some(chrono::Utc::now() + chrono::Duration::days(399)));
    assert_eq!(
        zhiban_api::retention::purge_old_notifications(&t.state)
            .await
            .unwrap(),
        0
    );
    t.set_time(Some(chrono::Utc::now() + chrono::Duration::days(401)));
    let gone = zhiban_api::retention::purge_old_notifications(&t.state)
        .await
        .unwrap();
    assert_eq!(gone as usize, lawyers.len());
    let left = t.get("/api/v1/notifications?limit=200", &coord).await.body;
    assert!(
        left.as_array()
            .unwrap()
            .iter()
            .all(|n| n["status"] == "pending"),
        "{left}"
    );
}

async fn two_dispatchers_never_send_a_message_twice_and_a_dead_one_leaves_its_lease(
    backend: Backend,
) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let (_, lawyers) = published(&t, &coord).await;
    let hook = receiver().await;
    // A dispatcher takes some messages and dies before sending them (kill -9).
    let now = chrono::Utc::now();
    let taken = t
        .store
        .lease_notifications("dead-process", now, now + LEASE, 3)
        .await
        .unwrap();
    assert_eq!(taken.len(), 3);
    // Two dispatchers at once send the rest, each message once.
    let make = |name: &str| {
        Dispatcher::with_channel(
            t.store.clone(),
            Some(Arc::new(Webhook::new(&hook.url, SECRET).unwrap())),
            name.into(),
        )
    };
    let (a, b) = (make("a"), make("b"));
    let (na, nb) = tokio::join!(drain(&a, now), drain(&b, now));
    assert_eq!(na + nb, lawyers.len() - 3);
    // Once the lease has run out, the dead process's messages go out too.
    let later = now + LEASE + chrono::Duration::seconds(1);
    assert_eq!(drain(&a, later).await, 3);
    let keys: Vec<String> = hook
        .got
        .lock()
        .unwrap()
        .iter()
        .map(|(h, _)| h["idempotency-key"].to_str().unwrap().to_string())
        .collect();
    let unique: std::collections::BTreeSet<&String> = keys.iter().collect();
    assert_eq!(
        keys.len(),
        lawyers.len(),
        "each message sent once: {keys:?}"
    );
    assert_eq!(unique.len(), lawyers.len());
    // Nothing left but the reminders, due later.
    let pending = t
        .get("/api/v1/notifications?status=pending&limit=200", &coord)
        .await
        .body;
    let pending: Vec<&Value> = pending
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| !s(&n["event"]).starts_with("reminder_"))
        .collect();
    assert!(pending.is_empty(), "{pending:?}");
}

/// The subjects in `lawyer`'s inbox, newest first.
async fn inbox(t: &TestApp, lawyer: &str) -> Vec<String> {
    let tok = t.token(TokenRole::Lawyer, None, Some(lawyer)).await;
    t.get("/api/v1/notifications", &tok)
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|n| s(&n["subject"]))
        .collect()
}

async fn leave_decisions_and_swap_steps_reach_the_lawyers_concerned(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let (v, _) = published(&t, &coord).await;
    let week2 = next_monday() + chrono::Duration::days(7);
    let duties: Vec<Value> = t
        .primaries(&coord, v)
        .await
        .into_iter()
        .filter(|a| s(&a["date"]) >= week2.to_string())
        .collect();
    // A swap offered, then accepted: the taker hears of the offer, the giver of the answer.
    let duty = &duties[0];
    let giver = s(&duty["lawyer_id"]);
    let giver_tok = t.token(TokenRole::Lawyer, None, Some(&giver)).await;
    let candidates = t
        .get(
            &format!(
                "/api/v1/swaps/candidates?station_id={}&date={}&half_day={}",
                s(&duty["station_id"]),
                s(&duty["date"]),
                s(&duty["half_day"])
            ),
            &giver_tok,
        )
        .await
        .body;
    let taker = s(&candidates[0]["lawyer_id"]);
    let r = t
        .post(
            "/api/v1/swaps",
            &giver_tok,
            with_duty(duty, json!({"to_lawyer_id": taker, "note": "开庭冲突"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    let theirs = inbox(&t, &taker).await;
    assert!(theirs[0].starts_with("换班请求："), "{theirs:?}");
    let taker_tok = t.token(TokenRole::Lawyer, None, Some(&taker)).await;
    let r = t
        .post(&format!("/api/v1/swaps/{id}/accept"), &taker_tok, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mine = inbox(&t, &giver).await;
    assert!(
        mine.iter()
            .any(|m| m.starts_with("换班已被接受") || m == "换班已批准"),
        "{mine:?}"
    );
    // Leave approved and leave rejected, each told to its lawyer with the note.
    let asker = duties
        .iter()
        .map(|a| s(&a["lawyer_id"]))
        .find(|l| *l != giver && *l != taker)
        .unwrap();
    let asker_tok = t.token(TokenRole::Lawyer, None, Some(&asker)).await;
    let mut ids = vec![];
    for offset in [8, 10] {
        let day = week2 + chrono::Duration::days(offset);
        let r = t
            .post(
                "/api/v1/leave-requests",
                &asker_tok,
                json!({"from": day, "to": day, "half_day": "pm", "reason": "开庭"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        ids.push(r.body["id"].as_i64().unwrap());
    }
    for (id, what) in [(ids[0], "approve"), (ids[1], "reject")] {
        let r = t
            .post(
                &format!("/api/v1/leave-requests/{id}/{what}"),
                &coord,
                json!({"note": "已知悉"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let theirs = inbox(&t, &asker).await;
    assert!(
        theirs.iter().any(|m| m.starts_with("请假申请已批准")),
        "{theirs:?}"
    );
    assert!(
        theirs.iter().any(|m| m.starts_with("请假申请未获批准")),
        "{theirs:?}"
    );
}
