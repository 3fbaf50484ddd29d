//! The duty ledger (台账): one entry per duty, with the legal-aid applications received on it.
//!
//! Each writer owns columns of an entry, and a write sets only those, in one statement (an
//! UPSERT whose `SET` names them): the lawyer on duty writes the counts (consultations,
//! claimed plea agreements), notes and applications; a coordinator writes the same, and the
//! quality rating and the confirmed plea count besides ([`LedgerWriter`]). A lawyer's write
//! carries no copy of the rating, so it cannot undo a rating written meanwhile, whatever
//! the order in which the two commit.

use super::attendance::{OwnedQuery, ensure_open};
use super::{Conn, DbRow, corrupt, parse_instant, to_instant};
use crate::StoreError;
use crate::records::*;
use chrono::NaiveDate;
use sqlx::Row;
use zhiban_domain::{CentreId, HalfDay, LawyerId, StationId};

/// The columns of an entry, as [`entry_from_row`] reads them.
const COLS: &str = "station_id, date, half_day, lawyer_id, centre_id, consultations, plea_signings, \
    quality, notes, updated_at, updated_by, confirmed_plea_signings, confirmed_by, confirmed_at";

/// The columns every writer sets ($1 to $10), and their `SET` on conflict.
const WRITTEN: &str = "station_id, date, half_day, lawyer_id, centre_id, consultations, \
    plea_signings, notes, updated_at, updated_by";
const SET_WRITTEN: &str = "consultations = excluded.consultations, \
    plea_signings = excluded.plea_signings, notes = excluded.notes, \
    updated_at = excluded.updated_at, updated_by = excluded.updated_by";

/// Binds $1 to $10, the columns of [`WRITTEN`].
fn bind_written(q: OwnedQuery, e: &LedgerEntry) -> OwnedQuery {
    q.bind(e.station_id.to_string())
        .bind(e.date)
        .bind(e.half_day.code())
        .bind(e.lawyer_id.to_string())
        .bind(e.centre_id.to_string())
        .bind(i64::from(e.consultations))
        .bind(i64::from(e.plea_signings))
        .bind(e.notes.clone())
        .bind(to_instant(e.updated_at))
        .bind(e.updated_by.clone())
}

/// Writes a duty's ledger entry as `by` (refused in a locked month): the entry's own
/// columns in one statement, then its applications replaced. Returns the entry as stored,
/// with the rating and confirmation it now has. A coordinator's plea count is confirmed as
/// written; a lawyer's leaves the confirmed count as it was, and a different claim is
/// pending.
pub async fn put_ledger(
    conn: &mut Conn,
    e: &LedgerEntry,
    by: LedgerWriter,
) -> Result<LedgerEntry, StoreError> {
    ensure_open(&mut *conn, &e.centre_id, e.date).await?;
    let conflict = "ON CONFLICT (station_id, date, half_day, lawyer_id) DO UPDATE SET";
    let row = match by {
        LedgerWriter::Lawyer => {
            let sql = format!(
                "INSERT INTO ledger_entries ({WRITTEN}) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                 {conflict} {SET_WRITTEN} RETURNING {COLS}"
            );
            bind_written(sqlx::query(sqlx::AssertSqlSafe(sql)), e)
                .fetch_one(&mut *conn)
                .await?
        }
        LedgerWriter::Coordinator => {
            let sql = format!(
                "INSERT INTO ledger_entries ({WRITTEN}, quality, confirmed_plea_signings, \
                 confirmed_by, confirmed_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
                 {conflict} {SET_WRITTEN}, \
                 quality = COALESCE(excluded.quality, ledger_entries.quality), \
                 confirmed_plea_signings = excluded.confirmed_plea_signings, \
                 confirmed_by = excluded.confirmed_by, confirmed_at = excluded.confirmed_at \
                 RETURNING {COLS}"
            );
            bind_written(sqlx::query(sqlx::AssertSqlSafe(sql)), e)
                .bind(e.quality.clone())
                .bind(i64::from(e.plea_signings))
                .bind(e.updated_by.clone())
                .bind(to_instant(e.updated_at))
                .fetch_one(&mut *conn)
                .await?
        }
        LedgerWriter::Rating => {
            // The rating alone, of an entry the lawyer (or a coordinator) wrote.
            let sql = format!(
                "UPDATE ledger_entries SET quality = $1 WHERE station_id = $2 AND date = $3 \
                 AND half_day = $4 AND lawyer_id = $5 RETURNING {COLS}"
            );
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(e.quality.clone())
                .bind(e.station_id.as_str())
                .bind(e.date)
                .bind(e.half_day.code())
                .bind(e.lawyer_id.as_str())
                .fetch_optional(&mut *conn)
                .await?
                .ok_or_else(|| {
                    StoreError::Conflict(
                        "this duty's ledger is not written yet: the lawyer fills it in first \
                         (or a coordinator writes it whole with PUT /api/v1/ledger)"
                            .into(),
                    )
                })?;
            let mut stored = entry_from_row(&row)?;
            stored.applications = applications_of(conn, e).await?;
            return Ok(stored);
        }
    };
    // The upsert above holds the entry's row until the transaction ends, so two writes of
    // one entry's applications follow one another.
    sqlx::query(
        "DELETE FROM ledger_applications WHERE station_id = $1 AND date = $2 AND half_day = $3 AND lawyer_id = $4",
    )
    .bind(e.station_id.as_str())
    .bind(e.date)
    .bind(e.half_day.code())
    .bind(e.lawyer_id.as_str())
    .execute(&mut *conn)
    .await?;
    for a in &e.applications {
        sqlx::query(
            "INSERT INTO ledger_applications (station_id, date, half_day, lawyer_id, applicant, \
             received_at, forwarded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(e.station_id.as_str())
        .bind(e.date)
        .bind(e.half_day.code())
        .bind(e.lawyer_id.as_str())
        .bind(&a.applicant)
        .bind(to_instant(a.received_at))
        .bind(a.forwarded_at.map(to_instant))
        .execute(&mut *conn)
        .await?;
    }
    let mut stored = entry_from_row(&row)?;
    stored.applications = e.applications.clone();
    Ok(stored)
}

/// The applications of the entry of `e`'s duty, as stored.
async fn applications_of(
    conn: &mut Conn,
    e: &LedgerEntry,
) -> Result<Vec<LedgerApplication>, StoreError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM ledger_entries WHERE station_id = $1 AND date = $2 \
         AND half_day = $3 AND lawyer_id = $4"
    )))
    .bind(e.station_id.as_str())
    .bind(e.date)
    .bind(e.half_day.code())
    .bind(e.lawyer_id.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let apps = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {APP_COLS} FROM ledger_applications a WHERE a.station_id = $1 AND a.date = $2 \
         AND a.half_day = $3 AND a.lawyer_id = $4 ORDER BY a.id"
    )))
    .bind(e.station_id.as_str())
    .bind(e.date)
    .bind(e.half_day.code())
    .bind(e.lawyer_id.as_str())
    .fetch_all(&mut *conn)
    .await?;
    Ok(with_applications(&rows, &apps)?
        .pop()
        .map(|x| x.applications)
        .unwrap_or_default())
}

/// An entry, without its applications, from a row of [`COLS`].
fn entry_from_row(r: &DbRow) -> Result<LedgerEntry, StoreError> {
    let station: String = r.try_get("station_id")?;
    let t = "ledger_entries";
    let bad = |m: String| corrupt(t, &station, m);
    Ok(LedgerEntry {
        centre_id: CentreId::parse(&r.try_get::<String, _>("centre_id")?).map_err(bad)?,
        station_id: StationId::parse(&station).map_err(bad)?,
        date: r.try_get("date")?,
        half_day: HalfDay::parse(&r.try_get::<String, _>("half_day")?).map_err(bad)?,
        lawyer_id: LawyerId::parse(&r.try_get::<String, _>("lawyer_id")?).map_err(bad)?,
        consultations: u32::try_from(r.try_get::<i64, _>("consultations")?).unwrap_or(0),
        plea_signings: u32::try_from(r.try_get::<i64, _>("plea_signings")?).unwrap_or(0),
        confirmed_plea_signings: r
            .try_get::<Option<i64>, _>("confirmed_plea_signings")?
            .map(|n| u32::try_from(n).unwrap_or(0)),
        confirmed_by: r.try_get("confirmed_by")?,
        confirmed_at: r
            .try_get::<Option<String>, _>("confirmed_at")?
            .map(|s| parse_instant(t, &station, &s))
            .transpose()?,
        quality: r.try_get("quality")?,
        notes: r.try_get("notes")?,
        applications: vec![],
        updated_at: parse_instant(t, &station, &r.try_get::<String, _>("updated_at")?)?,
        updated_by: r.try_get("updated_by")?,
    })
}

/// Ledger entries of a centre between two days, with their applications.
pub async fn list_ledger(
    conn: &mut Conn,
    centre: &CentreId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<LedgerEntry>, StoreError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM ledger_entries WHERE centre_id = $1 AND date >= $2 AND date <= $3 \
         ORDER BY date, half_day, station_id, lawyer_id"
    )))
    .bind(centre.as_str())
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    let apps = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {APP_COLS} FROM ledger_applications a JOIN ledger_entries e \
         ON e.station_id = a.station_id AND e.date = a.date AND e.half_day = a.half_day \
         AND e.lawyer_id = a.lawyer_id \
         WHERE e.centre_id = $1 AND e.date >= $2 AND e.date <= $3 ORDER BY a.id"
    )))
    .bind(centre.as_str())
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?;
    with_applications(&rows, &apps)
}

/// A lawyer's ledger entries, newest first, at most `limit`, with their applications.
pub async fn lawyer_ledger(
    conn: &mut Conn,
    lawyer: &LawyerId,
    limit: u32,
) -> Result<Vec<LedgerEntry>, StoreError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM ledger_entries WHERE lawyer_id = $1 \
         ORDER BY date DESC, half_day DESC, station_id LIMIT $2"
    )))
    .bind(lawyer.as_str())
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?;
    // Only the applications of the entries read: from the oldest of them on.
    let Some(oldest) = rows
        .iter()
        .map(|r| r.try_get::<NaiveDate, _>("date"))
        .min_by_key(|d| d.as_ref().ok().copied())
        .transpose()?
    else {
        return Ok(Vec::new());
    };
    let apps = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {APP_COLS} FROM ledger_applications a WHERE a.lawyer_id = $1 AND a.date >= $2 \
         ORDER BY a.id"
    )))
    .bind(lawyer.as_str())
    .bind(oldest)
    .fetch_all(&mut *conn)
    .await?;
    with_applications(&rows, &apps)
}

/// The columns of an application, as [`with_applications`] reads them.
const APP_COLS: &str =
    "a.station_id, a.date, a.half_day, a.lawyer_id, a.applicant, a.received_at, a.forwarded_at";

/// Entries of `rows`, each with its applications among `apps` (read in two queries, not
/// one per entry).
fn with_applications(rows: &[DbRow], apps: &[DbRow]) -> Result<Vec<LedgerEntry>, StoreError> {
    let t = "ledger_applications";
    let mut by_duty: std::collections::HashMap<(String, NaiveDate, String, String), Vec<_>> =
        std::collections::HashMap::new();
    for a in apps {
        let station: String = a.try_get("station_id")?;
        let app = LedgerApplication {
            applicant: a.try_get("applicant")?,
            received_at: parse_instant(t, &station, &a.try_get::<String, _>("received_at")?)?,
            forwarded_at: a
                .try_get::<Option<String>, _>("forwarded_at")?
                .map(|s| parse_instant(t, &station, &s))
                .transpose()?,
        };
        let key = (
            station,
            a.try_get("date")?,
            a.try_get("half_day")?,
            a.try_get("lawyer_id")?,
        );
        by_duty.entry(key).or_default().push(app);
    }
    rows.iter()
        .map(|r| {
            let mut e = entry_from_row(r)?;
            let key = (
                e.station_id.to_string(),
                e.date,
                e.half_day.code().to_string(),
                e.lawyer_id.to_string(),
            );
            e.applications = by_duty.remove(&key).unwrap_or_default();
            Ok(e)
        })
        .collect()
}
