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

/// A duty's reference (station, date, half-day) as request JSON.
pub fn duty_ref(d: &Value) -> Value {
    serde_json::json!({"station_id": d["station_id"], "date": d["date"], "half_day": d["half_day"]})
}

/// A duty's reference with the fields of `extra` added.
pub fn with_duty(d: &Value, extra: Value) -> Value {
    let mut v = duty_ref(d);
    if let Some(o) = extra.as_object() {
        for (k, x) in o {
            v[k] = x.clone();
        }
    }
    v
}

/// A duty's local start and end on `fixtures/small` (stations.csv: the detention centre
/// CH-KSS keeps 09:00-11:30 and 14:30-17:30, the others 09:00-12:00 and 14:00-17:00), with
/// its station's position.
pub fn small_hours(d: &Value) -> ((f64, f64), &'static str, &'static str) {
    let (pos, am, pm) = match d["station_id"].as_str().unwrap_or_default() {
        "CH-KSS" => ((23.4905, 113.5062), ("09:00", "11:30"), ("14:30", "17:30")),
        "CH-FY" => ((23.5491, 113.5868), ("09:00", "12:00"), ("14:00", "17:00")),
        _ => ((23.5552, 113.5931), ("09:00", "12:00"), ("14:00", "17:00")),
    };
    let (start, end) = if d["half_day"] == "am" { am } else { pm };
    (pos, start, end)
}
