//! Open duties and their claims. A claim takes a post with one conditional update (of two
//! claimants of the last post, one wins on either database) in the transaction that
//! publishes the version holding the new duty.

use super::rosters::insert_version;
use super::{Conn, DbRow};
use super::{corrupt, parse_instant, to_instant};
use crate::StoreError;
use crate::records::*;
use sqlx::Row;
use zhiban_domain::{CentreId, HalfDay, StationId};

const COLS: &str = "id, roster_id, centre_id, station_id, date, half_day, posts, extra, filled, \
                    status, note, created_at, created_by";

fn from_row(r: &DbRow) -> Result<OpenDuty, StoreError> {
    let id: i64 = r.try_get("id")?;
    let key = id.to_string();
    let t = "open_duties";
    let bad = |m: String| corrupt(t, &key, m);
    let n = |c: &str| -> Result<u32, StoreError> {
        Ok(u32::try_from(r.try_get::<i64, _>(c)?).unwrap_or(0))
    };
    Ok(OpenDuty {
        id,
        roster_id: r.try_get("roster_id")?,
        centre_id: CentreId::parse(&r.try_get::<String, _>("centre_id")?).map_err(bad)?,
        station_id: StationId::parse(&r.try_get::<String, _>("station_id")?).map_err(bad)?,
        date: r.try_get("date")?,
        half_day: HalfDay::parse(&r.try_get::<String, _>("half_day")?).map_err(bad)?,
        posts: n("posts")?,
        extra: r.try_get("extra")?,
        filled: n("filled")?,
        status: OpenDutyStatus::parse(&r.try_get::<String, _>("status")?).map_err(bad)?,
        note: r.try_get("note")?,
        created_at: parse_instant(t, &key, &r.try_get::<String, _>("created_at")?)?,
        created_by: r.try_get("created_by")?,
    })
}

/// Stores a new open duty.
pub async fn insert(conn: &mut Conn, d: &NewOpenDuty) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO open_duties (roster_id, centre_id, station_id, date, half_day, posts, extra, \
         status, note, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $9, $10) RETURNING id",
    )
    .bind(d.roster_id)
    .bind(d.centre_id.as_str())
    .bind(d.station_id.as_str())
    .bind(d.date)
    .bind(d.half_day.code())
    .bind(i64::from(d.posts))
    .bind(d.extra)
    .bind(&d.note)
    .bind(to_instant(d.now))
    .bind(&d.created_by)
    .fetch_one(conn)
    .await?)
}

/// An open duty.
pub async fn get(conn: &mut Conn, id: i64) -> Result<Option<OpenDuty>, StoreError> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM open_duties WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// Open duties of `centres` (all when none) from `from` on, only `open` ones when asked,
/// by date; at most `limit`.
pub async fn list(
    conn: &mut Conn,
    centres: Option<&[CentreId]>,
    from: chrono::NaiveDate,
    only_open: bool,
    limit: u32,
) -> Result<Vec<OpenDuty>, StoreError> {
    let centres = centres.map(|cs| {
        serde_json::Value::from(cs.iter().map(|c| c.as_str()).collect::<Vec<_>>()).to_string()
    });
    let within = if centres.is_some() {
        format!("centre_id IN {}", super::dialect::JSON_LIST_1)
    } else {
        "$1 IS NULL".into()
    };
    let open = if only_open {
        "status = 'open'"
    } else {
        "$3 IS NOT NULL"
    };
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM open_duties WHERE {within} AND date >= $2 AND {open} \
         ORDER BY date, half_day, id LIMIT $4"
    )))
    .bind(centres)
    .bind(from)
    .bind(only_open)
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// The extra posts (surges) open or filled at `centres` in `[from, to]`, by slot.
pub async fn extra_posts(
    conn: &mut Conn,
    centres: &[CentreId],
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> Result<Vec<(StationId, chrono::NaiveDate, HalfDay, u32)>, StoreError> {
    let list =
        serde_json::Value::from(centres.iter().map(|c| c.as_str()).collect::<Vec<_>>()).to_string();
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT station_id, date, half_day, posts FROM open_duties \
         WHERE centre_id IN {} AND extra AND status <> 'cancelled' AND date >= $2 AND date <= $3",
        super::dialect::JSON_LIST_1
    )))
    .bind(list)
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            let bad = |m: String| corrupt("open_duties", "extra", m);
            Ok((
                StationId::parse(&r.try_get::<String, _>("station_id")?).map_err(bad)?,
                r.try_get("date")?,
                HalfDay::parse(&r.try_get::<String, _>("half_day")?).map_err(bad)?,
                u32::try_from(r.try_get::<i64, _>("posts")?).unwrap_or(0),
            ))
        })
        .collect()
}

/// Withdraws the posts of an open duty not claimed yet, inside the caller's transaction:
/// with posts claimed it ends `filled` with those posts (the lawyers keep them), otherwise
/// `cancelled`; a conflict unless it was open.
pub async fn cancel(conn: &mut Conn, id: i64) -> Result<OpenDuty, StoreError> {
    let done = sqlx::query(
        "UPDATE open_duties SET \
         status = CASE WHEN filled > 0 THEN 'filled' ELSE 'cancelled' END, \
         posts = CASE WHEN filled > 0 THEN filled ELSE posts END \
         WHERE id = $1 AND status = 'open'",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let d = get(&mut *conn, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("open duty {id}")))?;
    if done == 0 {
        return Err(StoreError::Conflict(format!(
            "open duty {id} is {} already",
            d.status.code()
        )));
    }
    Ok(d)
}

/// Takes a post of open duty `c.open_duty_id` for `c.lawyer_id` and publishes `v` (the
/// roster with the lawyer added), inside the caller's transaction; a conflict when no post
/// is left, the lawyer claimed it already, or the published version changed meanwhile.
pub async fn claim(conn: &mut Conn, c: &NewClaim, v: &NewVersion) -> Result<i64, StoreError> {
    let took = sqlx::query(
        "UPDATE open_duties SET filled = filled + 1, \
         status = CASE WHEN filled + 1 >= posts THEN 'filled' ELSE status END \
         WHERE id = $1 AND status = 'open' AND filled < posts",
    )
    .bind(c.open_duty_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if took == 0 {
        return Err(StoreError::Conflict(
            "every post of this open duty is taken (or it was withdrawn)".into(),
        ));
    }
    let claimed: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM open_duty_claims WHERE open_duty_id = $1 AND lawyer_id = $2",
    )
    .bind(c.open_duty_id)
    .bind(c.lawyer_id.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    if claimed.is_some() {
        return Err(StoreError::Conflict(
            "you hold a post of this duty already".into(),
        ));
    }
    let version = insert_version(&mut *conn, v).await?;
    sqlx::query(
        "INSERT INTO open_duty_claims (open_duty_id, lawyer_id, claimed_at, claimed_by, version_id) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(c.open_duty_id)
    .bind(c.lawyer_id.as_str())
    .bind(to_instant(c.now))
    .bind(&c.claimed_by)
    .bind(version)
    .execute(&mut *conn)
    .await?;
    Ok(version)
}
