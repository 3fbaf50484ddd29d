//! When messages go, on both databases: SMS waits out a lawyer's quiet hours unless the
//! day's own duties changed. Reminders: scheduled in the outbox when a roster is published, they
//! fire at the centre's local times as the server's clock moves (the evening before at
//! 18:00 and an hour before the start), wait out of the lawyer's inbox until then, and
//! follow changes of the roster (a duty taken away takes its reminders, one given back
//! gets them again); one past its duty's start is not sent out.

use axum::http::StatusCode;
use serde_json::{Value, json};
use zhiban_store::TokenRole;

use crate::helpers::*;
use crate::notify_channels::{
    Got, change, config, drain, log, phone_of, put, receiver, unassign, week,
};

on_both!(
    quiet_hours_hold_sms_until_morning_unless_today_changed,
    reminders_fire_at_local_times_and_follow_changes_of_the_roster,
);

async fn reminders_fire_at_local_times_and_follow_changes_of_the_roster(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let (v, duties) = week(&t, &coord).await;
    let d = duties
        .iter()
        .find(|d| d["date"] == "2026-10-13" && d["half_day"] == "am")
        .unwrap();
    let lawyer = s(&d["lawyer_id"]);
    let (_, start, _) = small_hours(d);
    let of = |log: &[Value], event: &str| -> Vec<Value> {
        log.iter()
            .filter(|n| {
                n["event"] == event
                    && n["lawyer_id"] == lawyer.as_str()
                    && s(&n["body"]).contains("10月13日 周二 上午")
            })
            .cloned()
            .collect()
    };
    let all = log(&t, &coord).await;
    let evening = of(&all, "reminder_evening");
    let before = of(&all, "reminder_before");
    assert_eq!((evening.len(), before.len()), (1, 1), "{all:?}");
    // 18:00 the evening before and an hour before the start, in Beijing time.
    assert_eq!(
        evening[0]["next_attempt_at"],
        json!(local("2026-10-12", "18:00"))
    );
    assert_eq!(
        before[0]["next_attempt_at"],
        json!(local("2026-10-13", &add_minutes(start, -60)))
    );
    assert!(s(&evening[0]["subject"]).contains("明天"));
    assert!(s(&evening[0]["body"]).contains(&format!("{start} 开始")));
    // Not in the lawyer's inbox before its time.
    let tok = t.token(TokenRole::Lawyer, None, Some(&lawyer)).await;
    let inbox = t.get("/api/v1/notifications", &tok).await.body.to_string();
    assert!(!inbox.contains("值班提醒"), "{inbox}");
    // The clock moves: a minute early nothing goes; at 18:00 it does.
    drain(&t, local("2026-10-08", "08:01")).await;
    drain(&t, local("2026-10-12", "17:59")).await;
    let status =
        |log: &[Value], id: &Value| log.iter().find(|n| &n["id"] == id).unwrap()["status"].clone();
    assert_eq!(status(&log(&t, &coord).await, &evening[0]["id"]), "pending");
    t.set_time(Some(local("2026-10-12", "18:00")));
    drain(&t, local("2026-10-12", "18:00")).await;
    let now = log(&t, &coord).await;
    assert_eq!(status(&now, &evening[0]["id"]), "sent");
    assert_eq!(status(&now, &before[0]["id"]), "pending");
    let inbox = t.get("/api/v1/notifications", &tok).await.body.to_string();
    assert!(inbox.contains("值班提醒（明天）"), "{inbox}");
    // A change of the roster cancels the reminders of a duty taken away ...
    let w = duties
        .iter()
        .find(|x| x["date"] == "2026-10-14" && x["lawyer_id"] == lawyer.as_str())
        .or_else(|| duties.iter().find(|x| x["date"] == "2026-10-15"))
        .unwrap()
        .clone();
    let w_lawyer = s(&w["lawyer_id"]);
    let w_text = format!("10月{}日", &s(&w["date"])[8..].trim_start_matches('0'));
    let w_key = format!(
        "-{}-{}-{}-primary-{}",
        s(&w["station_id"]),
        s(&w["date"]),
        s(&w["half_day"]),
        w_lawyer
    );
    let pending_for = |log: &[Value]| -> usize {
        log.iter()
            .filter(|n| {
                n["status"] == "pending"
                    && s(&n["body"]).contains(&w_text)
                    && s(&n["idempotency_key"]).ends_with(&w_key)
            })
            .count()
    };
    assert_eq!(pending_for(&log(&t, &coord).await), 2);
    let v2 = change(&t, &coord, v, json!([unassign(&w)])).await;
    assert_eq!(
        pending_for(&log(&t, &coord).await),
        0,
        "cancelled with the duty"
    );
    // ... and schedules them again when it comes back.
    let mut back = unassign(&w);
    back["op"] = json!("assign");
    change(&t, &coord, v2, json!([back])).await;
    assert_eq!(pending_for(&log(&t, &coord).await), 2, "scheduled again");
    // The hour-before reminder at its time.
    drain(&t, local("2026-10-13", &add_minutes(start, -61))).await;
    assert_eq!(status(&log(&t, &coord).await, &before[0]["id"]), "pending");
    drain(&t, local("2026-10-13", &add_minutes(start, -60))).await;
    let after = log(&t, &coord).await;
    let b = after.iter().find(|n| n["id"] == before[0]["id"]).unwrap();
    assert_eq!(b["status"], "sent");
    assert_eq!(b["channel"], "inbox");
    // New reminder times move the reminders not yet sent; those sent stay as they were.
    t.set_time(Some(local("2026-10-13", "10:00")));
    let mut policy = t.get("/api/v1/centres/CH/policy", &coord).await.body;
    policy["reminder_evening"] = json!("20:00");
    let r = put(&t, "/api/v1/centres/CH/policy", &coord, policy).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let all = log(&t, &coord).await;
    let waiting: Vec<&Value> = all
        .iter()
        .filter(|n| n["event"] == "reminder_evening" && n["status"] == "pending")
        .collect();
    assert!(!waiting.is_empty());
    for n in &waiting {
        assert!(
            s(&n["next_attempt_at"]).ends_with("T12:00:00Z"),
            "20:00 in Beijing: {n}"
        );
    }
    assert_eq!(status(&all, &evening[0]["id"]), "sent");
    // A station whose morning starts later takes its duties' reminders along.
    let thu = duties
        .iter()
        .find(|x| x["date"] == "2026-10-15" && x["half_day"] == "am")
        .unwrap();
    let station = s(&thu["station_id"]);
    let (_, thu_start, thu_end) = small_hours(thu);
    let key_end = format!(
        "reminder_before-{station}-2026-10-15-am-primary-{}",
        s(&thu["lawyer_id"])
    );
    let before_of = |log: &[Value]| {
        log.iter()
            .find(|n| s(&n["idempotency_key"]).ends_with(&key_end) && n["status"] == "pending")
            .map(|n| n["next_attempt_at"].clone())
    };
    assert_eq!(
        before_of(&log(&t, &coord).await),
        Some(json!(local("2026-10-15", &add_minutes(thu_start, -60))))
    );
    let later = add_minutes(thu_start, 30);
    let r = t
        .call(
            axum::http::Method::PATCH,
            &format!("/api/v1/stations/{station}"),
            &coord,
            Some(json!({"am": {"start": format!("{later}:00"), "end": format!("{thu_end}:00")}})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        before_of(&log(&t, &coord).await),
        Some(json!(local("2026-10-15", &add_minutes(&later, -60)))),
        "moved with the station's start"
    );
}

async fn quiet_hours_hold_sms_until_morning_unless_today_changed(backend: Backend) {
    let mut t = TestApp::on(backend, "small").await;
    let (base, got) = receiver().await;
    t.set_notify(config(Some(&base)));
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let r = put(&t, "/api/v1/centres/CH/channels/sms", &coord,
        json!({"settings": {"url": format!("{base}/sms"), "template": r#"{"to": "{phone}", "text": "{text}"}"#}})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (v, duties) = week(&t, &coord).await;
    drain(&t, local("2026-10-08", "08:01")).await;
    got.lock().unwrap().clear();
    // Two lawyers with duties on Tuesday 6 October and later.
    let tuesday: Vec<&Value> = duties
        .iter()
        .filter(|d| d["date"] == "2026-10-13")
        .collect();
    let (a, b) = (
        tuesday[0],
        tuesday
            .iter()
            .find(|d| d["lawyer_id"] != tuesday[0]["lawyer_id"])
            .unwrap(),
    );
    for d in [a, b] {
        let tok = t
            .token(TokenRole::Lawyer, None, Some(&s(&d["lawyer_id"])))
            .await;
        let mine = t.get("/api/v1/me/notification-prefs", &tok).await;
        assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
        assert_eq!(mine.body["has_phone"], true);
        assert_eq!(
            mine.body["prefs"]["channels"]["roster"],
            json!(["email", "sms"]),
            "the default"
        );
        let r = put(
            &t,
            "/api/v1/me/notification-prefs",
            &tok,
            json!({"channels": {"roster": ["sms"], "swap": ["sms", "sms"]},
            "quiet_start": "22:00", "quiet_end": "07:00"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let r = put(
            &t,
            "/api/v1/me/notification-prefs",
            &tok,
            json!({"channels": {"roster": ["sms"]},
            "quiet_start": "22:00", "quiet_end": "07:00"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(
            r.body["prefs"]["channels"]["swap"],
            json!(["email"]),
            "others keep the default"
        );
    }
    let r = t.get("/api/v1/me/notification-prefs", &coord).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // At 23:00 on Monday, A's Tuesday duty is taken away: not today's, so the SMS waits.
    let night = local("2026-10-12", "23:00");
    t.set_time(Some(night));
    let v = change(&t, &coord, v, json!([unassign(a)])).await;
    drain(&t, night).await;
    let changes = |got: &Got| {
        got.lock()
            .unwrap()
            .iter()
            .filter(|g| s(&g.3["text"]).contains("值班安排变动"))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert!(changes(&got).is_empty(), "no SMS at night");
    let held = log(&t, &coord)
        .await
        .into_iter()
        .find(|n| n["event"] == "roster_changed")
        .unwrap();
    assert_eq!(held["status"], "pending");
    assert_eq!(held["next_attempt_at"], json!(local("2026-10-13", "07:00")));
    assert_eq!(held["attempts"], 0);
    // At 06:30 on Tuesday B's duty of that day is taken away: today's, so it goes at once.
    let dawn = local("2026-10-13", "06:30");
    t.set_time(Some(dawn));
    change(&t, &coord, v, json!([unassign(b)])).await;
    drain(&t, dawn).await;
    let sent = changes(&got);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(
        s(&sent[0].3["to"]),
        phone_of(&t, &coord, &s(&b["lawyer_id"])).await
    );
    // At 07:00 A's waiting SMS goes, once.
    drain(&t, local("2026-10-13", "07:00")).await;
    drain(&t, local("2026-10-13", "07:05")).await;
    let sent = changes(&got);
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(
        s(&sent[1].3["to"]),
        phone_of(&t, &coord, &s(&a["lawyer_id"])).await
    );
    let done = log(&t, &coord)
        .await
        .into_iter()
        .find(|n| n["id"] == held["id"])
        .unwrap();
    assert_eq!(done["status"], "sent");
    assert_eq!(done["channel"], "sms");
}
