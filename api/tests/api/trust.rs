//! The service stays up whatever one request sends, and privacy holds inside the province:
//! failed sign-ins do not lock out valid users, every input has a bound, no panic is
//! reachable, slow clients are cut off, every response carries its security headers, no
//! route is an oracle on other people's duties, swap refusals keep a colleague's reasons,
//! and spreadsheet cells never run a formula. On SQLite and PostgreSQL.

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use tower::ServiceExt;
use zhiban_api::AppState;
use zhiban_api::security::Security;
use zhiban_store::TokenRole;

use crate::helpers::*;

on_both!(
    failed_sign_ins_do_not_lock_out_valid_tokens_and_forwarded_for_needs_a_trusted_proxy,
    every_input_has_a_bound_and_no_extreme_value_reaches_a_panic,
    every_response_carries_security_headers_and_healthz_counts_need_a_token,
    attendance_routes_are_no_oracle_on_other_peoples_duties,
    a_refused_swap_offer_does_not_say_why_the_colleague_cannot,
    spreadsheet_cells_never_run_a_formula,
    a_job_whose_work_fails_or_panics_is_failed_and_frees_the_centre,
);

/// A GET from `peer`, with headers.
async fn raw(
    app: &axum::Router,
    peer: &str,
    uri: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let mut req = Request::get(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut req = req.body(Body::empty()).unwrap();
    let addr: SocketAddr = format!("{peer}:40000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    let res = app.clone().oneshot(req).await.unwrap();
    let (status, h) = (res.status(), res.headers().clone());
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        h,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn app_with(t: &TestApp, security: Security) -> axum::Router {
    let mut state = AppState::new(t.store.clone());
    state.security = Arc::new(security);
    zhiban_api::app(state)
}

async fn failed_sign_ins_do_not_lock_out_valid_tokens_and_forwarded_for_needs_a_trusted_proxy(
    backend: Backend,
) {
    let t = TestApp::on(backend, "small").await;
    let good = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let proxy = "10.0.0.1";
    let app = app_with(
        &t,
        Security {
            hsts: false,
            trusted_proxies: vec![proxy.parse().unwrap()],
        },
    );
    let bearer = |tok: &str| format!("Bearer {tok}");
    // Everyone comes through the proxy; one client floods it with bad tokens.
    let bad = bearer("zb_wrong");
    let from = |client: &'static str| [("x-forwarded-for", client)];
    let mut last = StatusCode::OK;
    for _ in 0..30 {
        let mut h = from("203.0.113.7").to_vec();
        h.push(("authorization", &bad));
        last = raw(&app, proxy, "/api/v1/centres", &h).await.0;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    // A valid token from that same client still works: failures never refuse it.
    let ok = bearer(&good);
    let mut h = from("203.0.113.7").to_vec();
    h.push(("authorization", &ok));
    assert_eq!(
        raw(&app, proxy, "/api/v1/centres", &h).await.0,
        StatusCode::OK
    );
    // Another client behind the same proxy is not limited by the first one's failures.
    let mut h = from("198.51.100.9").to_vec();
    h.push(("authorization", &bad));
    assert_eq!(
        raw(&app, proxy, "/api/v1/centres", &h).await.0,
        StatusCode::UNAUTHORIZED
    );
    // From a peer that is not a trusted proxy, X-Forwarded-For is ignored: the flooding
    // peer cannot escape its limit by naming other addresses.
    for i in 0..30 {
        let fake = format!("192.0.2.{i}");
        let h = [("x-forwarded-for", fake.as_str()), ("authorization", &bad)];
        last = raw(&app, "198.51.100.50", "/api/v1/centres", &h).await.0;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    let h = [("authorization", ok.as_str())];
    assert_eq!(
        raw(&app, "198.51.100.50", "/api/v1/centres", &h).await.0,
        StatusCode::OK
    );
}

async fn every_input_has_a_bound_and_no_extreme_value_reaches_a_panic(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    t.set_time(Some(local("2026-10-01", "08:00")));
    // An extreme roster start: 422 naming the field, and no job is left holding the centre.
    for from in ["9999-12-27", "1900-01-01", "+100000-01-01"] {
        let r = t
            .post(
                "/api/v1/rosters",
                &coord,
                json!({"centre_id": "CH", "from": from, "weeks": 1}),
            )
            .await;
        assert!(
            [StatusCode::UNPROCESSABLE_ENTITY, StatusCode::BAD_REQUEST].contains(&r.status),
            "{from}: {} {}",
            r.status,
            r.body
        );
        assert_eq!(r.body["errors"][0]["field"], "from", "{}", r.body);
    }
    let r = t
        .post(
            "/api/v1/rosters",
            &coord,
            json!({"centre_id": "CH", "from": "2026-10-05", "weeks": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let job = t.wait_job(&coord, r.body["id"].as_i64().unwrap()).await;
    let v = job["version_id"].as_i64().unwrap();
    // A repair: too many changes, or a lawyer out for a century.
    let out = |from: &str, to: &str| json!({"kind": "lawyer_out", "lawyer_id": "CH-L01", "from": from, "to": to});
    let many: Vec<Value> = (0..201).map(|_| out("2026-10-05", "2026-10-06")).collect();
    for (body, field) in [
        (json!({"changes": many}), "changes"),
        (
            json!({"changes": [out("2026-10-05", "2126-10-05")]}),
            "changes[0].to",
        ),
        (
            json!({"changes": [out("2026-10-05", "9999-10-05")]}),
            "changes[0].to",
        ),
    ] {
        let r = t
            .post(&format!("/api/v1/versions/{v}/repair"), &coord, body)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.body["errors"][0]["field"], field, "{}", r.body);
    }
    // Availability: too many leave rows, or leave in the year 9999.
    let leave =
        |from: &str| json!({"lawyer_id": "CH-L01", "from": from, "to": from, "reason": "x"});
    let rows: Vec<Value> = (0..300).map(|_| leave("2026-10-05")).collect();
    for (body, field) in [
        (
            json!({"weekly": [], "leave": rows, "preferences": []}),
            "leave",
        ),
        (
            json!({"weekly": [], "leave": [leave("9999-01-01")], "preferences": []}),
            "leave[0].from",
        ),
    ] {
        let r = t
            .call(
                Method::PUT,
                "/api/v1/lawyers/CH-L01/availability",
                &coord,
                Some(body),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.body["errors"][0]["field"], field, "{}", r.body);
    }
    // A ledger application in a five-digit year is refused, and the ledger still reads.
    let r = t
        .post(&format!("/api/v1/versions/{v}/publish"), &coord, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let d = t.get(&format!("/api/v1/versions/{v}"), &coord).await.body["assignments"][0].clone();
    let app = |at: &str| {
        json!({"station_id": d["station_id"], "date": d["date"], "half_day": d["half_day"],
            "role": d["role"], "lawyer_id": d["lawyer_id"], "consultations": 1,
            "plea_signings": 0, "applications": [{"applicant": "张某", "received_at": at}]})
    };
    let r = t
        .call(
            Method::PUT,
            "/api/v1/ledger",
            &coord,
            Some(app("+10000-01-01T00:00:00Z")),
        )
        .await;
    assert!(
        [StatusCode::UNPROCESSABLE_ENTITY, StatusCode::BAD_REQUEST].contains(&r.status),
        "{} {}",
        r.status,
        r.body
    );
    let many: Vec<Value> = (0..101)
        .map(|_| json!({"applicant": "张某", "received_at": "2026-10-05T02:00:00Z"}))
        .collect();
    let mut body = app("2026-10-05T02:00:00Z");
    body["applications"] = json!(many);
    let r = t
        .call(Method::PUT, "/api/v1/ledger", &coord, Some(body))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "applications");
    let r = t
        .get("/api/v1/ledger?centre_id=CH&month=2026-10", &coord)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // A 3 MB body: 413 problem+json (the harness checks the media type), not a 400.
    let mut body = app("2026-10-05T02:00:00Z");
    body["notes"] = json!("台".repeat(1_000_000));
    let r = t
        .call(Method::PUT, "/api/v1/ledger", &coord, Some(body))
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    t.set_time(None);
}

async fn every_response_carries_security_headers_and_healthz_counts_need_a_token(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let tok = t.token(TokenRole::Lawyer, None, Some("CH-L01")).await;
    let plain = app_with(&t, Security::default());
    let (status, h, body) = raw(&plain, "127.0.0.1", "/healthz", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert!(h.get("strict-transport-security").is_none());
    assert!(body.get("counts").is_none(), "anonymous: {body}");
    let auth = format!("Bearer {tok}");
    let (_, h, body) = raw(&plain, "127.0.0.1", "/healthz", &[("authorization", &auth)]).await;
    assert_eq!(body["counts"]["lawyers"], 12, "{body}");
    assert_eq!(h["cache-control"], "no-store");
    // Authenticated API answers are never stored by a cache; errors carry the headers too.
    for uri in ["/api/v1/me/duties", "/api/v1/no-such-route"] {
        let (_, h, _) = raw(&plain, "127.0.0.1", uri, &[("authorization", &auth)]).await;
        assert_eq!(h["cache-control"], "no-store", "{uri}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{uri}");
    }
    let (_, h, _) = raw(&plain, "127.0.0.1", "/", &[]).await;
    assert_eq!(h["x-content-type-options"], "nosniff");
    let tls = app_with(
        &t,
        Security {
            hsts: true,
            trusted_proxies: vec![],
        },
    );
    let (_, h, _) = raw(&tls, "127.0.0.1", "/healthz", &[]).await;
    assert!(
        h["strict-transport-security"]
            .to_str()
            .unwrap()
            .starts_with("max-age=")
    );
}

async fn attendance_routes_are_no_oracle_on_other_peoples_duties(backend: Backend) {
    let t = TestApp::on(backend, "guangzhou").await;
    let coord = t.token(TokenRole::Coordinator, Some("GZ-TH"), None).await;
    let other = t.token(TokenRole::Coordinator, Some("GZ-CH"), None).await;
    t.set_time(Some(local("2026-10-01", "08:00")));
    let v = t.solve_and_publish(&coord, "GZ-TH", "2026-10-05", 1).await;
    let d = t.get(&format!("/api/v1/versions/{v}"), &coord).await.body["assignments"][0].clone();
    let owner = s(&d["lawyer_id"]);
    let stranger_lawyer = t
        .store
        .list_lawyers(None)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.id.to_string())
        .find(|l| *l != owner)
        .unwrap();
    let lawyer = t
        .token(TokenRole::Lawyer, None, Some(&stranger_lawyer))
        .await;
    t.set_time(Some(local(&s(&d["date"]), "18:00")));
    // The real duty, and one that does not exist (the next day, same lawyer).
    let next = (chrono::NaiveDate::parse_from_str(&s(&d["date"]), "%Y-%m-%d").unwrap()
        + chrono::Duration::days(1))
    .to_string();
    let body = |date: &str, extra: Value| {
        let mut b = json!({"station_id": d["station_id"], "date": date, "half_day": d["half_day"],
            "lawyer_id": owner, "reason": "试探"});
        for (k, x) in extra.as_object().unwrap() {
            b[k] = x.clone();
        }
        b
    };
    let real = s(&d["date"]);
    let cases: Vec<(Method, &str, Value, Value)> = vec![
        (
            Method::POST,
            "/api/v1/absences/excuse",
            body(&real, json!({})),
            body(&next, json!({})),
        ),
        (
            Method::POST,
            "/api/v1/checkins/manual",
            body(
                &real,
                json!({"check_in_at": "2026-10-05T01:00:00Z", "check_out_at": "2026-10-05T03:00:00Z"}),
            ),
            body(
                &next,
                json!({"check_in_at": "2026-10-05T01:00:00Z", "check_out_at": "2026-10-05T03:00:00Z"}),
            ),
        ),
        (
            Method::PUT,
            "/api/v1/ledger",
            body(&real, json!({"consultations": 1, "plea_signings": 0})),
            body(&next, json!({"consultations": 1, "plea_signings": 0})),
        ),
        (
            Method::POST,
            "/api/v1/corrections",
            body(&real, json!({"plea_signings": 1})),
            body(&next, json!({"plea_signings": 1})),
        ),
    ];
    for tok in [&other, &lawyer] {
        for (m, uri, exists, absent) in &cases {
            let a = t.call(m.clone(), uri, tok, Some(exists.clone())).await;
            let b = t.call(m.clone(), uri, tok, Some(absent.clone())).await;
            assert!(a.status.is_client_error(), "{uri}: {}", a.body);
            assert_eq!(a.status, b.status, "{m} {uri}: {} vs {}", a.body, b.body);
            let strip = |v: &Value| s(&v["detail"]).replace(&real, "D").replace(&next, "D");
            assert_eq!(strip(&a.body), strip(&b.body), "{m} {uri}");
        }
    }
    t.set_time(None);
}

async fn a_refused_swap_offer_does_not_say_why_the_colleague_cannot(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    t.set_time(Some(local("2026-10-01", "08:00")));
    let v = t.solve_and_publish(&coord, "CH", "2026-10-05", 1).await;
    let all = t.get(&format!("/api/v1/versions/{v}"), &coord).await.body["assignments"]
        .as_array()
        .unwrap()
        .clone();
    // A colleague on (private) sick leave that day.
    let a = all.iter().find(|x| x["role"] == "primary").unwrap();
    let b_id = ["CH-L01", "CH-L02", "CH-L03"]
        .into_iter()
        .find(|l| json!(l) != a["lawyer_id"])
        .unwrap();
    let r = t
        .call(
            Method::PUT,
            &format!("/api/v1/lawyers/{b_id}/availability"),
            &coord,
            Some(
                json!({"weekly": [], "preferences": [], "leave": [{"lawyer_id": b_id,
                "from": a["date"], "to": a["date"], "reason": "住院手术"}]}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let b = json!({"lawyer_id": b_id, "station_id": ""});
    let giver = t
        .token(TokenRole::Lawyer, None, Some(&s(&a["lawyer_id"])))
        .await;
    let r = t
        .post(
            "/api/v1/swaps",
            &giver,
            json!({"station_id": a["station_id"], "date": a["date"], "half_day": a["half_day"],
                "to_lawyer_id": b["lawyer_id"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body
            .get("violations")
            .is_none_or(|v| v.as_array().is_none_or(Vec::is_empty)),
        "{}",
        r.body
    );
    let text = r.body.to_string();
    for word in [
        "住院",
        "手术",
        "leave",
        "unavailable",
        "Unavailable",
        "busy",
    ] {
        assert!(!text.contains(word), "the refusal says {word:?}: {text}");
    }
    assert_eq!(r.body["errors"][0]["field"], "to_lawyer_id");
    t.set_time(None);
}

async fn spreadsheet_cells_never_run_a_formula(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    // A lawyer whose name someone typed as a formula.
    let mut ds = t.store.export_dataset().await.unwrap();
    ds.lawyers[0].name = "=HYPERLINK(\"http://evil\",\"点我\")".into();
    let evil = ds.lawyers[0].id.to_string();
    t.store.import_dataset(&ds).await.unwrap();
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let finance = t.token(TokenRole::Finance, Some("CH"), None).await;
    t.set_time(Some(local("2026-10-01", "08:00")));
    let v = t.solve_and_publish(&coord, "CH", "2026-10-05", 1).await;
    let all = t.get(&format!("/api/v1/versions/{v}"), &coord).await.body["assignments"]
        .as_array()
        .unwrap()
        .clone();
    let d = all
        .iter()
        .find(|a| a["role"] == "primary" && a["lawyer_id"] == json!(evil))
        .or_else(|| all.iter().find(|a| a["role"] == "primary"))
        .unwrap()
        .clone();
    // Notes that start like formulas.
    t.set_time(Some(local(&s(&d["date"]), "18:00")));
    let r = t
        .call(
            Method::PUT,
            "/api/v1/ledger",
            &coord,
            Some(
                json!({"station_id": d["station_id"], "date": d["date"], "half_day": d["half_day"],
                "lawyer_id": d["lawyer_id"], "consultations": 1, "plea_signings": 0,
                "notes": "+1-2=cmd|' /C calc'!A0"}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = t
        .get("/api/v1/ledger.csv?centre_id=CH&month=2026-10", &coord)
        .await;
    let text = s(&r.body);
    assert!(text.contains("'+1-2=cmd"), "{text}");
    assert!(!text.contains(",+1-2"), "{text}");
    let panel = t.get("/api/v1/centres/CH/panel.csv", &coord).await;
    assert_eq!(panel.status, StatusCode::OK);
    let text = s(&panel.body);
    assert!(text.contains("'=HYPERLINK"), "{text}");
    assert!(!text.contains(",=HYPERLINK"), "{text}");
    // The statement's CSV and XLSX name the lawyer without a live formula.
    let csv = t.get("/api/v1/statements/CH/2026-10/csv", &finance).await;
    assert_eq!(csv.status, StatusCode::OK);
    let text = s(&csv.body);
    assert!(!text.contains(",=HYPERLINK"), "{text}");
    let req = Request::get("/api/v1/statements/CH/2026-10/xlsx")
        .header("authorization", format!("Bearer {finance}"))
        .body(Body::empty())
        .unwrap();
    let res = t.router.clone().oneshot(req).await.unwrap();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    use calamine::Reader;
    let mut wb = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).unwrap();
        for cell in range.used_cells() {
            let v = cell.2.to_string();
            assert!(
                !v.starts_with('=') && !v.starts_with('+') && !v.starts_with('@'),
                "{name}: {v:?}"
            );
        }
    }
    t.set_time(None);
}

async fn a_job_whose_work_fails_or_panics_is_failed_and_frees_the_centre(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    t.set_time(Some(local("2026-10-01", "08:00")));
    let r = t
        .post(
            "/api/v1/rosters",
            &coord,
            json!({"centre_id": "CH", "from": "2026-10-05", "weeks": 1}),
        )
        .await;
    let job = t.wait_job(&coord, r.body["id"].as_i64().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    // A job the API would refuse (a start at the end of the calendar, whose date arithmetic
    // panics in the problem builder), queued straight in the store as an older version
    // might have left it: the panic ends as a failed job, not as a live lease.
    let audit = zhiban_store::Audit {
        actor: "test".into(),
        centre_id: None,
        action: "job.create".into(),
        target: String::new(),
        detail: Value::Null,
    };
    let id = t
        .store
        .create_job(
            &zhiban_domain::CentreId::parse("CH").unwrap(),
            zhiban_store::JobKind::Solve,
            &json!({"work": "solve", "centre_id": "CH", "from": "+262142-12-25", "weeks": 2,
                "roster_id": null, "time_limit_seconds": 5.0}),
            None,
            &audit,
        )
        .await
        .unwrap();
    let job = t.wait_job(&coord, id).await;
    assert_eq!(job["status"], "failed", "{job}");
    // Its lease is released: the centre can start the next roster at once.
    let r = t
        .post(
            "/api/v1/rosters",
            &coord,
            json!({"centre_id": "CH", "from": "2026-10-12", "weeks": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let job = t.wait_job(&coord, r.body["id"].as_i64().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    t.set_time(None);
}
