//! Issue 18, money and trust, the calendar side, on SQLite and on PostgreSQL: a lawyer's
//! private calendar data (feed token, feed, busy calendar) stays with their home centre,
//! and a hostile busy calendar is refused naming the line before it is expanded.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use zhiban_store::TokenRole;

use crate::helpers::*;

on_both!(
    a_sibling_centres_coordinator_cannot_reach_a_lawyers_private_calendar,
    hostile_busy_calendars_are_refused_naming_the_line_and_change_nothing,
);

/// The calendar calls of these tests.
trait CalendarCalls {
    /// Rotates a lawyer's feed token.
    async fn rotate(&self, lawyer: &str, token: &str) -> Reply;
    /// Imports a busy calendar for a lawyer.
    async fn put_busy(&self, lawyer: &str, token: &str, ics: impl Into<Vec<u8>>) -> Reply;
    /// A lawyer's feed by the path of a rotated URL.
    async fn feed(&self, url: &str) -> StatusCode;
}

impl CalendarCalls for TestApp {
    async fn rotate(&self, lawyer: &str, token: &str) -> Reply {
        let uri = format!("/api/v1/lawyers/{lawyer}/feed-token");
        self.post(&uri, token, json!({})).await
    }

    async fn put_busy(&self, lawyer: &str, token: &str, ics: impl Into<Vec<u8>>) -> Reply {
        let uri = format!("/api/v1/lawyers/{lawyer}/busy");
        let body = Some(("text/calendar", ics.into()));
        self.send(Method::PUT, &uri, Some(token), body, &[]).await
    }

    async fn feed(&self, url: &str) -> StatusCode {
        let path = &url[url.find("/ical/").unwrap()..];
        self.send(Method::GET, path, None, None, &[]).await.status
    }
}

/// A one-event calendar for the coming weeks.
fn one_event(uid: &str) -> String {
    let day = (chrono::Utc::now() + chrono::Duration::days(10)).format("%Y%m%d");
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n\
         DTSTART;VALUE=DATE:{day}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

/// The 404 body without the lawyer's code, to compare the answers for two lawyers.
fn without(body: &Value, code: &str) -> String {
    body.to_string().replace(code, "LAWYER")
}

/// GZ-TH, GZ-HZ, GZ-LW and GZ-YX share a pool in fixtures/guangzhou (centres.csv).
async fn a_sibling_centres_coordinator_cannot_reach_a_lawyers_private_calendar(backend: Backend) {
    let t = TestApp::on(backend, "guangzhou").await;
    let la = "GZ-L0331"; // home centre GZ-TH
    let missing = "GZ-L9999";
    let home = t.token(TokenRole::Coordinator, Some("GZ-TH"), None).await;
    let sibling = t.token(TokenRole::Coordinator, Some("GZ-YX"), None).await;
    let finance = t.token(TokenRole::Finance, Some("GZ-TH"), None).await;
    let admin = t.token(TokenRole::Admin, None, None).await;
    let own = t.token(TokenRole::Lawyer, None, Some(la)).await;

    // The premise: the sibling coordinator sees the lawyer on the shared panel.
    let r = t.get(&format!("/api/v1/lawyers/{la}"), &sibling).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // The home coordinator imports the lawyer's calendar and makes a feed URL.
    let r = t.put_busy(la, &home, one_event("home-import")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["busy_periods"], 1);
    let r = t.rotate(la, &home).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let url = r.body["url"].as_str().unwrap().to_string();
    assert_eq!(t.feed(&url).await, StatusCode::OK);

    // The sibling coordinator (and the home centre's finance staff) can do none of it, and
    // get the answer a lawyer that does not exist gets.
    for who in [&sibling, &finance] {
        let absent = t.rotate(missing, who).await;
        assert_eq!(absent.status, StatusCode::NOT_FOUND);
        let r = t.rotate(la, who).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
        assert_eq!(without(&r.body, la), without(&absent.body, missing));
        let absent = t.get(&format!("/api/v1/lawyers/{missing}/busy"), who).await;
        let r = t.get(&format!("/api/v1/lawyers/{la}/busy"), who).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
        assert_eq!(without(&r.body, la), without(&absent.body, missing));
        let absent = t.put_busy(missing, who, one_event("x")).await;
        let r = t.put_busy(la, who, one_event("sibling-import")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
        assert_eq!(without(&r.body, la), without(&absent.body, missing));
    }
    // Nothing changed: the feed URL still works and the calendar is the home import.
    assert_eq!(t.feed(&url).await, StatusCode::OK);
    let r = t.get(&format!("/api/v1/lawyers/{la}/busy"), &home).await;
    assert_eq!(
        r.body["periods"][0]["source_uid"], "home-import",
        "{}",
        r.body
    );

    // The lawyer and an admin may.
    for who in [&own, &admin] {
        assert_eq!(t.rotate(la, who).await.status, StatusCode::CREATED);
        let r = t.get(&format!("/api/v1/lawyers/{la}/busy"), who).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    // Another lawyer of the same centre may not.
    let other = t.token(TokenRole::Lawyer, None, Some("GZ-L0332")).await;
    assert_eq!(t.rotate(la, &other).await.status, StatusCode::NOT_FOUND);
}

async fn hostile_busy_calendars_are_refused_naming_the_line_and_change_nothing(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let la = "CH-L01";
    let own = t.token(TokenRole::Lawyer, None, Some(la)).await;
    let r = t.put_busy(la, &own, one_event("kept")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:x\r\n";
    let tail = "END:VEVENT\r\nEND:VCALENDAR\r\n";
    let cases = [
        // Panicked in chrono before (Duration::weeks out of bounds).
        (
            "DTSTART:20261201T010000Z\r\nDURATION:P9999999999999999W\r\n",
            "body line 7",
            "longer than 3660 days",
        ),
        (
            "DTSTART:99991231T010000Z\r\nDURATION:PT1H\r\n",
            "body line 6",
            "the year must be 1600 to 2200",
        ),
        (
            "DTSTART:20261201T010000Z\r\nRRULE:FREQ=YEARLY;INTERVAL=4294967296\r\n",
            "body line 7",
            "INTERVAL",
        ),
        (
            "DTSTART:20261201T010000Z\r\nRRULE:FREQ=MINUTELY;COUNT=99999999999\r\n",
            "body line 7",
            "RRULE",
        ),
    ];
    for (lines, field, message) in cases {
        let r = t.put_busy(la, &own, format!("{head}{lines}{tail}")).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{lines}: {}",
            r.body
        );
        assert_eq!(r.body["errors"][0]["field"], field, "{lines}: {}", r.body);
        let m = r.body["errors"][0]["message"].as_str().unwrap();
        assert!(m.contains(message), "{lines}: {m}");
    }
    // Too many busy periods: 20 daily series, refused at the series that passes 5,000.
    let mut many = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n");
    let start = (chrono::Utc::now() + chrono::Duration::days(1)).format("%Y%m%d");
    for i in 0..20 {
        many.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:d{i}\r\nDTSTART:{start}T010000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\n"
        ));
    }
    many.push_str("END:VCALENDAR\r\n");
    let r = t.put_busy(la, &own, many).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let field = r.body["errors"][0]["field"].as_str().unwrap();
    assert!(field.starts_with("body line "), "{}", r.body);
    // A file over 1 MiB is refused before it is read to the end, naming the body.
    let big = format!(
        "{head}DTSTART:20261201T010000Z\r\nX-PAD:{}\r\n{tail}",
        "x".repeat(1024 * 1024)
    );
    let r = t.put_busy(la, &own, big).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "body");
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("1048576 bytes (1 MiB)")
    );
    // Nothing changed.
    let r = t.get(&format!("/api/v1/lawyers/{la}/busy"), &own).await;
    assert_eq!(r.body["busy_periods"], 1, "{}", r.body);
    assert_eq!(r.body["periods"][0]["source_uid"], "kept");
}
