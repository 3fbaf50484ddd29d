//! After a duty: a coordinator rejects (or approves) a check-in made outside the station's
//! range; the lawyer reads and fills in their own ledger; the coordinator rates a duty
//! without touching what the lawyer wrote.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use zhiban_store::TokenRole;

use crate::helpers::*;

on_both!(
    an_out_of_range_check_in_is_rejected_with_a_reason_and_never_pays,
    a_lawyer_reads_their_own_ledger_and_a_rating_changes_nothing_else,
);

/// A published month of `fixtures/small` from 5 October 2026, with its primary duties.
async fn published(t: &TestApp, coord: &str) -> Vec<Value> {
    t.set_time(Some(local("2026-10-01", "08:00")));
    let v = t.solve_and_publish(coord, "CH", "2026-10-05", 4).await;
    t.primaries(coord, v).await
}

/// The lawyer of `d` checks in `km_off` kilometres north of the station, ten minutes early,
/// and out at the end; returns the record's id.
async fn check_in(t: &TestApp, d: &Value, lawyer: &str, km_off: f64) -> i64 {
    let ((lat, lon), start, end) = small_hours(d);
    let date = s(&d["date"]);
    t.set_time(Some(local(&date, &add_minutes(start, -10))));
    let r = t
        .post(
            "/api/v1/checkins",
            lawyer,
            with_duty(
                d,
                json!({"lat": lat + km_off / 111.0, "lon": lon, "method": "app"}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    t.set_time(Some(local(&date, &add_minutes(end, 5))));
    let r = t
        .post(
            &format!("/api/v1/checkins/{id}/checkout"),
            lawyer,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    id
}

async fn an_out_of_range_check_in_is_rejected_with_a_reason_and_never_pays(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let finance = t.token(TokenRole::Finance, Some("CH"), None).await;
    let duties = published(&t, &coord).await;
    let (d, other) = (&duties[0], &duties[1]);
    let lawyer = t
        .token(TokenRole::Lawyer, None, Some(&s(&d["lawyer_id"])))
        .await;
    let rec = check_in(&t, d, &lawyer, 5.0).await;
    let inside = {
        let l = t
            .token(TokenRole::Lawyer, None, Some(&s(&other["lawyer_id"])))
            .await;
        check_in(&t, other, &l, 0.05).await
    };
    let reject = |id: i64, reason: &str| format!("/api/v1/checkins/{id}/reject{reason}");
    // A reason is required; finance and the lawyer may not reject; nor may another centre.
    let r = t
        .post(&reject(rec, ""), &coord, json!({"reason": "  "}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "reason", "{}", r.body);
    for tok in [&finance, &lawyer] {
        let r = t
            .post(&reject(rec, ""), tok, json!({"reason": "未到站"}))
            .await;
        assert!(
            r.status == StatusCode::FORBIDDEN || r.status == StatusCode::NOT_FOUND,
            "{}",
            r.body
        );
    }
    // A check-in inside the range waits for nothing: there is nothing to reject.
    let r = t
        .post(&reject(inside, ""), &coord, json!({"reason": "未到站"}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    // The coordinator rejects it, once.
    let r = t
        .post(
            &reject(rec, ""),
            &coord,
            json!({"reason": "定位在律所，未到站"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["voided"], true, "{}", r.body);
    assert_eq!(r.body["reason"], "驳回：定位在律所，未到站", "{}", r.body);
    let r = t
        .post(&reject(rec, ""), &coord, json!({"reason": "再来一次"}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    // The attendance list says so, the statement pays the other duty only, and the audit
    // log names the coordinator's decision.
    let date = s(&d["date"]);
    let att = t
        .get(
            &format!("/api/v1/attendance?centre_id=CH&from={date}&to={date}"),
            &coord,
        )
        .await;
    let row = att
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|x| same_duty(&x["duty"], d))
        .unwrap()
        .clone();
    assert_eq!(row["state"], "voided", "{row}");
    let month = &date[..7];
    let st = t
        .get(&format!("/api/v1/statements/CH/{month}"), &finance)
        .await;
    assert_eq!(st.status, StatusCode::OK, "{}", st.body);
    assert_eq!(st.body["pending"], 0, "nothing waits: {}", st.body);
    let paid = |x: &Value| {
        st.body["lines"].as_array().unwrap().iter().any(|l| {
            l["lawyer_id"] == x["lawyer_id"]
                && l["date"] == x["date"]
                && l["station_id"] == x["station_id"]
        })
    };
    assert!(!paid(d), "the rejected duty is not paid: {}", st.body);
    assert!(paid(other), "the other duty is paid: {}", st.body);
    let audit = t.get("/api/v1/audit?limit=20", &coord).await;
    assert!(
        audit.body.to_string().contains("attendance.reject"),
        "{}",
        audit.body
    );
    // A rejection by mistake is undone by approving, while the month is open; then the
    // duty pays, and there is nothing left to reject.
    let r = t
        .post(
            &format!("/api/v1/checkins/{rec}/approve"),
            &coord,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        (&r.body["voided"], &r.body["approved"], &r.body["reason"]),
        (&json!(false), &json!(true), &json!("")),
        "{}",
        r.body
    );
    let st = t
        .get(&format!("/api/v1/statements/CH/{month}"), &finance)
        .await;
    assert!(
        st.body["lines"].as_array().unwrap().iter().any(|l| {
            l["lawyer_id"] == d["lawyer_id"]
                && l["date"] == d["date"]
                && l["station_id"] == d["station_id"]
        }),
        "the approved duty pays: {}",
        st.body
    );
    let r = t
        .post(&reject(rec, ""), &coord, json!({"reason": "未到站"}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
}

async fn a_lawyer_reads_their_own_ledger_and_a_rating_changes_nothing_else(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let duties = published(&t, &coord).await;
    let d = &duties[0];
    let me = s(&d["lawyer_id"]);
    let lawyer = t.token(TokenRole::Lawyer, None, Some(&me)).await;
    let someone_else = duties
        .iter()
        .map(|x| s(&x["lawyer_id"]))
        .find(|l| *l != me)
        .unwrap();
    let colleague = t.token(TokenRole::Lawyer, None, Some(&someone_else)).await;
    // Nothing yet; the list is bounded; staff have their own list.
    let mine = t.get("/api/v1/me/ledger", &lawyer).await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
    assert_eq!(mine.body, json!([]));
    for q in ["?limit=0", "?limit=101", "?limit=x", "?centre_id=CH"] {
        let r = t.get(&format!("/api/v1/me/ledger{q}"), &lawyer).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}: {}", r.body);
    }
    let r = t.get("/api/v1/me/ledger", &coord).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // The lawyer writes the duty's ledger after it, one application forwarded in time and
    // one not forwarded 30 hours on.
    let (_, _, end) = small_hours(d);
    let date = s(&d["date"]);
    let received = local(&date, end);
    t.set_time(Some(received + chrono::Duration::hours(30)));
    let body = with_duty(
        d,
        json!({"consultations": 4, "plea_signings": 2, "notes": "会见3名在押人员",
        "applications": [
            {"applicant": "张三", "received_at": received, "forwarded_at": received + chrono::Duration::hours(2)},
            {"applicant": "李四", "received_at": received}]}),
    );
    let r = t
        .call(Method::PUT, "/api/v1/ledger", &lawyer, Some(body))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mine = t.get("/api/v1/me/ledger", &lawyer).await;
    let entries = mine.body.as_array().unwrap();
    assert_eq!(entries.len(), 1, "{}", mine.body);
    assert_eq!(entries[0]["consultations"], 4);
    assert_eq!(entries[0]["overdue_applications"], 1, "{}", mine.body);
    assert_eq!(entries[0]["applications"].as_array().unwrap().len(), 2);
    // A colleague sees none of it.
    let theirs = t.get("/api/v1/me/ledger", &colleague).await;
    assert!(
        theirs
            .body
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["lawyer_id"] == someone_else.as_str()),
        "{}",
        theirs.body
    );
    // The coordinator rates the duty: only the rating changes, and nothing is confirmed.
    let rate = |q: Value| with_duty(d, json!({"lawyer_id": me, "quality": q}));
    for (tok, status) in [
        (&lawyer, StatusCode::FORBIDDEN),
        (&colleague, StatusCode::FORBIDDEN),
    ] {
        let r = t
            .call(
                Method::PUT,
                "/api/v1/ledger/quality",
                tok,
                Some(rate(json!("excellent"))),
            )
            .await;
        assert_eq!(r.status, status, "{}", r.body);
    }
    let r = t
        .call(
            Method::PUT,
            "/api/v1/ledger/quality",
            &coord,
            Some(rate(json!("superb"))),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "quality");
    let r = t
        .call(
            Method::PUT,
            "/api/v1/ledger/quality",
            &coord,
            Some(rate(json!("excellent"))),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["quality"], "excellent");
    assert_eq!(r.body["consultations"], 4, "{}", r.body);
    assert_eq!(r.body["notes"], "会见3名在押人员");
    assert_eq!(r.body["applications"].as_array().unwrap().len(), 2);
    assert_eq!(r.body["confirmed_plea_signings"], Value::Null, "{}", r.body);
    // The lawyer's later correction keeps the rating; the coordinator may clear it.
    let body = with_duty(
        d,
        json!({"consultations": 5, "plea_signings": 2, "notes": "会见3名在押人员",
        "applications": [
            {"applicant": "张三", "received_at": received, "forwarded_at": received + chrono::Duration::hours(2)},
            {"applicant": "李四", "received_at": received, "forwarded_at": received + chrono::Duration::hours(29)}]}),
    );
    let r = t
        .call(Method::PUT, "/api/v1/ledger", &lawyer, Some(body))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["quality"], "excellent", "{}", r.body);
    assert_eq!(
        r.body["overdue_applications"], 1,
        "forwarded late: {}",
        r.body
    );
    let r = t
        .call(
            Method::PUT,
            "/api/v1/ledger/quality",
            &coord,
            Some(rate(Value::Null)),
        )
        .await;
    assert_eq!(r.body["quality"], Value::Null, "{}", r.body);
    assert_eq!(r.body["consultations"], 5, "{}", r.body);
    // A duty whose ledger nobody wrote cannot be rated: nothing appears filled in for it.
    let d2 = duties.iter().find(|x| !same_duty(x, d)).unwrap();
    let r = t
        .call(
            Method::PUT,
            "/api/v1/ledger/quality",
            &coord,
            Some(with_duty(
                d2,
                json!({"lawyer_id": d2["lawyer_id"], "quality": "standard"}),
            )),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let theirs = t
        .token(TokenRole::Lawyer, None, Some(&s(&d2["lawyer_id"])))
        .await;
    let mine = t.get("/api/v1/me/ledger", &theirs).await;
    assert!(
        !mine
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|e| slot_key(e) == slot_key(d2)),
        "{}",
        mine.body
    );
    // A lawyer with no duty there is not found.
    let stranger = duties
        .iter()
        .map(|x| s(&x["lawyer_id"]))
        .find(|l| {
            !duties
                .iter()
                .any(|x| slot_key(x) == slot_key(d) && x["lawyer_id"] == l.as_str())
        })
        .unwrap();
    let r = t
        .call(
            Method::PUT,
            "/api/v1/ledger/quality",
            &coord,
            Some(with_duty(
                d,
                json!({"lawyer_id": stranger, "quality": "standard"}),
            )),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
}
