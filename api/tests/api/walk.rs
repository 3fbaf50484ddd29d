//! A coordinator's fortnight end to end through the JSON API under /api/v1, on
//! `fixtures/small` and on `fixtures/guangzhou` (where other centres see nothing of it):
//! generate, inspect, edit with suggestions, publish, a swap, a repair after a sick call,
//! and the diff.

use axum::http::{Method, StatusCode};
use chrono::Duration;
use serde_json::{Value, json};
use zhiban_store::TokenRole;

use crate::helpers::*;

on_both!(
    a_coordinators_fortnight_on_the_small_fixture,
    a_coordinators_fortnight_on_guangzhou_and_other_centres_see_nothing_of_it,
);

/// A coordinator's two weeks: generate, inspect, edit with suggestions, publish, a swap,
/// a repair after a sick call, and the diff. Returns the final published version id.
pub(crate) async fn coordinator_walk(t: &TestApp, centre: &str, weeks: u32) -> i64 {
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
