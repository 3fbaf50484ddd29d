//! The JSON API under /api/v1, driven through the real router against real SQLite files:
//! a coordinator's week end to end on `fixtures/small` and `fixtures/guangzhou`, errors,
//! roles and tenancy, and the OpenAPI document checked by an independent validator.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use chrono::{Datelike, Duration, NaiveDate};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::sync::Arc;
use tower::ServiceExt;
use zhiban_api::{AppState, app};
use zhiban_store::{Store, TokenRole};

struct TestApp {
    router: axum::Router,
    store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl TestApp {
    async fn new(fixture: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("zhiban.db").display());
        let store = zhiban_store::connect(&url).await.unwrap();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
        let ds =
            zhiban_dataset::read_dir(&root.join(fixture), chrono::Utc::now().date_naive()).unwrap();
        store.import_dataset(&ds).await.unwrap();
        let router = app(AppState::new(store.clone()));
        Self {
            router,
            store,
            _dir: dir,
        }
    }

    async fn token(&self, role: TokenRole, centre: Option<&str>, lawyer: Option<&str>) -> String {
        let t = zhiban_api::cli::create_token(
            &self.store,
            role,
            centre.map(|c| zhiban_domain::CentreId::parse(c).unwrap()),
            lawyer.map(|c| zhiban_domain::LawyerId::parse(c).unwrap()),
            &format!("test {}", role.code()),
        )
        .await
        .unwrap();
        t.split('\t').next().unwrap().to_string()
    }

    async fn call_with(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
        extra: &[(&str, &str)],
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b.to_string()))
                .unwrap(),
            None => req.body(Body::empty()).unwrap(),
        };
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        if status.is_client_error() || status.is_server_error() {
            assert_eq!(
                headers["content-type"], "application/problem+json",
                "{uri}: error {status} without problem+json: {body}"
            );
            assert_eq!(body["status"], status.as_u16());
        }
        assert!(!status.is_server_error(), "{uri}: {status} {body}");
        Reply {
            status,
            headers,
            body,
        }
    }

    async fn call(&self, method: Method, uri: &str, token: &str, body: Option<Value>) -> Reply {
        self.call_with(method, uri, Some(token), body, &[]).await
    }

    async fn get(&self, uri: &str, token: &str) -> Reply {
        self.call(Method::GET, uri, token, None).await
    }

    async fn post(&self, uri: &str, token: &str, body: Value) -> Reply {
        self.call(Method::POST, uri, token, Some(body)).await
    }

    /// Polls a job until it ends; returns it.
    async fn wait_job(&self, token: &str, id: i64) -> Value {
        for _ in 0..1200 {
            let r = self.get(&format!("/api/v1/jobs/{id}"), token).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            match r.body["status"].as_str().unwrap() {
                "succeeded" | "failed" => return r.body,
                _ => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            }
        }
        panic!("job {id} did not finish in 120 s");
    }
}

/// The Monday at least two days ahead, so every duty of the second week is more than 24
/// hours away whatever the time of day.
fn next_monday() -> NaiveDate {
    let today = chrono::Utc::now().date_naive() + Duration::days(2);
    today + Duration::days(i64::from((7 - today.weekday().num_days_from_monday()) % 7))
}

fn s(v: &Value) -> String {
    v.as_str().unwrap().to_string()
}

fn slot_key(a: &Value) -> (String, String, String) {
    (s(&a["station_id"]), s(&a["date"]), s(&a["half_day"]))
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coordinators_fortnight_on_the_small_fixture() {
    let t = TestApp::new("small").await;
    coordinator_walk(&t, "CH", 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coordinators_fortnight_on_guangzhou_and_other_centres_see_nothing_of_it() {
    let t = TestApp::new("guangzhou").await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_problem_json_naming_the_field() {
    let t = TestApp::new("small").await;
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

#[tokio::test]
async fn the_panel_list_is_csv_with_bom_and_chinese_headers() {
    let t = TestApp::new("small").await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swap_policy_same_firm_notice_and_auto_approval_are_enforced() {
    let t = TestApp::new("small").await;
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
