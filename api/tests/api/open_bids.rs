//! Picking among claimants, on both databases: in a centre whose policy says so, each valid
//! claim of an open duty waits as a bid (202); the coordinator sees the bids and picks one,
//! which takes the post and publishes the roster with that lawyer on duty, and passes the
//! others over; a bid twice, a pick of a passed bid, a claim after the posts are gone, and
//! outsiders listing or picking are refused.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use zhiban_store::TokenRole;

use crate::helpers::*;

on_both!(a_centre_that_picks_gets_bids_and_the_coordinator_picks_one,);

async fn a_centre_that_picks_gets_bids_and_the_coordinator_picks_one(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let monday = next_monday();
    let v = t
        .solve_and_publish(&coord, "CH", &monday.to_string(), 2)
        .await;
    // The centre picks among claimants.
    let mut policy = t.get("/api/v1/centres/CH/policy", &coord).await.body;
    assert_eq!(policy["claims_picked"], false, "first come by default");
    policy["claims_picked"] = json!(true);
    let r = t
        .call(
            Method::PUT,
            "/api/v1/centres/CH/policy",
            &coord,
            Some(policy),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // One extra post at a second-week half-day.
    let week2 = (monday + chrono::Duration::days(7)).to_string();
    let duty = t
        .primaries(&coord, v)
        .await
        .into_iter()
        .find(|a| s(&a["date"]) >= week2)
        .unwrap();
    let r = t
        .post(
            "/api/v1/open-duties",
            &coord,
            with_duty(
                &duty,
                json!({"posts": 1, "extra": true, "note": "开庭前会见"}),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    // The lawyers who could take it bid; each waits.
    let lawyers: Vec<String> = t.get("/api/v1/lawyers", &coord).await.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["active"] == true)
        .map(|l| s(&l["id"]))
        .collect();
    let mut bidders = vec![];
    for l in &lawyers {
        let tok = t.token(TokenRole::Lawyer, None, Some(l)).await;
        let r = t
            .post(&format!("/api/v1/open-duties/{id}/claim"), &tok, json!({}))
            .await;
        match r.status {
            StatusCode::ACCEPTED => {
                assert_eq!(r.body["status"], "waiting", "{}", r.body);
                assert_eq!(r.body["version_id"], Value::Null, "{}", r.body);
                bidders.push((l.clone(), tok));
            }
            StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT => {}
            other => panic!("{l}: {other} {}", r.body),
        }
        if bidders.len() == 3 {
            break;
        }
    }
    assert_eq!(bidders.len(), 3, "three lawyers could bid");
    // A second bid of one lawyer is refused; they see their bid waiting.
    let (first, first_tok) = &bidders[0];
    let r = t
        .post(
            &format!("/api/v1/open-duties/{id}/claim"),
            first_tok,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let mine = t.get("/api/v1/open-duties", first_tok).await;
    let listed = mine
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == id)
        .unwrap()
        .clone();
    assert_eq!(listed["my_bid"], "waiting", "{listed}");
    assert_eq!(
        listed["waiting_bids"], 0,
        "a lawyer learns only of their own bid"
    );
    // The coordinator sees three bids; lawyers and finance see none (another centre: tenancy.rs).
    let listed = t.get("/api/v1/open-duties", &coord).await;
    let row = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == id)
        .unwrap()
        .clone();
    assert_eq!(row["waiting_bids"], 3, "{row}");
    let bids = t
        .get(&format!("/api/v1/open-duties/{id}/bids"), &coord)
        .await;
    assert_eq!(bids.status, StatusCode::OK, "{}", bids.body);
    let bids = bids.body.as_array().unwrap().clone();
    assert_eq!(bids.len(), 3);
    assert!(
        bids.iter()
            .all(|b| b["status"] == "waiting" && b["lawyer_name"] != "")
    );
    let outsider = t.token(TokenRole::Finance, Some("CH"), None).await;
    for tok in [first_tok, &outsider] {
        let r = t.get(&format!("/api/v1/open-duties/{id}/bids"), tok).await;
        assert!(
            [StatusCode::FORBIDDEN, StatusCode::NOT_FOUND].contains(&r.status),
            "{}",
            r.body
        );
        let r = t
            .post(
                &format!("/api/v1/open-duties/{id}/bids/{}/pick", bids[0]["id"]),
                tok,
                json!({}),
            )
            .await;
        assert!(
            [StatusCode::FORBIDDEN, StatusCode::NOT_FOUND].contains(&r.status),
            "{}",
            r.body
        );
    }
    // The third withdraws, may ask again, and is declined; a lawyer with no bid withdraws
    // nothing.
    let (third, third_tok) = &bidders[2];
    let withdraw = format!("/api/v1/open-duties/{id}/withdraw-bid");
    let r = t.post(&withdraw, third_tok, json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "withdrawn", "{}", r.body);
    let r = t.post(&withdraw, third_tok, json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let stranger = t
        .token(TokenRole::Lawyer, None, Some(&s(&duty["lawyer_id"])))
        .await;
    let r = t.post(&withdraw, &stranger, json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = t
        .post(
            &format!("/api/v1/open-duties/{id}/claim"),
            third_tok,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "asked again: {}", r.body);
    let third_bid = bids
        .iter()
        .find(|b| b["lawyer_id"] == third.as_str())
        .unwrap()["id"]
        .clone();
    let decline = format!("/api/v1/open-duties/{id}/bids/{third_bid}/decline");
    let r = t.post(&decline, first_tok, json!({})).await;
    assert!(
        [StatusCode::FORBIDDEN, StatusCode::NOT_FOUND].contains(&r.status),
        "{}",
        r.body
    );
    let r = t.post(&decline, &coord, json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "declined");
    let r = t.post(&decline, &coord, json!({})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let theirs = t.get("/api/v1/open-duties", third_tok).await.body;
    assert!(
        theirs
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["id"] == id && d["my_bid"] == "declined"),
        "the lawyer sees the decision: {theirs}"
    );
    // The coordinator picks the second bidder, not the first to ask.
    let (second, _) = &bidders[1];
    let pick = bids
        .iter()
        .find(|b| b["lawyer_id"] == second.as_str())
        .unwrap()["id"]
        .clone();
    let r = t
        .post(
            &format!("/api/v1/open-duties/{id}/bids/{pick}/pick"),
            &coord,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["status"], "won");
    assert_eq!(r.body["open_duty"]["status"], "filled", "{}", r.body);
    let published = r.body["version_id"].as_i64().unwrap();
    let on_duty = t.assignments(&coord, published).await;
    assert!(
        on_duty
            .iter()
            .any(|a| slot_key(a) == slot_key(&duty) && a["lawyer_id"] == second.as_str()),
        "{second} is on duty"
    );
    assert!(
        !on_duty
            .iter()
            .any(|a| slot_key(a) == slot_key(&duty) && a["lawyer_id"] == first.as_str()),
        "{first} is not"
    );
    // The others are passed over; nothing more can be picked or claimed.
    let after = t
        .get(&format!("/api/v1/open-duties/{id}/bids"), &coord)
        .await
        .body;
    let status_of = |l: &str| {
        after
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["lawyer_id"] == l)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status_of(second), "picked");
    assert_eq!(status_of(first), "passed");
    assert_eq!(status_of(third), "declined");
    let mine = t.get("/api/v1/open-duties", first_tok).await.body;
    assert!(
        mine.as_array()
            .unwrap()
            .iter()
            .any(|d| d["id"] == id && d["my_bid"] == "passed" && d["status"] == "filled"),
        "the lawyer passed over sees it: {mine}"
    );
    let first_bid = bids
        .iter()
        .find(|b| b["lawyer_id"] == first.as_str())
        .unwrap()["id"]
        .clone();
    let r = t
        .post(
            &format!("/api/v1/open-duties/{id}/bids/{first_bid}/pick"),
            &coord,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = t
        .post(
            &format!("/api/v1/open-duties/{id}/bids/999999/pick"),
            &coord,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let late = t.token(TokenRole::Lawyer, None, Some(&lawyers[0])).await;
    let r = t
        .post(&format!("/api/v1/open-duties/{id}/claim"), &late, json!({}))
        .await;
    assert!(
        [StatusCode::CONFLICT, StatusCode::NOT_FOUND].contains(&r.status),
        "{}",
        r.body
    );
    // Every step is in the audit log.
    let audit = t
        .get("/api/v1/audit?limit=50", &coord)
        .await
        .body
        .to_string();
    assert!(audit.contains("open_duty.bid") && audit.contains("open_duty.pick"));
}
