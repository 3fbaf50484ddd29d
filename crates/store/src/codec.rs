//! Backend-neutral encodings shared by the SQL backends: instants as RFC 3339 text, tags as
//! JSON, weekdays as numbers, and the error for a row that does not decode.

use crate::StoreError;
use zhiban_domain::parse_weekday;
use zhiban_domain::report::Versioned;

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

/// A document as stored: its JSON with `schema_version` set to the form it is written in.
pub(crate) fn encode_doc<T: Versioned>(doc: &T) -> String {
    let mut v = serde_json::to_value(doc).expect("documents serialise");
    if let serde_json::Value::Object(m) = &mut v {
        m.insert("schema_version".into(), T::SCHEMA.into());
    }
    v.to_string()
}

/// A stored document. One written before forms carried their version reads as form 1; one
/// written in a form newer than this release knows is refused, never misread.
pub(crate) fn decode_doc<T: Versioned>(
    table: &'static str,
    key: &str,
    raw: &str,
) -> Result<T, StoreError> {
    let v: serde_json::Value =
        serde_json::from_str(raw).map_err(|e| corrupt(table, key, e.to_string()))?;
    let form = v
        .get("schema_version")
        .and_then(|s| s.as_u64())
        .unwrap_or(1);
    if form > u64::from(T::SCHEMA) {
        return Err(corrupt(
            table,
            key,
            format!(
                "written in form {form} by a newer release; this release reads up to form {}",
                T::SCHEMA
            ),
        ));
    }
    serde_json::from_value(v).map_err(|e| corrupt(table, key, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhiban_domain::report::{Evaluation, SolveReport};

    #[test]
    fn a_document_carries_its_form_and_reads_back() {
        let r = SolveReport::not_solved(Evaluation::default());
        let raw = encode_doc(&r);
        let v: serde_json::Value = serde_json::from_str(&raw).unwrap();
        assert_eq!(v["schema_version"], 1);
        let back: SolveReport = decode_doc("versions", "1", &raw).unwrap();
        assert_eq!(back.evaluation, r.evaluation);
    }

    #[test]
    fn a_document_without_a_form_reads_as_form_one() {
        let mut v = serde_json::to_value(SolveReport::not_solved(Evaluation::default())).unwrap();
        v.as_object_mut().unwrap().remove("schema_version");
        assert!(decode_doc::<SolveReport>("versions", "1", &v.to_string()).is_ok());
    }

    #[test]
    fn a_newer_form_or_a_broken_document_is_refused_naming_the_row() {
        let mut v = serde_json::to_value(SolveReport::not_solved(Evaluation::default())).unwrap();
        v["schema_version"] = 2.into();
        let e = decode_doc::<SolveReport>("versions", "7", &v.to_string()).unwrap_err();
        assert!(e.to_string().contains("newer release"), "{e}");
        assert!(e.to_string().contains("versions"), "{e}");
        let e = decode_doc::<SolveReport>("versions", "7", r#"{"status":"optimal"}"#).unwrap_err();
        assert!(matches!(e, StoreError::Corrupt { .. }), "{e}");
    }
}
