//! Alerts found by looking (`zhiban_api::notify::alerts`), on both databases: posts left
//! uncovered a few days ahead and a check-in outside a station's range reach the centre's
//! coordinators; a month whose check-ins are all reviewed reaches finance, once each however
//! often the server looks; the open duty's offer reaches the lawyers who could take it.

use axum::http::StatusCode;
use serde_json::{Value, json};
use zhiban_api::notify::alerts::scan;
use zhiban_store::TokenRole;

use crate::helpers::*;

on_both!(
    uncovered_posts_waiting_check_ins_and_ready_months_are_told_once,
    an_open_duty_is_offered_to_the_lawyers_who_could_take_it,
);

async fn events(t: &TestApp, coord: &str, event: &str) -> Vec<Value> {
    let r = t.get("/api/v1/notifications?limit=200", coord).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["event"] == event)
        .cloned()
        .collect()
}

/// One week of `fixtures/small` from Monday 12 October 2026, published on 8 October.
async fn week(t: &TestApp, coord: &str) -> (i64, Vec<Value>) {
    t.set_time(Some(local("2026-10-08", "08:00")));
    let v = t.solve_and_publish(coord, "CH", "2026-10-12", 1).await;
    (v, t.primaries(coord, v).await)
}

async fn uncovered_posts_waiting_check_ins_and_ready_months_are_told_once(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let finance = t.token(TokenRole::Finance, Some("CH"), None).await;
    let (v, duties) = week(&t, &coord).await;
    // A Thursday post emptied by an edit.
    let thursday = duties
        .iter()
        .find(|d| d["date"] == "2026-10-15")
        .unwrap()
        .clone();
    let r = t
        .post(&format!("/api/v1/versions/{v}/drafts"), &coord, json!({}))
        .await;
    let draft = r.body["id"].as_i64().unwrap();
    let r = t
        .post(
            &format!("/api/v1/versions/{draft}/edits"),
            &coord,
            json!({"operations": [{"op": "unassign", "station_id": thursday["station_id"],
                "date": "2026-10-15", "half_day": thursday["half_day"],
                "lawyer_id": thursday["lawyer_id"], "role": "primary"}]}),
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
    // Three days before (the default), in the morning: told once.
    let monday = local("2026-10-12", "08:00");
    scan(&t.state, monday).await.unwrap();
    scan(&t.state, monday + chrono::Duration::minutes(1))
        .await
        .unwrap();
    let uncovered = events(&t, &coord, "uncovered").await;
    assert_eq!(uncovered.len(), 1, "{uncovered:?}");
    assert!(
        s(&uncovered[0]["subject"]).contains("10月15日"),
        "{}",
        uncovered[0]
    );
    assert!(
        s(&uncovered[0]["body"]).contains("缺 1 人"),
        "{}",
        uncovered[0]
    );
    assert_eq!(uncovered[0]["audience"], "coordinator");
    // A check-in a kilometre off waits for review: the coordinators hear of it.
    let d = duties.iter().find(|d| d["date"] == "2026-10-13").unwrap();
    let ((lat, lon), start, _) = small_hours(d);
    let lawyer = t
        .token(TokenRole::Lawyer, None, Some(&s(&d["lawyer_id"])))
        .await;
    t.set_time(Some(local("2026-10-13", &add_minutes(start, -5))));
    let r = t
        .post(
            "/api/v1/checkins",
            &lawyer,
            with_duty(
                d,
                json!({"lat": lat + 1.0 / 111.0, "lon": lon, "method": "app"}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let record = r.body["id"].as_i64().unwrap();
    let now = local("2026-10-13", &add_minutes(start, -4));
    scan(&t.state, now).await.unwrap();
    scan(&t.state, now).await.unwrap();
    let waiting = events(&t, &coord, "out_of_fence").await;
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert!(
        s(&waiting[0]["body"]).contains("范围外签到"),
        "{}",
        waiting[0]
    );
    assert_eq!(waiting[0]["link"], "/#view=attendance");
    // On 2 November October has ended, but a check-in still waits: finance is not told.
    let november = local("2026-11-02", "09:00");
    t.set_time(Some(november));
    scan(&t.state, november).await.unwrap();
    assert!(events(&t, &coord, "month_ready").await.is_empty());
    let r = t
        .post(
            &format!("/api/v1/checkins/{record}/approve"),
            &coord,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    scan(&t.state, november + chrono::Duration::minutes(1))
        .await
        .unwrap();
    scan(&t.state, november + chrono::Duration::minutes(2))
        .await
        .unwrap();
    let ready = events(&t, &coord, "month_ready").await;
    assert_eq!(ready.len(), 1, "{ready:?}");
    assert!(s(&ready[0]["subject"]).contains("2026-10 值班补贴待审核"));
    // Finance reads it in their inbox (without delivery details); lawyers do not.
    t.set_time(Some(november + chrono::Duration::minutes(2)));
    let inbox = t.get("/api/v1/notifications", &finance).await.body;
    assert_eq!(inbox.as_array().unwrap().len(), 1, "{inbox}");
    assert_eq!(inbox[0]["subject"], ready[0]["subject"]);
    assert!(inbox[0].get("idempotency_key").is_none());
    let mine = t.get("/api/v1/notifications?limit=200", &lawyer).await.body;
    assert!(!mine.to_string().contains("待审核"), "{mine}");
}

async fn an_open_duty_is_offered_to_the_lawyers_who_could_take_it(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let (v, duties) = week(&t, &coord).await;
    let d = duties.iter().find(|d| d["date"] == "2026-10-14").unwrap();
    let r = t
        .post(
            "/api/v1/open-duties",
            &coord,
            json!({"station_id": d["station_id"], "date": "2026-10-14", "half_day": d["half_day"],
                "posts": 1, "extra": true, "note": "案件较多"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let offers = events(&t, &coord, "open_duty_offered").await;
    assert!(!offers.is_empty(), "offered to someone");
    let on_duty: Vec<String> = t
        .assignments(&coord, v)
        .await
        .iter()
        .filter(|a| a["date"] == "2026-10-14" && a["half_day"] == d["half_day"])
        .map(|a| s(&a["lawyer_id"]))
        .collect();
    for o in &offers {
        assert!(
            !on_duty.contains(&s(&o["lawyer_id"])),
            "not to a lawyer on duty then: {o}"
        );
        assert!(s(&o["body"]).contains("说明：案件较多"), "{o}");
        assert_eq!(o["link"], "/#view=open");
    }
    // Each offered lawyer is one who may claim it: their list shows it.
    let first = s(&offers[0]["lawyer_id"]);
    let tok = t.token(TokenRole::Lawyer, None, Some(&first)).await;
    let open = t.get("/api/v1/open-duties", &tok).await;
    assert_eq!(open.status, StatusCode::OK, "{}", open.body);
    assert_eq!(open.body.as_array().unwrap().len(), 1, "{}", open.body);
    let inbox = t.get("/api/v1/notifications", &tok).await.body.to_string();
    assert!(inbox.contains("空缺值班待认领"), "{inbox}");
}
