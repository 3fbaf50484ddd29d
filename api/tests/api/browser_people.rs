//! The web page in a real browser for the roles `browser.rs` does not walk through: a
//! director reads a published roster and the month's statement and changes nothing; a
//! firm administrator on a phone offers a swap for one of the firm's lawyers and withdraws
//! it; an admin changes an account's role; a lawyer on a phone asks for leave and the
//! coordinator approves it and publishes the repair. Each signs in through the form with an
//! invitation code (`web-tests/run.mjs`, phases `director`, `firmadmin`, `admin`,
//! `leaveask` and `leavedecide`).

use crate::browser::{account_of, browser, get, root, token};
use crate::browser_daily::{attendance, leave, ledger, pick, swap};
use crate::helpers::{Backend, TestDb};
use axum::body::Body;
use axum::http::{Method, Request};
use chrono::Duration;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::sync::Arc;
use tower::ServiceExt;
use zhiban_api::{AppState, app};
use zhiban_store::{Store, TokenRole};

pub(crate) async fn post(router: &axum::Router, uri: &str, token: &str, body: Value) -> Value {
    let req = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert!(
        status.is_success(),
        "{uri}: {status} {}",
        String::from_utf8_lossy(&body)
    );
    serde_json::from_slice(&body).unwrap()
}

/// Solves two weeks of `CH` from next Monday and publishes them; the roster and version.
async fn published(router: &axum::Router, coord: &str) -> (i64, i64) {
    let from = zhiban_testkit::next_monday();
    let job = post(
        router,
        "/api/v1/rosters",
        coord,
        json!({"centre_id": "CH", "from": from, "weeks": 2}),
    )
    .await;
    let id = job["id"].as_i64().unwrap();
    for _ in 0..600 {
        let j = get(router, &format!("/api/v1/jobs/{id}"), coord).await;
        match j["status"].as_str().unwrap() {
            "succeeded" => {
                let v = j["version_id"].as_i64().unwrap();
                post(
                    router,
                    &format!("/api/v1/versions/{v}/publish"),
                    coord,
                    json!({}),
                )
                .await;
                return (j["roster_id"].as_i64().unwrap(), v);
            }
            "failed" => panic!("{j}"),
            _ => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    panic!("the solve did not finish");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn director_firm_admin_and_admin_use_the_page_in_chromium() {
    let db = TestDb::new(Backend::Sqlite).await;
    let store = zhiban_store::connect(&db.url).await.unwrap();
    let ds = zhiban_dataset::read_dir(
        &root().join("fixtures/small"),
        chrono::Utc::now().date_naive(),
    )
    .unwrap();
    store.import_dataset(&ds).await.unwrap();
    let mut state = AppState::new(store.clone());
    // Plain HTTP on loopback: the session cookie is not Secure (as `zhiban serve` does).
    state.accounts = Arc::new(zhiban_api::accounts::Accounts::new(
        Duration::hours(12),
        Duration::days(7),
        false,
    ));
    // Notifications with a secret key, and a loopback 企业微信 robot service.
    let (robot_url, robot_got) = crate::browser_notify::robot().await;
    state.notify = Arc::new(zhiban_api::notify::Config {
        secrets: Some(Arc::new(zhiban_api::notify::secret::SecretBox::new(
            &[9; 32],
        ))),
        wecom_base: robot_url,
        ..Default::default()
    });
    let router = app(state);
    let (addr, _server) =
        zhiban_api::serve::spawn_for_test(router.clone(), zhiban_api::serve::Limits::default())
            .await
            .unwrap();
    let base = format!("http://{addr}");
    let coord = token(&store, TokenRole::Coordinator, Some("CH"), None).await;
    let (roster, version) = published(&router, &coord).await;

    director(&store, &router, &base, &coord, roster).await;
    firm_admin(&store, &router, &base, &coord, &ds, version).await;
    admin(&store, &base).await;
    leave(&store, &router, &base, &coord, (roster, version)).await;
    attendance(&store, &base, roster).await;
    swap(&store, &router, &base, &coord, roster).await;
    ledger(&store, &base, roster).await;
    panel(&store, &router, &base, &coord, version).await;
    import(&store, &router, &base, &coord).await;
    pick(&store, &router, &base, &coord).await;
    crate::browser_notify::notify(&store, &base, &robot_got).await;
    drop(db);
}

/// A director reads the published roster and a statement, changes nothing, and downloads
/// their data.
async fn director(
    store: &Arc<dyn Store>,
    router: &axum::Router,
    base: &str,
    coord: &str,
    roster: i64,
) {
    // The director.
    let signin = account_of(
        store,
        "director.ch",
        TokenRole::Director,
        Some("CH"),
        None,
        None,
    )
    .await;
    let extra: Vec<(&str, String)> = signin
        .into_iter()
        .chain([("ROSTER", roster.to_string())])
        .collect();
    let b = base.to_string();
    let found = tokio::task::spawn_blocking(move || browser("director", &b, &extra))
        .await
        .unwrap();
    assert_eq!(found["centres"], json!(["CH"]), "{found}");
    assert_eq!(found["file"], "我的数据.json", "{found}");
    let audit = get(router, "/api/v1/audit?limit=500", coord).await;
    let by_director: Vec<&Value> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"].as_str().unwrap().starts_with("user:director.ch"))
        .collect();
    assert!(
        by_director
            .iter()
            .all(|e| e["action"].as_str().unwrap().starts_with("auth.")),
        "a director changed something: {by_director:?}"
    );
}

/// A firm administrator offers a duty of one of the firm's lawyers to a colleague and
/// withdraws the offer.
async fn firm_admin(
    store: &Arc<dyn Store>,
    router: &axum::Router,
    base: &str,
    coord: &str,
    ds: &zhiban_domain::Dataset,
    version: i64,
) {
    // A duty in the second week that a colleague may take, and its lawyer's firm.
    let assignments = get(router, &format!("/api/v1/versions/{version}"), coord).await;
    let week2 = (zhiban_testkit::next_monday() + Duration::days(7)).to_string();
    let mut offer = None;
    for a in assignments["assignments"].as_array().unwrap() {
        if a["role"] != "primary" || a["date"].as_str().unwrap() < week2.as_str() {
            continue;
        }
        let q = format!(
            "/api/v1/versions/{version}/suggestions?station_id={}&date={}&half_day={}&replace={}",
            a["station_id"].as_str().unwrap(),
            a["date"].as_str().unwrap(),
            a["half_day"].as_str().unwrap(),
            a["lawyer_id"].as_str().unwrap()
        );
        let s = get(router, &q, coord).await;
        if let Some(t) = s.as_array().unwrap().iter().find(|x| x["valid"] == true) {
            offer = Some((a.clone(), t["lawyer_id"].as_str().unwrap().to_string()));
            break;
        }
    }
    let (duty, taker) = offer.expect("a duty a colleague may take");
    let giver = duty["lawyer_id"].as_str().unwrap().to_string();
    let firm = ds
        .lawyer(&zhiban_domain::LawyerId::parse(&giver).unwrap())
        .unwrap()
        .firm_id
        .to_string();
    let signin = account_of(
        store,
        "firm.admin",
        TokenRole::FirmAdmin,
        None,
        None,
        Some(&firm),
    )
    .await;
    let key = format!(
        "{}|{}|{}|primary",
        duty["station_id"].as_str().unwrap(),
        duty["date"].as_str().unwrap(),
        duty["half_day"].as_str().unwrap()
    );
    let extra: Vec<(&str, String)> = signin
        .into_iter()
        .chain([
            ("GIVER", giver.clone()),
            ("DUTY", key),
            ("SWAP_TO", taker.clone()),
        ])
        .collect();
    let b = base.to_string();
    let found = tokio::task::spawn_blocking(move || browser("firmadmin", &b, &extra))
        .await
        .unwrap();
    let firm_lawyers: Vec<String> = ds
        .lawyers
        .iter()
        .filter(|l| l.firm_id.as_str() == firm)
        .map(|l| l.id.to_string())
        .collect();
    let mut shown: Vec<String> = found["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    shown.sort();
    assert_eq!(shown, firm_lawyers, "only the firm's lawyers");
    let swaps = get(router, "/api/v1/swaps", coord).await;
    let swap = &swaps["items"][0];
    assert_eq!(
        (
            swap["from_lawyer"].as_str(),
            swap["to_lawyer"].as_str(),
            swap["status"].as_str()
        ),
        (
            Some(giver.as_str()),
            Some(taker.as_str()),
            Some("cancelled")
        ),
        "{swaps}"
    );
}

/// An admin changes a coordinator's account into a finance officer's.
async fn admin(store: &Arc<dyn Store>, base: &str) {
    // The admin changes a coordinator into a finance officer.
    account_of(
        store,
        "clerk.ch",
        TokenRole::Coordinator,
        Some("CH"),
        None,
        None,
    )
    .await;
    let signin = account_of(store, "root.admin", TokenRole::Admin, None, None, None).await;
    let extra: Vec<(&str, String)> = signin
        .into_iter()
        .chain([("TARGET", "clerk.ch".to_string())])
        .collect();
    let b = base.to_string();
    tokio::task::spawn_blocking(move || browser("admin", &b, &extra))
        .await
        .unwrap();
    let clerk = store.user_by_login("clerk.ch").await.unwrap().unwrap();
    assert_eq!(clerk.role, TokenRole::Finance);
}

/// A coordinator keeps the 名册 in the page: a phone changed, a firm added, a bad limit
/// refused, and a lawyer with duties taken off the panel with a repair asked for.
async fn panel(
    store: &Arc<dyn Store>,
    router: &axum::Router,
    base: &str,
    coord: &str,
    version: i64,
) {
    let view = get(router, &format!("/api/v1/versions/{version}"), coord).await;
    let week2 = (zhiban_testkit::next_monday() + Duration::days(7)).to_string();
    let retire = view["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["date"].as_str().unwrap() >= week2.as_str())
        .unwrap()["lawyer_id"]
        .as_str()
        .unwrap()
        .to_string();
    let edit = if retire == "CH-L03" {
        "CH-L04"
    } else {
        "CH-L03"
    };
    let limits_before =
        get(router, &format!("/api/v1/lawyers/{edit}"), coord).await["limits"].clone();
    let signin = account_of(
        store,
        "keeper.ch",
        TokenRole::Coordinator,
        Some("CH"),
        None,
        None,
    )
    .await;
    let extra: Vec<(&str, String)> = signin
        .into_iter()
        .chain([("EDIT", edit.to_string()), ("RETIRE", retire.clone())])
        .collect();
    let b = base.to_string();
    let found = tokio::task::spawn_blocking(move || browser("panel", &b, &extra))
        .await
        .unwrap();
    assert!(found["affected"].as_u64().unwrap() >= 1, "{found}");
    let ds = store.export_dataset().await.unwrap();
    let lawyer = |id: &str| {
        ds.lawyer(&zhiban_domain::LawyerId::parse(id).unwrap())
            .unwrap()
            .clone()
    };
    assert_eq!(lawyer(edit).phone, "13900000003");
    assert_eq!(
        serde_json::to_value(lawyer(edit).limits).unwrap(),
        limits_before,
        "the refused limits were not saved"
    );
    assert!(!lawyer(&retire).active);
    assert!(ds.firms.iter().any(|f| f.id.as_str() == "CH-F09"));
    assert!(ds.centres[0].shares_pool, "pool sharing set in the page");
    let policy = store.centre_policy(&ds.centres[0].id).await.unwrap();
    assert!(
        policy.fairness.by_station_kind,
        "balance by kind set in the page"
    );
    assert_eq!(policy.fairness.consecutive_days, 10);
    assert_eq!(policy.fairness.weekday_spread, 2, "the other weights kept");
    let jcy = ds
        .station(&zhiban_domain::StationId::parse("CH-JCY").unwrap())
        .unwrap();
    let fixture = zhiban_dataset::read_dir(
        &root().join("fixtures/small"),
        chrono::Utc::now().date_naive(),
    )
    .unwrap();
    let mut want = fixture
        .station(&zhiban_domain::StationId::parse("CH-JCY").unwrap())
        .unwrap()
        .clone();
    want.geofence_m = 250;
    assert_eq!(jcy, &want, "only the range changed");
    // The repair ran as a job and left a draft without the lawyer.
    let roster = view["roster"]["id"].as_i64().unwrap();
    let mut draft = None;
    for _ in 0..300 {
        let r = get(router, &format!("/api/v1/rosters/{roster}"), coord).await;
        if let Some(v) = r["versions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["status"] == "draft")
        {
            draft = v["id"].as_i64();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let draft = draft.expect("a repair draft");
    let d = get(router, &format!("/api/v1/versions/{draft}"), coord).await;
    assert!(
        !d["assignments"]
            .to_string()
            .contains(&format!("\"{retire}\""))
    );
}

/// A coordinator imports a workbook in the page: the broken one's problems are listed and
/// change nothing; the fixed one is previewed and applied.
async fn import(store: &Arc<dyn Store>, router: &axum::Router, base: &str, coord: &str) {
    let res = router
        .clone()
        .oneshot(
            Request::get("/api/v1/centres/CH/panel.xlsx")
                .header("authorization", format!("Bearer {coord}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let book = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    let row = "r = [c.row for c in ws['A'] if c.value == 'CH-L12'][0]\n";
    let fixed = crate::imports::edit(
        &book,
        &format!("{row}ws.cell(row=r, column=col('phone'), value='13977778888')"),
    );
    let broken = crate::imports::edit(
        &fixed,
        &format!("{row}ws.cell(row=r, column=col('licence_date'), value='2999-01-01')"),
    );
    let dir = tempfile::tempdir().unwrap();
    let (f, b) = (
        dir.path().join("名册.xlsx"),
        dir.path().join("名册-有错.xlsx"),
    );
    std::fs::write(&f, &fixed).unwrap();
    std::fs::write(&b, &broken).unwrap();
    let signin = account_of(
        store,
        "importer.ch",
        TokenRole::Coordinator,
        Some("CH"),
        None,
        None,
    )
    .await;
    let extra: Vec<(&str, String)> = signin
        .into_iter()
        .chain([
            ("FIXED_BOOK", f.display().to_string()),
            ("BROKEN_BOOK", b.display().to_string()),
        ])
        .collect();
    let base = base.to_string();
    let found = tokio::task::spawn_blocking(move || browser("import", &base, &extra))
        .await
        .unwrap();
    // The bad row, then the rows that rest on it (the lawyer's leave).
    assert!(found["errors"].as_u64().unwrap() >= 1, "{found}");
    assert!(
        found["first"].as_str().unwrap().contains("licence_date"),
        "{found}"
    );
    assert_eq!(found["changes"], 1, "{found}");
    let ds = store.export_dataset().await.unwrap();
    let l = ds
        .lawyer(&zhiban_domain::LawyerId::parse("CH-L12").unwrap())
        .unwrap();
    assert_eq!(l.phone, "13977778888");
}
