//! Backend-neutral encodings shared by the SQL backends: instants as RFC 3339 text, tags as
//! JSON, weekdays as numbers, and the error for a row that does not decode.

use crate::StoreError;
use zhiban_domain::parse_weekday;

/// An instant as stored: RFC 3339, UTC, milliseconds.
pub(crate) fn to_instant(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A stored instant.
pub(crate) fn parse_instant(
    table: &'static str,
    key: &str,
    raw: &str,
) -> Result<chrono::DateTime<chrono::Utc>, StoreError> {
    chrono::DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| corrupt(table, key, format!("instant {raw:?}: {e}")))
}

/// Tags as a JSON array.
pub(crate) fn tags_to_json(tags: &[String]) -> String {
    serde_json::to_string(tags).expect("strings serialise")
}

/// A JSON array of tags.
pub(crate) fn tags_from_json(
    table: &'static str,
    key: &str,
    raw: &str,
) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(raw).map_err(|e| corrupt(table, key, format!("tags {raw:?}: {e}")))
}

pub(crate) fn corrupt(table: &'static str, key: &str, message: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        table,
        key: key.into(),
        message: message.into(),
    }
}

/// Weekday as stored: 1 = Monday .. 7 = Sunday.
pub(crate) fn weekday_to_db(d: chrono::Weekday) -> i64 {
    i64::from(d.number_from_monday())
}

pub(crate) fn weekday_from_db(
    table: &'static str,
    key: &str,
    n: i64,
) -> Result<chrono::Weekday, StoreError> {
    parse_weekday(&n.to_string()).map_err(|m| corrupt(table, key, m))
}

pub(crate) fn u32_from_db(
    table: &'static str,
    key: &str,
    field: &str,
    n: i64,
) -> Result<u32, StoreError> {
    u32::try_from(n).map_err(|_| corrupt(table, key, format!("{field} {n} out of range")))
}
