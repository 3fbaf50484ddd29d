//! Attendance and locked subsidy months (the duty ledger is in `ledger.rs`).

use super::{Conn, DbRow};
use super::{corrupt, decode_doc, encode_doc, parse_instant, to_instant};
use crate::StoreError;
use crate::records::*;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;
use zhiban_domain::{Assignment, CentreId, HalfDay, LawyerId, Role, StationId};

/// The columns of a record, as [`from_row`] reads them.
pub(crate) const COLS: &str = "id, centre_id, roster_id, station_id, date, half_day, lawyer_id, role, status, \
    method, check_in_at, check_out_at, check_in_lat, check_in_lon, distance_m, minutes_late, late, \
    outside_geofence, approved, voided, proof, reason, updated_at";

/// True when the day `{date}` of centre `{centre}` is in a month finance approved (both are
/// SQL expressions): every write of a pay fact refuses such a day in the same statement or
/// transaction, so no path can change a locked month.
pub(crate) fn locked_day(centre: &str, date: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM subsidy_months sm WHERE sm.centre_id = {centre} \
         AND {date} BETWEEN sm.first_day AND sm.last_day)"
    )
}

/// The refusal of a write to a locked month.
pub(crate) fn locked_error(centre: &CentreId, date: NaiveDate) -> StoreError {
    StoreError::Locked(format!(
        "{} of centre {centre} is approved and never changes; a coordinator corrects it \
         with a reason (POST /api/v1/corrections), paid in the next open month",
        &date.to_string()[..7]
    ))
}

/// Refuses (as `locked_error`) when `date` of `centre` is in a locked month.
pub async fn ensure_open(
    conn: &mut Conn,
    centre: &CentreId,
    date: NaiveDate,
) -> Result<(), StoreError> {
    // Shared with other writers, exclusive for approval (`lock_month`): no write can pass
    // this check and then commit into a month locked meanwhile (PostgreSQL; SQLite has one
    // writer at a time).
    super::dialect::lock_shared(&mut *conn, &format!("month:{centre}")).await?;
    let locked: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT {}",
        locked_day("$1", "$2")
    )))
    .bind(centre.as_str())
    .bind(date)
    .fetch_one(conn)
    .await?;
    if locked {
        Err(locked_error(centre, date))
    } else {
        Ok(())
    }
}

/// A record from a row of [`COLS`].
pub(crate) fn from_row(r: &DbRow) -> Result<AttendanceRecord, StoreError> {
    let id: i64 = r.try_get("id")?;
    let key = id.to_string();
    let t = "attendance";
    let bad = |m: String| corrupt(t, &key, m);
    let opt = |raw: Option<String>| raw.map(|s| parse_instant(t, &key, &s)).transpose();
    Ok(AttendanceRecord {
        id,
        centre_id: CentreId::parse(&r.try_get::<String, _>("centre_id")?).map_err(bad)?,
        roster_id: r.try_get("roster_id")?,
        duty: Assignment {
            date: r.try_get("date")?,
            half_day: HalfDay::parse(&r.try_get::<String, _>("half_day")?).map_err(bad)?,
            station_id: StationId::parse(&r.try_get::<String, _>("station_id")?).map_err(bad)?,
            lawyer_id: LawyerId::parse(&r.try_get::<String, _>("lawyer_id")?).map_err(bad)?,
            role: Role::parse(&r.try_get::<String, _>("role")?).map_err(bad)?,
        },
        status: AttendanceStatus::parse(&r.try_get::<String, _>("status")?).map_err(bad)?,
        method: r
            .try_get::<Option<String>, _>("method")?
            .map(|m| CheckInMethod::parse(&m))
            .transpose()
            .map_err(bad)?,
        check_in_at: opt(r.try_get("check_in_at")?)?,
        check_out_at: opt(r.try_get("check_out_at")?)?,
        check_in_lat: r.try_get("check_in_lat")?,
        check_in_lon: r.try_get("check_in_lon")?,
        distance_m: r.try_get("distance_m")?,
        minutes_late: u32::try_from(r.try_get::<i64, _>("minutes_late")?).unwrap_or(0),
        late: r.try_get("late")?,
        outside_geofence: r.try_get("outside_geofence")?,
        approved: r.try_get("approved")?,
        voided: r.try_get("voided")?,
        proof: r.try_get("proof")?,
        reason: r.try_get("reason")?,
        updated_at: parse_instant(t, &key, &r.try_get::<String, _>("updated_at")?)?,
    })
}

/// One record.
pub async fn get_attendance(
    conn: &mut Conn,
    id: i64,
) -> Result<Option<AttendanceRecord>, StoreError> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM attendance WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// The record a lawyer made with an idempotency key.
pub async fn by_idempotency_key(
    conn: &mut Conn,
    lawyer: &LawyerId,
    key: &str,
) -> Result<Option<AttendanceRecord>, StoreError> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM attendance WHERE lawyer_id = $1 AND idempotency_key = $2"
    )))
    .bind(lawyer.as_str())
    .bind(key)
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// Stores a new record; a conflict if the duty has one already. When `a` carries an
/// idempotency key its lawyer already used, nothing is stored and that record is returned
/// with `false`. One query finds both (the check-in path runs at every half-day's start).
pub async fn insert_attendance(
    conn: &mut Conn,
    a: &NewAttendance,
) -> Result<(AttendanceRecord, bool), StoreError> {
    let d = &a.duty;
    ensure_open(&mut *conn, &a.centre_id, d.date).await?;
    let found = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS}, COALESCE(idempotency_key = $6, FALSE) AS same_key \
         FROM attendance WHERE (lawyer_id = $4 AND idempotency_key = $6) \
         OR (station_id = $1 AND date = $2 AND half_day = $3 AND lawyer_id = $4 AND role = $5)"
    )))
    .bind(d.station_id.as_str())
    .bind(d.date)
    .bind(d.half_day.code())
    .bind(d.lawyer_id.as_str())
    .bind(d.role.code())
    .bind(&a.idempotency_key)
    .fetch_all(&mut *conn)
    .await?;
    let mut same_duty = None;
    for r in &found {
        let rec = from_row(r)?;
        if r.try_get::<bool, _>("same_key")? {
            return Ok((rec, false));
        }
        same_duty = Some(rec);
    }
    if let Some(existing) = same_duty {
        return Err(StoreError::Conflict(format!(
            "this duty already has an attendance record ({}, id {})",
            existing.status.code(),
            existing.id
        )));
    }
    let q = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{INSERT_NEW} RETURNING {COLS}"
    )));
    let row = bind_new(q, a).fetch_one(conn).await?;
    Ok((from_row(&row)?, true))
}

/// A query owning its SQL and arguments.
pub(crate) type OwnedQuery =
    sqlx::query::Query<'static, super::Db, <super::Db as sqlx::Database>::Arguments>;

/// Stores a new record (without its `RETURNING` clause); [`bind_new`] binds `$1` to `$24`.
pub(crate) const INSERT_NEW: &str = "INSERT INTO attendance (centre_id, roster_id, station_id, \
    date, half_day, lawyer_id, role, status, method, check_in_at, check_out_at, check_in_lat, \
    check_in_lon, distance_m, minutes_late, late, outside_geofence, approved, reason, \
    idempotency_key, updated_at, proof, checkout_from, checkout_until) VALUES ($1, $2, $3, $4, \
    $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)";

/// [`INSERT_NEW`] that stores nothing when the duty's day is in a locked month (the same
/// parameters; SQLite's one-round-trip check-in).
#[allow(dead_code)] // compiled for PostgreSQL too, which checks in a transaction instead
pub(crate) fn insert_new_if_open() -> String {
    let (head, _) = INSERT_NEW
        .split_once(" VALUES ")
        .unwrap_or((INSERT_NEW, ""));
    format!(
        "{head} SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
         $17, $18, $19, $20, $21, $22, $23, $24 WHERE NOT {}",
        locked_day("$1", "$4")
    )
}

/// Binds the values of [`INSERT_NEW`] (`$1` to `$24`).
pub(crate) fn bind_new(q: OwnedQuery, a: &NewAttendance) -> OwnedQuery {
    q.bind(a.centre_id.as_str())
        .bind(a.roster_id)
        .bind(a.duty.station_id.as_str())
        .bind(a.duty.date)
        .bind(a.duty.half_day.code())
        .bind(a.duty.lawyer_id.as_str())
        .bind(a.duty.role.code())
        .bind(a.status.code())
        .bind(a.method.map(|m| m.code()))
        .bind(a.check_in_at.map(to_instant))
        .bind(a.check_out_at.map(to_instant))
        .bind(a.lat)
        .bind(a.lon)
        .bind(a.distance_m)
        .bind(i64::from(a.minutes_late))
        .bind(a.late)
        .bind(a.outside_geofence)
        .bind(a.approved)
        .bind(&a.reason)
        .bind(&a.idempotency_key)
        .bind(to_instant(Utc::now()))
        .bind(a.proof)
        .bind(a.checkout_window.map(|w| to_instant(w.0)))
        .bind(a.checkout_window.map(|w| to_instant(w.1)))
}

/// Checks record `$3` of lawyer `$4` out at `$1`, updated at `$2`, if it is checked in,
/// returning it ([`bind_check_out`] binds the four).
pub(crate) fn check_out_sql() -> String {
    format!(
        "UPDATE attendance SET status = 'attended', check_out_at = $1, updated_at = $2 \
         WHERE id = $3 AND lawyer_id = $4 AND status = 'checked_in' \
         AND (checkout_from IS NULL OR $1 >= checkout_from) \
         AND (checkout_until IS NULL OR $1 <= checkout_until) AND NOT {} RETURNING {COLS}",
        locked_day("attendance.centre_id", "attendance.date")
    )
}

/// Binds `$1` to `$4` of [`check_out_sql`].
pub(crate) fn bind_check_out(
    q: OwnedQuery,
    id: i64,
    lawyer: &LawyerId,
    at: chrono::DateTime<Utc>,
) -> OwnedQuery {
    q.bind(to_instant(at))
        .bind(to_instant(Utc::now()))
        .bind(id)
        .bind(lawyer.as_str().to_string())
}

/// Why record `id` could not be checked out by `lawyer`, when the update found no row: not
/// found when there is no such record of theirs (another lawyer's record is not shown to
/// exist), a conflict when it is theirs but not checked in.
pub(crate) async fn not_checked_out(
    conn: &mut Conn,
    id: i64,
    lawyer: &LawyerId,
    at: chrono::DateTime<Utc>,
) -> StoreError {
    match get_attendance(&mut *conn, id).await {
        Ok(Some(rec)) if &rec.duty.lawyer_id == lawyer => {
            if rec.status == AttendanceStatus::CheckedIn
                && let Ok(Some((from, until))) = checkout_window(&mut *conn, id).await
                && (at < from || at > until)
            {
                return StoreError::CheckOutWindow { from, until };
            }
            match ensure_open(conn, &rec.centre_id, rec.duty.date).await {
                Err(e) => e,
                Ok(()) => StoreError::Conflict(format!(
                    "attendance {id} is not checked in (already out, or excused)"
                )),
            }
        }
        Ok(_) => StoreError::NotFound(format!("attendance record {id} of {lawyer}")),
        Err(e) => e,
    }
}

/// When record `id`'s check-out counts, if it says.
async fn checkout_window(
    conn: &mut Conn,
    id: i64,
) -> Result<Option<(chrono::DateTime<Utc>, chrono::DateTime<Utc>)>, StoreError> {
    let row = sqlx::query("SELECT checkout_from, checkout_until FROM attendance WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(r) = row else { return Ok(None) };
    let key = id.to_string();
    let (from, until): (Option<String>, Option<String>) = (r.try_get(0)?, r.try_get(1)?);
    match (from, until) {
        (Some(f), Some(u)) => Ok(Some((
            parse_instant("attendance", &key, &f)?,
            parse_instant("attendance", &key, &u)?,
        ))),
        _ => Ok(None),
    }
}

/// Checks a lawyer out of their record `id` and returns it; see `not_checked_out` for
/// when it is refused.
pub async fn check_out(
    conn: &mut Conn,
    id: i64,
    lawyer: &LawyerId,
    at: chrono::DateTime<Utc>,
) -> Result<AttendanceRecord, StoreError> {
    let q = sqlx::query(sqlx::AssertSqlSafe(check_out_sql()));
    match bind_check_out(q, id, lawyer, at)
        .fetch_optional(&mut *conn)
        .await?
    {
        Some(r) => from_row(&r),
        None => Err(not_checked_out(conn, id, lawyer, at).await),
    }
}

/// Approves an outside-geofence check-in, or one rejected earlier (a rejection undone: in
/// an open month a voided record was voided by a rejection, corrections being for locked
/// months); refused in a locked month.
pub async fn approve(conn: &mut Conn, id: i64) -> Result<(), StoreError> {
    if let Some(rec) = get_attendance(&mut *conn, id).await? {
        ensure_open(&mut *conn, &rec.centre_id, rec.duty.date).await?;
    }
    let n = sqlx::query(
        "UPDATE attendance SET approved = TRUE, voided = FALSE, \
         reason = CASE WHEN voided THEN '' ELSE reason END, updated_at = $1 \
         WHERE id = $2 AND approved = FALSE",
    )
    .bind(to_instant(Utc::now()))
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected();
    if n == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(format!(
            "attendance {id} needs no approval"
        )))
    }
}

/// Rejects a check-in waiting for approval: voided, with the reason (refused in a locked
/// month, and when the record waits for nothing).
pub async fn reject(conn: &mut Conn, id: i64, reason: &str) -> Result<(), StoreError> {
    if let Some(rec) = get_attendance(&mut *conn, id).await? {
        ensure_open(&mut *conn, &rec.centre_id, rec.duty.date).await?;
    }
    let n = sqlx::query(
        "UPDATE attendance SET voided = TRUE, reason = $1, updated_at = $2 \
         WHERE id = $3 AND approved = FALSE AND voided = FALSE",
    )
    .bind(reason)
    .bind(to_instant(Utc::now()))
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected();
    if n == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(format!(
            "attendance {id} is not waiting for approval"
        )))
    }
}

/// Records of a centre's duties between two days.
pub async fn list_attendance(
    conn: &mut Conn,
    centre: &CentreId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<AttendanceRecord>, StoreError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM attendance WHERE centre_id = $1 AND date >= $2 AND date <= $3 \
         ORDER BY date, half_day, station_id, lawyer_id"
    )))
    .bind(centre.as_str())
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// A lawyer's attendance records, newest first, at most `limit`.
pub async fn lawyer_attendance(
    conn: &mut Conn,
    lawyer: &LawyerId,
    limit: u32,
) -> Result<Vec<AttendanceRecord>, StoreError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM attendance WHERE lawyer_id = $1 \
         ORDER BY date DESC, half_day DESC, station_id LIMIT $2"
    )))
    .bind(lawyer.as_str())
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Forgets the exact positions of a centre's check-ins made before `before`, keeping the
/// distance and the inside/outside verdict; how many were forgotten.
pub async fn forget_positions(
    conn: &mut Conn,
    centre: &CentreId,
    before: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let n = sqlx::query(
        "UPDATE attendance SET check_in_lat = NULL, check_in_lon = NULL \
         WHERE centre_id = $1 AND check_in_at < $2 AND check_in_lat IS NOT NULL",
    )
    .bind(centre.as_str())
    .bind(to_instant(before))
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n)
}

/// Locked months of a centre, oldest first.
pub async fn locked_months(
    conn: &mut Conn,
    centre: &CentreId,
) -> Result<Vec<LockedMonth>, StoreError> {
    let rows = sqlx::query(
        "SELECT centre_id, month, locked_at, locked_by, statement, policies FROM subsidy_months \
         WHERE centre_id = $1 ORDER BY month",
    )
    .bind(centre.as_str())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            let month: String = r.try_get("month")?;
            let t = "subsidy_months";
            Ok(LockedMonth {
                centre_id: centre.clone(),
                locked_at: parse_instant(t, &month, &r.try_get::<String, _>("locked_at")?)?,
                locked_by: r.try_get("locked_by")?,
                statement: decode_doc(t, &month, &r.try_get::<String, _>("statement")?)?,
                policies: serde_json::from_str(&r.try_get::<String, _>("policies")?)
                    .map_err(|e| corrupt(t, &month, e.to_string()))?,
                month,
            })
        })
        .collect()
}

/// Locks a month with its statement and the policies that priced it; a conflict if it is
/// locked already.
pub async fn lock_month(
    conn: &mut Conn,
    centre: &CentreId,
    month: zhiban_domain::month::Month,
    by: &str,
    statement: &Statement,
    policies: &[zhiban_domain::SubsidyPolicy],
) -> Result<(), StoreError> {
    let policies = serde_json::to_string(policies)
        .map_err(|e| corrupt("subsidy_months", "policies", e.to_string()))?;
    let r = sqlx::query(
        "INSERT INTO subsidy_months (centre_id, month, locked_at, locked_by, statement, first_day, \
         last_day, policies) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(centre.as_str())
    .bind(month.to_string())
    .bind(to_instant(Utc::now()))
    .bind(by)
    .bind(encode_doc(statement))
    .bind(month.first())
    .bind(month.last())
    .bind(policies)
    .execute(conn)
    .await;
    match r {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(StoreError::Conflict(
            format!("{month} of centre {centre} is approved already; it never changes"),
        )),
        Err(e) => Err(e.into()),
    }
}
