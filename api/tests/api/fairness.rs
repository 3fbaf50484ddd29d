//! Issue 25 through the API: a centre keeps its fairness settings with its policy (bounded,
//! the error naming the field), its roster jobs use them, and the version's report shows each
//! spread term, which a count over the version's own assignments agrees with.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use zhiban_store::TokenRole;

use crate::helpers::*;

on_both!(a_centres_fairness_settings_shape_its_rosters_and_the_report_shows_them);

fn weekday(date: &str) -> usize {
    use chrono::Datelike;
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .unwrap()
        .weekday()
        .num_days_from_monday() as usize
}

async fn a_centres_fairness_settings_shape_its_rosters_and_the_report_shows_them(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    t.set_time(Some(local("2026-10-08", "08:00")));
    // The defaults: spread terms on, the same-firm term and balance by kind off.
    let policy = t.get("/api/v1/centres/CH/policy", &coord).await.body;
    assert_eq!(
        policy["fairness"],
        json!({"by_station_kind": false, "consecutive_days": 6, "weekday_spread": 2,
               "half_day_spread": 1, "firm_consecutive": 0})
    );
    // Out of bounds: refused, naming the field, and nothing changes.
    for (field, value) in [
        ("weekday_spread", json!(600)),
        ("consecutive_days", json!(-1)),
        ("half_day_spread", json!(1.5)),
    ] {
        let mut bad = policy.clone();
        bad["fairness"][field] = value;
        let r = t
            .call(Method::PUT, "/api/v1/centres/CH/policy", &coord, Some(bad))
            .await;
        assert!(
            r.status == StatusCode::UNPROCESSABLE_ENTITY || r.status == StatusCode::BAD_REQUEST,
            "{field}: {} {}",
            r.status,
            r.body
        );
        assert!(r.body.to_string().contains(field), "{field}: {}", r.body);
    }
    assert_eq!(
        t.get("/api/v1/centres/CH/policy", &coord).await.body,
        policy
    );
    // Every term on, by kind too.
    let mut all = policy.clone();
    all["fairness"] = json!({"by_station_kind": true, "consecutive_days": 8, "weekday_spread": 3,
        "half_day_spread": 1, "firm_consecutive": 1});
    let r = t
        .call(
            Method::PUT,
            "/api/v1/centres/CH/policy",
            &coord,
            Some(all.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(t.get("/api/v1/centres/CH/policy", &coord).await.body, all);

    let v = t.solve_and_publish(&coord, "CH", "2026-10-12", 2).await;
    let version = t.get(&format!("/api/v1/versions/{v}"), &coord).await.body;
    let report = &version["version"]["report"];
    let spread = &report["spread"];
    let c = &report["components"];
    for term in [
        "backup_fairness",
        "kind_fairness",
        "consecutive_days",
        "weekday_spread",
        "half_day_spread",
        "firm_consecutive",
    ] {
        assert!(c[term].is_number(), "{term}: {c}");
    }
    // Priced by the centre's weights.
    assert_eq!(
        c["consecutive_days"].as_f64().unwrap(),
        8.0 * spread["consecutive_days"].as_f64().unwrap()
    );
    assert_eq!(
        c["weekday_spread"].as_f64().unwrap(),
        3.0 * spread["weekday_excess"].as_f64().unwrap()
    );
    assert_eq!(
        c["firm_consecutive"].as_f64().unwrap(),
        spread["firm_consecutive"].as_f64().unwrap()
    );
    // The report's figures, recounted from the version's own primary duties.
    let primaries = t.primaries(&coord, v).await;
    let mut days: BTreeMap<String, BTreeSet<chrono::NaiveDate>> = BTreeMap::new();
    let mut weekdays: BTreeMap<String, [u64; 7]> = BTreeMap::new();
    let mut halves: BTreeMap<String, [u64; 2]> = BTreeMap::new();
    for a in &primaries {
        let who = a["lawyer_id"].as_str().unwrap().to_string();
        let date = a["date"].as_str().unwrap();
        days.entry(who.clone())
            .or_default()
            .insert(chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap());
        weekdays.entry(who.clone()).or_default()[weekday(date)] += 1;
        halves.entry(who).or_default()[usize::from(a["half_day"] == "pm")] += 1;
    }
    let consecutive: u64 = days
        .values()
        .map(|d| {
            d.iter()
                .filter(|x| d.contains(&x.succ_opt().unwrap()))
                .count() as u64
        })
        .sum();
    assert_eq!(spread["consecutive_days"].as_u64().unwrap(), consecutive);
    let lawyers = report["lawyers"].as_array().unwrap();
    for l in lawyers {
        let id = l["lawyer_id"].as_str().unwrap();
        let w: Vec<u64> = l["weekdays"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap())
            .collect();
        assert_eq!(
            w,
            weekdays.get(id).copied().unwrap_or_default().to_vec(),
            "{id}"
        );
        let h: Vec<u64> = l["half_days"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap())
            .collect();
        assert_eq!(
            h,
            halves.get(id).copied().unwrap_or_default().to_vec(),
            "{id}"
        );
        // Balance by kind: a line per kind, duties adding up to the lawyer's (no history).
        let kinds = l["kinds"].as_array().unwrap();
        assert_eq!(kinds.len(), 3, "{l}");
        let by_kind: u64 = kinds.iter().map(|k| k["duties"].as_u64().unwrap()).sum();
        assert_eq!(by_kind, l["primary"].as_u64().unwrap(), "{l}");
        assert!(l["backup_share"].is_number());
    }
    let total: u64 = lawyers.iter().map(|l| l["primary"].as_u64().unwrap()).sum();
    assert_eq!(total, primaries.len() as u64);

    // Terms off (and by kind off): the next roster's report has no kinds and prices nothing.
    let mut off = policy.clone();
    off["fairness"] = json!({"by_station_kind": false, "consecutive_days": 0, "weekday_spread": 0,
        "half_day_spread": 0, "firm_consecutive": 0});
    let r = t
        .call(Method::PUT, "/api/v1/centres/CH/policy", &coord, Some(off))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = t
        .post(
            "/api/v1/rosters",
            &coord,
            json!({"centre_id": "CH", "from": "2026-10-26", "weeks": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let job = t.wait_job(&coord, r.body["id"].as_i64().unwrap()).await;
    let v2 = job["version_id"].as_i64().unwrap();
    let report: Value =
        t.get(&format!("/api/v1/versions/{v2}"), &coord).await.body["version"]["report"].clone();
    for term in [
        "kind_fairness",
        "consecutive_days",
        "weekday_spread",
        "firm_consecutive",
    ] {
        assert_eq!(report["components"][term], 0.0, "{term}");
    }
    assert!(
        report["lawyers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["kinds"] == json!([]))
    );
}
