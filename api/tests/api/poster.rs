//! The station's printable QR poster, on both databases: its coordinators print a day's
//! page (station, address, phone, the day's code as an SVG image, A4, no script); others
//! cannot; a lawyer on duty that day checks in with the poster's code.

use axum::http::StatusCode;
use serde_json::json;
use zhiban_store::TokenRole;

use crate::helpers::*;

on_both!(a_station_poster_prints_the_days_code_for_its_coordinators,);

async fn a_station_poster_prints_the_days_code_for_its_coordinators(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let v = t
        .solve_and_publish(&coord, "CH", &next_monday().to_string(), 1)
        .await;
    let duty = t
        .primaries(&coord, v)
        .await
        .into_iter()
        .find(|a| a["station_id"] == "CH-KSS" && a["half_day"] == "am")
        .unwrap();
    let date = s(&duty["date"]);
    let uri = format!("/api/v1/stations/CH-KSS/poster?date={date}");
    let r = t.get(&uri, &coord).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let kind = r.headers["content-type"].to_str().unwrap();
    assert!(kind.starts_with("text/html"), "{kind}");
    let csp = r.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script"),
        "{csp}"
    );
    let html = r.body.as_str().unwrap().to_string();
    let code = s(&t
        .get(&format!("/api/v1/stations/CH-KSS/qr?date={date}"), &coord)
        .await
        .body["code"]);
    for want in [
        "从化区看守所法律援助工作站",
        "广从南路68号",
        "020-87901101",
        "<svg",
        "值班签到",
        code.as_str(),
    ] {
        assert!(html.contains(want), "the poster shows {want}");
    }
    assert!(!html.contains("<script"), "no script");
    // Not for lawyers or finance; a bad date names the field.
    let lawyer = t
        .token(TokenRole::Lawyer, None, Some(&s(&duty["lawyer_id"])))
        .await;
    assert_eq!(t.get(&uri, &lawyer).await.status, StatusCode::NOT_FOUND);
    let finance = t.token(TokenRole::Finance, Some("CH"), None).await;
    assert_eq!(t.get(&uri, &finance).await.status, StatusCode::FORBIDDEN);
    let r = t
        .get("/api/v1/stations/CH-KSS/poster?date=2026-13-01", &coord)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    // On the day, five minutes after the start (09:00 in Shanghai), the lawyer checks in
    // with the poster's code.
    let day: chrono::NaiveDate = date.parse().unwrap();
    t.set_time(Some(day.and_hms_opt(1, 5, 0).unwrap().and_utc()));
    let lawyer = t
        .token(TokenRole::Lawyer, None, Some(&s(&duty["lawyer_id"])))
        .await;
    let r = t
        .post(
            "/api/v1/checkins",
            &lawyer,
            json!({"station_id": "CH-KSS", "date": date, "half_day": "am", "method": "qr",
                "qr_code": code}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}
