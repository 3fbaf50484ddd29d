//! Proof of presence, through the real router on both databases: a station display signed
//! in with a station token shows a code that changes every minute; the token can do nothing
//! else; a code from another station or an earlier minute is refused; and each centre
//! chooses what a check-in must prove (here: the display's code), so that a check-in
//! without it, or with the static poster code, waits for a coordinator's approval.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use zhiban_store::TokenRole;

use crate::helpers::*;

on_both!(a_station_display_proves_presence_and_its_token_can_do_nothing_else);

async fn station_token(t: &TestApp, station: &str) -> String {
    let st = zhiban_domain::StationId::parse(station).unwrap();
    let tok = zhiban_api::cli::create_station_token(&t.store, &st, "大厅平板")
        .await
        .unwrap();
    tok.token
}

fn start_of(d: &Value) -> &'static str {
    small_hours(d).1
}

async fn a_station_display_proves_presence_and_its_token_can_do_nothing_else(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let kss = station_token(&t, "CH-KSS").await;
    let fy = station_token(&t, "CH-FY").await;

    // The station token shows its code and nothing else.
    for uri in [
        "/api/v1/centres",
        "/api/v1/me/duties",
        "/api/v1/stations/CH-KSS",
    ] {
        let r = t.get(uri, &kss).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{uri}: {}", r.body);
    }
    let r = t
        .call(
            Method::PUT,
            "/api/v1/centres/CH/policy",
            &kss,
            Some(json!({"swap_same_firm": false, "swap_min_hours": 0, "swap_auto_approve": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Nobody else reads a display's code.
    let r = t.get("/api/v1/station-display", &coord).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // The centre requires the display's code.
    let mut policy = t.get("/api/v1/centres/CH/policy", &coord).await.body;
    policy["presence_proof"] = json!("code");
    let r = t
        .call(
            Method::PUT,
            "/api/v1/centres/CH/policy",
            &coord,
            Some(policy),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    t.set_time(Some(local("2026-10-01", "08:00")));
    let v = t.solve_and_publish(&coord, "CH", "2026-10-05", 4).await;
    let all = t.assignments(&coord, v).await;
    let at_kss: Vec<Value> = all
        .into_iter()
        .filter(|a| a["role"] == "primary" && a["station_id"] == "CH-KSS")
        .collect();
    assert!(at_kss.len() >= 4, "{}", at_kss.len());
    let (lat, lon) = (23.4905, 113.5062);

    let mut checked = 0;
    for (i, d) in at_kss.iter().take(3).enumerate() {
        let date = s(&d["date"]);
        let lawyer = t
            .token(TokenRole::Lawyer, None, Some(&s(&d["lawyer_id"])))
            .await;
        let when = local(&date, &add_minutes(start_of(d), -5));
        // The display's code three minutes ago, then now.
        t.set_time(Some(when - chrono::Duration::minutes(3)));
        let old = t.get("/api/v1/station-display", &kss).await.body;
        t.set_time(Some(when));
        let shown = t.get("/api/v1/station-display", &kss).await;
        assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
        let code = s(&shown.body["code"]);
        assert_eq!(code.len(), 6);
        assert_ne!(code, s(&old["code"]), "the code changes with the minute");
        assert!(
            s(&shown.body["svg"]).starts_with("<?xml") || s(&shown.body["svg"]).contains("<svg")
        );
        assert!(s(&shown.body["payload"]).contains(&format!("code={code}")));
        assert_eq!(shown.body["half_day"], d["half_day"]);
        let other_station = s(&t.get("/api/v1/station-display", &fy).await.body["code"]);
        let body = |extra: Value| {
            let mut b = json!({"station_id": d["station_id"], "date": d["date"],
                "half_day": d["half_day"], "method": "app", "lat": lat, "lon": lon});
            for (k, x) in extra.as_object().unwrap() {
                b[k] = x.clone();
            }
            b
        };
        // Another station's code, or an old one: refused, nothing stored.
        for bad in [other_station.as_str(), s(&old["code"]).as_str()] {
            if bad == code {
                continue;
            }
            let r = t
                .post(
                    "/api/v1/checkins",
                    &lawyer,
                    body(json!({"display_code": bad})),
                )
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
            assert_eq!(r.body["errors"][0]["field"], "display_code");
        }
        let r = match i {
            // Inside the geofence but without the code: waits for approval.
            0 => t.post("/api/v1/checkins", &lawyer, body(json!({}))).await,
            // The static poster code: a fallback that waits for approval.
            1 => {
                let poster = t
                    .get(&format!("/api/v1/stations/CH-KSS/qr?date={date}"), &coord)
                    .await
                    .body;
                t.post(
                    "/api/v1/checkins",
                    &lawyer,
                    json!({"station_id": d["station_id"], "date": d["date"],
                        "half_day": d["half_day"], "method": "qr", "qr_code": poster["code"]}),
                )
                .await
            }
            // The display's code: proven.
            _ => {
                t.post(
                    "/api/v1/checkins",
                    &lawyer,
                    body(json!({"display_code": code})),
                )
                .await
            }
        };
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let (approved, proof) = match i {
            0 => (false, "geofence"),
            1 => (false, "poster"),
            _ => (true, "display"),
        };
        assert_eq!(r.body["approved"], approved, "{}", r.body);
        assert_eq!(r.body["proof"], proof, "{}", r.body);
        checked += 1;
    }
    assert_eq!(checked, 3);

    // Guessing stops: after five wrong codes for a duty, even the right one is refused.
    let d = &at_kss[3];
    let lawyer = t
        .token(TokenRole::Lawyer, None, Some(&s(&d["lawyer_id"])))
        .await;
    t.set_time(Some(local(&s(&d["date"]), &add_minutes(start_of(d), -5))));
    let code = s(&t.get("/api/v1/station-display", &kss).await.body["code"]);
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let body = |c: &str| {
        json!({"station_id": d["station_id"], "date": d["date"], "half_day": d["half_day"],
            "method": "app", "lat": lat, "lon": lon, "display_code": c})
    };
    for _ in 0..5 {
        let r = t.post("/api/v1/checkins", &lawyer, body(wrong)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    }
    let r = t.post("/api/v1/checkins", &lawyer, body(&code)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(s(&r.body["detail"]).contains("too many"), "{}", r.body);
    t.set_time(None);
}

/// `zhiban token create --role station --station ID` makes a token that only shows the
/// station's code.
#[tokio::test]
async fn the_command_line_makes_station_tokens() {
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", tmp.path().join("z.db").display());
    let zhiban = env!("CARGO_BIN_EXE_zhiban");
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/small");
    let run = |args: &[&str]| {
        std::process::Command::new(zhiban)
            .args(args)
            .args(["--database-url", &url])
            .output()
            .unwrap()
    };
    assert!(run(&["import", fixture.to_str().unwrap()]).status.success());
    let bad = run(&["token", "create", "--role", "station"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--station"));
    let bad = run(&["token", "create", "--role", "station", "--station", "NOPE"]);
    assert!(!bad.status.success());
    let ok = run(&[
        "token",
        "create",
        "--role",
        "station",
        "--station",
        "CH-KSS",
    ]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let text = String::from_utf8_lossy(&ok.stdout).to_string();
    let token = text.split_whitespace().next().unwrap().to_string();
    assert!(token.starts_with("zb_"), "{text}");
    let store = zhiban_store::connect(&url).await.unwrap();
    let hash = zhiban_api::auth::hash_token(&token);
    let rec = store.token_by_hash(&hash).await.unwrap().unwrap();
    assert_eq!(rec.role, TokenRole::Station);
    assert_eq!(rec.station_id.unwrap().as_str(), "CH-KSS");
    assert_eq!(rec.centre_id.unwrap().as_str(), "CH");
}
