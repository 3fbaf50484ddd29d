// Over the ~600-line sizing rule on purpose: the tenancy test over every route is one table of cases.
//! Tenancy for every operation of the OpenAPI document: other centres' staff and other
//! lawyers are refused, and the refused requests write nothing.

use axum::http::{Method, StatusCode};
use chrono::{Duration, NaiveDate};
use serde_json::{Value, json};
use zhiban_store::TokenRole;

use crate::helpers::*;
use crate::people::*;
use crate::walk::coordinator_walk;

/// One operation of the OpenAPI document, aimed at centre GZ-TH's resources.
struct Case {
    method: Method,
    /// The path as the document spells it.
    template: &'static str,
    uri: String,
    body: Option<Value>,
    /// A list: outsiders may get 200, but nothing of GZ-TH in it.
    list: bool,
    /// Which outsiders must be refused (names in the test's token table).
    outsiders: &'static [&'static str],
}

/// Outsiders of every centre-scoped route: tokens of another centre, and people signed in
/// as another centre's director or as the administrator of a firm with no lawyer here.
const OTHER_CENTRE: &[&str] = &[
    "coordinator GZ-CH",
    "finance GZ-CH",
    "lawyer GZ-CH",
    "director GZ-CH",
    "firm admin elsewhere",
];
/// Routes of a person's own sign-in, which no token has.
const TOKENS: &[&str] = &["coordinator GZ-CH", "finance GZ-CH", "lawyer GZ-CH"];
/// Routes of one lawyer's own things: also another lawyer of the same centre.
const OTHER_LAWYER: &[&str] = &[
    "coordinator GZ-CH",
    "finance GZ-CH",
    "lawyer GZ-CH",
    "director GZ-CH",
    "firm admin elsewhere",
    "other lawyer GZ-TH",
];
/// A person's own notification settings: tokens (no account) and people who receive no
/// messages (another lawyer has their own).
const NOT_LAWYERS: &[&str] = &[
    "coordinator GZ-CH",
    "finance GZ-CH",
    "director GZ-CH",
    "firm admin elsewhere",
];
/// Roster and attendance edits: also the centre's own finance staff.
const EDITS: &[&str] = &[
    "coordinator GZ-CH",
    "finance GZ-CH",
    "lawyer GZ-CH",
    "director GZ-CH",
    "firm admin elsewhere",
    "finance GZ-TH",
];
/// Edits of one lawyer's things: everyone but the lawyer and the centre's coordinators.
const LAWYER_EDITS: &[&str] = &[
    "coordinator GZ-CH",
    "finance GZ-CH",
    "lawyer GZ-CH",
    "director GZ-CH",
    "firm admin elsewhere",
    "other lawyer GZ-TH",
    "finance GZ-TH",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_of_the_openapi_document_refuses_other_tenants_and_writes_nothing() {
    let t = TestApp::on(Backend::Sqlite, "guangzhou").await;
    let v = coordinator_walk(&t, "GZ-TH", 2).await;
    let coord = t.token(TokenRole::Coordinator, Some("GZ-TH"), None).await;

    // GZ-TH's resources: the published version, its roster, a job, a swap, a duty and its
    // lawyer, another lawyer of the centre not in that swap, an attendance record.
    let version = t.get(&format!("/api/v1/versions/{v}"), &coord).await;
    let roster = version.body["roster"]["id"].as_i64().unwrap();
    let swaps = t.get("/api/v1/swaps", &coord).await;
    let swap = &swaps.body["items"][0];
    let swap_id = swap["id"].as_i64().unwrap();
    let in_swap = [s(&swap["from_lawyer"]), s(&swap["to_lawyer"])];
    let duties = t
        .get("/api/v1/duties?centre_id=GZ-TH&limit=500", &coord)
        .await;
    let items: Vec<Value> = duties.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", duties.body))
        .iter()
        .map(|d| match d.get("assignment") {
            Some(a) => a.clone(),
            None => d.clone(),
        })
        .collect();
    let duty = items
        .iter()
        .find(|d| d["role"] == "primary")
        .unwrap_or_else(|| panic!("{}", duties.body))
        .clone();
    let la = s(&duty["lawyer_id"]);
    // Another lawyer of the centre, in neither the swap nor `la`'s slot (a check-in names
    // the caller's own duty: a lawyer sharing the slot would be checking in to their own).
    let same_slot = |d: &Value| {
        d["station_id"] == duty["station_id"]
            && d["date"] == duty["date"]
            && d["half_day"] == duty["half_day"]
    };
    let lb = items
        .iter()
        .map(|d| s(&d["lawyer_id"]))
        .find(|l| {
            *l != la
                && !in_swap.contains(l)
                && !items
                    .iter()
                    .any(|d| same_slot(d) && s(&d["lawyer_id"]) == *l)
        })
        .unwrap();
    let (st, date, half) = (
        s(&duty["station_id"]),
        s(&duty["date"]),
        s(&duty["half_day"]),
    );
    let day: NaiveDate = date.parse().unwrap();
    t.set_time(Some(day.and_hms_opt(15, 0, 0).unwrap().and_utc()));
    let manual = t
        .post(
            "/api/v1/checkins/manual",
            &coord,
            json!({"station_id": st, "date": date, "half_day": half, "lawyer_id": la,
                   "check_in_at": day.and_hms_opt(1, 0, 0).unwrap().and_utc(),
                   "check_out_at": day.and_hms_opt(3, 0, 0).unwrap().and_utc(),
                   "reason": "手机没电，值班记录本为证"}),
        )
        .await;
    assert_eq!(manual.status, StatusCode::CREATED, "{}", manual.body);
    let att = manual.body["id"].as_i64().unwrap();
    // A leave request of `la`, waiting.
    let la_token = t.token(TokenRole::Lawyer, None, Some(&la)).await;
    let leave_at = |days: i64| (day + chrono::Duration::days(days)).to_string();
    let ask = json!({"lawyer_id": la, "from": leave_at(10), "to": leave_at(11), "reason": "年假"});
    let asked = t
        .post("/api/v1/leave-requests", &la_token, ask.clone())
        .await;
    assert_eq!(asked.status, StatusCode::CREATED, "{}", asked.body);
    let leave_id = asked.body["id"].as_i64().unwrap();
    // An open duty: an extra post at `la`'s half-day.
    let surge = json!({"station_id": st, "date": date, "half_day": half, "posts": 1,
        "extra": true, "note": "同案被告人多"});
    let opened = t.post("/api/v1/open-duties", &coord, surge.clone()).await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.body);
    let open_id = opened.body["id"].as_i64().unwrap();
    let month = &date[..7];
    let policy = t.get("/api/v1/centres/GZ-TH/policy", &coord).await.body;
    let subsidy = t
        .get("/api/v1/centres/GZ-TH/subsidy-policies", &coord)
        .await
        .body[0]
        .clone();
    assert!(subsidy.is_object(), "GZ-TH has a subsidy policy: {subsidy}");
    let availability = t
        .get(&format!("/api/v1/lawyers/{la}/availability"), &coord)
        .await
        .body;
    // Panel records of GZ-TH, as new ones (another code) and as changes.
    let mut new_lawyer = t.get(&format!("/api/v1/lawyers/{la}"), &coord).await.body;
    new_lawyer["id"] = json!("GZ-TH-NEW1");
    let th_firm = s(&new_lawyer["firm_id"]);
    let mut new_station =
        t.get(&format!("/api/v1/stations/{st}"), &coord).await.body["station"].clone();
    new_station["id"] = json!("GZ-TH-NEWST");
    let rule = json!({"rules": [{"station_id": st, "weekday": "Mon", "half_day": "am",
        "lawyers": 1, "backups": 0, "skills": [], "languages": [], "min_years": 0}]});
    // Reads that create something on first use (the QR secret) happen before the snapshot.
    assert_eq!(
        t.get(&format!("/api/v1/stations/{st}/qr?date={date}"), &coord)
            .await
            .status,
        StatusCode::OK
    );

    let mut tokens = std::collections::BTreeMap::new();
    tokens.insert(
        "coordinator GZ-CH",
        Caller::Token(t.token(TokenRole::Coordinator, Some("GZ-CH"), None).await),
    );
    tokens.insert(
        "finance GZ-CH",
        Caller::Token(t.token(TokenRole::Finance, Some("GZ-CH"), None).await),
    );
    let ch_lawyer = t
        .get(
            "/api/v1/lawyers?centre_id=GZ-CH&limit=1",
            &t.token(TokenRole::Admin, None, None).await,
        )
        .await
        .body["items"][0]["id"]
        .clone();
    tokens.insert(
        "lawyer GZ-CH",
        Caller::Token(
            t.token(TokenRole::Lawyer, None, Some(ch_lawyer.as_str().unwrap()))
                .await,
        ),
    );
    tokens.insert(
        "other lawyer GZ-TH",
        Caller::Token(t.token(TokenRole::Lawyer, None, Some(&lb)).await),
    );
    tokens.insert(
        "finance GZ-TH",
        Caller::Token(t.token(TokenRole::Finance, Some("GZ-TH"), None).await),
    );

    // People signed in: GZ-CH's director, and the administrator of a firm none of whose
    // lawyers work for GZ-TH.
    let admin = t.token(TokenRole::Admin, None, None).await;
    let director = json!({"login": "director.ch", "role": "director", "centres": ["GZ-CH"]});
    tokens.insert(
        "director GZ-CH",
        Caller::Page(person(&t, &admin, director, "a director reads only").await),
    );
    let firm = firm_without_lawyers_in(&t, &admin, "GZ-TH").await;
    let firm_admin = json!({"login": "firm.admin", "role": "firm_admin", "firm_id": firm});
    tokens.insert(
        "firm admin elsewhere",
        Caller::Page(person(&t, &admin, firm_admin, "a firm keeps its own").await),
    );

    // An account of GZ-TH's lawyer `la`, made by an admin, for the account routes.
    let made = t
        .post(
            "/api/v1/users",
            &admin,
            json!({"login": format!("{la}-acct"), "role": "lawyer", "lawyer_id": la}),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let account = made.body["id"].as_i64().unwrap();
    // A preview of an import of GZ-TH's panel (its own workbook, unchanged).
    let book = crate::imports::export_of(&t, &coord, "GZ-TH").await;
    let xlsx = crate::imports::XLSX;
    let previewed = t
        .send(
            Method::POST,
            "/api/v1/imports?centre_id=GZ-TH",
            Some(&coord),
            Some((xlsx, book.clone())),
            &[],
        )
        .await;
    assert_eq!(previewed.status, StatusCode::CREATED, "{}", previewed.body);
    // A centre's own workbook, unchanged, reads back without a problem or a change.
    assert_eq!(
        (&previewed.body["errors"], &previewed.body["changes"]),
        (&json!([]), &json!([])),
        "{}",
        previewed.body
    );
    let import = previewed.body["id"].as_i64().unwrap();

    let duty_ref = json!({"station_id": st, "date": date, "half_day": half});
    let with = |extra: Value| {
        let mut d = duty_ref.clone();
        d.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        d
    };
    // A message of GZ-TH's outbox (the publication wrote them).
    let nid = t
        .store
        .list_notifications(
            &zhiban_store::NotificationQuery {
                centres: Some(vec![zhiban_domain::CentreId::parse("GZ-TH").unwrap()]),
                ..Default::default()
            },
            1,
        )
        .await
        .unwrap()[0]
        .id;
    // A ledger entry of `la`'s duty, which no outsider's own ledger may show.
    let r = t
        .call(
            Method::PUT,
            "/api/v1/ledger",
            &coord,
            Some(with(
                json!({"lawyer_id": la, "consultations": 2, "plea_signings": 0, "notes": "GZ-TH"}),
            )),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    use Method as M;
    let case = |method: Method,
                template: &'static str,
                uri: String,
                body: Option<Value>,
                outsiders: &'static [&'static str]| Case {
        method,
        template,
        uri,
        body,
        list: false,
        outsiders,
    };
    let list = |template: &'static str, uri: String, outsiders: &'static [&'static str]| Case {
        method: M::GET,
        template,
        uri,
        body: None,
        list: true,
        outsiders,
    };
    let cases = vec![
        case(
            M::POST,
            "/api/v1/absences/excuse",
            "/api/v1/absences/excuse".into(),
            Some(with(json!({"lawyer_id": la, "reason": "法院临时休庭"}))),
            EDITS,
        ),
        list(
            "/api/v1/attendance",
            format!("/api/v1/attendance?centre_id=GZ-TH&from={date}&to={date}"),
            OTHER_LAWYER,
        ),
        list(
            "/api/v1/audit",
            "/api/v1/audit?centre_id=GZ-TH".into(),
            OTHER_LAWYER,
        ),
        list("/api/v1/centres", "/api/v1/centres".into(), OTHER_CENTRE),
        case(
            M::GET,
            "/api/v1/centres/{id}",
            "/api/v1/centres/GZ-TH".into(),
            None,
            OTHER_CENTRE,
        ),
        case(
            M::GET,
            "/api/v1/centres/{id}/panel",
            "/api/v1/centres/GZ-TH/panel".into(),
            None,
            OTHER_LAWYER,
        ),
        case(
            M::GET,
            "/api/v1/centres/{id}/panel.csv",
            "/api/v1/centres/GZ-TH/panel.csv".into(),
            None,
            OTHER_LAWYER,
        ),
        case(
            M::GET,
            "/api/v1/centres/{id}/policy",
            "/api/v1/centres/GZ-TH/policy".into(),
            None,
            OTHER_CENTRE,
        ),
        case(
            M::PUT,
            "/api/v1/centres/{id}/policy",
            "/api/v1/centres/GZ-TH/policy".into(),
            Some(policy.clone()),
            EDITS,
        ),
        case(
            M::GET,
            "/api/v1/centres/{id}/subsidy-policies",
            "/api/v1/centres/GZ-TH/subsidy-policies".into(),
            None,
            OTHER_CENTRE,
        ),
        case(
            M::PUT,
            "/api/v1/centres/{id}/subsidy-policies",
            "/api/v1/centres/GZ-TH/subsidy-policies".into(),
            Some(subsidy.clone()),
            &[
                "coordinator GZ-CH",
                "finance GZ-CH",
                "lawyer GZ-CH",
                "other lawyer GZ-TH",
            ],
        ),
        case(
            M::POST,
            "/api/v1/checkins",
            "/api/v1/checkins".into(),
            Some(with(
                json!({"role": "primary", "method": "app", "lat": 23.13, "lon": 113.26}),
            )),
            &[
                "coordinator GZ-CH",
                "finance GZ-CH",
                "lawyer GZ-CH",
                "other lawyer GZ-TH",
                "finance GZ-TH",
            ],
        ),
        case(
            M::POST,
            "/api/v1/checkins/manual",
            "/api/v1/checkins/manual".into(),
            Some(with(
                json!({"lawyer_id": la, "check_in_at": day.and_hms_opt(1, 5, 0).unwrap().and_utc(),
                "check_out_at": day.and_hms_opt(3, 0, 0).unwrap().and_utc(), "reason": "补录"}),
            )),
            LAWYER_EDITS,
        ),
        case(
            M::POST,
            "/api/v1/checkins/{id}/approve",
            format!("/api/v1/checkins/{att}/approve"),
            Some(json!({})),
            LAWYER_EDITS,
        ),
        case(
            M::POST,
            "/api/v1/checkins/{id}/reject",
            format!("/api/v1/checkins/{att}/reject"),
            Some(json!({"reason": "未到站"})),
            LAWYER_EDITS,
        ),
        case(
            M::POST,
            "/api/v1/checkins/{id}/checkout",
            format!("/api/v1/checkins/{att}/checkout"),
            Some(json!({})),
            LAWYER_EDITS,
        ),
        list(
            "/api/v1/duties",
            "/api/v1/duties?centre_id=GZ-TH".into(),
            OTHER_CENTRE,
        ),
        list(
            "/api/v1/firms",
            "/api/v1/firms?centre_id=GZ-TH".into(),
            OTHER_CENTRE,
        ),
        case(
            M::GET,
            "/api/v1/jobs/{id}",
            "/api/v1/jobs/1".into(),
            None,
            OTHER_LAWYER,
        ),
        list(
            "/api/v1/lawyers",
            "/api/v1/lawyers?centre_id=GZ-TH".into(),
            OTHER_LAWYER,
        ),
        case(
            M::GET,
            "/api/v1/lawyers/{id}",
            format!("/api/v1/lawyers/{la}"),
            None,
            OTHER_LAWYER,
        ),
        case(
            M::GET,
            "/api/v1/lawyers/{id}/availability",
            format!("/api/v1/lawyers/{la}/availability"),
            None,
            OTHER_LAWYER,
        ),
        // Imports of GZ-TH's panel.
        case(
            M::GET,
            "/api/v1/imports/{id}",
            format!("/api/v1/imports/{import}"),
            None,
            EDITS,
        ),
        case(
            M::POST,
            "/api/v1/imports/{id}/apply",
            format!("/api/v1/imports/{import}/apply"),
            Some(json!({})),
            EDITS,
        ),
        case(
            M::POST,
            "/api/v1/imports",
            "/api/v1/imports?centre_id=GZ-TH&mode=replace".into(),
            Some(json!({})),
            EDITS,
        ),
        // Keeping the panel: GZ-TH's coordinators and admins only.
        case(
            M::GET,
            "/api/v1/centres/{id}/panel.xlsx",
            "/api/v1/centres/GZ-TH/panel.xlsx".into(),
            None,
            EDITS,
        ),
        list(
            "/api/v1/panel/revision",
            "/api/v1/panel/revision".into(),
            OTHER_CENTRE,
        ),
        list("/api/v1/labels", "/api/v1/labels".into(), OTHER_CENTRE),
        case(
            M::PATCH,
            "/api/v1/centres/{id}",
            "/api/v1/centres/GZ-TH".into(),
            Some(json!({"shares_pool": true})),
            EDITS,
        ),
        case(
            M::PUT,
            "/api/v1/calendar/{year}",
            "/api/v1/calendar/2027".into(),
            Some(
                json!({"days": [{"date": "2027-01-01", "kind": "holiday", "name": "元旦", "works_as": null}]}),
            ),
            EDITS,
        ),
        case(
            M::GET,
            "/api/v1/versions/{id}/export.xlsx",
            format!("/api/v1/versions/{v}/export.xlsx"),
            None,
            OTHER_CENTRE,
        ),
        case(
            M::GET,
            "/api/v1/reports/summary",
            "/api/v1/reports/summary?centre_id=GZ-TH&from=2026-01&to=2026-12".into(),
            None,
            OTHER_CENTRE,
        ),
        case(
            M::GET,
            "/api/v1/reports/summary.xlsx",
            "/api/v1/reports/summary.xlsx?centre_id=GZ-TH&from=2026-01&to=2026-12".into(),
            None,
            OTHER_CENTRE,
        ),
        case(
            M::GET,
            "/api/v1/reports/summary.csv",
            "/api/v1/reports/summary.csv?centre_id=GZ-TH&from=2026-01&to=2026-12".into(),
            None,
            OTHER_CENTRE,
        ),
        case(
            M::GET,
            "/api/v1/versions/{id}/export.pdf",
            format!("/api/v1/versions/{v}/export.pdf"),
            None,
            OTHER_CENTRE,
        ),
        case(
            M::GET,
            "/api/v1/versions/{id}/export.csv",
            format!("/api/v1/versions/{v}/export.csv?layout=lawyer"),
            None,
            OTHER_CENTRE,
        ),
        case(
            M::POST,
            "/api/v1/firms",
            "/api/v1/firms".into(),
            Some(json!({"id": "GZ-TH-FNEW", "name": "新所", "centre_id": "GZ-TH"})),
            EDITS,
        ),
        case(
            M::PATCH,
            "/api/v1/firms/{id}",
            format!("/api/v1/firms/{th_firm}"),
            Some(json!({"name": "改名"})),
            EDITS,
        ),
        case(
            M::POST,
            "/api/v1/lawyers",
            "/api/v1/lawyers".into(),
            Some(new_lawyer.clone()),
            EDITS,
        ),
        case(
            M::PATCH,
            "/api/v1/lawyers/{id}",
            format!("/api/v1/lawyers/{la}"),
            Some(json!({"active": false, "reason": "外人"})),
            LAWYER_EDITS,
        ),
        case(
            M::POST,
            "/api/v1/stations",
            "/api/v1/stations".into(),
            Some(new_station.clone()),
            EDITS,
        ),
        case(
            M::PATCH,
            "/api/v1/stations/{id}",
            format!("/api/v1/stations/{st}"),
            Some(json!({"geofence_m": 1})),
            EDITS,
        ),
        case(
            M::PUT,
            "/api/v1/stations/{id}/demand",
            format!("/api/v1/stations/{st}/demand"),
            Some(json!({"rules": []})),
            EDITS,
        ),
        case(
            M::POST,
            "/api/v1/stations/{id}/demand",
            format!("/api/v1/stations/{st}/demand"),
            Some(rule.clone()),
            EDITS,
        ),
        case(
            M::PUT,
            "/api/v1/lawyers/{id}/availability",
            format!("/api/v1/lawyers/{la}/availability"),
            Some(availability.clone()),
            LAWYER_EDITS,
        ),
        case(
            M::GET,
            "/api/v1/lawyers/{id}/busy",
            format!("/api/v1/lawyers/{la}/busy"),
            None,
            OTHER_LAWYER,
        ),
        case(
            M::PUT,
            "/api/v1/lawyers/{id}/busy",
            format!("/api/v1/lawyers/{la}/busy"),
            Some(json!({})),
            LAWYER_EDITS,
        ),
        case(
            M::POST,
            "/api/v1/lawyers/{id}/feed-token",
            format!("/api/v1/lawyers/{la}/feed-token"),
            Some(json!({})),
            LAWYER_EDITS,
        ),
        list(
            "/api/v1/ledger",
            format!("/api/v1/ledger?centre_id=GZ-TH&month={month}"),
            OTHER_LAWYER,
        ),
        case(
            M::PUT,
            "/api/v1/ledger",
            "/api/v1/ledger".into(),
            Some(with(
                json!({"lawyer_id": la, "consultations": 1, "plea_signings": 0, "notes": "", "applications": []}),
            )),
            LAWYER_EDITS,
        ),
        case(
            M::PUT,
            "/api/v1/ledger/quality",
            "/api/v1/ledger/quality".into(),
            Some(with(json!({"lawyer_id": la, "quality": "excellent"}))),
            LAWYER_EDITS,
        ),
        list(
            "/api/v1/me/ledger",
            "/api/v1/me/ledger".into(),
            OTHER_LAWYER,
        ),
        list(
            "/api/v1/notifications",
            "/api/v1/notifications?limit=200".into(),
            OTHER_LAWYER,
        ),
        case(
            M::POST,
            "/api/v1/notifications/{id}/retry",
            format!("/api/v1/notifications/{nid}/retry"),
            Some(json!({})),
            LAWYER_EDITS,
        ),
        case(
            M::GET,
            "/api/v1/centres/{id}/channels",
            "/api/v1/centres/GZ-TH/channels".into(),
            None,
            EDITS,
        ),
        case(
            M::PUT,
            "/api/v1/centres/{id}/channels/{kind}",
            "/api/v1/centres/GZ-TH/channels/email".into(),
            Some(json!({"settings": {"url": "smtp://127.0.0.1:25", "from": "duty@example.cn"}})),
            EDITS,
        ),
        case(
            M::DELETE,
            "/api/v1/centres/{id}/channels/{kind}",
            "/api/v1/centres/GZ-TH/channels/email".into(),
            None,
            EDITS,
        ),
        case(
            M::POST,
            "/api/v1/centres/{id}/channels/{kind}/test",
            "/api/v1/centres/GZ-TH/channels/email/test".into(),
            Some(json!({"to": "outsider@example.cn"})),
            EDITS,
        ),
        case(
            M::GET,
            "/api/v1/me/notification-prefs",
            "/api/v1/me/notification-prefs".into(),
            None,
            NOT_LAWYERS,
        ),
        case(
            M::PUT,
            "/api/v1/me/notification-prefs",
            "/api/v1/me/notification-prefs".into(),
            Some(json!({"channels": {"roster": []}, "quiet_start": "21:00", "quiet_end": "08:00"})),
            NOT_LAWYERS,
        ),
        case(
            M::GET,
            "/api/v1/me/display",
            "/api/v1/me/display".into(),
            None,
            TOKENS,
        ),
        case(
            M::PUT,
            "/api/v1/me/display",
            "/api/v1/me/display".into(),
            Some(json!({"font_scale": 130})),
            TOKENS,
        ),
        case(
            M::PUT,
            "/api/v1/me/contact",
            "/api/v1/me/contact".into(),
            Some(json!({"email": "me@elsewhere.cn", "phone": "13900000009"})),
            OTHER_CENTRE,
        ),
        case(
            M::POST,
            "/api/v1/ledger/confirm",
            "/api/v1/ledger/confirm".into(),
            Some(
                json!({"centre_id": "GZ-TH", "duties": [{"station_id": st, "date": date,
                "half_day": "am", "lawyer_id": la, "plea_signings": 0}]}),
            ),
            EDITS,
        ),
        case(
            M::POST,
            "/api/v1/corrections",
            "/api/v1/corrections".into(),
            Some(with(
                json!({"lawyer_id": la, "reason": "更正", "plea_signings": 1}),
            )),
            EDITS,
        ),
        case(
            M::GET,
            "/api/v1/station-display",
            "/api/v1/station-display".into(),
            None,
            OTHER_LAWYER,
        ),
        list(
            "/api/v1/corrections",
            "/api/v1/corrections?centre_id=GZ-TH".into(),
            OTHER_LAWYER,
        ),
        list(
            "/api/v1/ledger.csv",
            format!("/api/v1/ledger.csv?centre_id=GZ-TH&month={month}"),
            OTHER_LAWYER,
        ),
        // A caller's own things: nothing of GZ-TH for callers of another centre.
        list("/api/v1/me", "/api/v1/me".into(), OTHER_CENTRE),
        list(
            "/api/v1/me/duties",
            "/api/v1/me/duties".into(),
            OTHER_CENTRE,
        ),
        list(
            "/api/v1/rosters",
            "/api/v1/rosters?centre_id=GZ-TH".into(),
            OTHER_CENTRE,
        ),
        case(
            M::POST,
            "/api/v1/rosters",
            "/api/v1/rosters".into(),
            Some(
                json!({"centre_id": "GZ-TH", "from": next_monday() + Duration::days(28), "weeks": 1}),
            ),
            EDITS,
        ),
        case(
            M::GET,
            "/api/v1/rosters/{id}",
            format!("/api/v1/rosters/{roster}"),
            None,
            OTHER_LAWYER,
        ),
        case(
            M::GET,
            "/api/v1/statements/{centre}/{month}",
            format!("/api/v1/statements/GZ-TH/{month}"),
            None,
            OTHER_LAWYER,
        ),
        case(
            M::POST,
            "/api/v1/statements/{centre}/{month}/approve",
            format!("/api/v1/statements/GZ-TH/{month}/approve"),
            Some(json!({})),
            &[
                "coordinator GZ-CH",
                "finance GZ-CH",
                "lawyer GZ-CH",
                "other lawyer GZ-TH",
            ],
        ),
        case(
            M::GET,
            "/api/v1/statements/{centre}/{month}/csv",
            format!("/api/v1/statements/GZ-TH/{month}/csv"),
            None,
            OTHER_LAWYER,
        ),
        case(
            M::GET,
            "/api/v1/statements/{centre}/{month}/xlsx",
            format!("/api/v1/statements/GZ-TH/{month}/xlsx"),
            None,
            OTHER_LAWYER,
        ),
        list(
            "/api/v1/stations",
            "/api/v1/stations?centre_id=GZ-TH".into(),
            OTHER_CENTRE,
        ),
        case(
            M::GET,
            "/api/v1/stations/{id}",
            format!("/api/v1/stations/{st}"),
            None,
            OTHER_CENTRE,
        ),
        case(
            M::POST,
            "/api/v1/stations/{id}/feed-token",
            format!("/api/v1/stations/{st}/feed-token"),
            Some(json!({})),
            LAWYER_EDITS,
        ),
        case(
            M::GET,
            "/api/v1/stations/{id}/poster",
            format!("/api/v1/stations/{st}/poster?date={date}"),
            None,
            EDITS,
        ),
        case(
            M::GET,
            "/api/v1/stations/{id}/qr",
            format!("/api/v1/stations/{st}/qr?date={date}"),
            None,
            LAWYER_EDITS,
        ),
        list("/api/v1/swaps", "/api/v1/swaps".into(), OTHER_LAWYER),
        case(
            M::GET,
            "/api/v1/swaps/candidates",
            format!(
                "/api/v1/swaps/candidates?station_id={st}&date={date}&half_day={half}&from_lawyer_id={la}"
            ),
            None,
            LAWYER_EDITS,
        ),
        case(
            M::GET,
            "/api/v1/open-duties",
            "/api/v1/open-duties".into(),
            None,
            &["finance GZ-CH", "finance GZ-TH"],
        ),
        list(
            "/api/v1/open-duties",
            "/api/v1/open-duties".into(),
            &["coordinator GZ-CH", "director GZ-CH"],
        ),
        case(
            M::POST,
            "/api/v1/open-duties",
            "/api/v1/open-duties".into(),
            Some(surge.clone()),
            EDITS,
        ),
        case(
            M::POST,
            "/api/v1/open-duties/{id}/cancel",
            format!("/api/v1/open-duties/{open_id}/cancel"),
            Some(json!({})),
            LAWYER_EDITS,
        ),
        case(
            M::GET,
            "/api/v1/open-duties/{id}/bids",
            format!("/api/v1/open-duties/{open_id}/bids"),
            None,
            LAWYER_EDITS,
        ),
        case(
            M::POST,
            "/api/v1/open-duties/{id}/bids/{bid_id}/decline",
            format!("/api/v1/open-duties/{open_id}/bids/1/decline"),
            Some(json!({})),
            LAWYER_EDITS,
        ),
        case(
            M::POST,
            "/api/v1/open-duties/{id}/withdraw-bid",
            format!("/api/v1/open-duties/{open_id}/withdraw-bid"),
            Some(json!({"lawyer_id": la})),
            LAWYER_EDITS,
        ),
        // The open duty is GZ-TH's: an outsider is refused before any bid is looked up.
        case(
            M::POST,
            "/api/v1/open-duties/{id}/bids/{bid_id}/pick",
            format!("/api/v1/open-duties/{open_id}/bids/1/pick"),
            Some(json!({})),
            LAWYER_EDITS,
        ),
        case(
            M::POST,
            "/api/v1/open-duties/{id}/claim",
            format!("/api/v1/open-duties/{open_id}/claim"),
            Some(json!({"lawyer_id": la})),
            LAWYER_EDITS,
        ),
        list(
            "/api/v1/leave-requests",
            "/api/v1/leave-requests".into(),
            OTHER_LAWYER,
        ),
        case(
            M::POST,
            "/api/v1/leave-requests",
            "/api/v1/leave-requests".into(),
            Some(ask.clone()),
            LAWYER_EDITS,
        ),
        case(
            M::GET,
            "/api/v1/leave-requests/{id}",
            format!("/api/v1/leave-requests/{leave_id}"),
            None,
            OTHER_LAWYER,
        ),
        case(
            M::POST,
            "/api/v1/leave-requests/{id}/approve",
            format!("/api/v1/leave-requests/{leave_id}/approve"),
            Some(json!({})),
            LAWYER_EDITS,
        ),
        case(
            M::POST,
            "/api/v1/leave-requests/{id}/reject",
            format!("/api/v1/leave-requests/{leave_id}/reject"),
            Some(json!({})),
            LAWYER_EDITS,
        ),
        case(
            M::POST,
            "/api/v1/leave-requests/{id}/withdraw",
            format!("/api/v1/leave-requests/{leave_id}/withdraw"),
            None,
            LAWYER_EDITS,
        ),
        case(
            M::POST,
            "/api/v1/swaps",
            "/api/v1/swaps".into(),
            Some(with(json!({"to_lawyer_id": lb}))),
            &[
                "coordinator GZ-CH",
                "finance GZ-CH",
                "lawyer GZ-CH",
                "other lawyer GZ-TH",
                "finance GZ-TH",
            ],
        ),
        case(
            M::GET,
            "/api/v1/swaps/{id}",
            format!("/api/v1/swaps/{swap_id}"),
            None,
            OTHER_LAWYER,
        ),
        case(
            M::POST,
            "/api/v1/swaps/{id}/accept",
            format!("/api/v1/swaps/{swap_id}/accept"),
            Some(json!({})),
            LAWYER_EDITS,
        ),
        case(
            M::POST,
            "/api/v1/swaps/{id}/approve",
            format!("/api/v1/swaps/{swap_id}/approve"),
            Some(json!({})),
            LAWYER_EDITS,
        ),
        case(
            M::POST,
            "/api/v1/swaps/{id}/cancel",
            format!("/api/v1/swaps/{swap_id}/cancel"),
            Some(json!({})),
            LAWYER_EDITS,
        ),
        case(
            M::POST,
            "/api/v1/swaps/{id}/reject",
            format!("/api/v1/swaps/{swap_id}/reject"),
            Some(json!({})),
            LAWYER_EDITS,
        ),
        case(
            M::GET,
            "/api/v1/versions/{id}",
            format!("/api/v1/versions/{v}"),
            None,
            OTHER_LAWYER,
        ),
        case(
            M::GET,
            "/api/v1/versions/{id}/by-lawyer",
            format!("/api/v1/versions/{v}/by-lawyer"),
            None,
            OTHER_LAWYER,
        ),
        case(
            M::GET,
            "/api/v1/versions/{id}/diff",
            format!("/api/v1/versions/{v}/diff"),
            None,
            OTHER_LAWYER,
        ),
        case(
            M::POST,
            "/api/v1/versions/{id}/drafts",
            format!("/api/v1/versions/{v}/drafts"),
            Some(json!({})),
            LAWYER_EDITS,
        ),
        case(
            M::POST,
            "/api/v1/versions/{id}/edits",
            format!("/api/v1/versions/{v}/edits"),
            Some(
                json!({"operations": [{"op": "unassign", "station_id": st, "date": date, "half_day": half, "lawyer_id": la, "role": "primary"}]}),
            ),
            LAWYER_EDITS,
        ),
        case(
            M::POST,
            "/api/v1/versions/{id}/publish",
            format!("/api/v1/versions/{v}/publish"),
            Some(json!({})),
            LAWYER_EDITS,
        ),
        case(
            M::POST,
            "/api/v1/versions/{id}/repair",
            format!("/api/v1/versions/{v}/repair"),
            Some(
                json!({"changes": [{"kind": "lawyer_out", "lawyer_id": la, "from": date, "to": date}]}),
            ),
            LAWYER_EDITS,
        ),
        case(
            M::GET,
            "/api/v1/versions/{id}/suggestions",
            format!("/api/v1/versions/{v}/suggestions?station_id={st}&date={date}&half_day={half}"),
            None,
            OTHER_LAWYER,
        ),
        case(
            M::POST,
            "/api/v1/users",
            "/api/v1/users".into(),
            Some(json!({"login": format!("{lb}-acct"), "role": "lawyer", "lawyer_id": lb})),
            EDITS,
        ),
        list("/api/v1/users", "/api/v1/users".into(), OTHER_CENTRE),
        case(
            M::POST,
            "/api/v1/users/lawyers",
            "/api/v1/users/lawyers".into(),
            Some(json!({"centre_id": "GZ-TH", "login_from": "licence"})),
            EDITS,
        ),
        case(
            M::POST,
            "/api/v1/users/{id}/reset",
            format!("/api/v1/users/{account}/reset"),
            None,
            EDITS,
        ),
        case(
            M::POST,
            "/api/v1/users/{id}/state",
            format!("/api/v1/users/{account}/state"),
            Some(json!({"state": "disabled"})),
            EDITS,
        ),
        case(
            M::PUT,
            "/api/v1/users/{id}/role",
            format!("/api/v1/users/{account}/role"),
            Some(json!({"role": "coordinator", "centres": ["GZ-CH"]})),
            EDITS,
        ),
        // Machine tokens: admins only.
        case(
            M::GET,
            "/api/v1/tokens",
            "/api/v1/tokens".into(),
            None,
            EDITS,
        ),
        case(
            M::POST,
            "/api/v1/tokens",
            "/api/v1/tokens".into(),
            Some(json!({"role": "coordinator", "centre_id": "GZ-TH", "label": "脚本"})),
            EDITS,
        ),
        case(
            M::DELETE,
            "/api/v1/tokens/{id}",
            "/api/v1/tokens/1".into(),
            None,
            EDITS,
        ),
        // A person's own sign-in: no token has a password or sessions.
        case(
            M::POST,
            "/api/v1/me/password",
            "/api/v1/me/password".into(),
            Some(json!({"current": "x", "new": "a long new password"})),
            TOKENS,
        ),
        case(
            M::GET,
            "/api/v1/me/sessions",
            "/api/v1/me/sessions".into(),
            None,
            TOKENS,
        ),
        case(
            M::DELETE,
            "/api/v1/me/sessions/{id}",
            "/api/v1/me/sessions/1".into(),
            None,
            TOKENS,
        ),
    ];
    // Routes with no principal: the health check (no data of any centre) and the calendar
    // feeds, reached by their secret token (tested in the feed tests: another token, a
    // rotated one or a station's token for another station answers 404). The working
    // calendar is the same for everyone.
    let public = [
        "GET /healthz",
        "GET /ical/lawyers/{file}",
        "GET /ical/sites/{file}",
        "GET /api/v1/calendar",
        // Signing in and setting a password with a code need no principal (tested in
        // `accounts`: wrong pairs 401, unknown codes 404, both slowed after failures);
        // signing out with a token ends no session.
        "POST /api/v1/auth/login",
        "POST /api/v1/auth/activate",
        "POST /api/v1/auth/logout",
        // The empty panel workbook: headers and an example row, nothing of any centre.
        "GET /api/v1/panel/template.xlsx",
        // Each caller's own data, whose download is audited (a write): checked below,
        // before the snapshot.
        "GET /api/v1/me/data",
    ];

    // Every operation of the document has a case.
    let doc = serde_json::to_value(zhiban_api::openapi()).unwrap();
    let mut documented = std::collections::BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for m in ops.as_object().unwrap().keys() {
            if ["get", "post", "put", "delete", "patch"].contains(&m.as_str()) {
                documented.insert(format!("{} {path}", m.to_uppercase()));
            }
        }
    }
    let covered: std::collections::BTreeSet<String> = cases
        .iter()
        .map(|c| format!("{} {}", c.method, c.template))
        .chain(public.iter().map(|p| p.to_string()))
        .collect();
    let missing: Vec<_> = documented.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "routes without a tenancy case: {missing:?}"
    );
    let unknown: Vec<_> = covered.difference(&documented).collect();
    assert!(
        unknown.is_empty(),
        "cases for routes not in the document: {unknown:?}"
    );

    // Each token's first use is noted (its last use, for admins); the refusals come after.
    for caller in tokens.values() {
        let me = caller.call(&t, Method::GET, "/api/v1/me", None).await;
        assert_eq!(me.status, StatusCode::OK);
    }
    // A person's own data: every outsider gets their own, never anything of GZ-TH's lawyer.
    for who in OTHER_LAWYER {
        let r = tokens[who]
            .call(&t, Method::GET, "/api/v1/me/data", None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{who}: {}", r.body);
        let text = r.body.to_string();
        assert!(
            !text.contains(&format!("\"{la}\""))
                && (who.ends_with("GZ-TH") || !text.contains("GZ-TH")),
            "{who}'s own data shows GZ-TH's: {text}"
        );
    }
    // Nothing any refused request does is stored.
    let before = zhiban_store::render_dump(&t.store.dump_tables().await.unwrap());
    let mut refusals = 0;
    for c in &cases {
        for who in c.outsiders {
            let r = tokens[who]
                .call(&t, c.method.clone(), &c.uri, c.body.clone())
                .await;
            let what = format!("{who}: {} {}", c.method, c.uri);
            if c.list && r.status == StatusCode::OK {
                // Nothing of lawyer `la`; for callers of another centre, nothing of GZ-TH at
                // all (a lawyer of GZ-TH legitimately sees their own centre's code).
                let text = r.body.to_string();
                assert!(
                    !text.contains(&format!("\"{la}\""))
                        && (who.ends_with("GZ-TH") || !text.contains("GZ-TH")),
                    "{what} shows GZ-TH's data: {text}"
                );
            } else {
                // A route only a station display's token reaches does not know a session.
                let refused = [StatusCode::FORBIDDEN, StatusCode::NOT_FOUND].contains(&r.status)
                    || (matches!(tokens[who], Caller::Page(_))
                        && r.status == StatusCode::UNAUTHORIZED
                        && c.template == "/api/v1/station-display");
                assert!(refused, "{what} answered {} {}", r.status, r.body);
                refusals += 1;
            }
        }
    }
    assert!(refusals > 150, "{refusals}");
    let after = zhiban_store::render_dump(&t.store.dump_tables().await.unwrap());
    assert!(before == after, "a refused request changed the database");
}

/// A firm with lawyers, none of them in `centre`'s panel.
async fn firm_without_lawyers_in(t: &TestApp, admin: &str, centre: &str) -> String {
    let mut here = std::collections::BTreeSet::new();
    let mut all = std::collections::BTreeSet::new();
    let mut offset = 0;
    loop {
        let r = t
            .get(&format!("/api/v1/lawyers?limit=500&offset={offset}"), admin)
            .await;
        let items = r.body["items"].as_array().unwrap().clone();
        for l in &items {
            all.insert(s(&l["firm_id"]));
            if l["home_centre_id"] == centre {
                here.insert(s(&l["firm_id"]));
            }
        }
        if items.len() < 500 {
            break;
        }
        offset += 500;
    }
    all.difference(&here)
        .next()
        .expect("a firm elsewhere")
        .clone()
}
