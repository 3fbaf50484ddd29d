//! Open duties and their claims. A claim takes a post with one conditional update (of two
//! claimants of the last post, one wins on either database) in the transaction that
//! publishes the version holding the new duty.

use super::rosters::insert_version;
use super::{Conn, DbRow};
use super::{corrupt, parse_instant, to_instant};
use crate::StoreError;
use crate::records::*;
use sqlx::Row;
use zhiban_domain::{CentreId, HalfDay, LawyerId, StationId};

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
pub async fn cancel(
    conn: &mut Conn,
    id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<OpenDuty, StoreError> {
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
    if done == 1 {
        pass_waiting(&mut *conn, id, now).await?;
    }
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
    settle_bids(&mut *conn, c).await?;
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

/// After a claim of `c`: the lawyer's bid, if any, is picked; once no post is left, the bids
/// still waiting are passed over.
async fn settle_bids(conn: &mut Conn, c: &NewClaim) -> Result<(), StoreError> {
    let picked = sqlx::query(
        "UPDATE open_duty_bids SET status = 'picked', decided_at = $1 \
         WHERE open_duty_id = $2 AND lawyer_id = $3 AND status = 'waiting'",
    )
    .bind(to_instant(c.now))
    .bind(c.open_duty_id)
    .bind(c.lawyer_id.as_str())
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    let open: Option<String> = sqlx::query_scalar("SELECT status FROM open_duties WHERE id = $1")
        .bind(c.open_duty_id)
        .fetch_optional(&mut *conn)
        .await?;
    let passed = if open.as_deref() != Some("open") {
        pass_waiting(&mut *conn, c.open_duty_id, c.now).await?
    } else {
        Vec::new()
    };
    let winner = picked.then_some(c.lawyer_id.as_str());
    super::notifications::claims_decided(conn, c.open_duty_id, winner, &passed, c.now).await
}

/// Passes over the bids still waiting for open duty `id`; the lawyers passed over.
async fn pass_waiting(
    conn: &mut Conn,
    id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "UPDATE open_duty_bids SET status = 'passed', decided_at = $1 \
         WHERE open_duty_id = $2 AND status = 'waiting' RETURNING lawyer_id",
    )
    .bind(to_instant(now))
    .bind(id)
    .fetch_all(conn)
    .await?)
}

/// The columns of a bid, as [`bid_from_row`] reads them.
const BID_COLS: &str = "id, open_duty_id, lawyer_id, bid_at, bid_by, status, decided_at";

fn bid_from_row(r: &DbRow) -> Result<OpenDutyBid, StoreError> {
    let t = "open_duty_bids";
    let id: i64 = r.try_get("id")?;
    let key = id.to_string();
    let bad = |m: String| corrupt(t, &key, m);
    Ok(OpenDutyBid {
        id,
        open_duty_id: r.try_get("open_duty_id")?,
        lawyer_id: LawyerId::parse(&r.try_get::<String, _>("lawyer_id")?).map_err(bad)?,
        bid_at: parse_instant(t, &key, &r.try_get::<String, _>("bid_at")?)?,
        bid_by: r.try_get("bid_by")?,
        status: BidStatus::parse(&r.try_get::<String, _>("status")?).map_err(bad)?,
        decided_at: r
            .try_get::<Option<String>, _>("decided_at")?
            .map(|s| parse_instant(t, &key, &s))
            .transpose()?,
    })
}

/// Records a bid of `c.lawyer_id` for a post of open duty `c.open_duty_id`, inside the
/// caller's transaction: a conflict when the duty is not open, or the lawyer bid or holds a
/// post of it already (the unique key holds against a race); a withdrawn bid may be made
/// again.
pub async fn bid(conn: &mut Conn, c: &NewClaim) -> Result<OpenDutyBid, StoreError> {
    // A no-op update that holds the duty's row to the end of the transaction: a claim taking
    // the last post, or a withdrawal, then passes this bid over rather than missing it.
    let open =
        sqlx::query("UPDATE open_duties SET status = status WHERE id = $1 AND status = 'open'")
            .bind(c.open_duty_id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    if open == 0 {
        return Err(StoreError::Conflict(
            "every post of this open duty is taken (or it was withdrawn)".into(),
        ));
    }
    let holds: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM open_duty_claims WHERE open_duty_id = $1 AND lawyer_id = $2",
    )
    .bind(c.open_duty_id)
    .bind(c.lawyer_id.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    if holds.is_some() {
        return Err(StoreError::Conflict(
            "you hold a post of this duty already".into(),
        ));
    }
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO open_duty_bids (open_duty_id, lawyer_id, bid_at, bid_by, status) \
         VALUES ($1, $2, $3, $4, 'waiting') ON CONFLICT (open_duty_id, lawyer_id) \
         DO UPDATE SET status = 'waiting', bid_at = excluded.bid_at, bid_by = excluded.bid_by, \
         decided_at = NULL WHERE open_duty_bids.status = 'withdrawn' RETURNING {BID_COLS}"
    )))
    .bind(c.open_duty_id)
    .bind(c.lawyer_id.as_str())
    .bind(to_instant(c.now))
    .bind(&c.claimed_by)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(r) => bid_from_row(&r),
        None => Err(StoreError::Conflict(
            "you have asked for a post of this duty already".into(),
        )),
    }
}

/// The bids for open duties `ids`, oldest first.
pub async fn bids(conn: &mut Conn, ids: &[i64]) -> Result<Vec<OpenDutyBid>, StoreError> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let list = serde_json::Value::from(ids.to_vec()).to_string();
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {BID_COLS} FROM open_duty_bids WHERE open_duty_id IN {} ORDER BY id",
        super::dialect::JSON_INT_LIST_1
    )))
    .bind(list)
    .fetch_all(conn)
    .await?;
    rows.iter().map(bid_from_row).collect()
}

/// Ends a waiting bid of open duty `id` as `to` (`declined` by a coordinator, `withdrawn`
/// by its lawyer), inside the caller's transaction: `bid` names one bid, `lawyer` the
/// lawyer's own. A conflict unless the bid was waiting.
pub async fn end_bid(
    conn: &mut Conn,
    id: i64,
    bid: Option<i64>,
    lawyer: Option<&LawyerId>,
    to: BidStatus,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<OpenDutyBid, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE open_duty_bids SET status = $1, decided_at = $2 \
         WHERE open_duty_id = $3 AND status = 'waiting' \
         AND ($4 IS NULL OR id = $4) AND ($5 IS NULL OR lawyer_id = $5) RETURNING {BID_COLS}"
    )))
    .bind(to.code())
    .bind(to_instant(now))
    .bind(id)
    .bind(bid)
    .bind(lawyer.map(|l| l.as_str().to_string()))
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(r) => bid_from_row(&r),
        None => Err(StoreError::Conflict(
            "there is no waiting bid to end".into(),
        )),
    }
}
