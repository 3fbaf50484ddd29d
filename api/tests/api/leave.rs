//! Leave requests on both databases: a lawyer asks ahead, the coordinator sees the published
//! duties it would hit and approves it, which adds the leave and queues a repair draft
//! without the lawyer; approving twice, withdrawing an approved request, a request without
//! notice, or one of someone else are refused and change nothing; a rejection carries its
//! note to the lawyer; a withdrawn request can no longer be approved.

use axum::http::{Method, StatusCode};
use serde_json::json;
use zhiban_store::TokenRole;

use crate::helpers::*;

on_both!(
    a_leave_request_is_asked_decided_once_and_repaired,
    leave_asked_and_not_yet_decided_is_avoided_where_a_colleague_can_take_the_duty,
);

/// Asserts the database is as `before`, naming the lines that differ.
async fn unchanged(t: &TestApp, before: &str, what: &str) {
    let now = dump(t).await;
    let old: std::collections::BTreeSet<&str> = before.lines().collect();
    let new: std::collections::BTreeSet<&str> = now.lines().collect();
    let gone: Vec<_> = old.difference(&new).collect();
    let added: Vec<_> = new.difference(&old).collect();
    assert!(
        gone.is_empty() && added.is_empty(),
        "{what}: -{gone:?} +{added:?}"
    );
}

async fn dump(t: &TestApp) -> String {
    let mut d = t.store.dump_tables().await.unwrap();
    d.remove("api_tokens");
    zhiban_store::render_dump(&d)
}

async fn a_leave_request_is_asked_decided_once_and_repaired(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let monday = next_monday();
    let v = t
        .solve_and_publish(&coord, "CH", &monday.to_string(), 2)
        .await;
    // A lawyer with a duty in the second week (at least a week ahead: past any notice).
    let week2 = monday + chrono::Duration::days(7);
    let duty = t
        .primaries(&coord, v)
        .await
        .into_iter()
        .find(|a| s(&a["date"]) >= week2.to_string())
        .unwrap();
    let lawyer = s(&duty["lawyer_id"]);
    let day: chrono::NaiveDate = s(&duty["date"]).parse().unwrap();
    let me = t.token(TokenRole::Lawyer, None, Some(&lawyer)).await;
    let ask = |from: chrono::NaiveDate, to: chrono::NaiveDate, reason: &str| json!({"from": from, "to": to, "reason": reason});

    // Asked: the duty it hits is listed.
    let r = t
        .post("/api/v1/leave-requests", &me, ask(day, day, "开庭"))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["status"], "requested");
    let id = r.body["id"].as_i64().unwrap();
    let hit = r.body["affected"].as_array().unwrap();
    assert!(
        hit.iter().any(|d| {
            let a = &d["assignment"];
            ["date", "half_day", "station_id", "lawyer_id"]
                .iter()
                .all(|k| a[k] == duty[k])
                && d["reason"] == "unavailable"
        }),
        "{}",
        r.body
    );
    // Another lawyer neither sees nor withdraws it; a coordinator cannot withdraw it.
    let other = t
        .primaries(&coord, v)
        .await
        .into_iter()
        .map(|a| s(&a["lawyer_id"]))
        .find(|l| *l != lawyer)
        .unwrap();
    let them = t.token(TokenRole::Lawyer, None, Some(&other)).await;
    let uri = format!("/api/v1/leave-requests/{id}");
    assert_eq!(t.get(&uri, &them).await.status, StatusCode::NOT_FOUND);
    let before = dump(&t).await;
    let no = t.post(&format!("{uri}/withdraw"), &them, json!({})).await;
    assert_eq!(no.status, StatusCode::NOT_FOUND, "{}", no.body);
    let no = t.post(&format!("{uri}/approve"), &me, json!({})).await;
    assert_eq!(no.status, StatusCode::NOT_FOUND, "{}", no.body);
    let no = t.post(&format!("{uri}/withdraw"), &coord, json!({})).await;
    assert_eq!(no.status, StatusCode::FORBIDDEN, "{}", no.body);
    unchanged(&t, &before, "refusals write nothing").await;

    // The coordinator sees it waiting, with the duty it hits, and approves it.
    let waiting = t
        .get("/api/v1/leave-requests?status=requested", &coord)
        .await;
    assert_eq!(waiting.body["total"], 1, "{}", waiting.body);
    assert!(
        !waiting.body["items"][0]["affected"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let ok = t
        .post(&format!("{uri}/approve"), &coord, json!({"note": "同意"}))
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.body["status"], "approved");
    let avail = t
        .get(&format!("/api/v1/lawyers/{lawyer}/availability"), &coord)
        .await
        .body;
    assert!(avail["leave"].to_string().contains("开庭"), "{avail}");
    // The repair draft takes the duty from the lawyer.
    let jobs = ok.body["repair_jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 1, "{}", ok.body);
    let job = t.wait_job(&coord, jobs[0].as_i64().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let draft = t
        .assignments(&coord, job["version_id"].as_i64().unwrap())
        .await;
    assert!(
        !draft
            .iter()
            .any(|a| s(&a["lawyer_id"]) == lawyer && s(&a["date"]) == day.to_string()),
        "the draft keeps the lawyer off that day"
    );
    // Approving twice, or withdrawing an approved request: 409, nothing written.
    let before = dump(&t).await;
    let twice = t.post(&format!("{uri}/approve"), &coord, json!({})).await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.body);
    let back = t.post(&format!("{uri}/withdraw"), &me, json!({})).await;
    assert_eq!(back.status, StatusCode::CONFLICT, "{}", back.body);
    unchanged(&t, &before, "a refusal").await;
    // The lawyer sees the decision.
    let mine = t.get("/api/v1/leave-requests", &me).await;
    assert_eq!(mine.body["items"][0]["status"], "approved", "{}", mine.body);
    assert_eq!(mine.body["items"][0]["note"], "同意");

    // Rejected with a note, which the lawyer reads.
    let later = day + chrono::Duration::days(30);
    let r = t
        .post("/api/v1/leave-requests", &me, ask(later, later, "年假"))
        .await;
    let rid = r.body["id"].as_i64().unwrap();
    let no = t
        .post(
            &format!("/api/v1/leave-requests/{rid}/reject"),
            &coord,
            json!({"note": "当日人手不足"}),
        )
        .await;
    assert_eq!(no.status, StatusCode::OK, "{}", no.body);
    let seen = t
        .get(&format!("/api/v1/leave-requests/{rid}"), &me)
        .await
        .body;
    assert_eq!(
        (s(&seen["status"]), s(&seen["note"])),
        ("rejected".into(), "当日人手不足".into())
    );
    // Withdrawn, it can no longer be approved.
    let r = t
        .post("/api/v1/leave-requests", &me, ask(later, later, "年假"))
        .await;
    let wid = r.body["id"].as_i64().unwrap();
    let w = t
        .call(
            Method::POST,
            &format!("/api/v1/leave-requests/{wid}/withdraw"),
            &me,
            None,
        )
        .await;
    assert_eq!(w.body["status"], "withdrawn", "{}", w.body);
    let late = t
        .post(
            &format!("/api/v1/leave-requests/{wid}/approve"),
            &coord,
            json!({}),
        )
        .await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{}", late.body);

    // Without notice (the centre asks three days), or with a blank reason: 422 naming the
    // field; a coordinator asks nothing (they enter leave directly).
    let finance = t.token(TokenRole::Finance, Some("CH"), None).await;
    let today = chrono::Utc::now().date_naive();
    let before = dump(&t).await;
    let soon = t
        .post("/api/v1/leave-requests", &me, ask(today, today, "病假"))
        .await;
    assert_eq!(
        soon.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        soon.body
    );
    assert_eq!(soon.body["errors"][0]["field"], "from");
    let blank = t
        .post("/api/v1/leave-requests", &me, ask(later, later, " "))
        .await;
    assert_eq!(blank.body["errors"][0]["field"], "reason", "{}", blank.body);
    let staff = t
        .post("/api/v1/leave-requests", &coord, ask(later, later, "年假"))
        .await;
    assert_eq!(staff.status, StatusCode::FORBIDDEN);
    let theirs = t
        .post(
            "/api/v1/leave-requests",
            &me,
            json!({"lawyer_id": other, "from": later, "to": later, "reason": "年假"}),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{}", theirs.body);
    // Nor does a lawyer write leave directly, or finance read a request (reasons are personal).
    let uri = format!("/api/v1/lawyers/{lawyer}/availability");
    let mut avail = t.get(&uri, &me).await.body;
    avail["leave"] = json!([{"lawyer_id": lawyer, "from": later, "to": later, "half_day": null,
        "reason": "自己批的假"}]);
    let r = t.call(Method::PUT, &uri, &me, Some(avail)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "leave");
    let r = t
        .get(&format!("/api/v1/leave-requests/{rid}"), &finance)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    unchanged(&t, &before, "refused requests write nothing").await;
}

/// A draft solved while a request waits keeps the lawyer off the half-days asked for, where
/// a colleague can take them, with no post left uncovered for it; the request is still only
/// a wish (the lawyer is not made unavailable, and nothing is approved).
async fn leave_asked_and_not_yet_decided_is_avoided_where_a_colleague_can_take_the_duty(
    backend: Backend,
) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let monday = next_monday();
    let body = json!({"centre_id": "CH", "from": monday, "weeks": 2});
    let solve = || async {
        let r = t.post("/api/v1/rosters", &coord, body.clone()).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
        let job = t.wait_job(&coord, r.body["id"].as_i64().unwrap()).await;
        assert_eq!(job["status"], "succeeded", "{job}");
        let v = job["version_id"].as_i64().unwrap();
        let report =
            t.get(&format!("/api/v1/versions/{v}"), &coord).await.body["version"]["report"].clone();
        (t.primaries(&coord, v).await, report)
    };
    let (before, report_before) = solve().await;
    // The lawyer with the most second-week duties asks for all of that week off.
    let week2 = monday + chrono::Duration::days(7);
    let mut count = std::collections::BTreeMap::<String, usize>::new();
    for a in before.iter().filter(|a| s(&a["date"]) >= week2.to_string()) {
        *count.entry(s(&a["lawyer_id"])).or_default() += 1;
    }
    let (lawyer, had) = count.into_iter().max_by_key(|(_, n)| *n).unwrap();
    assert!(had >= 1);
    let me = t.token(TokenRole::Lawyer, None, Some(&lawyer)).await;
    let r = t
        .post(
            "/api/v1/leave-requests",
            &me,
            json!({"from": week2, "to": week2 + chrono::Duration::days(6), "reason": "年假"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let (after, report_after) = solve().await;
    let in_week2 = |roster: &[serde_json::Value]| {
        roster
            .iter()
            .filter(|a| a["lawyer_id"] == lawyer.as_str() && s(&a["date"]) >= week2.to_string())
            .count()
    };
    assert_eq!(
        in_week2(&after),
        0,
        "{lawyer} asked for week 2 off: {after:?}"
    );
    let filled = |r: &serde_json::Value| r["posts_filled"].clone();
    assert!(filled(&report_before).as_u64().unwrap() > 0);
    assert_eq!(
        filled(&report_after),
        filled(&report_before),
        "no post is left uncovered for a wish"
    );
    // Still a wish: the request waits, and the lawyer still has first-week duties.
    let r = t
        .get("/api/v1/leave-requests?status=requested", &coord)
        .await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1, "{}", r.body);
}
