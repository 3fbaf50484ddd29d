//! Swaps under a centre's policy: same firm, notice and auto-approval.

use axum::http::{Method, StatusCode};
use chrono::Duration;
use serde_json::json;
use zhiban_store::TokenRole;

use crate::helpers::*;

on_both!(swap_policy_same_firm_notice_and_auto_approval_are_enforced,);

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
