//! The daily work in a real browser (`browser_people.rs` runs these phases on its
//! published roster): a lawyer on a phone asks for leave, the coordinator approves it and
//! publishes the repair, then opens a surge post that another lawyer claims on a phone; a
//! check-in outside the station's range is approved on the attendance screen; a swap is
//! accepted and approved; a lawyer fills in a duty's ledger and the coordinator rates it
//! (`web-tests/run.mjs`, phases `leaveask`, `leavedecide`, `claim`, `attendance`,
//! `swaptake`, `swapapprove`, `ledgerfill` and `ledgerrate`).

use crate::browser::{account_of, browser, get};
use chrono::Duration;
use serde_json::Value;
use std::sync::Arc;
use zhiban_store::{Store, TokenRole};

/// A lawyer on a phone asks for a day's leave over a published duty; the coordinator sees
/// the duty it hits, approves it, and publishes the repair draft that takes the duty away.
pub(crate) async fn leave(
    store: &Arc<dyn Store>,
    router: &axum::Router,
    base: &str,
    coord: &str,
    (roster, version): (i64, i64),
) {
    let view = get(router, &format!("/api/v1/versions/{version}"), coord).await;
    let week2 = (zhiban_testkit::next_monday() + Duration::days(7)).to_string();
    let later: Vec<&Value> = view["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["date"].as_str().unwrap() >= week2.as_str() && a["role"] == "primary")
        .collect();
    // Not the lawyer the 名册 phase retires (the first of the second week).
    let first = later[0]["lawyer_id"].as_str().unwrap();
    let duty = later
        .iter()
        .rev()
        .find(|a| a["lawyer_id"] != first)
        .unwrap();
    let (lawyer, day) = (
        duty["lawyer_id"].as_str().unwrap().to_string(),
        duty["date"].as_str().unwrap().to_string(),
    );
    let signin = account_of(
        store,
        "leave.lawyer",
        TokenRole::Lawyer,
        None,
        Some(&lawyer),
        None,
    )
    .await;
    let extra: Vec<(&str, String)> = signin
        .into_iter()
        .chain([("LEAVE_DAY", day.clone())])
        .collect();
    let b = base.to_string();
    tokio::task::spawn_blocking(move || browser("leaveask", &b, &extra))
        .await
        .unwrap();
    let signin = account_of(
        store,
        "leave.keeper",
        TokenRole::Coordinator,
        Some("CH"),
        None,
        None,
    )
    .await;
    let half = duty["half_day"].as_str().unwrap().to_string();
    let station = duty["station_id"].as_str().unwrap().to_string();
    let extra: Vec<(&str, String)> = signin
        .into_iter()
        .chain([
            ("ROSTER", roster.to_string()),
            ("LEAVE_DAY", day.clone()),
            ("OPEN_STATION", station.clone()),
            ("OPEN_HALF", half.clone()),
        ])
        .collect();
    let b = base.to_string();
    let found = tokio::task::spawn_blocking(move || browser("leavedecide", &b, &extra))
        .await
        .unwrap();
    assert!(found["affected"].as_u64().unwrap() >= 1, "{found}");
    // The published roster no longer has the lawyer on that day, and the leave is theirs.
    let r = get(router, &format!("/api/v1/rosters/{roster}"), coord).await;
    let published = r["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["status"] == "published")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    assert_ne!(published, version, "the repair was published");
    let now = get(router, &format!("/api/v1/versions/{published}"), coord).await;
    assert!(
        !now["assignments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["lawyer_id"] == lawyer.as_str() && a["date"] == day.as_str()),
        "{lawyer} is off duty on {day}"
    );
    let avail = get(
        router,
        &format!("/api/v1/lawyers/{lawyer}/availability"),
        coord,
    )
    .await;
    assert!(avail["leave"].to_string().contains(&day), "{avail}");
    // A lawyer who could take the surge's post claims it on the phone.
    let sugg = get(
        router,
        &format!("/api/v1/versions/{published}/suggestions?station_id={station}&date={day}&half_day={half}"),
        coord,
    )
    .await;
    let taker = sugg
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["valid"] == true && c["lawyer_id"] != lawyer.as_str())
        .unwrap()["lawyer_id"]
        .as_str()
        .unwrap()
        .to_string();
    let signin = account_of(
        store,
        "claim.lawyer",
        TokenRole::Lawyer,
        None,
        Some(&taker),
        None,
    )
    .await;
    let extra: Vec<(&str, String)> = signin.into_iter().collect();
    let b = base.to_string();
    tokio::task::spawn_blocking(move || browser("claim", &b, &extra))
        .await
        .unwrap();
    let r = get(router, &format!("/api/v1/rosters/{roster}"), coord).await;
    let newest = r["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["status"] == "published")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let now = get(router, &format!("/api/v1/versions/{newest}"), coord).await;
    assert!(
        now["assignments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["lawyer_id"] == taker.as_str()
                && a["date"] == day.as_str()
                && a["station_id"] == station.as_str()
                && a["half_day"] == half.as_str()),
        "{taker} holds the claimed post"
    );
}

/// A check-in outside the station's range waits for the coordinator, who approves it on the
/// attendance screen (考勤).
pub(crate) async fn attendance(store: &Arc<dyn Store>, base: &str, roster: i64) {
    // The roster as published now (the leave and claim phases published new versions).
    let version = store
        .list_versions(roster)
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.status == zhiban_store::VersionStatus::Published)
        .unwrap()
        .id;
    let v = store.get_version(version).await.unwrap().unwrap();
    let duty = v
        .assignments
        .iter()
        .find(|a| a.role == zhiban_domain::Role::Primary)
        .unwrap()
        .clone();
    let at = chrono::Utc::now();
    let record = zhiban_store::NewAttendance {
        centre_id: zhiban_domain::CentreId::parse("CH").unwrap(),
        roster_id: roster,
        duty: duty.clone(),
        status: zhiban_store::AttendanceStatus::Attended,
        method: Some(zhiban_store::CheckInMethod::App),
        check_in_at: Some(at),
        check_out_at: Some(at + Duration::hours(3)),
        lat: Some(23.60),
        lon: Some(113.60),
        distance_m: Some(850.0),
        minutes_late: 0,
        late: false,
        outside_geofence: true,
        approved: false,
        proof: "",
        checkout_window: None,
        reason: String::new(),
        idempotency_key: None,
    };
    let audit = zhiban_store::Audit {
        actor: "test".into(),
        centre_id: None,
        action: "attendance.check_in".into(),
        target: String::new(),
        detail: Value::Null,
    };
    let (rec, _) = store.create_attendance(&record, &audit).await.unwrap();
    let signin = account_of(
        store,
        "attendance.keeper",
        TokenRole::Coordinator,
        Some("CH"),
        None,
        None,
    )
    .await;
    let extra: Vec<(&str, String)> = signin
        .into_iter()
        .chain([
            ("ATT_DAY", duty.date.to_string()),
            ("ATT_LAWYER", duty.lawyer_id.to_string()),
        ])
        .collect();
    let b = base.to_string();
    tokio::task::spawn_blocking(move || browser("attendance", &b, &extra))
        .await
        .unwrap();
    let now = store.get_attendance(rec.id).await.unwrap().unwrap();
    assert!(now.approved, "approved in the page");
}

/// A lawyer offered a duty accepts it on a phone; the coordinator approves the swap, which
/// publishes the roster with the taker on duty.
pub(crate) async fn swap(
    store: &Arc<dyn Store>,
    router: &axum::Router,
    base: &str,
    coord: &str,
    roster: i64,
) {
    let published = || async {
        let r = get(router, &format!("/api/v1/rosters/{roster}"), coord).await;
        r["versions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["status"] == "published")
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let version = published().await;
    let view = get(router, &format!("/api/v1/versions/{version}"), coord).await;
    let week2 = (zhiban_testkit::next_monday() + Duration::days(7)).to_string();
    // A second-week duty with a colleague who could take it.
    let mut found = None;
    for a in view["assignments"].as_array().unwrap().iter().rev() {
        if a["role"] != "primary" || a["date"].as_str().unwrap() < week2.as_str() {
            continue;
        }
        let (st, date, half, giver) = (
            a["station_id"].as_str().unwrap(),
            a["date"].as_str().unwrap(),
            a["half_day"].as_str().unwrap(),
            a["lawyer_id"].as_str().unwrap(),
        );
        let sugg = get(
            router,
            &format!("/api/v1/versions/{version}/suggestions?station_id={st}&date={date}&half_day={half}&replace={giver}"),
            coord,
        )
        .await;
        if let Some(c) = sugg
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["valid"] == true && c["lawyer_id"] != giver)
        {
            found = Some((a.clone(), c["lawyer_id"].as_str().unwrap().to_string()));
            break;
        }
    }
    let (duty, taker) = found.expect("a duty a colleague could take");
    let giver = duty["lawyer_id"].as_str().unwrap().to_string();
    let giver_token = crate::browser::token(store, TokenRole::Lawyer, None, Some(&giver)).await;
    let offer = serde_json::json!({"station_id": duty["station_id"], "date": duty["date"],
        "half_day": duty["half_day"], "to_lawyer_id": taker, "note": "当天开庭，请帮忙"});
    crate::browser_people::post(router, "/api/v1/swaps", &giver_token, offer).await;
    let signin = account_of(
        store,
        "swap.taker",
        TokenRole::Lawyer,
        None,
        Some(&taker),
        None,
    )
    .await;
    let extra: Vec<(&str, String)> = signin.into_iter().collect();
    let b = base.to_string();
    tokio::task::spawn_blocking(move || browser("swaptake", &b, &extra))
        .await
        .unwrap();
    let signin = account_of(
        store,
        "swap.keeper",
        TokenRole::Coordinator,
        Some("CH"),
        None,
        None,
    )
    .await;
    let extra: Vec<(&str, String)> = signin.into_iter().collect();
    let b = base.to_string();
    tokio::task::spawn_blocking(move || browser("swapapprove", &b, &extra))
        .await
        .unwrap();
    let now = published().await;
    assert_ne!(now, version, "the approved swap was published");
    let v = get(router, &format!("/api/v1/versions/{now}"), coord).await;
    let holds = |who: &str| {
        v["assignments"].as_array().unwrap().iter().any(|a| {
            a["lawyer_id"] == who
                && a["date"] == duty["date"]
                && a["station_id"] == duty["station_id"]
                && a["half_day"] == duty["half_day"]
        })
    };
    assert!(
        holds(&taker) && !holds(&giver),
        "{taker} holds the duty now"
    );
}

/// A lawyer on a phone fills in a duty's ledger (台账) the day after it, with one
/// legal-aid application forwarded in time and one 30 hours late; the coordinator sees the
/// late forward highlighted and in words, and rates the duty.
pub(crate) async fn ledger(store: &Arc<dyn Store>, base: &str, roster: i64) {
    let version = store
        .list_versions(roster)
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.status == zhiban_store::VersionStatus::Published)
        .unwrap()
        .id;
    let v = store.get_version(version).await.unwrap().unwrap();
    // The last duty of a lawyer who has no account yet (earlier phases signed some in).
    let free = store.lawyers_without_account(None).await.unwrap();
    let duty = v
        .assignments
        .iter()
        .rfind(|a| a.role == zhiban_domain::Role::Primary && free.contains(&a.lawyer_id))
        .unwrap()
        .clone();
    let day = duty.date;
    let signin = account_of(
        store,
        "ledger.lawyer",
        TokenRole::Lawyer,
        None,
        Some(duty.lawyer_id.as_str()),
        None,
    )
    .await;
    let extra: Vec<(&str, String)> = signin
        .into_iter()
        .chain([
            // The phone's clock: the morning after the duty (Shanghai).
            ("NOW", format!("{}T10:00:00+08:00", day + Duration::days(1))),
            (
                "LEDGER_DUTY",
                format!("{}|{}|{}", duty.station_id, day, duty.half_day.code()),
            ),
            ("LEDGER_DAY", day.to_string()),
            ("LEDGER_NEXT", (day + Duration::days(1)).to_string()),
        ])
        .collect();
    let b = base.to_string();
    let found = tokio::task::spawn_blocking(move || browser("ledgerfill", &b, &extra))
        .await
        .unwrap();
    let said = found["said"].as_str().unwrap();
    assert!(
        said.contains("咨询 4 人次") && said.contains("逾期未转交 1 件"),
        "{found}"
    );
    let entry = |all: Vec<zhiban_store::LedgerEntry>| {
        all.into_iter()
            .find(|e| {
                e.station_id == duty.station_id
                    && e.date == day
                    && e.half_day == duty.half_day
                    && e.lawyer_id == duty.lawyer_id
            })
            .expect("the ledger entry is stored")
    };
    let centre = zhiban_domain::CentreId::parse("CH").unwrap();
    let e = entry(store.list_ledger(&centre, day, day).await.unwrap());
    assert_eq!((e.consultations, e.plea_signings), (4, 1));
    assert_eq!(e.notes, "会见在押人员3名");
    let names: Vec<&str> = e
        .applications
        .iter()
        .map(|a| a.applicant.as_str())
        .collect();
    assert_eq!(names, ["张三", "李四"]);
    let late = &e.applications[1];
    assert_eq!(
        late.forwarded_at.unwrap() - late.received_at,
        Duration::hours(30),
        "the local times entered on the phone are stored as instants"
    );
    let signin = account_of(
        store,
        "ledger.keeper",
        TokenRole::Coordinator,
        Some("CH"),
        None,
        None,
    )
    .await;
    let extra: Vec<(&str, String)> = signin
        .into_iter()
        .chain([
            ("LEDGER_MONTH", day.format("%Y-%m").to_string()),
            ("LEDGER_LAWYER", duty.lawyer_id.to_string()),
        ])
        .collect();
    let b = base.to_string();
    tokio::task::spawn_blocking(move || browser("ledgerrate", &b, &extra))
        .await
        .unwrap();
    let e = entry(store.list_ledger(&centre, day, day).await.unwrap());
    assert_eq!(e.quality.as_deref(), Some("excellent"), "rated in the page");
    assert_eq!(e.consultations, 4, "the rating changed nothing else");
}

/// A call through `router` whose refusal is an answer, not a failure.
async fn try_post(
    router: &axum::Router,
    uri: &str,
    token: &str,
    body: Value,
) -> (axum::http::StatusCode, Value) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let req = axum::http::Request::builder()
        .method(axum::http::Method::POST)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(axum::body::Body::from(body.to_string()))
        .unwrap();
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// In a centre whose coordinators pick among claimants, two lawyers ask for a surge post;
/// the coordinator sees both and picks the second in the page, which publishes the roster
/// with them on duty.
pub(crate) async fn pick(store: &Arc<dyn Store>, router: &axum::Router, base: &str, coord: &str) {
    let centre = zhiban_domain::CentreId::parse("CH").unwrap();
    let mut policy = store.centre_policy(&centre).await.unwrap();
    policy.claims_picked = true;
    let audit = zhiban_store::Audit {
        actor: "test".into(),
        centre_id: Some(centre.clone()),
        action: "centre.policy".into(),
        target: String::new(),
        detail: Value::Null,
    };
    store
        .put_centre_policy(&centre, &policy, chrono::Utc::now(), &audit)
        .await
        .unwrap();
    let duties = get(router, "/api/v1/duties?centre_id=CH&limit=500", coord).await;
    let week2 = (zhiban_testkit::next_monday() + Duration::days(7)).to_string();
    let slot = duties["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["assignment"].clone())
        .find(|a| a["date"].as_str().unwrap() >= week2.as_str() && a["role"] == "primary")
        .unwrap();
    let open = crate::browser_people::post(
        router,
        "/api/v1/open-duties",
        coord,
        serde_json::json!({"station_id": slot["station_id"], "date": slot["date"],
            "half_day": slot["half_day"], "posts": 1, "extra": true, "note": "值班律师临时增援"}),
    )
    .await;
    let id = open["id"].as_i64().unwrap();
    let mut bidders = vec![];
    for l in store.list_lawyers(None).await.unwrap() {
        let l = l.id;
        let tok = crate::browser::token(store, TokenRole::Lawyer, None, Some(l.as_str())).await;
        let uri = format!("/api/v1/open-duties/{id}/claim");
        let (status, body) = try_post(router, &uri, &tok, serde_json::json!({})).await;
        if status == axum::http::StatusCode::ACCEPTED {
            bidders.push((l, body));
        }
        if bidders.len() == 2 {
            break;
        }
    }
    assert_eq!(bidders.len(), 2, "two lawyers asked for the post");
    let bids = get(router, &format!("/api/v1/open-duties/{id}/bids"), coord).await;
    let second = bidders[1].0.clone();
    let bid = bids
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["lawyer_id"] == second.as_str())
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let signin = account_of(
        store,
        "pick.keeper",
        TokenRole::Coordinator,
        Some("CH"),
        None,
        None,
    )
    .await;
    let extra: Vec<(&str, String)> = signin
        .into_iter()
        .chain([("OPEN_ID", id.to_string()), ("PICK_BID", bid.to_string())])
        .collect();
    let b = base.to_string();
    tokio::task::spawn_blocking(move || browser("pickbid", &b, &extra))
        .await
        .unwrap();
    let now = get(
        router,
        &format!("/api/v1/duties?centre_id=CH&lawyer_id={second}&limit=500"),
        coord,
    )
    .await;
    assert!(
        now["items"].as_array().unwrap().iter().any(|d| {
            let a = &d["assignment"];
            a["date"] == slot["date"]
                && a["station_id"] == slot["station_id"]
                && a["half_day"] == slot["half_day"]
        }),
        "{second} was picked and is on duty: {now}"
    );
}
