// Over the ~600-line sizing rule on purpose: the original end-to-end walks and the tenancy test over every route (one table of cases); new API tests go to their own files (money.rs, trust.rs, presence.rs).
//! The JSON API under /api/v1, driven through the real router against real SQLite files:
//! a coordinator's week end to end on `fixtures/small` and `fixtures/guangzhou`, errors,
//! roles and tenancy, and the OpenAPI document checked by an independent validator.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use chrono::{Datelike, Duration, NaiveDate};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use zhiban_store::TokenRole;

mod common;
use common::*;

on_both!(
    a_coordinators_fortnight_on_the_small_fixture,
    a_coordinators_fortnight_on_guangzhou_and_other_centres_see_nothing_of_it,
    bad_input_gets_problem_json_naming_the_field,
    swap_policy_same_firm_notice_and_auto_approval_are_enforced,
    a_month_of_check_ins_becomes_a_statement_equal_to_hand_computed_totals,
    lawyer_and_station_feeds_follow_the_roster_through_a_repair,
    imported_busy_calendars_keep_the_solver_off_those_half_days,
    the_panel_list_is_csv_with_bom_and_chinese_headers,
);

/// A coordinator's two weeks: generate, inspect, edit with suggestions, publish, a swap,
/// a repair after a sick call, and the diff. Returns the final published version id.
async fn coordinator_walk(t: &TestApp, centre: &str, weeks: u32) -> i64 {
    let from = next_monday();
    let coord = t.token(TokenRole::Coordinator, Some(centre), None).await;

    // Generate.
    let r = t
        .post(
            "/api/v1/rosters",
            &coord,
            json!({"centre_id": centre, "from": from, "weeks": weeks, "time_limit_seconds": 60}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let job_id = r.body["id"].as_i64().unwrap();
    assert_eq!(
        r.headers["location"].to_str().unwrap(),
        format!("/api/v1/jobs/{job_id}")
    );
    let job = t.wait_job(&coord, job_id).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert!(
        job["progress"]["parts_done"].as_u64().unwrap() >= 1,
        "{job}"
    );
    assert_eq!(
        job["progress"]["parts_done"], job["progress"]["parts_total"],
        "{job}"
    );
    let v1 = job["version_id"].as_i64().unwrap();
    let roster_id = job["roster_id"].as_i64().unwrap();

    // Inspect: every post either filled or explained.
    let r = t.get(&format!("/api/v1/versions/{v1}"), &coord).await;
    assert_eq!(r.status, StatusCode::OK);
    let etag = r.headers["etag"].to_str().unwrap().to_string();
    let report = &r.body["version"]["report"];
    let wanted = report["posts_wanted"].as_u64().unwrap();
    let filled = report["posts_filled"].as_u64().unwrap();
    let short: u64 = report["uncovered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["posts_wanted"].as_u64().unwrap() - u["posts_filled"].as_u64().unwrap())
        .sum();
    assert_eq!(filled + short, wanted, "{report}");
    for u in report["uncovered"].as_array().unwrap() {
        assert!(u["reason"]["kind"].is_string(), "{u}");
    }
    let assignments = r.body["assignments"].as_array().unwrap().clone();
    let primaries: Vec<&Value> = assignments
        .iter()
        .filter(|a| a["role"] == "primary")
        .collect();
    assert_eq!(primaries.len() as u64, filled);
    let r2 = t
        .call_with(
            Method::GET,
            &format!("/api/v1/versions/{v1}"),
            Some(&coord),
            None,
            &[("if-none-match", &etag)],
        )
        .await;
    assert_eq!(r2.status, StatusCode::NOT_MODIFIED);
    let by_station = t
        .get(
            &format!(
                "/api/v1/versions/{v1}?station_id={}",
                s(&primaries[0]["station_id"])
            ),
            &coord,
        )
        .await;
    assert!(
        by_station.body["assignments"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["station_id"] == primaries[0]["station_id"])
    );

    // Suggestions for the first duty, as replacements for its lawyer.
    let first = primaries[0];
    let (st, date, half) = slot_key(first);
    let old_lawyer = s(&first["lawyer_id"]);
    let r = t
        .get(
            &format!(
                "/api/v1/versions/{v1}/suggestions?station_id={st}&date={date}&half_day={half}&replace={old_lawyer}"
            ),
            &coord,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let list = r.body.as_array().unwrap();
    assert!(!list.is_empty());
    let valid: Vec<&Value> = list.iter().filter(|x| x["valid"] == true).collect();
    assert!(!valid.is_empty(), "no valid replacement: {}", r.body);
    for w in valid.windows(2) {
        assert!(w[0]["cost_delta"].as_f64().unwrap() <= w[1]["cost_delta"].as_f64().unwrap());
    }
    for x in list.iter().filter(|x| x["valid"] == false) {
        assert!(!x["violations"].as_array().unwrap().is_empty());
    }
    let new_lawyer = s(&valid[0]["lawyer_id"]);

    // An edit that breaks a hard rule (one lawyer twice on one half-day) changes nothing.
    let r = t
        .post(
            &format!("/api/v1/versions/{v1}/edits"),
            &coord,
            json!({"operations": [{"op": "assign", "station_id": st, "date": date,
                "half_day": half, "lawyer_id": old_lawyer, "role": "backup"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body["violations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["rule"] == "double_booked"),
        "{}",
        r.body
    );
    let same = t.get(&format!("/api/v1/versions/{v1}"), &coord).await;
    assert_eq!(same.body["version"]["revision"], 1);
    assert_eq!(
        same.body["assignments"].as_array().unwrap().len(),
        assignments.len()
    );

    // The manual edit with the best suggestion.
    let r = t
        .post(
            &format!("/api/v1/versions/{v1}/edits"),
            &coord,
            json!({"revision": 1, "operations": [
                {"op": "unassign", "station_id": st, "date": date, "half_day": half, "lawyer_id": old_lawyer},
                {"op": "assign", "station_id": st, "date": date, "half_day": half, "lawyer_id": new_lawyer},
            ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["version"]["revision"], 2);
    assert_ne!(r.headers["etag"].to_str().unwrap(), etag);
    let now: Vec<&Value> = r.body["assignments"].as_array().unwrap().iter().collect();
    assert!(
        now.iter()
            .any(|a| slot_key(a) == slot_key(first) && a["lawyer_id"] == new_lawyer.as_str())
    );
    assert!(
        !now.iter()
            .any(|a| slot_key(a) == slot_key(first) && a["lawyer_id"] == old_lawyer.as_str())
    );
    // A stale revision is a conflict.
    let r = t
        .post(
            &format!("/api/v1/versions/{v1}/edits"),
            &coord,
            json!({"revision": 1, "operations": [
                {"op": "pin", "station_id": st, "date": date, "half_day": half, "lawyer_id": new_lawyer}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);

    // Publish; publishing again and editing the published version are conflicts.
    let r = t
        .post(&format!("/api/v1/versions/{v1}/publish"), &coord, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "published");
    let r = t
        .post(&format!("/api/v1/versions/{v1}/publish"), &coord, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = t
        .post(
            &format!("/api/v1/versions/{v1}/edits"),
            &coord,
            json!({"operations": [{"op": "unassign", "station_id": st, "date": date,
                "half_day": half, "lawyer_id": new_lawyer}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // A swap in the second week: the duty's holder offers it to the best valid taker.
    let published = t.get(&format!("/api/v1/versions/{v1}"), &coord).await;
    let week2 = (from + Duration::days(7)).to_string();
    let duty = published.body["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["role"] == "primary" && s(&a["date"]) >= week2)
        .find(|a| !a["pinned"].as_bool().unwrap())
        .cloned()
        .expect("a second-week duty");
    let giver = s(&duty["lawyer_id"]);
    let (dst, ddate, dhalf) = slot_key(&duty);
    let r = t
        .get(
            &format!(
                "/api/v1/versions/{v1}/suggestions?station_id={dst}&date={ddate}&half_day={dhalf}&replace={giver}"
            ),
            &coord,
        )
        .await;
    let taker = s(&r
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["valid"] == true)
        .unwrap()["lawyer_id"]);
    let giver_tok = t.token(TokenRole::Lawyer, None, Some(&giver)).await;
    let taker_tok = t.token(TokenRole::Lawyer, None, Some(&taker)).await;
    // The taker cannot offer a duty they do not hold.
    let r = t
        .post(
            "/api/v1/swaps",
            &taker_tok,
            json!({"station_id": dst, "date": ddate, "half_day": dhalf, "to_lawyer_id": giver}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = t
        .post(
            "/api/v1/swaps",
            &giver_tok,
            json!({"station_id": dst, "date": ddate, "half_day": dhalf, "to_lawyer_id": taker, "note": "出庭冲突"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["status"], "offered");
    let swap = r.body["id"].as_i64().unwrap();
    // Only the taker accepts; the coordinator approves.
    let r = t
        .post(
            &format!("/api/v1/swaps/{swap}/accept"),
            &giver_tok,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t
        .post(&format!("/api/v1/swaps/{swap}/approve"), &coord, json!({}))
        .await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "not accepted yet: {}",
        r.body
    );
    let r = t
        .post(
            &format!("/api/v1/swaps/{swap}/accept"),
            &taker_tok,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "accepted");
    let r = t
        .post(&format!("/api/v1/swaps/{swap}/approve"), &coord, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "approved");
    let v2 = r.body["result_version_id"].as_i64().unwrap();
    let r = t.get(&format!("/api/v1/rosters/{roster_id}"), &coord).await;
    let versions = r.body["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["status"], "superseded");
    assert_eq!(versions[1]["status"], "published");
    assert_eq!(versions[1]["id"], v2);
    let mine = t
        .get(
            &format!("/api/v1/me/duties?from={ddate}&to={ddate}"),
            &taker_tok,
        )
        .await;
    assert!(
        mine.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| slot_key(&d["assignment"]) == (dst.clone(), ddate.clone(), dhalf.clone())),
        "{}",
        mine.body
    );
    let r = t.get(&format!("/api/v1/swaps/{swap}"), &taker_tok).await;
    assert_eq!(r.status, StatusCode::OK);

    // A sick call: the busiest lawyer of week 1 is out all week; repair, then diff.
    let current = t.get(&format!("/api/v1/versions/{v2}"), &coord).await;
    let week1_end = (from + Duration::days(6)).to_string();
    let mut count: std::collections::BTreeMap<String, usize> = Default::default();
    for a in current.body["assignments"].as_array().unwrap() {
        if s(&a["date"]) <= week1_end {
            *count.entry(s(&a["lawyer_id"])).or_default() += 1;
        }
    }
    let (sick, n) = count.iter().max_by_key(|(_, n)| **n).unwrap();
    assert!(*n > 0);
    let r = t
        .post(
            &format!("/api/v1/versions/{v2}/repair"),
            &coord,
            json!({"changes": [{"kind": "lawyer_out", "lawyer_id": sick, "from": from, "to": week1_end}],
                   "time_limit_seconds": 60}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let job = t.wait_job(&coord, r.body["id"].as_i64().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let v3 = job["version_id"].as_i64().unwrap();
    let d = t.get(&format!("/api/v1/versions/{v3}/diff"), &coord).await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.body);
    assert_eq!(d.body["from_version"], v2);
    let removed = d.body["removed"].as_array().unwrap();
    assert_eq!(
        removed.len(),
        *n,
        "only the sick lawyer's duties go: {}",
        d.body
    );
    assert!(removed.iter().all(|a| a["lawyer_id"] == sick.as_str()));
    assert!(
        d.body["added"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["lawyer_id"] != sick.as_str())
    );
    let r = t
        .post(&format!("/api/v1/versions/{v3}/publish"), &coord, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // The audit log holds every step, with who did it.
    let a = t.get("/api/v1/audit?limit=500", &coord).await;
    assert_eq!(a.status, StatusCode::OK);
    let actions: Vec<String> = a.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| s(&e["action"]))
        .collect();
    for want in [
        "roster.generate",
        "job.succeeded",
        "roster.edit",
        "roster.publish",
        "swap.offer",
        "swap.accept",
        "swap.approve",
        "roster.repair",
    ] {
        assert!(
            actions.iter().any(|x| x == want),
            "{want} missing in {actions:?}"
        );
    }
    assert!(
        a.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| !e["actor"].as_str().unwrap().contains("zb_"))
    );
    v3
}

async fn a_coordinators_fortnight_on_the_small_fixture(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    coordinator_walk(&t, "CH", 2).await;
}

async fn a_coordinators_fortnight_on_guangzhou_and_other_centres_see_nothing_of_it(
    backend: Backend,
) {
    let t = TestApp::on(backend, "guangzhou").await;
    let v = coordinator_walk(&t, "GZ-TH", 2).await;
    let other = t.token(TokenRole::Coordinator, Some("GZ-CH"), None).await;
    let finance = t.token(TokenRole::Finance, Some("GZ-TH"), None).await;
    let admin = t.token(TokenRole::Admin, None, None).await;
    // Another centre's coordinator gets 404 for everything of GZ-TH.
    for uri in [
        format!("/api/v1/versions/{v}"),
        format!("/api/v1/versions/{v}/diff"),
        format!("/api/v1/versions/{v}/by-lawyer"),
        "/api/v1/centres/GZ-TH".to_string(),
        "/api/v1/centres/GZ-TH/policy".to_string(),
        "/api/v1/stations/GZ-TH-KSS".to_string(),
        "/api/v1/jobs/1".to_string(),
        "/api/v1/rosters/1".to_string(),
        "/api/v1/swaps/1".to_string(),
    ] {
        let r = t.get(&uri, &other).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{uri}: {}", r.body);
    }
    let r = t
        .post(&format!("/api/v1/versions/{v}/publish"), &other, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = t.get("/api/v1/rosters", &other).await;
    assert_eq!(r.body["total"], 0);
    let r = t.get("/api/v1/duties?centre_id=GZ-TH", &other).await;
    assert_eq!(r.body["total"], 0);
    let r = t.get("/api/v1/audit?centre_id=GZ-TH", &other).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Finance reads the roster but may not change it.
    let r = t.get(&format!("/api/v1/versions/{v}"), &finance).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = t
        .post(&format!("/api/v1/versions/{v}/drafts"), &finance, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Admins see every centre's duties; the duty list pages.
    let r = t.get("/api/v1/duties?limit=5&offset=5", &admin).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 5, "{}", r.body);
    assert!(r.body["total"].as_u64().unwrap() > 10);
    // Lawyers see only their own record.
    let me = t.token(TokenRole::Lawyer, None, Some("GZ-L0001")).await;
    assert_eq!(
        t.get("/api/v1/lawyers/GZ-L0001", &me).await.status,
        StatusCode::OK
    );
    assert_eq!(
        t.get("/api/v1/lawyers/GZ-L0002", &me).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(t.get("/api/v1/lawyers", &me).await.body["total"], 1);
    assert_eq!(
        t.get("/api/v1/rosters", &me).await.status,
        StatusCode::FORBIDDEN
    );
}

async fn bad_input_gets_problem_json_naming_the_field(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    // No token, a wrong token.
    let r = t
        .call_with(Method::GET, "/api/v1/centres", None, None, &[])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = t.get("/api/v1/centres", "zb_nonsense").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Malformed JSON, a wrong type, an unknown field, a bad value.
    let r = t
        .call_with(
            Method::POST,
            "/api/v1/rosters",
            Some(&coord),
            None,
            &[("content-type", "application/json")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = t
        .post(
            "/api/v1/rosters",
            &coord,
            json!({"centre_id": "CH", "from": "2026-13-01", "weeks": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body["errors"][0]["field"]
            .as_str()
            .unwrap()
            .contains("from"),
        "{}",
        r.body
    );
    let r = t
        .post(
            "/api/v1/rosters",
            &coord,
            json!({"centre_id": "CH", "from": "2026-11-23", "weeks": 99}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["field"], "weeks");
    let r = t
        .post(
            "/api/v1/rosters",
            &coord,
            json!({"centre_id": "CH", "from": "2026-11-23", "weeks": 1, "colour": 1}),
        )
        .await;
    assert!(r.status == StatusCode::UNPROCESSABLE_ENTITY || r.status == StatusCode::BAD_REQUEST);
    let r = t
        .post(
            "/api/v1/rosters",
            &coord,
            json!({"centre_id": "CH", "from": "2026-11-23", "weeks": 1, "time_limit_seconds": -1}),
        )
        .await;
    assert_eq!(r.body["errors"][0]["field"], "time_limit_seconds");
    let r = t.get("/api/v1/lawyers?limit=0", &coord).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["errors"][0]["field"], "limit");
    let r = t.get("/api/v1/versions/abc", &coord).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = t.get("/api/v1/versions/999", &coord).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = t.get("/api/v1/nothing-here", &coord).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = t
        .call(Method::DELETE, "/api/v1/centres", &coord, None)
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    // Leave that ends before it starts names the field; nothing changes.
    let lawyer = t.token(TokenRole::Lawyer, None, Some("CH-L01")).await;
    let before = t.get("/api/v1/lawyers/CH-L01/availability", &lawyer).await;
    let r = t
        .call(
            Method::PUT,
            "/api/v1/lawyers/CH-L01/availability",
            &lawyer,
            Some(json!({"weekly": [], "preferences": [], "leave": [
                {"lawyer_id": "CH-L01", "from": "2026-12-10", "to": "2026-12-01", "half_day": null, "reason": "病假"}]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["field"], "leave[0].to");
    assert_eq!(
        t.get("/api/v1/lawyers/CH-L01/availability", &lawyer)
            .await
            .body,
        before.body
    );
    // A lawyer edits their own availability, not someone else's.
    let r = t
        .call(
            Method::PUT,
            "/api/v1/lawyers/CH-L01/availability",
            &lawyer,
            Some(
                json!({"weekly": [{"lawyer_id": "CH-L01", "weekday": "Mon", "half_day": "am"}],
                "preferences": [], "leave": []}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = t
        .call(
            Method::PUT,
            "/api/v1/lawyers/CH-L02/availability",
            &lawyer,
            Some(json!({"weekly": [], "preferences": [], "leave": []})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // One solve per centre at a time.
    let centre = zhiban_domain::CentreId::parse("CH").unwrap();
    let audit = zhiban_store::Audit {
        actor: "test".into(),
        centre_id: Some(centre.clone()),
        action: "test".into(),
        target: String::new(),
        detail: json!({}),
    };
    t.store
        .create_job(
            &centre,
            zhiban_store::JobKind::Solve,
            &json!({}),
            None,
            &audit,
        )
        .await
        .unwrap();
    let r = t
        .post(
            "/api/v1/rosters",
            &coord,
            json!({"centre_id": "CH", "from": "2026-11-23", "weeks": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
}

async fn the_panel_list_is_csv_with_bom_and_chinese_headers(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let res = t
        .router
        .clone()
        .oneshot(
            Request::get("/api/v1/centres/CH/panel.csv")
                .header("authorization", format!("Bearer {coord}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        rdr.headers().unwrap().iter().collect::<Vec<_>>(),
        ["律师编号", "姓名", "律师事务所", "执业年限", "专长", "语言"]
    );
    let rows = rdr.records().count();
    let json = t.get("/api/v1/centres/CH/panel", &coord).await;
    assert_eq!(json.body.as_array().unwrap().len(), rows);
    assert_eq!(rows, 11, "12 lawyers, one of them inactive");
}

#[tokio::test]
async fn the_openapi_document_covers_every_route_and_passes_an_independent_validator() {
    let doc = serde_json::to_value(zhiban_api::openapi()).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/healthz",
        "/api/v1/centres",
        "/api/v1/centres/{id}/policy",
        "/api/v1/centres/{id}/panel.csv",
        "/api/v1/stations/{id}",
        "/api/v1/lawyers/{id}/availability",
        "/api/v1/calendar",
        "/api/v1/rosters",
        "/api/v1/jobs/{id}",
        "/api/v1/versions/{id}/edits",
        "/api/v1/versions/{id}/suggestions",
        "/api/v1/versions/{id}/repair",
        "/api/v1/versions/{id}/diff",
        "/api/v1/swaps/{id}/approve",
        "/api/v1/audit",
        "/api/v1/me/duties",
    ] {
        assert!(paths.contains_key(p), "{p} missing from the document");
    }
    // Every schema a path refers to is defined.
    let text = doc.to_string();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for part in text.split("\"#/components/schemas/").skip(1) {
        let name = part.split('"').next().unwrap();
        assert!(
            schemas.contains_key(name),
            "schema {name} is referred to but not defined"
        );
    }
    // The served document is the same.
    let t = TestApp::new("small").await;
    let res = t
        .router
        .clone()
        .oneshot(
            Request::get("/api/v1/openapi.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let served: Value =
        serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(served, doc);
    // An independent validator: openapi-spec-validator (Python), installed by scripts/test.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let python = std::env::var("ZHIBAN_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = std::process::Command::new(&python)
        .args(["-m", "openapi_spec_validator"])
        .arg(&file)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {python}: {e}; run scripts/test, which installs the validator")
        });
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("No module named"),
        "openapi-spec-validator is not installed for {python}; run scripts/test (it installs it) or `pip install openapi-spec-validator`"
    );
    assert!(
        out.status.success(),
        "the validator rejects the document:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("OK"), "{stdout}");
}

async fn swap_policy_same_firm_notice_and_auto_approval_are_enforced(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let from = next_monday();
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let r = t
        .post(
            "/api/v1/rosters",
            &coord,
            json!({"centre_id": "CH", "from": from, "weeks": 2}),
        )
        .await;
    let job = t.wait_job(&coord, r.body["id"].as_i64().unwrap()).await;
    let v = job["version_id"].as_i64().unwrap();
    assert_eq!(
        t.post(&format!("/api/v1/versions/{v}/publish"), &coord, json!({}))
            .await
            .status,
        StatusCode::OK
    );
    let week2 = (from + Duration::days(7)).to_string();
    let view = t.get(&format!("/api/v1/versions/{v}"), &coord).await;
    let duty = view.body["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["role"] == "primary" && s(&a["date"]) >= week2)
        .cloned()
        .unwrap();
    let giver = s(&duty["lawyer_id"]);
    let (st, date, half) = slot_key(&duty);
    let sugg = t
        .get(
            &format!("/api/v1/versions/{v}/suggestions?station_id={st}&date={date}&half_day={half}&replace={giver}"),
            &coord,
        )
        .await;
    let valid: Vec<String> = sugg
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["valid"] == true)
        .map(|x| s(&x["lawyer_id"]))
        .collect();
    let lawyers = t.get("/api/v1/lawyers", &coord).await.body["items"].clone();
    let firm_of = |id: &str| {
        lawyers
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == id)
            .map(|l| s(&l["firm_id"]))
            .unwrap()
    };
    let giver_tok = t.token(TokenRole::Lawyer, None, Some(&giver)).await;
    let offer =
        |to: &str| json!({"station_id": st, "date": date, "half_day": half, "to_lawyer_id": to});
    // Thirty days' notice: too late for any duty in the next fortnight.
    let policy = json!({"swap_same_firm": false, "swap_min_hours": 720, "swap_auto_approve": true});
    let r = t
        .call(
            Method::PUT,
            "/api/v1/centres/CH/policy",
            &coord,
            Some(policy),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = t.post("/api/v1/swaps", &giver_tok, offer(&valid[0])).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "date");
    // Same firm only: a taker from another firm is refused.
    let policy = json!({"swap_same_firm": true, "swap_min_hours": 24, "swap_auto_approve": true});
    t.call(
        Method::PUT,
        "/api/v1/centres/CH/policy",
        &coord,
        Some(policy),
    )
    .await;
    if let Some(other) = valid.iter().find(|l| firm_of(l) != firm_of(&giver)) {
        let r = t.post("/api/v1/swaps", &giver_tok, offer(other)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.body["errors"][0]["field"], "to_lawyer_id");
    }
    // Auto-approval: the taker's acceptance publishes the swap at once.
    let policy = json!({"swap_same_firm": false, "swap_min_hours": 24, "swap_auto_approve": true});
    t.call(
        Method::PUT,
        "/api/v1/centres/CH/policy",
        &coord,
        Some(policy),
    )
    .await;
    let taker = &valid[0];
    let r = t.post("/api/v1/swaps", &giver_tok, offer(taker)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    let taker_tok = t.token(TokenRole::Lawyer, None, Some(taker)).await;
    let r = t
        .post(&format!("/api/v1/swaps/{id}/accept"), &taker_tok, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "approved");
    let v2 = r.body["result_version_id"].as_i64().unwrap();
    let now = t.get(&format!("/api/v1/versions/{v2}"), &coord).await;
    assert_eq!(now.body["version"]["status"], "published");
    let a = now.body["assignments"].as_array().unwrap();
    assert!(
        a.iter()
            .any(|x| slot_key(x) == (st.clone(), date.clone(), half.clone())
                && x["lawyer_id"] == taker.as_str())
    );
    assert!(
        !a.iter()
            .any(|x| slot_key(x) == (st.clone(), date.clone(), half.clone())
                && x["lawyer_id"] == giver.as_str())
    );
    // The giver no longer holds the duty: offering it again is refused.
    let r = t.post("/api/v1/swaps", &giver_tok, offer(taker)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
}

async fn a_month_of_check_ins_becomes_a_statement_equal_to_hand_computed_totals(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let finance = t.token(TokenRole::Finance, Some("CH"), None).await;
    t.set_time(Some(local("2026-10-01", "08:00")));
    // October 2026: the roster of 5 October to 1 November, published.
    let r = t
        .post(
            "/api/v1/rosters",
            &coord,
            json!({"centre_id": "CH", "from": "2026-10-05", "weeks": 4}),
        )
        .await;
    let job = t.wait_job(&coord, r.body["id"].as_i64().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let v = job["version_id"].as_i64().unwrap();
    assert_eq!(
        t.post(&format!("/api/v1/versions/{v}/publish"), &coord, json!({}))
            .await
            .status,
        StatusCode::OK
    );
    let all = t.get(&format!("/api/v1/versions/{v}"), &coord).await.body["assignments"]
        .as_array()
        .unwrap()
        .clone();
    let duties: Vec<Value> = all
        .iter()
        .filter(|a| a["role"] == "primary" && s(&a["date"]).starts_with("2026-10"))
        .cloned()
        .collect();
    assert!(duties.len() >= 8, "{}", duties.len());
    // Station coordinates and hours, as in fixtures/small/stations.csv.
    let station = |id: &str| match id {
        "CH-KSS" => ((23.4905, 113.5062), ("09:00", "11:30"), ("14:30", "17:30")),
        "CH-FY" => ((23.5491, 113.5868), ("09:00", "12:00"), ("14:00", "17:00")),
        _ => ((23.5552, 113.5931), ("09:00", "12:00"), ("14:00", "17:00")),
    };
    let hours = |d: &Value| {
        let (_, am, pm) = station(&s(&d["station_id"]));
        if d["half_day"] == "am" { am } else { pm }
    };
    let (late, outside, no_show, excused, plea, qr) =
        (1usize, 2usize, 3usize, 4usize, 5usize, 6usize);
    let mut tokens = std::collections::BTreeMap::new();
    for d in &duties {
        let l = s(&d["lawyer_id"]);
        if let std::collections::btree_map::Entry::Vacant(e) = tokens.entry(l.clone()) {
            e.insert(t.token(TokenRole::Lawyer, None, Some(&l)).await);
        }
    }
    let body = |d: &Value, lat: f64, lon: f64| {
        json!({"station_id": d["station_id"], "date": d["date"], "half_day": d["half_day"],
               "lat": lat, "lon": lon, "method": "app"})
    };
    for (i, d) in duties.iter().enumerate() {
        let tok = &tokens[&s(&d["lawyer_id"])];
        let date = s(&d["date"]);
        let ((lat, lon), _, _) = station(&s(&d["station_id"]));
        let (start, end) = hours(d);
        if i == no_show || i == excused {
            continue;
        }
        // Too early: the window opens 30 minutes before the start.
        if i == 0 {
            t.set_time(Some(local(&date, &add_minutes(start, -45))));
            let r = t.post("/api/v1/checkins", tok, body(d, lat, lon)).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
            // Another lawyer cannot check in to this duty.
            let other = tokens
                .iter()
                .find(|(l, _)| **l != s(&d["lawyer_id"]))
                .unwrap()
                .1;
            t.set_time(Some(local(&date, &add_minutes(start, -5))));
            let r = t.post("/api/v1/checkins", other, body(d, lat, lon)).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
        }
        let arrive = if i == late { 25 } else { -10 };
        t.set_time(Some(local(&date, &add_minutes(start, arrive))));
        let (clat, clon) = if i == outside {
            (lat + 0.05, lon)
        } else {
            (lat + 0.0005, lon)
        };
        let key = format!("k-{i}");
        if i == qr {
            // The QR poster's code of the day; a wrong one is refused.
            let code = t
                .get(
                    &format!("/api/v1/stations/{}/qr?date={date}", s(&d["station_id"])),
                    &coord,
                )
                .await;
            assert_eq!(code.status, StatusCode::OK, "{}", code.body);
            let qr_body = |c: &str| {
                json!({"station_id": d["station_id"], "date": d["date"], "half_day": d["half_day"],
                       "method": "qr", "qr_code": c})
            };
            let r = t
                .post("/api/v1/checkins", tok, qr_body("000000000000"))
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(r.body["errors"][0]["field"], "qr_code");
            let r = t
                .post("/api/v1/checkins", tok, qr_body(&s(&code.body["code"])))
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            assert_eq!(r.body["method"], "qr");
            let id = r.body["id"].as_i64().unwrap();
            t.set_time(Some(local(&date, &add_minutes(end, 5))));
            let r = t
                .post(&format!("/api/v1/checkins/{id}/checkout"), tok, json!({}))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            continue;
        }
        let r = t
            .call_with(
                Method::POST,
                "/api/v1/checkins",
                Some(tok),
                Some(body(d, clat, clon)),
                &[("idempotency-key", &key)],
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.body["id"].as_i64().unwrap();
        assert_eq!(r.body["late"], i == late, "{}", r.body);
        assert_eq!(r.body["outside_geofence"], i == outside, "{}", r.body);
        assert_eq!(
            r.body["check_in_at"],
            json!(local(&date, &add_minutes(start, arrive)))
        );
        // A retry with the same key returns the same record.
        let again = t
            .call_with(
                Method::POST,
                "/api/v1/checkins",
                Some(tok),
                Some(body(d, clat, clon)),
                &[("idempotency-key", &key)],
            )
            .await;
        assert_eq!(again.status, StatusCode::OK);
        assert_eq!(again.body["id"], id);
        t.set_time(Some(local(&date, &add_minutes(end, 5))));
        let checkout = format!("/api/v1/checkins/{id}/checkout");
        if i == 0 {
            // Only the lawyer on duty checks out: another lawyer is told no such record
            // exists, the coordinator is refused; neither changes it.
            let other = tokens
                .iter()
                .find(|(l, _)| **l != s(&d["lawyer_id"]))
                .unwrap()
                .1;
            let r = t.post(&checkout, other, json!({})).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
            let r = t.post(&checkout, &coord, json!({})).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
            let r = t
                .post("/api/v1/checkins/999999/checkout", tok, json!({}))
                .await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
        }
        let r = t.post(&checkout, tok, json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["status"], "attended");
        if i == 0 {
            let r = t.post(&checkout, tok, json!({})).await;
            assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        }
        if i == plea {
            let r = t
                .call(Method::PUT, "/api/v1/ledger", tok, Some(json!({
                    "station_id": d["station_id"], "date": d["date"], "half_day": d["half_day"],
                    "consultations": 4, "plea_signings": 2, "notes": "两名被告人签署具结书",
                    "applications": [{"applicant": "张某", "received_at": local(&date, "10:00"), "forwarded_at": null}]})))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            let r = t
                .call(Method::PUT, "/api/v1/ledger", &coord, Some(json!({
                    "station_id": d["station_id"], "date": d["date"], "half_day": d["half_day"],
                    "lawyer_id": d["lawyer_id"], "consultations": 4, "plea_signings": 2, "quality": "excellent",
                    "notes": "两名被告人签署具结书",
                    "applications": [{"applicant": "张某", "received_at": local(&date, "10:00"), "forwarded_at": null}]})))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            assert_eq!(r.body["overdue_applications"], 0, "still within 24 hours");
        }
    }
    t.set_time(Some(local("2026-11-02", "09:00")));
    // The ledger flags the application not forwarded within 24 hours.
    let ledger = t
        .get("/api/v1/ledger?centre_id=CH&month=2026-10", &coord)
        .await;
    assert_eq!(ledger.status, StatusCode::OK, "{}", ledger.body);
    let entries = ledger.body.as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["plea_signings"], 2);
    assert_eq!(entries[0]["quality"], "excellent");
    assert_eq!(
        entries[0]["overdue_applications"], 1,
        "not forwarded within 24 hours"
    );
    let res = t
        .router
        .clone()
        .oneshot(
            Request::get("/api/v1/ledger.csv?centre_id=CH&month=2026-10")
                .header("authorization", format!("Bearer {coord}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    assert!(text.starts_with("日期,时段,工作站"), "{text}");
    assert_eq!(text.lines().count(), 2);
    // The attendance list: late, outside (waiting for approval), no-show.
    let att = t
        .get(
            "/api/v1/attendance?centre_id=CH&from=2026-10-01&to=2026-10-31",
            &coord,
        )
        .await;
    assert_eq!(att.status, StatusCode::OK, "{}", att.body);
    let state_of = |d: &Value| {
        att.body
            .as_array()
            .unwrap()
            .iter()
            .find(|x| same_duty(&x["duty"], d))
            .map(|x| s(&x["state"]))
            .unwrap()
    };
    assert_eq!(state_of(&duties[no_show]), "no_show");
    assert_eq!(state_of(&duties[outside]), "needs_approval");
    assert_eq!(state_of(&duties[late]), "attended");
    let pending = t.get("/api/v1/statements/CH/2026-10", &finance).await;
    assert_eq!(pending.body["pending"], 1, "{}", pending.body);
    // The coordinator approves the outside check-in and excuses one absence.
    let rec = att
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|x| same_duty(&x["duty"], &duties[outside]))
        .unwrap()["record"]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        t.post(
            &format!("/api/v1/checkins/{rec}/approve"),
            &coord,
            json!({})
        )
        .await
        .status,
        StatusCode::OK
    );
    let ex = &duties[excused];
    let r = t
        .post(
            "/api/v1/absences/excuse",
            &coord,
            json!({"station_id": ex["station_id"], "date": ex["date"],
            "half_day": ex["half_day"], "lawyer_id": ex["lawyer_id"], "reason": "法院临时休庭"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // Only coordinators excuse; a reason is required.
    let r = t
        .post(
            "/api/v1/absences/excuse",
            &finance,
            json!({"station_id": ex["station_id"], "date": ex["date"],
            "half_day": ex["half_day"], "lawyer_id": ex["lawyer_id"], "reason": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Hand-computed: every primary duty but the no-show pays; AM and PM at one station on one
    // day pay 385 instead of 2 × 195; the plea duty adds 2 × 50 and, rated excellent, 20%.
    let paid: Vec<&Value> = duties
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != no_show)
        .map(|(_, d)| d)
        .collect();
    let mut expect: std::collections::BTreeMap<String, i64> = Default::default();
    let mut groups: std::collections::BTreeMap<(String, String, String), Vec<&Value>> =
        Default::default();
    for d in &paid {
        groups
            .entry((s(&d["lawyer_id"]), s(&d["date"]), s(&d["station_id"])))
            .or_default()
            .push(d);
    }
    for ((l, _, _), g) in &groups {
        let full = g.len() == 2;
        let base = if full { 38_500 } else { 19_500 };
        let n = if full { 1 } else { g.len() as i64 };
        let mut amount = base * n;
        if g.iter().any(|d| **d == duties[plea]) {
            amount += 2 * 5_000 + base / 5;
        }
        *expect.entry(l.clone()).or_default() += amount;
    }
    let want_total: i64 = expect.values().sum();
    let st = t.get("/api/v1/statements/CH/2026-10", &finance).await;
    assert_eq!(st.status, StatusCode::OK, "{}", st.body);
    assert_eq!(st.body["status"], "open");
    assert_eq!(st.body["pending"], 0);
    assert_eq!(st.body["total_fen"], want_total, "{}", st.body);
    for t_ in st.body["lawyers"].as_array().unwrap() {
        assert_eq!(t_["amount_fen"], expect[&s(&t_["lawyer_id"])], "{t_}");
    }
    let firm_sum: i64 = st.body["firms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["amount_fen"].as_i64().unwrap())
        .sum();
    assert_eq!(firm_sum, want_total);
    for l in st.body["lines"].as_array().unwrap() {
        assert!(l["rule"].is_string() && l["description"].is_string(), "{l}");
    }
    // Recomputing gives the same statement.
    assert_eq!(
        t.get("/api/v1/statements/CH/2026-10", &finance).await.body,
        st.body
    );

    // CSV: BOM, Chinese headers, a totals row equal to the API's.
    let res = t
        .router
        .clone()
        .oneshot(
            Request::get("/api/v1/statements/CH/2026-10/csv")
                .header("authorization", format!("Bearer {finance}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
    let mut rdr = csv::Reader::from_reader(&bytes[3..]);
    assert_eq!(&rdr.headers().unwrap()[0], "律师编号");
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    let last = rows.last().unwrap();
    assert_eq!(&last[0], "合计");
    assert_eq!(last[9].parse::<i64>().unwrap(), want_total);
    assert_eq!(rows.len() - 1, st.body["lines"].as_array().unwrap().len());

    // XLSX, read back with an independent reader (calamine): totals equal the API's.
    let res = t
        .router
        .clone()
        .oneshot(
            Request::get("/api/v1/statements/CH/2026-10/xlsx")
                .header("authorization", format!("Bearer {finance}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    use calamine::{DataType, Reader};
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let lines = book.worksheet_range("明细").unwrap();
    let rows: Vec<_> = lines.rows().collect();
    let last = rows.last().unwrap();
    assert_eq!(last[0].to_string(), "合计");
    assert_eq!(last[9].get_float().unwrap() as i64, want_total);
    assert!((last[8].get_float().unwrap() - want_total as f64 / 100.0).abs() < 1e-9);
    let sum: f64 = rows[1..rows.len() - 1]
        .iter()
        .map(|r| r[9].get_float().unwrap())
        .sum();
    assert_eq!(sum as i64, want_total);
    let by_lawyer = book.worksheet_range("按律师").unwrap();
    let rows: Vec<_> = by_lawyer.rows().collect();
    for r in &rows[1..rows.len() - 1] {
        assert_eq!(r[5].get_float().unwrap() as i64, expect[&r[0].to_string()]);
    }
    assert_eq!(
        rows.last().unwrap()[5].get_float().unwrap() as i64,
        want_total
    );

    // Finance approves October; it is locked; November is not over yet.
    let coordinator_try = t
        .post("/api/v1/statements/CH/2026-10/approve", &coord, json!({}))
        .await;
    assert_eq!(coordinator_try.status, StatusCode::FORBIDDEN);
    let r = t
        .post("/api/v1/statements/CH/2026-10/approve", &finance, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "locked");
    assert_eq!(
        t.post("/api/v1/statements/CH/2026-10/approve", &finance, json!({}))
            .await
            .status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        t.post("/api/v1/statements/CH/2026-11/approve", &finance, json!({}))
            .await
            .status,
        StatusCode::CONFLICT
    );

    // A late correction: the no-show is found to have been excused after approval. The
    // excuse itself is refused (October is locked); a coordinator's correction with a reason
    // is the one way. October never changes; November carries the difference as an
    // adjustment line naming the correction.
    let ns = &duties[no_show];
    let r = t
        .post(
            "/api/v1/absences/excuse",
            &coord,
            json!({"station_id": ns["station_id"], "date": ns["date"],
            "half_day": ns["half_day"], "lawyer_id": ns["lawyer_id"], "reason": "事后补假"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = t
        .post(
            "/api/v1/corrections",
            &coord,
            json!({"station_id": ns["station_id"], "date": ns["date"],
            "half_day": ns["half_day"], "lawyer_id": ns["lawyer_id"], "reason": "事后补假",
            "attendance": "counts"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let correction = r.body["id"].as_i64().unwrap();
    let oct = t.get("/api/v1/statements/CH/2026-10", &finance).await;
    assert_eq!(oct.body["total_fen"], want_total);
    assert_eq!(oct.body["status"], "locked");
    let nov = t.get("/api/v1/statements/CH/2026-11", &finance).await;
    let adj: Vec<&Value> = nov.body["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["rule"] == "adjustment")
        .collect();
    assert_eq!(adj.len(), 1, "{}", nov.body);
    assert_eq!(adj[0]["lawyer_id"], ns["lawyer_id"]);
    assert_eq!(adj[0]["date"], "2026-10-01");
    assert!(
        s(&adj[0]["description"]).contains(&format!("#{correction}")),
        "{}",
        adj[0]
    );
    assert_eq!(nov.body["corrections"][0]["id"], correction);
    let with_ns = {
        let mut g: Vec<&Value> = paid.clone();
        g.push(ns);
        let mut total = 0i64;
        let mut groups: std::collections::BTreeMap<(String, String, String), Vec<&Value>> =
            Default::default();
        for d in g.iter().filter(|d| d["lawyer_id"] == ns["lawyer_id"]) {
            groups
                .entry((s(&d["lawyer_id"]), s(&d["date"]), s(&d["station_id"])))
                .or_default()
                .push(d);
        }
        for g in groups.values() {
            let full = g.len() == 2;
            let base = if full { 38_500 } else { 19_500 };
            total += if full { base } else { base * g.len() as i64 };
            if g.iter().any(|d| **d == duties[plea]) {
                total += 2 * 5_000 + base / 5;
            }
        }
        total
    };
    assert_eq!(
        adj[0]["amount_fen"].as_i64().unwrap(),
        with_ns - expect.get(&s(&ns["lawyer_id"])).copied().unwrap_or(0)
    );
    // Every step is in the audit log.
    let log = t.get("/api/v1/audit?limit=500", &coord).await;
    let actions: Vec<String> = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| s(&e["action"]))
        .collect();
    for a in [
        "attendance.check_in",
        "attendance.check_out",
        "attendance.approve",
        "attendance.excuse",
        "ledger.put",
        "statement.approve",
        "correction.create",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} missing");
    }
    t.set_time(None);
}

/// GET of a feed path (no token header: calendar apps send none).
async fn fetch_feed(t: &TestApp, url: &str, etag: Option<&str>) -> (StatusCode, HeaderMap, String) {
    let path = url.split_once("://").unwrap().1;
    let path = &path[path.find('/').unwrap()..];
    let mut req = Request::get(path);
    if let Some(e) = etag {
        req = req.header("if-none-match", e);
    }
    let res = t
        .router
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
}

/// Parses a feed with the ical crate; (uid, status, sequence, summary) of each event.
fn events_of(text: &str) -> Vec<(String, String, u32, String)> {
    let cal = ical::IcalParser::new(std::io::BufReader::new(text.as_bytes()))
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(cal.timezones.len(), 1, "a VTIMEZONE");
    cal.events
        .iter()
        .map(|e| {
            let p = |n: &str| {
                e.properties
                    .iter()
                    .find(|p| p.name == n)
                    .and_then(|p| p.value.clone())
                    .unwrap_or_default()
            };
            let start = e.properties.iter().find(|p| p.name == "DTSTART").unwrap();
            assert_eq!(
                start.params.as_ref().unwrap()[0],
                ("TZID".to_string(), vec!["Asia/Shanghai".to_string()])
            );
            assert!(
                !p("LOCATION").is_empty()
                    && !p("GEO").is_empty()
                    && p("DESCRIPTION").contains("电话")
            );
            (
                p("UID"),
                p("STATUS"),
                p("SEQUENCE").parse().unwrap(),
                p("SUMMARY"),
            )
        })
        .collect()
}

/// Parses a feed with Python's icalendar package (an independent client); the VEVENT count.
fn python_events(text: &str) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("feed.ics");
    std::fs::write(&file, text).unwrap();
    let python = std::env::var("ZHIBAN_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = std::process::Command::new(&python)
        .arg("-c")
        .arg("import sys, icalendar\ncal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())\nevs = cal.walk('VEVENT')\nfor e in evs:\n    assert e.decoded('DTSTART').tzinfo is not None\n    str(e.get('SUMMARY'))\nprint(len(evs))")
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}; run scripts/test, which installs icalendar"));
    assert!(
        out.status.success(),
        "Python icalendar rejects the feed (run scripts/test to install it): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

async fn lawyer_and_station_feeds_follow_the_roster_through_a_repair(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let from = next_monday();
    let r = t
        .post(
            "/api/v1/rosters",
            &coord,
            json!({"centre_id": "CH", "from": from, "weeks": 2}),
        )
        .await;
    let job = t.wait_job(&coord, r.body["id"].as_i64().unwrap()).await;
    let v1 = job["version_id"].as_i64().unwrap();
    t.post(&format!("/api/v1/versions/{v1}/publish"), &coord, json!({}))
        .await;
    let all = t.get(&format!("/api/v1/versions/{v1}"), &coord).await.body["assignments"].clone();
    let mut count: std::collections::BTreeMap<String, usize> = Default::default();
    for a in all.as_array().unwrap() {
        *count.entry(s(&a["lawyer_id"])).or_default() += 1;
    }
    let (lawyer, n) = count
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(l, n)| (l.clone(), *n))
        .unwrap();
    let tok = t.token(TokenRole::Lawyer, None, Some(&lawyer)).await;

    // The lawyer's own feed.
    let r = t
        .post(
            &format!("/api/v1/lawyers/{lawyer}/feed-token"),
            &tok,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let url = s(&r.body["url"]);
    assert!(s(&r.body["webcal_url"]).starts_with("webcal://"));
    let (status, headers, text) = fetch_feed(&t, &url, None).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(headers["content-type"], "text/calendar; charset=utf-8");
    for line in text.split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line}", line.len());
    }
    assert!(
        text.contains("X-WR-CALNAME:") && text.contains("REFRESH-INTERVAL;VALUE=DURATION:PT60M")
    );
    assert_eq!(text.matches("\r\nPRODID:").count(), 1, "one PRODID");
    let evs = events_of(&text);
    assert_eq!(evs.len(), n);
    assert!(evs.iter().all(|e| e.1 == "CONFIRMED" && e.2 == 0));
    assert!(
        evs.iter()
            .all(|e| e.3.contains("值班") || e.3.contains("备岗")),
        "{evs:?}"
    );
    assert_eq!(python_events(&text), n);
    let etag = headers["etag"].to_str().unwrap().to_string();
    let (status, _, _) = fetch_feed(&t, &url, Some(&etag)).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    // Nobody else's feed: another lawyer cannot rotate this one's token.
    let other = count.keys().find(|l| **l != lawyer).unwrap().clone();
    let other_tok = t.token(TokenRole::Lawyer, None, Some(&other)).await;
    let r = t
        .post(
            &format!("/api/v1/lawyers/{lawyer}/feed-token"),
            &other_tok,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The station's feed, for its staff.
    let station = s(&all[0]["station_id"]);
    let r = t
        .post(
            &format!("/api/v1/stations/{station}/feed-token"),
            &coord,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let site_url = s(&r.body["url"]);
    let (status, _, site) = fetch_feed(&t, &site_url, None).await;
    assert_eq!(status, StatusCode::OK);
    let site_events = events_of(&site);
    assert_eq!(
        site_events.len(),
        all.as_array()
            .unwrap()
            .iter()
            .filter(|a| a["station_id"] == station.as_str())
            .count()
    );
    assert_eq!(python_events(&site), site_events.len());
    // The station token does not open another station's feed, nor a lawyer's.
    let wrong = site_url.replace(&format!("/{station}.ics"), "/CH-XX.ics");
    assert_eq!(fetch_feed(&t, &wrong, None).await.0, StatusCode::NOT_FOUND);

    // The lawyer is out for the whole fortnight: after the repair is published the feed marks
    // their duties cancelled with a higher SEQUENCE; the lawyers who took them see them.
    let r = t
        .post(
            &format!("/api/v1/versions/{v1}/repair"),
            &coord,
            json!({"changes": [{"kind": "lawyer_out", "lawyer_id": lawyer, "from": from, "to": from + Duration::days(13)}]}),
        )
        .await;
    let job = t.wait_job(&coord, r.body["id"].as_i64().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let v2 = job["version_id"].as_i64().unwrap();
    t.post(&format!("/api/v1/versions/{v2}/publish"), &coord, json!({}))
        .await;
    let diff = t
        .get(&format!("/api/v1/versions/{v2}/diff"), &coord)
        .await
        .body;
    let (status, _, text2) = fetch_feed(&t, &url, Some(&etag)).await;
    assert_eq!(status, StatusCode::OK, "the feed changed");
    let evs2 = events_of(&text2);
    assert_eq!(evs2.len(), n, "taken-away duties stay in the feed");
    assert!(
        evs2.iter().all(|e| e.1 == "CANCELLED" && e.2 == 1),
        "{evs2:?}"
    );
    assert_eq!(python_events(&text2), n);
    for a in diff["added"].as_array().unwrap() {
        let taker = s(&a["lawyer_id"]);
        let ttok = t.token(TokenRole::Lawyer, None, Some(&taker)).await;
        let r = t
            .post(
                &format!("/api/v1/lawyers/{taker}/feed-token"),
                &ttok,
                json!({}),
            )
            .await;
        let (_, _, feed) = fetch_feed(&t, &s(&r.body["url"]), None).await;
        let uid = format!(
            "{}-{}-{}-{}-{}@zhiban",
            s(&a["station_id"]),
            s(&a["date"]).replace('-', ""),
            s(&a["half_day"]),
            taker,
            s(&a["role"])
        );
        assert!(
            events_of(&feed)
                .iter()
                .any(|e| e.0 == uid && e.1 == "CONFIRMED"),
            "{uid} missing from {taker}'s feed"
        );
    }

    // Rotating makes the old URL answer 404 at once; unknown tokens answer 404.
    let r = t
        .post(
            &format!("/api/v1/lawyers/{lawyer}/feed-token"),
            &tok,
            json!({}),
        )
        .await;
    let new_url = s(&r.body["url"]);
    assert_eq!(fetch_feed(&t, &url, None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(fetch_feed(&t, &new_url, None).await.0, StatusCode::OK);
    assert_eq!(
        fetch_feed(&t, "http://x/ical/lawyers/zb_unknown.ics", None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

async fn imported_busy_calendars_keep_the_solver_off_those_half_days(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let from = next_monday();
    // Generate once to see who would be on duty.
    let r = t
        .post(
            "/api/v1/rosters",
            &coord,
            json!({"centre_id": "CH", "from": from, "weeks": 1}),
        )
        .await;
    let job = t.wait_job(&coord, r.body["id"].as_i64().unwrap()).await;
    let first = t
        .get(&format!("/api/v1/versions/{}", job["version_id"]), &coord)
        .await
        .body["assignments"]
        .clone();
    let duty = first.as_array().unwrap()[0].clone();
    let lawyer = s(&duty["lawyer_id"]);
    let tok = t.token(TokenRole::Lawyer, None, Some(&lawyer)).await;
    let day = s(&duty["date"]).replace('-', "");
    // A hearing on that day (all day), and a weekly recurring afternoon commitment.
    let ics = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n\
         BEGIN:VEVENT\r\nUID:hearing-1\r\nSUMMARY:开庭（外地）\r\nDTSTART;VALUE=DATE:{day}\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:weekly\r\nSUMMARY:律所例会\r\nDTSTART;TZID=Asia/Shanghai:{}T140000\r\n\
         DTEND;TZID=Asia/Shanghai:{}T170000\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        from.format("%Y%m%d"),
        from.format("%Y%m%d")
    );
    let put = |body: String| {
        let req = Request::put(format!("/api/v1/lawyers/{lawyer}/busy"))
            .header("authorization", format!("Bearer {tok}"))
            .header("content-type", "text/calendar")
            .body(Body::from(body))
            .unwrap();
        t.router.clone().oneshot(req)
    };
    let res = put(ics).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value =
        serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(body["busy_periods"], 5, "{body}");
    // A broken file names the line and changes nothing.
    let res = put("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART 20261123\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n".into())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value =
        serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(body["errors"][0]["field"], "body line 4", "{body}");
    let r = t.get(&format!("/api/v1/lawyers/{lawyer}/busy"), &tok).await;
    assert_eq!(r.body["busy_periods"], 5);
    // Generate again: the lawyer is on no half-day their calendar blocks.
    let r = t
        .post(
            "/api/v1/rosters",
            &coord,
            json!({"centre_id": "CH", "from": from, "weeks": 1}),
        )
        .await;
    let job = t.wait_job(&coord, r.body["id"].as_i64().unwrap()).await;
    let again = t
        .get(
            &format!("/api/v1/versions/{}?lawyer_id={lawyer}", job["version_id"]),
            &coord,
        )
        .await;
    for a in again.body["assignments"].as_array().unwrap() {
        assert_ne!(a["date"], duty["date"], "booked on the hearing day: {a}");
        let monday_pm = s(&a["half_day"]) == "pm"
            && chrono::NaiveDate::parse_from_str(&s(&a["date"]), "%Y-%m-%d")
                .unwrap()
                .weekday()
                == from.weekday();
        assert!(!monday_pm, "booked over the weekly meeting: {a}");
    }
}

/// One operation of the OpenAPI document, aimed at centre GZ-TH's resources.
struct Case {
    method: Method,
    /// The path as the document spells it.
    template: &'static str,
    uri: String,
    body: Option<Value>,
    /// A list: outsiders may get 200, but nothing of GZ-TH in it.
    list: bool,
    /// Which outsiders must be refused (names in the test's token table).
    outsiders: &'static [&'static str],
}

/// Outsiders of every centre-scoped route.
const OTHER_CENTRE: &[&str] = &["coordinator GZ-CH", "finance GZ-CH", "lawyer GZ-CH"];
/// Routes of one lawyer's own things: also another lawyer of the same centre.
const OTHER_LAWYER: &[&str] = &[
    "coordinator GZ-CH",
    "finance GZ-CH",
    "lawyer GZ-CH",
    "other lawyer GZ-TH",
];
/// Roster and attendance edits: also the centre's own finance staff.
const EDITS: &[&str] = &[
    "coordinator GZ-CH",
    "finance GZ-CH",
    "lawyer GZ-CH",
    "finance GZ-TH",
];
/// Edits of one lawyer's things: everyone but the lawyer and the centre's coordinators.
const LAWYER_EDITS: &[&str] = &[
    "coordinator GZ-CH",
    "finance GZ-CH",
    "lawyer GZ-CH",
    "other lawyer GZ-TH",
    "finance GZ-TH",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_of_the_openapi_document_refuses_other_tenants_and_writes_nothing() {
    let t = TestApp::on(Backend::Sqlite, "guangzhou").await;
    let v = coordinator_walk(&t, "GZ-TH", 2).await;
    let coord = t.token(TokenRole::Coordinator, Some("GZ-TH"), None).await;

    // GZ-TH's resources: the published version, its roster, a job, a swap, a duty and its
    // lawyer, another lawyer of the centre not in that swap, an attendance record.
    let version = t.get(&format!("/api/v1/versions/{v}"), &coord).await;
    let roster = version.body["roster"]["id"].as_i64().unwrap();
    let swaps = t.get("/api/v1/swaps", &coord).await;
    let swap = &swaps.body["items"][0];
    let swap_id = swap["id"].as_i64().unwrap();
    let in_swap = [s(&swap["from_lawyer"]), s(&swap["to_lawyer"])];
    let duties = t
        .get("/api/v1/duties?centre_id=GZ-TH&limit=500", &coord)
        .await;
    let items: Vec<Value> = duties.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", duties.body))
        .iter()
        .map(|d| match d.get("assignment") {
            Some(a) => a.clone(),
            None => d.clone(),
        })
        .collect();
    let duty = items
        .iter()
        .find(|d| d["role"] == "primary")
        .unwrap_or_else(|| panic!("{}", duties.body))
        .clone();
    let la = s(&duty["lawyer_id"]);
    // Another lawyer of the centre, in neither the swap nor `la`'s slot (a check-in names
    // the caller's own duty: a lawyer sharing the slot would be checking in to their own).
    let same_slot = |d: &Value| {
        d["station_id"] == duty["station_id"]
            && d["date"] == duty["date"]
            && d["half_day"] == duty["half_day"]
    };
    let lb = items
        .iter()
        .map(|d| s(&d["lawyer_id"]))
        .find(|l| {
            *l != la
                && !in_swap.contains(l)
                && !items
                    .iter()
                    .any(|d| same_slot(d) && s(&d["lawyer_id"]) == *l)
        })
        .unwrap();
    let (st, date, half) = (
        s(&duty["station_id"]),
        s(&duty["date"]),
        s(&duty["half_day"]),
    );
    let day: NaiveDate = date.parse().unwrap();
    t.set_time(Some(day.and_hms_opt(15, 0, 0).unwrap().and_utc()));
    let manual = t
        .post(
            "/api/v1/checkins/manual",
            &coord,
            json!({"station_id": st, "date": date, "half_day": half, "lawyer_id": la,
                   "check_in_at": day.and_hms_opt(1, 0, 0).unwrap().and_utc(),
                   "check_out_at": day.and_hms_opt(3, 0, 0).unwrap().and_utc(),
                   "reason": "手机没电，值班记录本为证"}),
        )
        .await;
    assert_eq!(manual.status, StatusCode::CREATED, "{}", manual.body);
    let att = manual.body["id"].as_i64().unwrap();
    let month = &date[..7];
    let policy = t.get("/api/v1/centres/GZ-TH/policy", &coord).await.body;
    let subsidy = t
        .get("/api/v1/centres/GZ-TH/subsidy-policies", &coord)
        .await
        .body[0]
        .clone();
    assert!(subsidy.is_object(), "GZ-TH has a subsidy policy: {subsidy}");
    let availability = t
        .get(&format!("/api/v1/lawyers/{la}/availability"), &coord)
        .await
        .body;
    // Reads that create something on first use (the QR secret) happen before the snapshot.
    assert_eq!(
        t.get(&format!("/api/v1/stations/{st}/qr?date={date}"), &coord)
            .await
            .status,
        StatusCode::OK
    );

    let mut tokens = std::collections::BTreeMap::new();
    tokens.insert(
        "coordinator GZ-CH",
        t.token(TokenRole::Coordinator, Some("GZ-CH"), None).await,
    );
    tokens.insert(
        "finance GZ-CH",
        t.token(TokenRole::Finance, Some("GZ-CH"), None).await,
    );
    let ch_lawyer = t
        .get(
            "/api/v1/lawyers?centre_id=GZ-CH&limit=1",
            &t.token(TokenRole::Admin, None, None).await,
        )
        .await
        .body["items"][0]["id"]
        .clone();
    tokens.insert(
        "lawyer GZ-CH",
        t.token(TokenRole::Lawyer, None, Some(ch_lawyer.as_str().unwrap()))
            .await,
    );
    tokens.insert(
        "other lawyer GZ-TH",
        t.token(TokenRole::Lawyer, None, Some(&lb)).await,
    );
    tokens.insert(
        "finance GZ-TH",
        t.token(TokenRole::Finance, Some("GZ-TH"), None).await,
    );

    let duty_ref = json!({"station_id": st, "date": date, "half_day": half});
    let with = |extra: Value| {
        let mut d = duty_ref.clone();
        d.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        d
    };
    use Method as M;
    let case = |method: Method,
                template: &'static str,
                uri: String,
                body: Option<Value>,
                outsiders: &'static [&'static str]| Case {
        method,
        template,
        uri,
        body,
        list: false,
        outsiders,
    };
    let list = |template: &'static str, uri: String, outsiders: &'static [&'static str]| Case {
        method: M::GET,
        template,
        uri,
        body: None,
        list: true,
        outsiders,
    };
    let cases = vec![
        case(
            M::POST,
            "/api/v1/absences/excuse",
            "/api/v1/absences/excuse".into(),
            Some(with(json!({"lawyer_id": la, "reason": "法院临时休庭"}))),
            EDITS,
        ),
        list(
            "/api/v1/attendance",
            format!("/api/v1/attendance?centre_id=GZ-TH&from={date}&to={date}"),
            OTHER_LAWYER,
        ),
        list(
            "/api/v1/audit",
            "/api/v1/audit?centre_id=GZ-TH".into(),
            OTHER_LAWYER,
        ),
        list("/api/v1/centres", "/api/v1/centres".into(), OTHER_CENTRE),
        case(
            M::GET,
            "/api/v1/centres/{id}",
            "/api/v1/centres/GZ-TH".into(),
            None,
            OTHER_CENTRE,
        ),
        case(
            M::GET,
            "/api/v1/centres/{id}/panel",
            "/api/v1/centres/GZ-TH/panel".into(),
            None,
            OTHER_LAWYER,
        ),
        case(
            M::GET,
            "/api/v1/centres/{id}/panel.csv",
            "/api/v1/centres/GZ-TH/panel.csv".into(),
            None,
            OTHER_LAWYER,
        ),
        case(
            M::GET,
            "/api/v1/centres/{id}/policy",
            "/api/v1/centres/GZ-TH/policy".into(),
            None,
            OTHER_CENTRE,
        ),
        case(
            M::PUT,
            "/api/v1/centres/{id}/policy",
            "/api/v1/centres/GZ-TH/policy".into(),
            Some(policy.clone()),
            EDITS,
        ),
        case(
            M::GET,
            "/api/v1/centres/{id}/subsidy-policies",
            "/api/v1/centres/GZ-TH/subsidy-policies".into(),
            None,
            OTHER_CENTRE,
        ),
        case(
            M::PUT,
            "/api/v1/centres/{id}/subsidy-policies",
            "/api/v1/centres/GZ-TH/subsidy-policies".into(),
            Some(subsidy.clone()),
            &[
                "coordinator GZ-CH",
                "finance GZ-CH",
                "lawyer GZ-CH",
                "other lawyer GZ-TH",
            ],
        ),
        case(
            M::POST,
            "/api/v1/checkins",
            "/api/v1/checkins".into(),
            Some(with(
                json!({"role": "primary", "method": "app", "lat": 23.13, "lon": 113.26}),
            )),
            &[
                "coordinator GZ-CH",
                "finance GZ-CH",
                "lawyer GZ-CH",
                "other lawyer GZ-TH",
                "finance GZ-TH",
            ],
        ),
        case(
            M::POST,
            "/api/v1/checkins/manual",
            "/api/v1/checkins/manual".into(),
            Some(with(
                json!({"lawyer_id": la, "check_in_at": day.and_hms_opt(1, 5, 0).unwrap().and_utc(),
                "check_out_at": day.and_hms_opt(3, 0, 0).unwrap().and_utc(), "reason": "补录"}),
            )),
            LAWYER_EDITS,
        ),
        case(
            M::POST,
            "/api/v1/checkins/{id}/approve",
            format!("/api/v1/checkins/{att}/approve"),
            Some(json!({})),
            LAWYER_EDITS,
        ),
        case(
            M::POST,
            "/api/v1/checkins/{id}/checkout",
            format!("/api/v1/checkins/{att}/checkout"),
            Some(json!({})),
            LAWYER_EDITS,
        ),
        list(
            "/api/v1/duties",
            "/api/v1/duties?centre_id=GZ-TH".into(),
            OTHER_CENTRE,
        ),
        list(
            "/api/v1/firms",
            "/api/v1/firms?centre_id=GZ-TH".into(),
            OTHER_CENTRE,
        ),
        case(
            M::GET,
            "/api/v1/jobs/{id}",
            "/api/v1/jobs/1".into(),
            None,
            OTHER_LAWYER,
        ),
        list(
            "/api/v1/lawyers",
            "/api/v1/lawyers?centre_id=GZ-TH".into(),
            OTHER_LAWYER,
        ),
        case(
            M::GET,
            "/api/v1/lawyers/{id}",
            format!("/api/v1/lawyers/{la}"),
            None,
            OTHER_LAWYER,
        ),
        case(
            M::GET,
            "/api/v1/lawyers/{id}/availability",
            format!("/api/v1/lawyers/{la}/availability"),
            None,
            OTHER_LAWYER,
        ),
        case(
            M::PUT,
            "/api/v1/lawyers/{id}/availability",
            format!("/api/v1/lawyers/{la}/availability"),
            Some(availability.clone()),
            LAWYER_EDITS,
        ),
        case(
            M::GET,
            "/api/v1/lawyers/{id}/busy",
            format!("/api/v1/lawyers/{la}/busy"),
            None,
            OTHER_LAWYER,
        ),
        case(
            M::PUT,
            "/api/v1/lawyers/{id}/busy",
            format!("/api/v1/lawyers/{la}/busy"),
            Some(json!({})),
            LAWYER_EDITS,
        ),
        case(
            M::POST,
            "/api/v1/lawyers/{id}/feed-token",
            format!("/api/v1/lawyers/{la}/feed-token"),
            Some(json!({})),
            LAWYER_EDITS,
        ),
        list(
            "/api/v1/ledger",
            format!("/api/v1/ledger?centre_id=GZ-TH&month={month}"),
            OTHER_LAWYER,
        ),
        case(
            M::PUT,
            "/api/v1/ledger",
            "/api/v1/ledger".into(),
            Some(with(
                json!({"lawyer_id": la, "consultations": 1, "plea_signings": 0, "notes": "", "applications": []}),
            )),
            LAWYER_EDITS,
        ),
        case(
            M::POST,
            "/api/v1/ledger/confirm",
            "/api/v1/ledger/confirm".into(),
            Some(
                json!({"centre_id": "GZ-TH", "duties": [{"station_id": st, "date": date,
                "half_day": "am", "lawyer_id": la, "plea_signings": 0}]}),
            ),
            EDITS,
        ),
        case(
            M::POST,
            "/api/v1/corrections",
            "/api/v1/corrections".into(),
            Some(with(
                json!({"lawyer_id": la, "reason": "更正", "plea_signings": 1}),
            )),
            EDITS,
        ),
        case(
            M::GET,
            "/api/v1/station-display",
            "/api/v1/station-display".into(),
            None,
            OTHER_LAWYER,
        ),
        list(
            "/api/v1/corrections",
            "/api/v1/corrections?centre_id=GZ-TH".into(),
            OTHER_LAWYER,
        ),
        list(
            "/api/v1/ledger.csv",
            format!("/api/v1/ledger.csv?centre_id=GZ-TH&month={month}"),
            OTHER_LAWYER,
        ),
        // A caller's own things: nothing of GZ-TH for callers of another centre.
        list("/api/v1/me", "/api/v1/me".into(), OTHER_CENTRE),
        list(
            "/api/v1/me/duties",
            "/api/v1/me/duties".into(),
            OTHER_CENTRE,
        ),
        list(
            "/api/v1/rosters",
            "/api/v1/rosters?centre_id=GZ-TH".into(),
            OTHER_CENTRE,
        ),
        case(
            M::POST,
            "/api/v1/rosters",
            "/api/v1/rosters".into(),
            Some(
                json!({"centre_id": "GZ-TH", "from": next_monday() + Duration::days(28), "weeks": 1}),
            ),
            EDITS,
        ),
        case(
            M::GET,
            "/api/v1/rosters/{id}",
            format!("/api/v1/rosters/{roster}"),
            None,
            OTHER_LAWYER,
        ),
        case(
            M::GET,
            "/api/v1/statements/{centre}/{month}",
            format!("/api/v1/statements/GZ-TH/{month}"),
            None,
            OTHER_LAWYER,
        ),
        case(
            M::POST,
            "/api/v1/statements/{centre}/{month}/approve",
            format!("/api/v1/statements/GZ-TH/{month}/approve"),
            Some(json!({})),
            &[
                "coordinator GZ-CH",
                "finance GZ-CH",
                "lawyer GZ-CH",
                "other lawyer GZ-TH",
            ],
        ),
        case(
            M::GET,
            "/api/v1/statements/{centre}/{month}/csv",
            format!("/api/v1/statements/GZ-TH/{month}/csv"),
            None,
            OTHER_LAWYER,
        ),
        case(
            M::GET,
            "/api/v1/statements/{centre}/{month}/xlsx",
            format!("/api/v1/statements/GZ-TH/{month}/xlsx"),
            None,
            OTHER_LAWYER,
        ),
        list(
            "/api/v1/stations",
            "/api/v1/stations?centre_id=GZ-TH".into(),
            OTHER_CENTRE,
        ),
        case(
            M::GET,
            "/api/v1/stations/{id}",
            format!("/api/v1/stations/{st}"),
            None,
            OTHER_CENTRE,
        ),
        case(
            M::POST,
            "/api/v1/stations/{id}/feed-token",
            format!("/api/v1/stations/{st}/feed-token"),
            Some(json!({})),
            LAWYER_EDITS,
        ),
        case(
            M::GET,
            "/api/v1/stations/{id}/qr",
            format!("/api/v1/stations/{st}/qr?date={date}"),
            None,
            LAWYER_EDITS,
        ),
        list("/api/v1/swaps", "/api/v1/swaps".into(), OTHER_LAWYER),
        case(
            M::POST,
            "/api/v1/swaps",
            "/api/v1/swaps".into(),
            Some(with(json!({"to_lawyer_id": lb}))),
            &[
                "coordinator GZ-CH",
                "finance GZ-CH",
                "lawyer GZ-CH",
                "other lawyer GZ-TH",
                "finance GZ-TH",
            ],
        ),
        case(
            M::GET,
            "/api/v1/swaps/{id}",
            format!("/api/v1/swaps/{swap_id}"),
            None,
            OTHER_LAWYER,
        ),
        case(
            M::POST,
            "/api/v1/swaps/{id}/accept",
            format!("/api/v1/swaps/{swap_id}/accept"),
            Some(json!({})),
            LAWYER_EDITS,
        ),
        case(
            M::POST,
            "/api/v1/swaps/{id}/approve",
            format!("/api/v1/swaps/{swap_id}/approve"),
            Some(json!({})),
            LAWYER_EDITS,
        ),
        case(
            M::POST,
            "/api/v1/swaps/{id}/cancel",
            format!("/api/v1/swaps/{swap_id}/cancel"),
            Some(json!({})),
            LAWYER_EDITS,
        ),
        case(
            M::POST,
            "/api/v1/swaps/{id}/reject",
            format!("/api/v1/swaps/{swap_id}/reject"),
            Some(json!({})),
            LAWYER_EDITS,
        ),
        case(
            M::GET,
            "/api/v1/versions/{id}",
            format!("/api/v1/versions/{v}"),
            None,
            OTHER_LAWYER,
        ),
        case(
            M::GET,
            "/api/v1/versions/{id}/by-lawyer",
            format!("/api/v1/versions/{v}/by-lawyer"),
            None,
            OTHER_LAWYER,
        ),
        case(
            M::GET,
            "/api/v1/versions/{id}/diff",
            format!("/api/v1/versions/{v}/diff"),
            None,
            OTHER_LAWYER,
        ),
        case(
            M::POST,
            "/api/v1/versions/{id}/drafts",
            format!("/api/v1/versions/{v}/drafts"),
            Some(json!({})),
            LAWYER_EDITS,
        ),
        case(
            M::POST,
            "/api/v1/versions/{id}/edits",
            format!("/api/v1/versions/{v}/edits"),
            Some(
                json!({"operations": [{"op": "unassign", "station_id": st, "date": date, "half_day": half, "lawyer_id": la, "role": "primary"}]}),
            ),
            LAWYER_EDITS,
        ),
        case(
            M::POST,
            "/api/v1/versions/{id}/publish",
            format!("/api/v1/versions/{v}/publish"),
            Some(json!({})),
            LAWYER_EDITS,
        ),
        case(
            M::POST,
            "/api/v1/versions/{id}/repair",
            format!("/api/v1/versions/{v}/repair"),
            Some(
                json!({"changes": [{"kind": "lawyer_out", "lawyer_id": la, "from": date, "to": date}]}),
            ),
            LAWYER_EDITS,
        ),
        case(
            M::GET,
            "/api/v1/versions/{id}/suggestions",
            format!("/api/v1/versions/{v}/suggestions?station_id={st}&date={date}&half_day={half}"),
            None,
            OTHER_LAWYER,
        ),
    ];
    // Routes with no principal: the health check (no data of any centre) and the calendar
    // feeds, reached by their secret token (tested in the feed tests: another token, a
    // rotated one or a station's token for another station answers 404). The working
    // calendar is the same for everyone.
    let public = [
        "GET /healthz",
        "GET /ical/lawyers/{file}",
        "GET /ical/sites/{file}",
        "GET /api/v1/calendar",
    ];

    // Every operation of the document has a case.
    let doc = serde_json::to_value(zhiban_api::openapi()).unwrap();
    let mut documented = std::collections::BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for m in ops.as_object().unwrap().keys() {
            if ["get", "post", "put", "delete", "patch"].contains(&m.as_str()) {
                documented.insert(format!("{} {path}", m.to_uppercase()));
            }
        }
    }
    let covered: std::collections::BTreeSet<String> = cases
        .iter()
        .map(|c| format!("{} {}", c.method, c.template))
        .chain(public.iter().map(|p| p.to_string()))
        .collect();
    let missing: Vec<_> = documented.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "routes without a tenancy case: {missing:?}"
    );
    let unknown: Vec<_> = covered.difference(&documented).collect();
    assert!(
        unknown.is_empty(),
        "cases for routes not in the document: {unknown:?}"
    );

    // Nothing any refused request does is stored.
    let before = zhiban_store::render_dump(&t.store.dump_tables().await.unwrap());
    let mut refusals = 0;
    for c in &cases {
        for who in c.outsiders {
            let token = &tokens[who];
            let r = t
                .call(c.method.clone(), &c.uri, token, c.body.clone())
                .await;
            let what = format!("{who}: {} {}", c.method, c.uri);
            if c.list && r.status == StatusCode::OK {
                // Nothing of lawyer `la`; for callers of another centre, nothing of GZ-TH at
                // all (a lawyer of GZ-TH legitimately sees their own centre's code).
                let text = r.body.to_string();
                assert!(
                    !text.contains(&format!("\"{la}\""))
                        && (who.ends_with("GZ-TH") || !text.contains("GZ-TH")),
                    "{what} shows GZ-TH's data: {text}"
                );
            } else {
                assert!(
                    [StatusCode::FORBIDDEN, StatusCode::NOT_FOUND].contains(&r.status),
                    "{what} answered {} {}",
                    r.status,
                    r.body
                );
                refusals += 1;
            }
        }
    }
    assert!(refusals > 150, "{refusals}");
    let after = zhiban_store::render_dump(&t.store.dump_tables().await.unwrap());
    assert!(before == after, "a refused request changed the database");
}
