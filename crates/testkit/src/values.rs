//! Small helpers on dates, times and the JSON of duties.

use chrono::{Datelike, Duration, NaiveDate};
use serde_json::Value;

/// The Monday at least two days ahead, so every duty of the second week is more than 24
/// hours away whatever the time of day.
pub fn next_monday() -> NaiveDate {
    let today = chrono::Utc::now().date_naive() + Duration::days(2);
    today + Duration::days(i64::from((7 - today.weekday().num_days_from_monday()) % 7))
}

/// A JSON string's text (panics when it is not a string).
pub fn s(v: &Value) -> String {
    v.as_str().unwrap().to_string()
}

/// A duty's slot: station, date and half-day.
pub fn slot_key(a: &Value) -> (String, String, String) {
    (s(&a["station_id"]), s(&a["date"]), s(&a["half_day"]))
}

/// Local (UTC+8) time on a date, as an instant.
pub fn local(date: &str, hm: &str) -> chrono::DateTime<chrono::Utc> {
    let naive =
        chrono::NaiveDateTime::parse_from_str(&format!("{date} {hm}"), "%Y-%m-%d %H:%M").unwrap();
    naive.and_utc() - Duration::hours(8)
}

/// Whether two assignments are the same duty: slot, lawyer and role.
pub fn same_duty(a: &Value, b: &Value) -> bool {
    ["station_id", "date", "half_day", "lawyer_id", "role"]
        .iter()
        .all(|k| a[*k] == b[*k])
}

/// `hm` (`HH:MM`) moved by `m` minutes.
pub fn add_minutes(hm: &str, m: i64) -> String {
    let t = chrono::NaiveTime::parse_from_str(hm, "%H:%M").unwrap() + Duration::minutes(m);
    t.format("%H:%M").to_string()
}
