//! Swaps under a centre's policy: same firm, notice and auto-approval.

use axum::http::{Method, StatusCode};
use chrono::Duration;
use serde_json::{Value, json};
use zhiban_store::TokenRole;

use crate::helpers::*;
use crate::people::*;

on_both!(
    swap_policy_same_firm_notice_and_auto_approval_are_enforced,
    a_firm_admin_offers_accepts_and_cancels_for_the_firms_lawyers_only,
);

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
    // The giver picks from the colleagues who could take it, in the suggestions' order.
    let candidates_uri =
        format!("/api/v1/swaps/candidates?station_id={st}&date={date}&half_day={half}");
    let picked = |r: &Reply| -> Vec<String> {
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body
            .as_array()
            .unwrap()
            .iter()
            .map(|c| s(&c["lawyer_id"]))
            .collect()
    };
    let listed = picked(&t.get(&candidates_uri, &giver_tok).await);
    let expected: Vec<String> = valid.iter().filter(|l| **l != giver).cloned().collect();
    assert_eq!(listed, expected);
    assert!(!listed.is_empty());
    // Someone who does not hold the duty learns nothing of it.
    let outsider = t.token(TokenRole::Lawyer, None, Some(&listed[0])).await;
    let r = t.get(&candidates_uri, &outsider).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    // A colleague the rules rule out is refused, without saying why.
    let invalid = sugg
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["valid"] == false && x["lawyer_id"] != giver.as_str())
        .map(|x| s(&x["lawyer_id"]));
    if let Some(bad) = invalid {
        let r = t.post("/api/v1/swaps", &giver_tok, offer(&bad)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.body["errors"][0]["field"], "to_lawyer_id");
        let why = r.body["violations"].as_array().map_or(0, Vec::len);
        assert_eq!(why, 0, "a lawyer is not told why: {}", r.body);
    }
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
    let r = t.get(&candidates_uri, &giver_tok).await;
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
    let same = picked(&t.get(&candidates_uri, &giver_tok).await);
    assert!(
        same.iter().all(|l| firm_of(l) == firm_of(&giver)),
        "{same:?}"
    );
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

async fn a_firm_admin_offers_accepts_and_cancels_for_the_firms_lawyers_only(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let from = next_monday();
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let v = t
        .solve_and_publish(&coord, "CH", &from.to_string(), 2)
        .await;
    // The centre approves valid swaps itself.
    set_policy(
        &t,
        &coord,
        json!({"swap_same_firm": false, "swap_min_hours": 24, "swap_auto_approve": true}),
    )
    .await;
    let week2 = (from + Duration::days(7)).to_string();
    let firm_of = |l: &str| -> &'static str {
        match l[5..].parse::<u32>().unwrap() {
            1..=5 => "CH-F01",
            6..=9 => "CH-F02",
            _ => "CH-F03",
        }
    };
    // Giver and taker of one firm, whose administrator acts for both.
    let same_firm = |a: &str, b: &str| firm_of(a) == firm_of(b);
    let (duty, giver, taker) = duty_to_give(&t, &coord, v, &week2, same_firm).await;
    let (st, date, half) = slot_key(&duty);
    let admin_of = |firm: &str| {
        json!({"login": format!("admin.{firm}").to_lowercase(),
        "role": "firm_admin", "firm_id": firm})
    };
    let givers = person(
        &t,
        &coord,
        admin_of(firm_of(&giver)),
        "the giver's firm keeps it",
    )
    .await;
    let elsewhere = ["CH-F01", "CH-F02", "CH-F03"]
        .into_iter()
        .find(|f| *f != firm_of(&giver) && *f != firm_of(&taker))
        .unwrap();
    let outsider = person(&t, &coord, admin_of(elsewhere), "another firm altogether").await;
    let offer = |from: Option<&str>| {
        let mut o =
            json!({"station_id": st, "date": date, "half_day": half, "to_lawyer_id": taker});
        if let Some(f) = from {
            o["from_lawyer_id"] = json!(f);
        }
        o
    };
    firm_duties_only(&t, &givers, &outsider, &giver).await;
    // Another firm's administrator cannot offer the duty, nor learn of the swap.
    let r = post_as(&t, &outsider, "/api/v1/swaps", Some(offer(Some(&giver)))).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = post_as(&t, &givers, "/api/v1/swaps", Some(offer(None))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "from_lawyer_id");
    let r = post_as(&t, &givers, "/api/v1/swaps", Some(offer(Some(&giver)))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    assert_eq!(s(&r.body["from_lawyer"]), giver);
    let swap_uri = format!("/api/v1/swaps/{id}");
    another_firm_learns_nothing(&t, &outsider, &givers, id).await;
    // The giver's firm withdraws it, and the audit names the lawyer it acted for.
    let r = post_as(&t, &givers, &format!("{swap_uri}/cancel"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "cancelled");
    // Offered again and accepted for the taker by the same administrator: even though the
    // centre approves swaps itself, one person acting for both sides waits for a coordinator.
    let r = post_as(&t, &givers, "/api/v1/swaps", Some(offer(Some(&giver)))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    let r = post_as(&t, &givers, &format!("/api/v1/swaps/{id}/accept"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "accepted");
    let r = t
        .post(&format!("/api/v1/swaps/{id}/approve"), &coord, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "approved");
    offers_audited_for(&t, &giver, 2).await;
}

/// A primary duty of version `v` on or after `from` that a colleague may take, giver and
/// taker making a `pair`: the duty, its lawyer and the colleague.
async fn duty_to_give(
    t: &TestApp,
    coord: &str,
    v: i64,
    from: &str,
    pair: impl Fn(&str, &str) -> bool,
) -> (Value, String, String) {
    for duty in t.primaries(coord, v).await {
        if s(&duty["date"]).as_str() < from {
            continue;
        }
        let giver = s(&duty["lawyer_id"]);
        let (st, date, half) = slot_key(&duty);
        let sugg = t
            .get(
                &format!("/api/v1/versions/{v}/suggestions?station_id={st}&date={date}&half_day={half}&replace={giver}"),
                coord,
            )
            .await;
        let taker = sugg
            .body
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["valid"] == true)
            .map(|x| s(&x["lawyer_id"]))
            .find(|x| pair(&giver, x));
        if let Some(taker) = taker {
            return (duty, giver, taker);
        }
    }
    panic!("no duty someone else may take");
}

/// A firm's administrator reads its lawyers' duties, one lawyer at a time; another firm's
/// administrator reads none of them.
async fn firm_duties_only(t: &TestApp, givers: &Browser, outsider: &Browser, giver: &str) {
    let uri = format!("/api/v1/duties?lawyer_id={giver}");
    let mine = page(t, givers, Method::GET, &uri, None).await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
    assert!(mine.body["total"].as_u64().unwrap() > 0);
    let theirs = page(t, outsider, Method::GET, &uri, None).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{}", theirs.body);
    let all = page(t, givers, Method::GET, "/api/v1/duties", None).await;
    assert_eq!(all.status, StatusCode::FORBIDDEN, "{}", all.body);
}

/// Swap `id` is the giver's firm's, and another firm's administrator neither sees it nor
/// moves it.
async fn another_firm_learns_nothing(t: &TestApp, outsider: &Browser, givers: &Browser, id: i64) {
    let swap_uri = format!("/api/v1/swaps/{id}");
    let seen = page(t, outsider, Method::GET, &swap_uri, None).await;
    assert_eq!(seen.status, StatusCode::NOT_FOUND, "{}", seen.body);
    let listed = page(t, outsider, Method::GET, "/api/v1/swaps", None).await;
    assert_eq!(listed.body["total"], 0, "{}", listed.body);
    let listed = page(t, givers, Method::GET, "/api/v1/swaps", None).await;
    assert_eq!(listed.body["items"][0]["id"], id, "{}", listed.body);
    for action in ["accept", "reject", "cancel"] {
        let uri = format!("{swap_uri}/{action}");
        let r = page(t, outsider, Method::POST, &uri, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{action}: {}", r.body);
    }
}

/// The audit log has `n` swap offers, each made by a firm administrator for `giver`.
async fn offers_audited_for(t: &TestApp, giver: &str, n: usize) {
    let admin = t.token(TokenRole::Admin, None, None).await;
    let audit = t.get("/api/v1/audit?limit=200", &admin).await.body;
    let offers: Vec<_> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "swap.offer")
        .collect();
    assert_eq!(offers.len(), n);
    assert!(
        offers
            .iter()
            .all(|e| s(&e["detail"]["for"]) == giver && s(&e["actor"]).starts_with("user:admin.")),
        "{offers:?}"
    );
}

/// Sets centre CH's swap policy.
async fn set_policy(t: &TestApp, coord: &str, policy: Value) {
    let r = t
        .call(
            Method::PUT,
            "/api/v1/centres/CH/policy",
            coord,
            Some(policy),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}
