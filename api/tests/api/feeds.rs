//! Calendars: lawyers' and stations' feeds follow the roster through a repair (checked by
//! an independent iCalendar parser), and imported busy calendars keep the solver off those
//! half-days.

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use chrono::{Datelike, Duration};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use zhiban_store::TokenRole;

use crate::helpers::*;

on_both!(
    lawyer_and_station_feeds_follow_the_roster_through_a_repair,
    imported_busy_calendars_keep_the_solver_off_those_half_days,
);

/// GET of a feed path (no token header: calendar apps send none).
async fn fetch_feed(t: &TestApp, url: &str, etag: Option<&str>) -> (StatusCode, HeaderMap, String) {
    let path = url.split_once("://").unwrap().1;
    let path = &path[path.find('/').unwrap()..];
    let mut req = Request::get(path);
    if let Some(e) = etag {
        req = req.header("if-none-match", e);
    }
    let res = t
        .router
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
}

/// Parses a feed with the ical crate; (uid, status, sequence, summary) of each event.
fn events_of(text: &str) -> Vec<(String, String, u32, String)> {
    let cal = ical::IcalParser::new(std::io::BufReader::new(text.as_bytes()))
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(cal.timezones.len(), 1, "a VTIMEZONE");
    cal.events
        .iter()
        .map(|e| {
            let p = |n: &str| {
                e.properties
                    .iter()
                    .find(|p| p.name == n)
                    .and_then(|p| p.value.clone())
                    .unwrap_or_default()
            };
            let start = e.properties.iter().find(|p| p.name == "DTSTART").unwrap();
            assert_eq!(
                start.params.as_ref().unwrap()[0],
                ("TZID".to_string(), vec!["Asia/Shanghai".to_string()])
            );
            assert!(
                !p("LOCATION").is_empty()
                    && !p("GEO").is_empty()
                    && p("DESCRIPTION").contains("电话")
            );
            (
                p("UID"),
                p("STATUS"),
                p("SEQUENCE").parse().unwrap(),
                p("SUMMARY"),
            )
        })
        .collect()
}

/// Parses a feed with Python's icalendar package (an independent client); the VEVENT count.
fn python_events(text: &str) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("feed.ics");
    std::fs::write(&file, text).unwrap();
    let python = std::env::var("ZHIBAN_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = std::process::Command::new(&python)
        .arg("-c")
        .arg("import sys, icalendar\ncal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())\nevs = cal.walk('VEVENT')\nfor e in evs:\n    assert e.decoded('DTSTART').tzinfo is not None\n    str(e.get('SUMMARY'))\nprint(len(evs))")
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}; run scripts/test, which installs icalendar"));
    assert!(
        out.status.success(),
        "Python icalendar rejects the feed (run scripts/test to install it): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// The reminders of a feed as Python's icalendar reads them: for each VALARM, its action and
/// its trigger (`-3600` seconds before the start, or an absolute UTC instant).
fn python_alarms(text: &str) -> Vec<(String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("feed.ics");
    std::fs::write(&file, text).unwrap();
    let python = std::env::var("ZHIBAN_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = [
        "import sys, datetime, icalendar",
        "cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())",
        "for e in cal.walk('VEVENT'):",
        "    for a in e.walk('VALARM'):",
        "        t = a.decoded('TRIGGER')",
        "        w = str(int(t.total_seconds())) if isinstance(t, datetime.timedelta) \\",
        "            else t.astimezone(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%MZ')",
        "        print(str(a.get('ACTION')) + ' ' + w)",
    ]
    .join("\n");
    let out = std::process::Command::new(&python)
        .arg("-c")
        .arg(script)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let (a, t) = l.split_once(' ').unwrap();
            (a.to_string(), t.to_string())
        })
        .collect()
}

/// The reminders of a feed as the ical crate reads them: each event's start date and its
/// alarms' TRIGGER values.
fn ical_alarms(text: &str) -> Vec<(String, Vec<String>)> {
    let cal = ical::IcalParser::new(std::io::BufReader::new(text.as_bytes()))
        .next()
        .unwrap()
        .unwrap();
    cal.events
        .iter()
        .map(|e| {
            let start = e
                .properties
                .iter()
                .find(|p| p.name == "DTSTART")
                .and_then(|p| p.value.clone())
                .unwrap();
            let triggers = e
                .alarms
                .iter()
                .map(|a| {
                    a.properties
                        .iter()
                        .find(|p| p.name == "TRIGGER")
                        .and_then(|p| p.value.clone())
                        .unwrap()
                })
                .collect();
            (start, triggers)
        })
        .collect()
}

async fn lawyer_and_station_feeds_follow_the_roster_through_a_repair(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let from = next_monday();
    let r = t
        .post(
            "/api/v1/rosters",
            &coord,
            json!({"centre_id": "CH", "from": from, "weeks": 2}),
        )
        .await;
    let job = t.wait_job(&coord, r.body["id"].as_i64().unwrap()).await;
    let v1 = job["version_id"].as_i64().unwrap();
    t.post(&format!("/api/v1/versions/{v1}/publish"), &coord, json!({}))
        .await;
    let all = t.get(&format!("/api/v1/versions/{v1}"), &coord).await.body["assignments"].clone();
    let mut count: std::collections::BTreeMap<String, usize> = Default::default();
    for a in all.as_array().unwrap() {
        *count.entry(s(&a["lawyer_id"])).or_default() += 1;
    }
    let (lawyer, n) = count
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(l, n)| (l.clone(), *n))
        .unwrap();
    let tok = t.token(TokenRole::Lawyer, None, Some(&lawyer)).await;

    // The lawyer's own feed.
    let r = t
        .post(
            &format!("/api/v1/lawyers/{lawyer}/feed-token"),
            &tok,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let url = s(&r.body["url"]);
    assert!(s(&r.body["webcal_url"]).starts_with("webcal://"));
    let (status, headers, text) = fetch_feed(&t, &url, None).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(headers["content-type"], "text/calendar; charset=utf-8");
    for line in text.split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line}", line.len());
    }
    assert!(
        text.contains("X-WR-CALNAME:") && text.contains("REFRESH-INTERVAL;VALUE=DURATION:PT60M")
    );
    assert_eq!(text.matches("\r\nPRODID:").count(), 1, "one PRODID");
    let evs = events_of(&text);
    assert_eq!(evs.len(), n);
    assert!(evs.iter().all(|e| e.1 == "CONFIRMED" && e.2 == 0));
    assert!(
        evs.iter()
            .all(|e| e.3.contains("值班") || e.3.contains("备岗")),
        "{evs:?}"
    );
    assert_eq!(python_events(&text), n);
    // Reminders (VALARM): the evening before at 18:00 and an hour before, as both parsers
    // read them.
    let alarms = ical_alarms(&text);
    assert_eq!(alarms.len(), n);
    for (start, triggers) in &alarms {
        let day: chrono::NaiveDate =
            chrono::NaiveDate::parse_from_str(&start[..8], "%Y%m%d").unwrap();
        let evening = format!("{}T100000Z", (day - Duration::days(1)).format("%Y%m%d"));
        assert_eq!(triggers, &vec![evening, "-PT3600S".to_string()], "{start}");
    }
    let py = python_alarms(&text);
    assert_eq!(py.len(), 2 * n, "{py:?}");
    assert!(py.iter().all(|(a, _)| a == "DISPLAY"));
    assert_eq!(py.iter().filter(|(_, t)| t == "-3600").count(), n);
    assert_eq!(py.iter().filter(|(_, t)| t.ends_with("T10:00Z")).count(), n);
    // The centre sets half an hour before, and no evening reminder; a bad time is refused.
    let mut policy = t.get("/api/v1/centres/CH/policy", &coord).await.body;
    policy["reminder_evening"] = json!("25:00");
    let r = t
        .call(
            axum::http::Method::PUT,
            "/api/v1/centres/CH/policy",
            &coord,
            Some(policy.clone()),
        )
        .await;
    assert!(
        [StatusCode::BAD_REQUEST, StatusCode::UNPROCESSABLE_ENTITY].contains(&r.status),
        "{}",
        r.body
    );
    assert!(
        r.body.to_string().contains("reminder_evening"),
        "names the field: {}",
        r.body
    );
    policy["reminder_evening"] = Value::Null;
    policy["reminder_before_minutes"] = json!(30);
    let r = t
        .call(
            axum::http::Method::PUT,
            "/api/v1/centres/CH/policy",
            &coord,
            Some(policy),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (_, _, text) = fetch_feed(&t, &url, None).await;
    let py = python_alarms(&text);
    assert_eq!(py.len(), n, "{py:?}");
    assert!(py.iter().all(|(_, t)| t == "-1800"));
    let (_, headers, text) = fetch_feed(&t, &url, None).await;
    assert!(
        ical_alarms(&text)
            .iter()
            .all(|(_, t)| t == &vec!["-PT1800S".to_string()])
    );
    let etag = headers["etag"].to_str().unwrap().to_string();
    let (status, _, _) = fetch_feed(&t, &url, Some(&etag)).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    // Nobody else's feed: another lawyer cannot rotate this one's token.
    let other = count.keys().find(|l| **l != lawyer).unwrap().clone();
    let other_tok = t.token(TokenRole::Lawyer, None, Some(&other)).await;
    let r = t
        .post(
            &format!("/api/v1/lawyers/{lawyer}/feed-token"),
            &other_tok,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The station's feed, for its staff.
    let station = s(&all[0]["station_id"]);
    let r = t
        .post(
            &format!("/api/v1/stations/{station}/feed-token"),
            &coord,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let site_url = s(&r.body["url"]);
    let (status, _, site) = fetch_feed(&t, &site_url, None).await;
    assert_eq!(status, StatusCode::OK);
    let site_events = events_of(&site);
    assert_eq!(
        site_events.len(),
        all.as_array()
            .unwrap()
            .iter()
            .filter(|a| a["station_id"] == station.as_str())
            .count()
    );
    assert_eq!(python_events(&site), site_events.len());
    // The station token does not open another station's feed, nor a lawyer's.
    let wrong = site_url.replace(&format!("/{station}.ics"), "/CH-XX.ics");
    assert_eq!(fetch_feed(&t, &wrong, None).await.0, StatusCode::NOT_FOUND);

    // The lawyer is out for the whole fortnight: after the repair is published the feed marks
    // their duties cancelled with a higher SEQUENCE; the lawyers who took them see them.
    let r = t
        .post(
            &format!("/api/v1/versions/{v1}/repair"),
            &coord,
            json!({"changes": [{"kind": "lawyer_out", "lawyer_id": lawyer, "from": from, "to": from + Duration::days(13)}]}),
        )
        .await;
    let job = t.wait_job(&coord, r.body["id"].as_i64().unwrap()).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let v2 = job["version_id"].as_i64().unwrap();
    t.post(&format!("/api/v1/versions/{v2}/publish"), &coord, json!({}))
        .await;
    let diff = t
        .get(&format!("/api/v1/versions/{v2}/diff"), &coord)
        .await
        .body;
    let (status, _, text2) = fetch_feed(&t, &url, Some(&etag)).await;
    assert_eq!(status, StatusCode::OK, "the feed changed");
    let evs2 = events_of(&text2);
    assert_eq!(evs2.len(), n, "taken-away duties stay in the feed");
    assert!(
        evs2.iter().all(|e| e.1 == "CANCELLED" && e.2 == 1),
        "{evs2:?}"
    );
    assert_eq!(python_events(&text2), n);
    for a in diff["added"].as_array().unwrap() {
        let taker = s(&a["lawyer_id"]);
        let ttok = t.token(TokenRole::Lawyer, None, Some(&taker)).await;
        let r = t
            .post(
                &format!("/api/v1/lawyers/{taker}/feed-token"),
                &ttok,
                json!({}),
            )
            .await;
        let (_, _, feed) = fetch_feed(&t, &s(&r.body["url"]), None).await;
        let uid = format!(
            "{}-{}-{}-{}-{}@zhiban",
            s(&a["station_id"]),
            s(&a["date"]).replace('-', ""),
            s(&a["half_day"]),
            taker,
            s(&a["role"])
        );
        assert!(
            events_of(&feed)
                .iter()
                .any(|e| e.0 == uid && e.1 == "CONFIRMED"),
            "{uid} missing from {taker}'s feed"
        );
    }

    // Rotating makes the old URL answer 404 at once; unknown tokens answer 404.
    let r = t
        .post(
            &format!("/api/v1/lawyers/{lawyer}/feed-token"),
            &tok,
            json!({}),
        )
        .await;
    let new_url = s(&r.body["url"]);
    assert_eq!(fetch_feed(&t, &url, None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(fetch_feed(&t, &new_url, None).await.0, StatusCode::OK);
    assert_eq!(
        fetch_feed(&t, "http://x/ical/lawyers/zb_unknown.ics", None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

async fn imported_busy_calendars_keep_the_solver_off_those_half_days(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let from = next_monday();
    // Generate once to see who would be on duty.
    let r = t
        .post(
            "/api/v1/rosters",
            &coord,
            json!({"centre_id": "CH", "from": from, "weeks": 1}),
        )
        .await;
    let job = t.wait_job(&coord, r.body["id"].as_i64().unwrap()).await;
    let first = t
        .get(&format!("/api/v1/versions/{}", job["version_id"]), &coord)
        .await
        .body["assignments"]
        .clone();
    let duty = first.as_array().unwrap()[0].clone();
    let lawyer = s(&duty["lawyer_id"]);
    let tok = t.token(TokenRole::Lawyer, None, Some(&lawyer)).await;
    let day = s(&duty["date"]).replace('-', "");
    // A hearing on that day (all day), and a weekly recurring afternoon commitment.
    let ics = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n\
         BEGIN:VEVENT\r\nUID:hearing-1\r\nSUMMARY:开庭（外地）\r\nDTSTART;VALUE=DATE:{day}\r\nEND:VEVENT\r\n\
         BEGIN:VEVENT\r\nUID:weekly\r\nSUMMARY:律所例会\r\nDTSTART;TZID=Asia/Shanghai:{}T140000\r\n\
         DTEND;TZID=Asia/Shanghai:{}T170000\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        from.format("%Y%m%d"),
        from.format("%Y%m%d")
    );
    let put = |body: String| {
        let req = Request::put(format!("/api/v1/lawyers/{lawyer}/busy"))
            .header("authorization", format!("Bearer {tok}"))
            .header("content-type", "text/calendar")
            .body(Body::from(body))
            .unwrap();
        t.router.clone().oneshot(req)
    };
    let res = put(ics).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value =
        serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(body["busy_periods"], 5, "{body}");
    // A broken file names the line and changes nothing.
    let res = put("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART 20261123\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n".into())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value =
        serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(body["errors"][0]["field"], "body line 4", "{body}");
    let r = t.get(&format!("/api/v1/lawyers/{lawyer}/busy"), &tok).await;
    assert_eq!(r.body["busy_periods"], 5);
    // Generate again: the lawyer is on no half-day their calendar blocks.
    let r = t
        .post(
            "/api/v1/rosters",
            &coord,
            json!({"centre_id": "CH", "from": from, "weeks": 1}),
        )
        .await;
    let job = t.wait_job(&coord, r.body["id"].as_i64().unwrap()).await;
    let again = t
        .get(
            &format!("/api/v1/versions/{}?lawyer_id={lawyer}", job["version_id"]),
            &coord,
        )
        .await;
    for a in again.body["assignments"].as_array().unwrap() {
        assert_ne!(a["date"], duty["date"], "booked on the hearing day: {a}");
        let monday_pm = s(&a["half_day"]) == "pm"
            && chrono::NaiveDate::parse_from_str(&s(&a["date"]), "%Y-%m-%d")
                .unwrap()
                .weekday()
                == from.weekday();
        assert!(!monday_pm, "booked over the weekly meeting: {a}");
    }
}
