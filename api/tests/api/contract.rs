//! The API's contract: bad input gets problem+json naming the field, the panel list is
//! CSV with a BOM and Chinese headers, and the OpenAPI document covers every route and
//! passes an independent validator.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use zhiban_store::TokenRole;

use crate::helpers::*;

on_both!(
    bad_input_gets_problem_json_naming_the_field,
    the_panel_list_is_csv_with_bom_and_chinese_headers,
);

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
    let records: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    let rows = records.len();
    // Skills and languages by their Chinese names, never their codes.
    let body = text.to_string();
    assert!(body.contains("未成年人") && body.contains("粤语"), "{body}");
    assert!(
        !body.contains("juvenile") && !body.contains("yue"),
        "{body}"
    );
    let labels = t.get("/api/v1/labels", &coord).await.body;
    assert_eq!(labels["skills"]["juvenile"], "未成年人");
    assert_eq!(labels["station_kinds"]["detention_centre"], "看守所");
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
