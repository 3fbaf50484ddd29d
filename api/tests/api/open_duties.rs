//! Open duties on both databases: a coordinator opens extra posts for a surge at a
//! published half-day; the lawyers who could take one see it and claim it, each winning
//! claim publishing the roster with them on duty; the last post, claimed at once through
//! two routers over one database (two processes), goes to exactly one of them (201) and the
//! other is told it is gone (409); bad requests and outsiders are refused and write nothing.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use zhiban_store::TokenRole;

use crate::helpers::*;

on_both!(an_open_duty_is_claimed_first_come_and_never_beyond_its_posts,);

/// A claim through `router` (another process's, or the test app's).
async fn claim_via(router: &axum::Router, token: &str, id: i64) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!("/api/v1/open-duties/{id}/claim"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from("{}"))
        .unwrap();
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

async fn an_open_duty_is_claimed_first_come_and_never_beyond_its_posts(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let monday = next_monday();
    let v = t
        .solve_and_publish(&coord, "CH", &monday.to_string(), 2)
        .await;
    let week2 = (monday + chrono::Duration::days(7)).to_string();
    let duty = t
        .primaries(&coord, v)
        .await
        .into_iter()
        .find(|a| s(&a["date"]) >= week2)
        .unwrap();
    let (st, date, half) = (
        s(&duty["station_id"]),
        s(&duty["date"]),
        s(&duty["half_day"]),
    );
    let ask = |posts: u32, extra: bool| {
        json!({"station_id": st, "date": date, "half_day": half, "posts": posts,
            "extra": extra, "note": "17名同案被告人，开庭前会见"})
    };
    // Refused, writing nothing: no posts, more empty posts than there are, by a lawyer.
    let before = zhiban_store::render_dump(&t.store.dump_tables().await.unwrap());
    let r = t.post("/api/v1/open-duties", &coord, ask(0, true)).await;
    assert_eq!(r.body["errors"][0]["field"], "posts", "{}", r.body);
    let r = t.post("/api/v1/open-duties", &coord, ask(1, false)).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the slot is full: {}",
        r.body
    );
    let holder = s(&duty["lawyer_id"]);
    let holder_tok = t.token(TokenRole::Lawyer, None, Some(&holder)).await;
    let r = t
        .post("/api/v1/open-duties", &holder_tok, ask(2, true))
        .await;
    assert!(
        r.status == StatusCode::FORBIDDEN || r.status == StatusCode::NOT_FOUND,
        "{}",
        r.body
    );
    let after = zhiban_store::render_dump(&t.store.dump_tables().await.unwrap());
    assert!(after.lines().filter(|l| l.contains("open_duties")).count() <= 1);
    assert!(!after.contains("17名同案被告人") && !before.contains("17名同案被告人"));

    // A surge: two extra posts.
    let r = t.post("/api/v1/open-duties", &coord, ask(2, true)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    // The lawyer on duty there already cannot take a second post of it.
    let (status, body) = claim_via(&t.router, &holder_tok, id).await;
    assert!(
        status == StatusCode::CONFLICT || status == StatusCode::UNPROCESSABLE_ENTITY,
        "{body}"
    );
    // Who sees it: the lawyers the panel's rules and their availability allow.
    let lawyers: Vec<String> = t.get("/api/v1/lawyers", &coord).await.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["active"] == true)
        .map(|l| s(&l["id"]))
        .collect();
    let mut seen = vec![];
    for l in &lawyers {
        let tok = t.token(TokenRole::Lawyer, None, Some(l)).await;
        let open = t.get("/api/v1/open-duties", &tok).await;
        assert_eq!(open.status, StatusCode::OK, "{}", open.body);
        if open.body.as_array().unwrap().iter().any(|d| d["id"] == id) {
            seen.push((l.clone(), tok));
        }
    }
    assert!(seen.len() >= 3, "{} lawyers see it", seen.len());
    // The first valid claim wins a post and publishes the roster with the lawyer on duty.
    let mut first = None;
    for (l, tok) in &seen {
        let (status, body) = claim_via(&t.router, tok, id).await;
        if status == StatusCode::CREATED {
            first = Some((l.clone(), body));
            break;
        }
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    let (winner, body) = first.expect("someone could claim it");
    let published = body["version_id"].as_i64().unwrap();
    let on_duty = t.assignments(&coord, published).await;
    assert!(on_duty.iter().any(|a| s(&a["lawyer_id"]) == winner
        && s(&a["date"]) == date
        && s(&a["station_id"]) == st));
    // The last post, claimed at once through two processes: one yes, one clear no.
    let sugg = t
        .get(
            &format!("/api/v1/versions/{published}/suggestions?station_id={st}&date={date}&half_day={half}"),
            &coord,
        )
        .await;
    let able: Vec<String> = sugg
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["valid"] == true)
        .map(|c| s(&c["lawyer_id"]))
        .filter(|l| *l != winner && *l != holder)
        .take(2)
        .collect();
    assert_eq!(able.len(), 2, "{}", sugg.body);
    let a = t.token(TokenRole::Lawyer, None, Some(&able[0])).await;
    let b = t.token(TokenRole::Lawyer, None, Some(&able[1])).await;
    let other = zhiban_api::app(zhiban_api::AppState::new(
        zhiban_store::connect(t.url()).await.unwrap(),
    ));
    let ((sa, ba), (sb, bb)) =
        tokio::join!(claim_via(&t.router, &a, id), claim_via(&other, &b, id));
    let mut got = [sa, sb];
    got.sort();
    assert_eq!(
        got,
        [StatusCode::CREATED, StatusCode::CONFLICT],
        "{ba} {bb}"
    );
    let gone = if sa == StatusCode::CONFLICT { &ba } else { &bb };
    assert!(s(&gone["detail"]).contains("taken"), "{gone}");
    // Filled: the coordinator sees it so, and nobody else gets a post.
    let list = t.get("/api/v1/open-duties", &coord).await;
    let d = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == id)
        .unwrap()
        .clone();
    assert_eq!(
        (d["filled"].as_u64(), s(&d["status"])),
        (Some(2), "filled".into()),
        "{d}"
    );
    let late = &seen.last().unwrap().1;
    let (status, _) = claim_via(&t.router, late, id).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let count = |a: &[Value]| {
        a.iter()
            .filter(|x| {
                s(&x["station_id"]) == st
                    && s(&x["date"]) == date
                    && s(&x["half_day"]) == half
                    && x["role"] == "primary"
            })
            .count()
    };
    let roster = t
        .get(&format!("/api/v1/versions/{published}"), &coord)
        .await
        .body["roster"]["id"]
        .as_i64()
        .unwrap();
    let r = t.get(&format!("/api/v1/rosters/{roster}"), &coord).await;
    let now = r.body["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["status"] == "published")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let posts = count(&t.assignments(&coord, v).await);
    assert_eq!(
        count(&t.assignments(&coord, now).await),
        posts + 2,
        "two extra lawyers, no more"
    );

    // Withdrawn before anyone claims it: nobody can claim it, and it counts no more.
    let r = t.post("/api/v1/open-duties", &coord, ask(1, true)).await;
    let again = r.body["id"].as_i64().unwrap();
    let r = t
        .post(
            &format!("/api/v1/open-duties/{again}/cancel"),
            &coord,
            json!({}),
        )
        .await;
    assert_eq!(s(&r.body["status"]), "cancelled", "{}", r.body);
    let r = t
        .post(
            &format!("/api/v1/open-duties/{again}/cancel"),
            &coord,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let (status, _) = claim_via(&t.router, late, again).await;
    assert_eq!(status, StatusCode::CONFLICT);
    // Once the half-day has started, a post can no longer be claimed.
    let r = t.post("/api/v1/open-duties", &coord, ask(1, true)).await;
    let last = r.body["id"].as_i64().unwrap();
    let day: chrono::NaiveDate = date.parse().unwrap();
    t.set_time(Some(day.and_hms_opt(23, 0, 0).unwrap().and_utc()));
    let (status, body) = claim_via(&t.router, late, last).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(s(&body["detail"]).contains("started"), "{body}");
}
