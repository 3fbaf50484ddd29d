//! Feed tokens, busy times and the history of published duties that feeds are built from.

use super::Conn;
use super::{corrupt, parse_instant, to_instant};
use crate::StoreError;
use crate::records::*;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;
use zhiban_domain::{Assignment, HalfDay, LawyerId, Role, StationId};

/// Revokes the subject's live tokens and stores a new one.
pub async fn rotate_feed_token(
    conn: &mut Conn,
    kind: FeedKind,
    subject: &str,
    hash: &str,
) -> Result<(), StoreError> {
    let now = to_instant(Utc::now());
    sqlx::query(
        "UPDATE feed_tokens SET revoked_at = $1 WHERE kind = $2 AND subject_id = $3 AND revoked_at IS NULL",
    )
    .bind(&now)
    .bind(kind.code())
    .bind(subject)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO feed_tokens (kind, subject_id, token_hash, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(kind.code())
    .bind(subject)
    .bind(hash)
    .bind(&now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whose feed a live token opens.
pub async fn feed_subject(
    conn: &mut Conn,
    hash: &str,
) -> Result<Option<(FeedKind, String)>, StoreError> {
    let row = sqlx::query(
        "SELECT kind, subject_id FROM feed_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
    )
    .bind(hash)
    .fetch_optional(conn)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let kind: String = r.try_get("kind")?;
    let kind = match kind.as_str() {
        "lawyer" => FeedKind::Lawyer,
        "station" => FeedKind::Station,
        other => return Err(corrupt("feed_tokens", hash, format!("kind {other:?}"))),
    };
    Ok(Some((kind, r.try_get("subject_id")?)))
}

/// Replaces a lawyer's busy times.
pub async fn replace_busy(
    conn: &mut Conn,
    lawyer: &LawyerId,
    busy: &[BusyTime],
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM busy_times WHERE lawyer_id = $1")
        .bind(lawyer.as_str())
        .execute(&mut *conn)
        .await?;
    let now = to_instant(Utc::now());
    for b in busy {
        sqlx::query(
            "INSERT INTO busy_times (lawyer_id, starts_at, ends_at, summary, source_uid, imported_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(lawyer.as_str())
        .bind(to_instant(b.starts_at))
        .bind(to_instant(b.ends_at))
        .bind(&b.summary)
        .bind(&b.source_uid)
        .bind(&now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Busy times overlapping `[from, to)`, of one lawyer or all.
pub async fn list_busy(
    conn: &mut Conn,
    lawyer: Option<&LawyerId>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<BusyTime>, StoreError> {
    let rows = sqlx::query(
        "SELECT lawyer_id, starts_at, ends_at, summary, source_uid FROM busy_times \
         WHERE ($1 IS NULL OR lawyer_id = $1) AND starts_at < $3 AND ends_at > $2 \
         ORDER BY lawyer_id, starts_at",
    )
    .bind(lawyer.map(|l| l.as_str().to_string()))
    .bind(to_instant(from))
    .bind(to_instant(to))
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            let l: String = r.try_get("lawyer_id")?;
            let t = "busy_times";
            Ok(BusyTime {
                lawyer_id: LawyerId::parse(&l).map_err(|m| corrupt(t, &l, m))?,
                starts_at: parse_instant(t, &l, &r.try_get::<String, _>("starts_at")?)?,
                ends_at: parse_instant(t, &l, &r.try_get::<String, _>("ends_at")?)?,
                summary: r.try_get("summary")?,
                source_uid: r.try_get("source_uid")?,
            })
        })
        .collect()
}

/// Every published or superseded version of the series holding a matching duty in
/// `[from, to]`, and every matching duty of those versions.
pub async fn duty_history(
    conn: &mut Conn,
    lawyer: Option<&LawyerId>,
    station: Option<&StationId>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(Vec<PublishedVersion>, Vec<DutyVersion>), StoreError> {
    let l = lawyer.map(|l| l.as_str().to_string());
    let s = station.map(|s| s.as_str().to_string());
    let filter = "($1 IS NULL OR a.lawyer_id = $1) AND ($2 IS NULL OR a.station_id = $2) \
                  AND a.date >= $3 AND a.date <= $4";
    let versions = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT v.roster_id, v.id, v.number, v.published_at, v.status FROM roster_versions v \
         WHERE v.status IN ('published', 'superseded') AND v.roster_id IN ( \
           SELECT v2.roster_id FROM assignments a JOIN roster_versions v2 ON v2.id = a.version_id \
           WHERE v2.status IN ('published', 'superseded') AND {filter}) \
         ORDER BY v.roster_id, v.number"
    )))
    .bind(&l)
    .bind(&s)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    let t = "roster_versions";
    let versions: Vec<PublishedVersion> = versions
        .iter()
        .map(|r| {
            let id: i64 = r.try_get("id")?;
            Ok(PublishedVersion {
                roster_id: r.try_get("roster_id")?,
                version_id: id,
                number: u32::try_from(r.try_get::<i64, _>("number")?).unwrap_or(0),
                published_at: r
                    .try_get::<Option<String>, _>("published_at")?
                    .map(|x| parse_instant(t, &id.to_string(), &x))
                    .transpose()?,
                current: r.try_get::<String, _>("status")? == "published",
            })
        })
        .collect::<Result<_, StoreError>>()?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT v.roster_id, v.id AS vid, v.number, v.published_at, v.status, a.station_id, a.date, \
         a.half_day, a.lawyer_id, a.role FROM assignments a JOIN roster_versions v ON v.id = a.version_id \
         WHERE v.status IN ('published', 'superseded') AND {filter} ORDER BY v.roster_id, v.number"
    )))
    .bind(&l)
    .bind(&s)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    let duties = rows
        .iter()
        .map(|r| {
            let id: i64 = r.try_get("vid")?;
            let key = id.to_string();
            let bad = |m: String| corrupt("assignments", &key, m);
            Ok(DutyVersion {
                roster_id: r.try_get("roster_id")?,
                version_id: id,
                number: u32::try_from(r.try_get::<i64, _>("number")?).unwrap_or(0),
                published_at: r
                    .try_get::<Option<String>, _>("published_at")?
                    .map(|x| parse_instant(t, &key, &x))
                    .transpose()?,
                current: r.try_get::<String, _>("status")? == "published",
                assignment: Assignment {
                    date: r.try_get("date")?,
                    half_day: HalfDay::parse(&r.try_get::<String, _>("half_day")?).map_err(bad)?,
                    station_id: StationId::parse(&r.try_get::<String, _>("station_id")?)
                        .map_err(bad)?,
                    lawyer_id: LawyerId::parse(&r.try_get::<String, _>("lawyer_id")?)
                        .map_err(bad)?,
                    role: Role::parse(&r.try_get::<String, _>("role")?).map_err(bad)?,
                },
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok((versions, duties))
}
