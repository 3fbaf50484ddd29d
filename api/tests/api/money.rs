// Over the ~600-line sizing rule on purpose: one scenario per money rule of issue 18, sharing the October roster set-up.
//! Money and trust, through the real router on both databases: a locked month never changes
//! by any path, one month has one name, pay needs proof, attendance must be real, and a new
//! subsidy policy is never served stale.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use zhiban_store::TokenRole;

use crate::helpers::*;

on_both!(
    a_locked_month_never_changes_by_any_path_and_corrections_are_paid_later,
    a_month_has_one_name,
    plea_agreements_pay_only_once_a_coordinator_confirms_them,
    attendance_must_be_real,
    a_check_in_left_behind_by_a_re_plan_does_not_pay_the_slot_twice,
    a_new_subsidy_policy_is_served_and_priced_at_once,
);

/// October 2026 on `fixtures/small`: a published roster from 5 October for 4 weeks. Returns
/// the coordinator's and finance's tokens, the published version, October's primary duties
/// and a token per lawyer.
struct October {
    coord: String,
    finance: String,
    version: i64,
    duties: Vec<Value>,
    lawyers: BTreeMap<String, String>,
}

async fn october(t: &TestApp) -> October {
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let finance = t.token(TokenRole::Finance, Some("CH"), None).await;
    t.set_time(Some(local("2026-10-01", "08:00")));
    let version = t.solve_and_publish(&coord, "CH", "2026-10-05", 4).await;
    let duties: Vec<Value> = t
        .primaries(&coord, version)
        .await
        .into_iter()
        .filter(|a| s(&a["date"]).starts_with("2026-10"))
        .collect();
    assert!(duties.len() >= 8, "{}", duties.len());
    let mut lawyers = BTreeMap::new();
    for d in &duties {
        let l = s(&d["lawyer_id"]);
        if let std::collections::btree_map::Entry::Vacant(e) = lawyers.entry(l.clone()) {
            e.insert(t.token(TokenRole::Lawyer, None, Some(&l)).await);
        }
    }
    October {
        coord,
        finance,
        version,
        duties,
        lawyers,
    }
}

/// Checks the duty's lawyer in 10 minutes early (at `offset_lat` degrees north of the
/// station) and out 5 minutes after the end; returns the record id.
async fn attend(t: &TestApp, o: &October, d: &Value, offset_lat: f64) -> i64 {
    let tok = &o.lawyers[&s(&d["lawyer_id"])];
    let date = s(&d["date"]);
    let ((lat, lon), start, end) = small_hours(d);
    t.set_time(Some(local(&date, &add_minutes(start, -10))));
    let r = t
        .post(
            "/api/v1/checkins",
            tok,
            with_duty(
                d,
                json!({"lat": lat + offset_lat, "lon": lon, "method": "app"}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    t.set_time(Some(local(&date, &add_minutes(end, 5))));
    let r = t
        .post(&format!("/api/v1/checkins/{id}/checkout"), tok, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    id
}

async fn statement(t: &TestApp, o: &October, month: &str) -> Value {
    let r = t
        .get(&format!("/api/v1/statements/CH/{month}"), &o.finance)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

fn adjustments(st: &Value) -> Vec<Value> {
    st["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["rule"] == "adjustment")
        .cloned()
        .collect()
}

async fn a_locked_month_never_changes_by_any_path_and_corrections_are_paid_later(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let o = october(&t).await;
    // Three duties of three lawyers on three days, so each pays a plain half-day.
    let d0 = &o.duties[0];
    let d1 = o
        .duties
        .iter()
        .find(|d| d["lawyer_id"] != d0["lawyer_id"] && d["date"] != d0["date"])
        .unwrap();
    let d2 = o
        .duties
        .iter()
        .find(|d| ![&d0["lawyer_id"], &d1["lawyer_id"]].contains(&&d["lawyer_id"]))
        .unwrap();
    let l0 = &o.lawyers[&s(&d0["lawyer_id"])];
    attend(&t, &o, d0, 0.0005).await;
    // Outside the geofence: waits for a coordinator's approval.
    let outside = attend(&t, &o, d1, 0.05).await;
    // The lawyer claims two plea agreements; the coordinator confirms them.
    let r = t
        .call(
            Method::PUT,
            "/api/v1/ledger",
            l0,
            Some(with_duty(
                d0,
                json!({"consultations": 3, "plea_signings": 2}),
            )),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let key = with_duty(
        d0,
        json!({"lawyer_id": d0["lawyer_id"], "plea_signings": 2}),
    );
    let r = t
        .post(
            "/api/v1/ledger/confirm",
            &o.coord,
            json!({"centre_id": "CH", "duties": [key]}),
        )
        .await;
    assert_eq!(r.body["confirmed"], 1, "{}", r.body);

    // Finance approves October on 2 November.
    t.set_time(Some(local("2026-11-02", "10:00")));
    let r = t
        .post(
            "/api/v1/statements/CH/2026-10/approve",
            &o.finance,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let locked_total = r.body["total_fen"].as_i64().unwrap();
    assert_eq!(locked_total, 19_500 + 2 * 5_000, "{}", r.body);

    // Every path that could change October's facts is refused.
    let refused = [
        (
            Method::PUT,
            "/api/v1/ledger",
            l0.clone(),
            with_duty(d0, json!({"consultations": 3, "plea_signings": 9})),
        ),
        (
            Method::PUT,
            "/api/v1/ledger",
            o.coord.clone(),
            with_duty(
                d0,
                json!({"lawyer_id": d0["lawyer_id"], "consultations": 3,
                "plea_signings": 9, "quality": "excellent"}),
            ),
        ),
        (
            Method::POST,
            "/api/v1/absences/excuse",
            o.coord.clone(),
            with_duty(
                d2,
                json!({"lawyer_id": d2["lawyer_id"], "reason": "事后补假"}),
            ),
        ),
        (
            Method::POST,
            &format!("/api/v1/checkins/{outside}/approve"),
            o.coord.clone(),
            json!({}),
        ),
        (
            Method::POST,
            &format!("/api/v1/checkins/{outside}/reject"),
            o.coord.clone(),
            json!({"reason": "事后驳回"}),
        ),
        (
            Method::PUT,
            "/api/v1/ledger/quality",
            o.coord.clone(),
            with_duty(d0, json!({"lawyer_id": d0["lawyer_id"], "quality": "fail"})),
        ),
        (
            Method::PUT,
            "/api/v1/centres/CH/subsidy-policies",
            o.finance.clone(),
            policy("2026-01-01", 99_000),
        ),
        (
            Method::PUT,
            "/api/v1/centres/CH/subsidy-policies",
            o.finance.clone(),
            policy("2026-10-15", 99_000),
        ),
    ];
    for (m, uri, tok, body) in refused {
        let r = t.call(m.clone(), uri, &tok, Some(body)).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{m} {uri}: {}", r.body);
    }
    // Re-planning October is refused too: which posts pay is a fact of the month.
    let draft = t
        .post(
            &format!("/api/v1/versions/{}/drafts", o.version),
            &o.coord,
            json!({}),
        )
        .await;
    assert_eq!(draft.status, StatusCode::CREATED, "{}", draft.body);
    let draft = draft.body["id"].as_i64().unwrap();
    let r = t
        .post(
            &format!("/api/v1/versions/{draft}/edits"),
            &o.coord,
            json!({"operations": [{"op": "unassign", "station_id": d0["station_id"],
                "date": d0["date"], "half_day": d0["half_day"], "lawyer_id": d0["lawyer_id"]}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = t
        .post(
            &format!("/api/v1/versions/{draft}/publish"),
            &o.coord,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    // A manual entry of the no-show, with real times, is refused too.
    let (_, start, end) = small_hours(d2);
    let date2 = s(&d2["date"]);
    let r = t
        .post(
            "/api/v1/checkins/manual",
            &o.coord,
            with_duty(
                d2,
                json!({"lawyer_id": d2["lawyer_id"], "reason": "纸质签到表",
                "check_in_at": local(&date2, start), "check_out_at": local(&date2, end)}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    // Bulk confirmation leaves locked entries alone.
    let r = t
        .post(
            "/api/v1/ledger/confirm",
            &o.coord,
            json!({"centre_id": "CH", "duties": [key]}),
        )
        .await;
    assert_eq!(r.body["confirmed"], 0, "{}", r.body);
    let oct = statement(&t, &o, "2026-10").await;
    assert_eq!(oct["total_fen"], locked_total);
    assert!(adjustments(&statement(&t, &o, "2026-11").await).is_empty());

    // The one way: a coordinator's correction with a reason. A lawyer may not, a blank
    // reason is refused, and an open month's duty is edited directly, not corrected.
    let fix = with_duty(
        d0,
        json!({"lawyer_id": d0["lawyer_id"], "plea_signings": 3, "reason": "台账漏记一件"}),
    );
    assert_eq!(
        t.post("/api/v1/corrections", l0, fix.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    let mut blank = fix.clone();
    blank["reason"] = json!("  ");
    let r = t.post("/api/v1/corrections", &o.coord, blank).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["errors"][0]["field"], "reason");
    let r = t.post("/api/v1/corrections", &o.coord, fix).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    assert_eq!(r.body["before"]["plea_signings"], 2);
    assert_eq!(r.body["after"]["plea_signings"], 3);
    // Finance sees it with its reason.
    let r = t
        .get("/api/v1/corrections?centre_id=CH&month=2026-10", &o.finance)
        .await;
    assert_eq!(r.body[0]["id"], id, "{}", r.body);
    assert_eq!(r.body[0]["reason"], "台账漏记一件");
    // New rates from November are allowed; they do not reprice October's correction.
    let r = t
        .call(
            Method::PUT,
            "/api/v1/centres/CH/subsidy-policies",
            &o.finance,
            Some(policy("2026-11-01", 9_000)),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let nov = statement(&t, &o, "2026-11").await;
    let adj = adjustments(&nov);
    assert_eq!(adj.len(), 1, "{nov}");
    assert_eq!(adj[0]["lawyer_id"], d0["lawyer_id"]);
    assert_eq!(
        adj[0]["amount_fen"], 5_000,
        "priced at October's frozen rate: {nov}"
    );
    assert!(s(&adj[0]["description"]).contains(&format!("#{id}")));
    assert_eq!(nov["corrections"][0]["id"], id);
    // October itself never changed.
    assert_eq!(
        statement(&t, &o, "2026-10").await["total_fen"],
        locked_total
    );

    // Once November is approved with the adjustment, December carries nothing more of it.
    t.set_time(Some(local("2026-12-02", "10:00")));
    let r = t
        .post(
            "/api/v1/statements/CH/2026-11/approve",
            &o.finance,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(adjustments(&statement(&t, &o, "2026-12").await).is_empty());
    // A second correction of October is paid in December, by itself.
    let r = t
        .post(
            "/api/v1/corrections",
            &o.coord,
            with_duty(
                d1,
                json!({"lawyer_id": d1["lawyer_id"], "attendance": "counts",
                "reason": "越界签到经核实在岗"}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let dec = statement(&t, &o, "2026-12").await;
    let adj = adjustments(&dec);
    assert_eq!(adj.len(), 1, "{dec}");
    assert_eq!(adj[0]["lawyer_id"], d1["lawyer_id"]);
    assert_eq!(adj[0]["amount_fen"], 19_500, "{dec}");
    // December is approved with it; then the correction is found wrong and reversed: January
    // takes the amount back, although the lawyer had no pay in October itself.
    t.set_time(Some(local("2027-01-02", "10:00")));
    let r = t
        .post(
            "/api/v1/statements/CH/2026-12/approve",
            &o.finance,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = t
        .post(
            "/api/v1/corrections",
            &o.coord,
            with_duty(
                d1,
                json!({"lawyer_id": d1["lawyer_id"], "attendance": "void",
                "reason": "核实有误，撤销"}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let jan = statement(&t, &o, "2027-01").await;
    let adj = adjustments(&jan);
    assert_eq!(adj.len(), 1, "{jan}");
    assert_eq!(adj[0]["amount_fen"], -19_500, "{jan}");
    t.set_time(None);
}

/// CH's policy from `from`, with `plea` fen per plea case.
fn policy(from: &str, plea: i64) -> Value {
    let kinds = |fen: i64| json!({"detention_centre": fen, "court": fen, "procuratorate": fen});
    json!({"centre_id": "CH", "effective_from": from, "half_day_fen": kinds(19_500),
        "full_day_fen": kinds(38_500), "plea_case_fen": plea, "cross_district_fen_per_day": 18_000,
        "quality_pct": {"excellent": 120, "standard": 100, "fail": 0}, "monthly_cap_fen": 0})
}

async fn a_month_has_one_name(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let finance = t.token(TokenRole::Finance, Some("CH"), None).await;
    t.set_time(Some(local("2026-11-02", "10:00")));
    let r = t
        .post("/api/v1/statements/CH/2026-09/approve", &finance, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for bad in [
        "2026-+9",
        "02026-9",
        "2026-9",
        "+2026-09",
        "2026-09-01",
        "2026-13",
    ] {
        let esc = bad.replace('+', "%2B");
        for (m, uri) in [
            (Method::GET, format!("/api/v1/statements/CH/{esc}")),
            (Method::POST, format!("/api/v1/statements/CH/{esc}/approve")),
            (
                Method::GET,
                format!("/api/v1/ledger?centre_id=CH&month={esc}"),
            ),
            (
                Method::GET,
                format!("/api/v1/corrections?centre_id=CH&month={esc}"),
            ),
        ] {
            let r = t.call(m.clone(), &uri, &finance, Some(json!({}))).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{m} {uri}: {}", r.body);
            assert_eq!(r.body["errors"][0]["field"], "month", "{}", r.body);
        }
    }
    // September is approved once, under its one name.
    let r = t
        .post("/api/v1/statements/CH/2026-09/approve", &finance, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    t.set_time(None);
}

async fn plea_agreements_pay_only_once_a_coordinator_confirms_them(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let o = october(&t).await;
    let (d0, d1) = (&o.duties[0], &o.duties[1]);
    attend(&t, &o, d0, 0.0).await;
    attend(&t, &o, d1, 0.0).await;
    let base = statement(&t, &o, "2026-10").await["total_fen"]
        .as_i64()
        .unwrap();
    // The lawyer types 3, and the other 20 (above the centre's limit of 10).
    for (d, n) in [(d0, 3), (d1, 20)] {
        let tok = &o.lawyers[&s(&d["lawyer_id"])];
        let r = t
            .call(
                Method::PUT,
                "/api/v1/ledger",
                tok,
                Some(with_duty(
                    d,
                    json!({"consultations": 1, "plea_signings": n}),
                )),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let st = statement(&t, &o, "2026-10").await;
    assert_eq!(st["total_fen"], base, "claims are not paid: {st}");
    assert_eq!(st["pending_fen"], (3 + 20) * 5_000, "{st}");
    let claims = st["pending_claims"].as_array().unwrap();
    assert_eq!(claims.len(), 2, "{st}");
    let outliers: Vec<u64> = claims
        .iter()
        .filter(|c| c["outlier"] == true)
        .map(|c| c["claimed"].as_u64().unwrap())
        .collect();
    assert_eq!(outliers, vec![20], "{st}");
    // A confirmation of a claim other than the one standing confirms nothing (the lawyer
    // changed it since the coordinator looked); one click on what is shown confirms d0's
    // claim: it pays; d1's stays pending.
    let confirm = |n: u32| {
        json!({"centre_id": "CH", "duties": [with_duty(d0, json!({"lawyer_id": d0["lawyer_id"],
            "plea_signings": n}))]})
    };
    let r = t.post("/api/v1/ledger/confirm", &o.coord, confirm(2)).await;
    assert_eq!(r.body["confirmed"], 0, "{}", r.body);
    let r = t.post("/api/v1/ledger/confirm", &o.coord, confirm(3)).await;
    assert_eq!(r.body["confirmed"], 1, "{}", r.body);
    let st = statement(&t, &o, "2026-10").await;
    assert_eq!(st["total_fen"], base + 3 * 5_000, "{st}");
    assert_eq!(st["pending_fen"], 20 * 5_000, "{st}");
    // A lawyer who raises a confirmed claim again waits for a new confirmation.
    let tok = &o.lawyers[&s(&d0["lawyer_id"])];
    t.call(
        Method::PUT,
        "/api/v1/ledger",
        tok,
        Some(with_duty(
            d0,
            json!({"consultations": 1, "plea_signings": 5}),
        )),
    )
    .await;
    let st = statement(&t, &o, "2026-10").await;
    assert_eq!(st["total_fen"], base + 3 * 5_000, "{st}");
    assert_eq!(st["pending_fen"], (2 + 20) * 5_000, "{st}");
    // Approval pays only what is confirmed.
    t.set_time(Some(local("2026-11-02", "10:00")));
    let r = t
        .post(
            "/api/v1/statements/CH/2026-10/approve",
            &o.finance,
            json!({}),
        )
        .await;
    assert_eq!(r.body["total_fen"], base + 3 * 5_000, "{}", r.body);
    // Bounds: a confirmation of nothing or of too many entries is refused before work.
    let r = t
        .post(
            "/api/v1/ledger/confirm",
            &o.coord,
            json!({"centre_id": "CH", "duties": []}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    t.set_time(None);
}

async fn attendance_must_be_real(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let o = october(&t).await;
    let d = &o.duties[0];
    let tok = &o.lawyers[&s(&d["lawyer_id"])];
    let date = s(&d["date"]);
    let ((lat, lon), start, end) = small_hours(d);
    t.set_time(Some(local(&date, &add_minutes(start, -5))));
    let r = t
        .post(
            "/api/v1/checkins",
            tok,
            with_duty(d, json!({"lat": lat, "lon": lon, "method": "app"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    let out = format!("/api/v1/checkins/{id}/checkout");
    // One minute after the start is not half the half-day.
    t.set_time(Some(local(&date, &add_minutes(start, 1))));
    let r = t.post(&out, tok, json!({})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "check_out_at");
    // Long after the end plus the grace: refused too.
    t.set_time(Some(local(&date, &add_minutes(end, 61))));
    assert_eq!(
        t.post(&out, tok, json!({})).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    t.set_time(Some(local(&date, end)));
    let r = t.post(&out, tok, json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "attended");

    // A duty that has not happened cannot be excused or entered by hand.
    let later = o.duties.last().unwrap();
    let ldate = s(&later["date"]);
    let (_, lstart, lend) = small_hours(later);
    t.set_time(Some(local(&ldate, &add_minutes(lstart, -60))));
    let r = t
        .post(
            "/api/v1/absences/excuse",
            &o.coord,
            with_duty(
                later,
                json!({"lawyer_id": later["lawyer_id"], "reason": "法院休庭"}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let manual = |cin: chrono::DateTime<chrono::Utc>, cout: chrono::DateTime<chrono::Utc>| {
        with_duty(
            later,
            json!({"lawyer_id": later["lawyer_id"], "reason": "纸质签到表",
                "check_in_at": cin, "check_out_at": cout}),
        )
    };
    let r = t
        .post(
            "/api/v1/checkins/manual",
            &o.coord,
            manual(local(&ldate, lstart), local(&ldate, lend)),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // After the duty: one second, 29 hours before it, does not count.
    t.set_time(Some(local(&ldate, &add_minutes(lend, 60))));
    let early = local(&ldate, lstart) - chrono::Duration::hours(29);
    let r = t
        .post(
            "/api/v1/checkins/manual",
            &o.coord,
            manual(early, early + chrono::Duration::seconds(1)),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "check_in_at");
    // A five-digit year is refused naming the field, and the ledger still reads.
    let r = t
        .post(
            "/api/v1/checkins/manual",
            &o.coord,
            with_duty(
                later,
                json!({"lawyer_id": later["lawyer_id"], "reason": "x",
                "check_in_at": "+10000-01-01T00:00:00Z", "check_out_at": "+10000-01-01T01:00:00Z"}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // With real times it is entered, and the excuse now works too (for another duty).
    let r = t
        .post(
            "/api/v1/checkins/manual",
            &o.coord,
            manual(local(&ldate, lstart), local(&ldate, lend)),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    t.set_time(None);
}

async fn a_check_in_left_behind_by_a_re_plan_does_not_pay_the_slot_twice(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let o = october(&t).await;
    let d = o.duties[0].clone();
    let a = s(&d["lawyer_id"]);
    let date = s(&d["date"]);
    let ((lat, lon), start, end) = small_hours(&d);
    // A checks in; then the duty is re-planned to B and published.
    t.set_time(Some(local(&date, &add_minutes(start, -10))));
    let r = t
        .post(
            "/api/v1/checkins",
            &o.lawyers[&a],
            with_duty(&d, json!({"lat": lat, "lon": lon})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let a_rec = r.body["id"].as_i64().unwrap();
    let v = o.version;
    let r = t
        .get(
            &format!(
                "/api/v1/versions/{v}/suggestions?station_id={}&date={date}&half_day={}&replace={a}",
                s(&d["station_id"]),
                s(&d["half_day"])
            ),
            &o.coord,
        )
        .await;
    let b = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["valid"] == true)
        .map(|x| s(&x["lawyer_id"]))
        .expect("a valid replacement");
    let draft = t
        .post(&format!("/api/v1/versions/{v}/drafts"), &o.coord, json!({}))
        .await;
    assert_eq!(draft.status, StatusCode::CREATED, "{}", draft.body);
    let draft = draft.body["id"].as_i64().unwrap();
    let op = |kind: &str, l: &str| {
        json!({"op": kind, "station_id": d["station_id"], "date": d["date"],
            "half_day": d["half_day"], "lawyer_id": l})
    };
    let r = t
        .post(
            &format!("/api/v1/versions/{draft}/edits"),
            &o.coord,
            json!({"operations": [op("unassign", &a), op("assign", &b)]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = t
        .post(
            &format!("/api/v1/versions/{draft}/publish"),
            &o.coord,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // B checks in and out; A checks out of the record left behind.
    let b_tok = t.token(TokenRole::Lawyer, None, Some(&b)).await;
    let r = t
        .post(
            "/api/v1/checkins",
            &b_tok,
            with_duty(&d, json!({"lat": lat, "lon": lon})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let b_rec = r.body["id"].as_i64().unwrap();
    t.set_time(Some(local(&date, end)));
    for (tok, id) in [(&b_tok, b_rec), (&o.lawyers[&a], a_rec)] {
        let r = t
            .post(&format!("/api/v1/checkins/{id}/checkout"), tok, json!({}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    // The slot is paid once, to the lawyer on the roster.
    let st = statement(&t, &o, "2026-10").await;
    let paid: Vec<&Value> = st["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["date"] == d["date"] && l["station_id"] == d["station_id"])
        .filter(|l| l["half_day"] == d["half_day"] || l["half_day"].is_null())
        .filter(|l| l["rule"] == "half_day" || l["rule"] == "full_day")
        .collect();
    assert_eq!(paid.len(), 1, "{st}");
    assert_eq!(paid[0]["lawyer_id"], json!(b), "{st}");
    assert_eq!(st["off_roster"], 1, "{st}");
    t.set_time(None);
}

async fn a_new_subsidy_policy_is_served_and_priced_at_once(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let o = october(&t).await;
    attend(&t, &o, &o.duties[0].clone(), 0.0).await;
    // Read first, so that every cache holds the old panel.
    let before = statement(&t, &o, "2026-10").await;
    let old = t
        .get("/api/v1/centres/CH/subsidy-policies", &o.finance)
        .await;
    assert_eq!(old.body.as_array().unwrap().len(), 1);
    let mut p = policy("2026-10-01", 5_000);
    p["half_day_fen"] =
        json!({"detention_centre": 30_000, "court": 30_000, "procuratorate": 30_000});
    let r = t
        .call(
            Method::PUT,
            "/api/v1/centres/CH/subsidy-policies",
            &o.finance,
            Some(p),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let now = t
        .get("/api/v1/centres/CH/subsidy-policies", &o.finance)
        .await;
    assert_eq!(now.body.as_array().unwrap().len(), 2, "{}", now.body);
    let after = statement(&t, &o, "2026-10").await;
    assert_eq!(
        after["total_fen"].as_i64().unwrap() - before["total_fen"].as_i64().unwrap(),
        30_000 - 19_500,
        "{after}"
    );
    t.set_time(None);
}
