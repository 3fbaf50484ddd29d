//! A month of check-ins becomes a statement equal to hand-computed totals.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use zhiban_store::TokenRole;

use crate::helpers::*;

on_both!(a_month_of_check_ins_becomes_a_statement_equal_to_hand_computed_totals,);

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
