//! Keeping the panel through the API, on both databases: a coordinator adds, changes and
//! retires firms, lawyers and stations and sets weekly demand; bad input answers 422 naming
//! the field and writes nothing; a stale revision answers 409; taking a lawyer off the panel
//! or shrinking demand lists the published duties it affects (on a dry run too, saving
//! nothing), and the minimal-change repair re-plans them as a draft; so does a change of the
//! rules a duty rests on (a station's contracted firms or minimum years, a lawyer's licence
//! date), each duty with why.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use zhiban_store::TokenRole;

use crate::helpers::*;

on_both!(
    firms_and_lawyers_are_added_changed_and_checked_like_an_import,
    retiring_a_lawyer_lists_their_duties_and_the_repair_replans_them,
    stations_and_their_demand_are_kept_with_the_duties_a_cut_affects,
    a_centre_shares_its_pool_and_next_years_holidays_are_loaded,
    a_change_of_rules_lists_the_duties_it_breaks_with_why,
    a_rule_broken_elsewhere_is_not_named_to_another_centre,
);

async fn revision(t: &TestApp, tok: &str) -> i64 {
    let r = t.get("/api/v1/panel/revision", tok).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["revision"].as_i64().unwrap()
}

async fn patch(t: &TestApp, uri: &str, tok: &str, body: Value) -> Reply {
    t.call(Method::PATCH, uri, tok, Some(body)).await
}

/// A 422 naming `field`, and an unchanged database.
async fn refused(t: &TestApp, r: Reply, field: &str, dump_before: &str) {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], field, "{}", r.body);
    let after = zhiban_store::render_dump(&t.store.dump_tables().await.unwrap());
    assert!(after == dump_before, "a refused change wrote something");
}

async fn firms_and_lawyers_are_added_changed_and_checked_like_an_import(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let r0 = revision(&t, &coord).await;
    let firm = json!({"id": "CH-F04", "name": "广东新设律师事务所", "centre_id": "CH"});
    let r = t.post("/api/v1/firms", &coord, firm.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert!(r.body["revision"].as_i64().unwrap() > r0);
    assert_eq!(r.body["record"], firm);
    let again = t.post("/api/v1/firms", &coord, firm).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    let firms = t.get("/api/v1/firms", &coord).await.body;
    assert!(
        firms.to_string().contains("CH-F04"),
        "seen at once: {firms}"
    );

    // A new lawyer, shaped like the panel's records.
    let mut l = t.get("/api/v1/lawyers/CH-L01", &coord).await.body;
    l["id"] = json!("CH-L13");
    l["name"] = json!("林新");
    l["firm_id"] = json!("CH-F04");
    let before = zhiban_store::render_dump(&t.store.dump_tables().await.unwrap());
    // The import's rules, named by the API's fields; nothing written.
    for (field, value, named) in [
        ("licence_date", json!("2999-01-01"), "licence_date"),
        ("firm_id", json!("CH-F99"), "firm_id"),
        ("phone", json!("not a phone"), "phone"),
        (
            "limits",
            json!({"per_day": 3, "per_week": 5, "per_month": 10}),
            "limits.per_day",
        ),
        ("base", json!({"lat": 123.0, "lon": 113.0}), "base"),
    ] {
        let mut bad = l.clone();
        bad[field] = value;
        let r = t.post("/api/v1/lawyers", &coord, bad).await;
        refused(&t, r, named, &before).await;
    }
    let r = t.post("/api/v1/lawyers", &coord, l.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(t.get("/api/v1/lawyers/CH-L13", &coord).await.body, l);

    // Changes name only what changes; a stale revision is refused.
    let rev = r.body["revision"].as_i64().unwrap();
    let uri = "/api/v1/lawyers/CH-L13";
    let r = patch(&t, uri, &coord, json!({"phone": "13900000013"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["record"]["phone"], "13900000013");
    assert_eq!(r.body["record"]["name"], "林新");
    let stale = patch(
        &t,
        &format!("{uri}?revision={rev}"),
        &coord,
        json!({"phone": "13900000014"}),
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    let before = zhiban_store::render_dump(&t.store.dump_tables().await.unwrap());
    let r = patch(&t, uri, &coord, json!({"active": false})).await;
    refused(&t, r, "reason", &before).await;
    let r = patch(&t, uri, &coord, json!({"nickname": "x"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = patch(
        &t,
        "/api/v1/firms/CH-F04",
        &coord,
        json!({"name": "广东新名律师事务所"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Not for lawyers, finance or other roles; every change is audited.
    let lawyer = t.token(TokenRole::Lawyer, None, Some("CH-L01")).await;
    let finance = t.token(TokenRole::Finance, Some("CH"), None).await;
    for tok in [&lawyer, &finance] {
        let r = patch(&t, uri, tok, json!({"phone": "13900000015"})).await;
        assert!([StatusCode::FORBIDDEN, StatusCode::NOT_FOUND].contains(&r.status));
    }
    let admin = t.token(TokenRole::Admin, None, None).await;
    let log = t
        .get("/api/v1/audit?limit=100", &admin)
        .await
        .body
        .to_string();
    for action in [
        "firm.create",
        "lawyer.create",
        "lawyer.update",
        "firm.update",
    ] {
        assert!(log.contains(action), "{action} audited");
    }
}

async fn retiring_a_lawyer_lists_their_duties_and_the_repair_replans_them(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let from = next_monday();
    let v = t
        .solve_and_publish(&coord, "CH", &from.to_string(), 2)
        .await;
    let duties = t.primaries(&coord, v).await;
    let lawyer = s(&duties[0]["lawyer_id"]);
    // Their duties and backups alike.
    let theirs = t
        .assignments(&coord, v)
        .await
        .iter()
        .filter(|d| s(&d["lawyer_id"]) == lawyer)
        .count();
    let uri = format!("/api/v1/lawyers/{lawyer}");
    // Long leave over the fortnight lists the same duties, and a dry run saves nothing.
    let mut avail = t.get(&format!("{uri}/availability"), &coord).await.body;
    avail["leave"] = json!([{"lawyer_id": lawyer, "from": from,
        "to": from + chrono::Duration::days(13), "half_day": null, "reason": "病假"}]);
    let r = t
        .call(
            Method::PUT,
            &format!("{uri}/availability?dry_run=true"),
            &coord,
            Some(avail),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["dry_run"], true);
    assert_eq!(
        r.body["affected"].as_array().unwrap().len(),
        theirs,
        "{}",
        r.body
    );
    let kept = t.get(&format!("{uri}/availability"), &coord).await.body;
    assert!(
        !kept.to_string().contains("病假"),
        "a dry run saves nothing"
    );
    let leave = json!({"active": false, "reason": "调离本市"});
    // A dry run lists the duties and saves nothing.
    let dry = patch(&t, &format!("{uri}?dry_run=true"), &coord, leave.clone()).await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.body);
    assert_eq!(dry.body["dry_run"], true);
    let affected = dry.body["affected"].as_array().unwrap().len();
    assert!(affected >= theirs, "{affected} < {theirs}");
    assert_eq!(t.get(&uri, &coord).await.body["active"], true);
    let r = patch(&t, &uri, &coord, leave).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["affected"].as_array().unwrap().len(), affected);
    assert_eq!(t.get(&uri, &coord).await.body["active"], false);
    // History keeps the name: the published version still shows the lawyer.
    let view = t.get(&format!("/api/v1/versions/{v}"), &coord).await.body;
    assert!(view.to_string().contains(&lawyer));
    // The repair re-plans the duties as a draft without them.
    let r = t
        .post(
            &format!("/api/v1/versions/{v}/repair"),
            &coord,
            json!({"changes": [{"kind": "lawyer_out", "lawyer_id": lawyer, "from": from,
                "to": from + chrono::Duration::days(13)}]}),
        )
        .await;
    let job = t.wait_job(&coord, r.body["id"].as_i64().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let draft = job["version_id"].as_i64().unwrap();
    let after = t.assignments(&coord, draft).await;
    let kept: Vec<&Value> = after
        .iter()
        .filter(|a| s(&a["lawyer_id"]) == lawyer)
        .collect();
    assert!(kept.is_empty(), "{kept:?}");
}

async fn stations_and_their_demand_are_kept_with_the_duties_a_cut_affects(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let mut st = t.get("/api/v1/stations/CH-FY", &coord).await.body["station"].clone();
    st["id"] = json!("CH-FY2");
    st["name"] = json!("从化区法院第二工作站");
    let r = t.post("/api/v1/stations", &coord, st.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let uri = "/api/v1/stations/CH-FY2";
    let r = patch(
        &t,
        uri,
        &coord,
        json!({"geofence_m": 300, "holiday_duty": true}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["record"]["geofence_m"], 300);
    let before = zhiban_store::render_dump(&t.store.dump_tables().await.unwrap());
    let r = patch(
        &t,
        uri,
        &coord,
        json!({"location": {"lat": 91.0, "lon": 0.0}}),
    )
    .await;
    refused(&t, r, "location", &before).await;
    let rule = |station: &str, lawyers: u32, backups: u32| {
        json!({"station_id": station, "weekday": "Mon", "half_day": "am", "lawyers": lawyers,
            "backups": backups, "skills": [], "languages": [], "min_years": 0})
    };
    let demand = format!("{uri}/demand");
    let r = t
        .call(
            Method::PUT,
            &demand,
            &coord,
            Some(json!({"rules": [rule("CH-FY2", 1, 0)]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = t
        .post(&demand, &coord, json!({"rules": [rule("CH-FY", 1, 0)]}))
        .await;
    refused(&t, r, "rules[0].station_id", &before_of(&t).await).await;
    let r = t
        .post(&demand, &coord, json!({"rules": [rule("CH-FY2", 1, 2)]}))
        .await;
    refused(&t, r, "rules.backups", &before_of(&t).await).await;

    // Closing a staffed station lists the published duties there from today on.
    let v = t
        .solve_and_publish(&coord, "CH", &next_monday().to_string(), 1)
        .await;
    let at_kss = t
        .primaries(&coord, v)
        .await
        .iter()
        .filter(|a| a["station_id"] == "CH-KSS")
        .count();
    assert!(at_kss > 0);
    let close = "/api/v1/stations/CH-KSS/demand?dry_run=true";
    let r = t
        .call(Method::PUT, close, &coord, Some(json!({"rules": []})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let hit = r.body["affected"].as_array().unwrap();
    assert!(hit.len() >= at_kss, "{} < {at_kss}", hit.len());
    assert!(
        hit.iter()
            .all(|d| d["assignment"]["station_id"] == "CH-KSS")
    );
    let still = t.get("/api/v1/stations/CH-KSS", &coord).await.body;
    assert!(still.is_object());
}

async fn before_of(t: &TestApp) -> String {
    zhiban_store::render_dump(&t.store.dump_tables().await.unwrap())
}

async fn a_centre_shares_its_pool_and_next_years_holidays_are_loaded(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let admin = t.token(TokenRole::Admin, None, None).await;
    let r = patch(
        &t,
        "/api/v1/centres/CH",
        &coord,
        json!({"shares_pool": true}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        t.get("/api/v1/centres/CH", &coord).await.body["shares_pool"],
        true
    );
    let before = before_of(&t).await;
    let r = patch(&t, "/api/v1/centres/CH", &coord, json!({"name": " "})).await;
    refused(&t, r, "name", &before).await;
    // Next year's holidays, loaded by an admin; the calendar is every centre's.
    let days = json!({"days": [
        {"date": "2027-01-01", "kind": "holiday", "name": "元旦", "works_as": null},
        {"date": "2027-02-20", "kind": "workday", "name": "春节调休上班", "works_as": "Mon"}]});
    let r = t
        .call(
            Method::PUT,
            "/api/v1/calendar/2027",
            &coord,
            Some(days.clone()),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = t
        .call(Method::PUT, "/api/v1/calendar/2027", &admin, Some(days))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let cal = t.get("/api/v1/calendar", &coord).await.body.to_string();
    assert!(
        cal.contains("2027-01-01") && cal.contains("2026-10-01"),
        "other years kept"
    );
    let before = before_of(&t).await;
    let wrong = json!({"days": [{"date": "2028-01-01", "kind": "holiday", "name": "元旦", "works_as": null}]});
    let r = t
        .call(Method::PUT, "/api/v1/calendar/2027", &admin, Some(wrong))
        .await;
    refused(&t, r, "days[0].date", &before).await;
}

/// The published duties (primary and backup) at `station`.
fn at<'a>(all: &'a [Value], station: &str) -> Vec<&'a Value> {
    all.iter().filter(|a| a["station_id"] == station).collect()
}

/// The `reason` of each affected duty, and their number.
fn reasons(r: &Reply) -> (std::collections::BTreeSet<String>, usize) {
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let hit = r.body["affected"].as_array().unwrap();
    (hit.iter().map(|d| s(&d["reason"])).collect(), hit.len())
}

async fn a_change_of_rules_lists_the_duties_it_breaks_with_why(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let v = t
        .solve_and_publish(&coord, "CH", &next_monday().to_string(), 2)
        .await;
    let all = t.assignments(&coord, v).await;
    let kss = at(&all, "CH-KSS");
    assert!(!kss.is_empty());
    let mut firm = std::collections::BTreeMap::new();
    for a in &all {
        let id = s(&a["lawyer_id"]);
        let l = t.get(&format!("/api/v1/lawyers/{id}"), &coord).await.body;
        firm.insert(id, s(&l["firm_id"]));
    }
    // Contracting the station to one firm breaks the duties of the others' lawyers there.
    let others = kss
        .iter()
        .filter(|a| firm[&s(&a["lawyer_id"])] != "CH-F01")
        .count();
    assert!(others > 0, "the roster uses more than one firm at CH-KSS");
    let uri = "/api/v1/stations/CH-KSS?dry_run=true";
    let r = patch(&t, uri, &coord, json!({"contracted_firms": ["CH-F01"]})).await;
    let (why, n) = reasons(&r);
    assert_eq!(
        (n, why),
        (others, ["not_contracted".to_string()].into()),
        "{}",
        r.body
    );
    // Minimum years no one has: every duty there.
    let r = patch(&t, uri, &coord, json!({"min_years": 45})).await;
    let (why, n) = reasons(&r);
    assert_eq!(
        (n, why),
        (kss.len(), ["too_junior".to_string()].into()),
        "{}",
        r.body
    );
    // A change the duties do not rest on breaks none.
    let r = patch(&t, uri, &coord, json!({"phone": "020-87901199"})).await;
    assert_eq!(reasons(&r).1, 0, "{}", r.body);
    // A lawyer licensed last year is too junior for the procuratorate (three years).
    let jcy = at(&all, "CH-JCY");
    let lawyer = s(&jcy.first().expect("a duty at CH-JCY")["lawyer_id"]);
    let theirs = jcy.iter().filter(|a| s(&a["lawyer_id"]) == lawyer).count();
    let year_ago = chrono::Utc::now().date_naive() - chrono::Duration::days(366);
    let uri = format!("/api/v1/lawyers/{lawyer}");
    let r = patch(
        &t,
        &format!("{uri}?dry_run=true"),
        &coord,
        json!({"licence_date": year_ago}),
    )
    .await;
    let (why, n) = reasons(&r);
    assert_eq!(
        (n, why),
        (theirs, ["too_junior".to_string()].into()),
        "{}",
        r.body
    );
    // Saved, the answer and the audit say the same.
    let before = t.get(&uri, &coord).await.body;
    let r = patch(&t, &uri, &coord, json!({"licence_date": year_ago})).await;
    assert_eq!(reasons(&r).1, theirs);
    assert_ne!(t.get(&uri, &coord).await.body, before);
    let audit = t.get("/api/v1/audit?limit=5", &coord).await.body;
    assert!(
        audit
            .to_string()
            .contains(&format!("\"affected_duties\":{theirs}")),
        "{audit}"
    );
}

/// When the panel as it would be breaks a rule on another centre's record (here a licence
/// date the server's clock, set back, sees in the future), the change is refused without
/// naming that record; the record's own coordinator is told which it is.
async fn a_rule_broken_elsewhere_is_not_named_to_another_centre(backend: Backend) {
    let t = TestApp::on(backend, "guangzhou").await;
    let ds = t.store.export_dataset().await.unwrap();
    let newest = ds.lawyers.iter().max_by_key(|l| l.licence_date).unwrap();
    let theirs = newest.home_centre_id.to_string();
    let other = ds
        .centres
        .iter()
        .find(|c| c.id.as_str() != theirs && ds.firms.iter().any(|f| f.centre_id == c.id))
        .unwrap();
    let firm = ds.firms.iter().find(|f| f.centre_id == other.id).unwrap();
    let day_before = newest.licence_date.pred_opt().unwrap();
    let at = day_before.and_hms_opt(12, 0, 0).unwrap().and_utc();
    assert_eq!(
        ds.lawyers
            .iter()
            .filter(|l| l.licence_date > day_before)
            .count(),
        1,
        "one lawyer licensed on the newest date"
    );
    let coord = t
        .token(TokenRole::Coordinator, Some(other.id.as_str()), None)
        .await;
    let own = t.token(TokenRole::Coordinator, Some(&theirs), None).await;
    t.set_time(Some(at));
    // Each token's use at the new time is noted first (a token notes its last use).
    revision(&t, &coord).await;
    revision(&t, &own).await;
    let before = before_of(&t).await;
    let uri = format!("/api/v1/firms/{}", firm.id);
    let r = patch(&t, &uri, &coord, json!({"name": "改名律师事务所"})).await;
    let text = r.body.to_string();
    refused(&t, r, "panel", &before).await;
    assert!(
        !text.contains(newest.id.as_str()) && !text.contains(&theirs),
        "{text}"
    );
    let mine = ds
        .firms
        .iter()
        .find(|f| f.centre_id.as_str() == theirs)
        .unwrap();
    let uri = format!("/api/v1/firms/{}", mine.id);
    let r = patch(&t, &uri, &own, json!({"name": "改名律师事务所"})).await;
    assert!(
        r.body.to_string().contains(newest.id.as_str()),
        "{}",
        r.body
    );
    refused(&t, r, "licence_date", &before).await;
}
