//! The notification outbox: messages written in the transaction of the change that causes
//! them, leased by dispatchers (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so two processes
//! never hold one row; SQLite has one writer), marked sent, or failed with the next attempt
//! (a dead letter after the last), and sent again on request.

use super::dialect::{FOR_UPDATE_SKIP_LOCKED, JSON_LIST_1};
use super::{Conn, DbRow};
use super::{corrupt, parse_instant, to_instant};
use crate::StoreError;
use crate::records::*;
use chrono::{DateTime, Utc};
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet};
use zhiban_domain::notify::{DutyLine, Message, SwapStep, roster_message};
use zhiban_domain::{CentreId, HalfDay, LawyerId, Role};

const COLS: &str = "id, centre_id, lawyer_id, event, subject, body, link, idempotency_key, \
    status, channel, attempts, next_attempt_at, last_error, created_at, sent_at, audience, \
    delivered, urgent, expires_at";

fn from_row(r: &DbRow) -> Result<Notification, StoreError> {
    let t = "notifications";
    let id: i64 = r.try_get("id")?;
    let key = id.to_string();
    let bad = |m: String| corrupt(t, &key, m);
    Ok(Notification {
        id,
        centre_id: CentreId::parse(&r.try_get::<String, _>("centre_id")?).map_err(bad)?,
        lawyer_id: r
            .try_get::<Option<String>, _>("lawyer_id")?
            .map(|l| LawyerId::parse(&l).map_err(bad))
            .transpose()?,
        event: r.try_get("event")?,
        subject: r.try_get("subject")?,
        body: r.try_get("body")?,
        link: r.try_get("link")?,
        idempotency_key: r.try_get("idempotency_key")?,
        status: NotificationStatus::parse(&r.try_get::<String, _>("status")?).map_err(bad)?,
        channel: r.try_get("channel")?,
        attempts: u32::try_from(r.try_get::<i64, _>("attempts")?).unwrap_or(0),
        next_attempt_at: parse_instant(t, &key, &r.try_get::<String, _>("next_attempt_at")?)?,
        last_error: r.try_get("last_error")?,
        created_at: parse_instant(t, &key, &r.try_get::<String, _>("created_at")?)?,
        sent_at: r
            .try_get::<Option<String>, _>("sent_at")?
            .map(|s| parse_instant(t, &key, &s))
            .transpose()?,
        audience: r.try_get("audience")?,
        delivered: r.try_get("delivered")?,
        urgent: r.try_get::<i64, _>("urgent")? != 0,
        expires_at: r
            .try_get::<Option<String>, _>("expires_at")?
            .map(|s| parse_instant(t, &key, &s))
            .transpose()?,
    })
}

type Duties = BTreeMap<String, BTreeSet<(chrono::NaiveDate, String, String, String)>>;

/// The duties of `version`, by lawyer: (date, half-day, station, role).
async fn duties_of(conn: &mut Conn, version: i64) -> Result<Duties, StoreError> {
    let rows = sqlx::query(
        "SELECT lawyer_id, date, half_day, station_id, role FROM assignments WHERE version_id = $1",
    )
    .bind(version)
    .fetch_all(&mut *conn)
    .await?;
    let mut by: Duties = BTreeMap::new();
    for r in rows {
        by.entry(r.try_get("lawyer_id")?).or_default().insert((
            r.try_get("date")?,
            r.try_get("half_day")?,
            r.try_get("station_id")?,
            r.try_get("role")?,
        ));
    }
    Ok(by)
}

/// Writes, in the caller's transaction, a message to each lawyer whose duties differ
/// between the series' `previous` published version (none: a first publication) and
/// `version`, now published: their duties, or what was added and taken away.
pub async fn roster_published(
    conn: &mut Conn,
    centre: &CentreId,
    version: i64,
    previous: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let new = duties_of(&mut *conn, version).await?;
    let old = match previous {
        Some(p) => duties_of(&mut *conn, p).await?,
        None => Duties::new(),
    };
    let names: BTreeMap<String, String> = sqlx::query(
        "SELECT id, name FROM stations WHERE id IN \
         (SELECT DISTINCT station_id FROM assignments WHERE version_id IN ($1, $2))",
    )
    .bind(version)
    .bind(previous)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
    .collect::<Result<_, StoreError>>()?;
    let centre_name: String = sqlx::query_scalar("SELECT name FROM centres WHERE id = $1")
        .bind(centre.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .unwrap_or_else(|| centre.to_string());
    let line =
        |(date, half, station, role): &(chrono::NaiveDate, String, String, String)| DutyLine {
            date: *date,
            half_day: HalfDay::parse(half).unwrap_or(HalfDay::Am),
            station: names
                .get(station)
                .cloned()
                .unwrap_or_else(|| station.clone()),
            role: Role::parse(role).unwrap_or(Role::Primary),
        };
    let empty = BTreeSet::new();
    let lawyers: BTreeSet<&String> = new.keys().chain(old.keys()).collect();
    let event = if previous.is_none() {
        "roster_published"
    } else {
        "roster_changed"
    };
    let today = super::reminders::local_today(&mut *conn, centre, now).await?;
    let mut rows = Vec::new();
    let (mut added_by, mut removed_by) = (BTreeMap::new(), BTreeMap::new());
    for l in lawyers {
        let (n, o) = (new.get(l).unwrap_or(&empty), old.get(l).unwrap_or(&empty));
        let added: Vec<_> = n.difference(o).cloned().collect();
        let removed: Vec<_> = o.difference(n).cloned().collect();
        let urgent = previous.is_some() && added.iter().chain(&removed).any(|d| d.0 == today);
        let lines = |ds: &[_]| ds.iter().map(line).collect::<Vec<DutyLine>>();
        let m = roster_message(
            &centre_name,
            previous.is_none(),
            &lines(&added),
            &lines(&removed),
        );
        let (Some(m), Ok(lawyer)) = (m, LawyerId::parse(l)) else {
            continue;
        };
        rows.push(NewNotification {
            centre_id: centre.clone(),
            lawyer_id: Some(lawyer),
            audience: "lawyer",
            event: event.to_string(),
            subject: m.subject,
            body: m.body,
            link: zhiban_domain::notify_text::link_of(event).into(),
            idempotency_key: format!("zhiban-roster-v{version}-{l}"),
            due: now,
            expires_at: None,
            urgent,
        });
        added_by.insert(l.clone(), added);
        removed_by.insert(l.clone(), removed);
    }
    insert_many(&mut *conn, &rows, now).await?;
    super::reminders::reschedule(conn, centre, &added_by, &removed_by, now, false).await
}

/// Writes `rows` in the caller's transaction, each once per idempotency key, many rows
/// to a statement.
pub async fn insert_many(
    conn: &mut Conn,
    rows: &[NewNotification],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    const COLS_IN: &str = "centre_id, lawyer_id, audience, event, subject, body, link, \
        idempotency_key, status, next_attempt_at, created_at, expires_at, urgent";
    // 12 values a row: at most 2,400 parameters a statement (SQLite allows 32,766).
    for chunk in rows.chunks(200) {
        let mut sql = format!("INSERT INTO notifications ({COLS_IN}) VALUES ");
        for i in 0..chunk.len() {
            let b = i * 12;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, 'pending', ${}, ${}, ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6,
                b + 7,
                b + 8,
                b + 9,
                b + 10,
                b + 11,
                b + 12
            ));
        }
        sql.push_str(" ON CONFLICT (idempotency_key) DO NOTHING");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for r in chunk {
            q = q
                .bind(r.centre_id.as_str().to_string())
                .bind(r.lawyer_id.as_ref().map(|l| l.as_str().to_string()))
                .bind(r.audience)
                .bind(r.event.clone())
                .bind(r.subject.clone())
                .bind(r.body.clone())
                .bind(r.link.clone())
                .bind(r.idempotency_key.clone())
                .bind(to_instant(r.due.max(now)))
                .bind(to_instant(r.due))
                .bind(r.expires_at.map(to_instant))
                .bind(i64::from(r.urgent));
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Writes message `m` to `lawyer` in the caller's transaction, once per `key`.
pub async fn insert(
    conn: &mut Conn,
    centre: &CentreId,
    lawyer: &str,
    event: &str,
    m: &Message,
    key: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let Ok(lawyer) = LawyerId::parse(lawyer) else {
        return Ok(());
    };
    let row = NewNotification {
        centre_id: centre.clone(),
        lawyer_id: Some(lawyer),
        audience: "lawyer",
        event: event.to_string(),
        subject: m.subject.clone(),
        body: m.body.clone(),
        link: zhiban_domain::notify_text::link_of(event).into(),
        idempotency_key: key.to_string(),
        due: now,
        expires_at: None,
        urgent: false,
    };
    insert_many(conn, &[row], now).await
}

/// Writes message `m` to `centre`'s `audience` (`coordinator` or `finance`) in the
/// caller's transaction, once per `key`.
pub async fn insert_staff(
    conn: &mut Conn,
    centre: &CentreId,
    audience: &'static str,
    event: &str,
    m: &Message,
    key: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let row = NewNotification {
        centre_id: centre.clone(),
        lawyer_id: None,
        audience,
        event: event.to_string(),
        subject: m.subject.clone(),
        body: m.body.clone(),
        link: zhiban_domain::notify_text::link_of(event).into(),
        idempotency_key: key.to_string(),
        due: now,
        expires_at: None,
        urgent: false,
    };
    insert_many(conn, &[row], now).await
}

/// Tells the lawyer of a decision on their leave request `r` (none for a withdrawal), in
/// the caller's transaction.
pub async fn leave_decided(
    conn: &mut Conn,
    r: &LeaveRequest,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    use zhiban_domain::leave_request::LeaveStatus;
    let approved = match r.status {
        LeaveStatus::Approved => true,
        LeaveStatus::Rejected => false,
        LeaveStatus::Requested | LeaveStatus::Withdrawn => return Ok(()),
    };
    let m = zhiban_domain::notify::leave_message(approved, r.from, r.to, r.half_day, &r.note);
    let key = format!("zhiban-leave-{}-{}", r.id, r.status.code());
    insert(
        conn,
        &r.centre_id,
        r.lawyer_id.as_str(),
        "leave_decided",
        &m,
        &key,
        now,
    )
    .await
}

/// The name of station or lawyer `id` (`table` is `stations` or `lawyers`), or the id.
async fn name_of(conn: &mut Conn, table: &str, id: &str) -> Result<String, StoreError> {
    let sql = if table == "stations" {
        "SELECT name FROM stations WHERE id = $1"
    } else {
        "SELECT name FROM lawyers WHERE id = $1"
    };
    Ok(sqlx::query_scalar(sql)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .unwrap_or_else(|| id.to_string()))
}

/// Tells the lawyers of swap `id` of the step it has just taken (`offered`: the taker;
/// `accepted`: the giver; approved or refused: both; withdrawn: the taker), in the
/// caller's transaction.
pub async fn swap_changed(conn: &mut Conn, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
    let Some(s) = super::swaps::get_swap(&mut *conn, id).await? else {
        return Ok(());
    };
    let station = name_of(&mut *conn, "stations", s.station_id.as_str()).await?;
    let giver = name_of(&mut *conn, "lawyers", s.from_lawyer.as_str()).await?;
    let taker = name_of(&mut *conn, "lawyers", s.to_lawyer.as_str()).await?;
    let centre: Option<String> = sqlx::query_scalar("SELECT centre_id FROM rosters WHERE id = $1")
        .bind(s.roster_id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(centre) = centre.and_then(|c| CentreId::parse(&c).ok()) else {
        return Ok(());
    };
    let duty = DutyLine {
        date: s.date,
        half_day: s.half_day,
        station,
        role: s.role,
    };
    let (to_giver, to_taker) = match s.status {
        SwapStatus::Offered => (None, Some(SwapStep::Offered)),
        SwapStatus::Accepted => (Some(SwapStep::Accepted), None),
        SwapStatus::Approved => (Some(SwapStep::Approved), Some(SwapStep::Approved)),
        SwapStatus::Rejected => (Some(SwapStep::Rejected), Some(SwapStep::Rejected)),
        SwapStatus::Cancelled => (None, Some(SwapStep::Rejected)),
    };
    let code = s.status.code();
    for (step, lawyer, other) in [
        (to_giver, &s.from_lawyer, &taker),
        (to_taker, &s.to_lawyer, &giver),
    ] {
        if let Some(step) = step {
            let m = zhiban_domain::notify::swap_message(step, &duty, other, &s.note);
            let key = format!("zhiban-swap-{id}-{code}-{lawyer}");
            insert(&mut *conn, &centre, lawyer.as_str(), "swap", &m, &key, now).await?;
        }
    }
    Ok(())
}

/// Tells the lawyers who bid for open duty `id` how it went: `winner` took the post, the
/// `losers` were passed over; in the caller's transaction.
pub async fn claims_decided(
    conn: &mut Conn,
    id: i64,
    winner: Option<&str>,
    losers: &[String],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if winner.is_none() && losers.is_empty() {
        return Ok(());
    }
    let Some(r) =
        sqlx::query("SELECT centre_id, station_id, date, half_day FROM open_duties WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
    else {
        return Ok(());
    };
    let centre = CentreId::parse(&r.try_get::<String, _>("centre_id")?)
        .map_err(|m| corrupt("open_duties", &id.to_string(), m))?;
    let station: String = r.try_get("station_id")?;
    let duty = DutyLine {
        date: r.try_get("date")?,
        half_day: HalfDay::parse(&r.try_get::<String, _>("half_day")?).unwrap_or(HalfDay::Am),
        station: name_of(&mut *conn, "stations", &station).await?,
        role: Role::Primary,
    };
    let all = winner
        .map(|w| (w.to_string(), true))
        .into_iter()
        .chain(losers.iter().map(|l| (l.clone(), false)));
    for (lawyer, won) in all {
        let m = zhiban_domain::notify_text::claim_message(&duty, won);
        let (event, what) = if won {
            ("claim_won", "won")
        } else {
            ("claim_lost", "lost")
        };
        let key = format!("zhiban-claim-{id}-{what}-{lawyer}");
        insert(&mut *conn, &centre, &lawyer, event, &m, &key, now).await?;
    }
    Ok(())
}

/// Leases up to `limit` messages due at `now` for `owner` until `until`: rows another
/// dispatcher holds (an unexpired lease, or a row lock) are skipped.
pub async fn lease(
    conn: &mut Conn,
    owner: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<Notification>, StoreError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE notifications SET lease_owner = $1, lease_until = $2 WHERE id IN \
         (SELECT id FROM notifications WHERE status = 'pending' AND next_attempt_at <= $3 \
          AND (lease_until IS NULL OR lease_until < $3) ORDER BY id LIMIT $4 \
          {FOR_UPDATE_SKIP_LOCKED}) RETURNING {COLS}"
    )))
    .bind(owner)
    .bind(to_instant(until))
    .bind(to_instant(now))
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?;
    let mut out: Vec<Notification> = rows.iter().map(from_row).collect::<Result<_, _>>()?;
    out.sort_by_key(|n| n.id);
    Ok(out)
}

/// Ends `owner`'s lease of message `id`: sent over `channel` (`Ok`), or failed with
/// `error` and due again at `next` (a dead letter with none). False when the lease was lost
/// (it expired and another dispatcher took the row).
pub async fn finish(
    conn: &mut Conn,
    id: i64,
    owner: &str,
    outcome: Finish<'_>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let q = match outcome {
        Finish::Sent { channels } => sqlx::query(
            "UPDATE notifications SET status = 'sent', channel = $1, delivered = $1, \
             sent_at = $2, attempts = attempts + 1, lease_owner = NULL, lease_until = NULL, \
             last_error = '' WHERE id = $3 AND lease_owner = $4 AND status = 'pending'",
        )
        .bind(channels.to_string())
        .bind(to_instant(now)),
        Finish::Failed {
            error,
            next,
            delivered,
        } => sqlx::query(
            "UPDATE notifications SET status = $1, last_error = $2, \
             next_attempt_at = COALESCE($3, next_attempt_at), attempts = attempts + 1, \
             delivered = $4, lease_owner = NULL, lease_until = NULL \
             WHERE id = $5 AND lease_owner = $6 AND status = 'pending'",
        )
        .bind(if next.is_some() { "pending" } else { "dead" })
        .bind(error.chars().take(500).collect::<String>())
        .bind(next.map(to_instant))
        .bind(delivered.to_string()),
        Finish::Held { until, delivered } => sqlx::query(
            "UPDATE notifications SET next_attempt_at = $1, delivered = $2, \
             lease_owner = NULL, lease_until = NULL \
             WHERE id = $3 AND lease_owner = $4 AND status = 'pending'",
        )
        .bind(to_instant(until))
        .bind(delivered.to_string()),
    };
    let n = q
        .bind(id)
        .bind(owner.to_string())
        .execute(conn)
        .await?
        .rows_affected();
    Ok(n == 1)
}

/// Makes dead letter `id` due again at `now`, with its attempts counted afresh; a
/// conflict unless it was dead.
pub async fn retry(
    conn: &mut Conn,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Notification, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE notifications SET status = 'pending', attempts = 0, next_attempt_at = $1 \
         WHERE id = $2 AND status = 'dead' RETURNING {COLS}"
    )))
    .bind(to_instant(now))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = row else {
        return Err(StoreError::Conflict(format!(
            "notification {id} is not a dead letter: only failed messages are sent again"
        )));
    };
    // The targets given up are tried again (those reached are not).
    let mut n = from_row(&r)?;
    n.delivered = zhiban_domain::notify_settle::clear_marks(&n.delivered);
    sqlx::query("UPDATE notifications SET delivered = $1 WHERE id = $2")
        .bind(&n.delivered)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(n)
}

/// A message.
pub async fn get(conn: &mut Conn, id: i64) -> Result<Option<Notification>, StoreError> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM notifications WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// Messages matching `q`, newest first, at most `limit`.
pub async fn list(
    conn: &mut Conn,
    q: &NotificationQuery,
    limit: u32,
) -> Result<Vec<Notification>, StoreError> {
    let centres = q.centres.as_ref().map(|cs| {
        serde_json::Value::from(cs.iter().map(|c| c.as_str()).collect::<Vec<_>>()).to_string()
    });
    // The centre filter is written out only when given (`$1 IS NULL` otherwise), as in
    // `list_duties`: PostgreSQL types `$1` by its one use.
    let within = if centres.is_some() {
        format!("centre_id IN {JSON_LIST_1}")
    } else {
        "$1 IS NULL".to_string()
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM notifications WHERE {within} \
         AND ($2 IS NULL OR lawyer_id = $2) AND ($3 IS NULL OR status = $3) \
         AND ($5 IS NULL OR audience = $5) AND ($6 IS NULL OR created_at <= $6) \
         ORDER BY id DESC LIMIT $4"
    )))
    .bind(centres)
    .bind(q.lawyer.as_ref().map(|l| l.as_str().to_string()))
    .bind(q.status.map(|s| s.code().to_string()))
    .bind(i64::from(limit))
    .bind(q.audience.map(str::to_string))
    .bind(q.due_by.map(to_instant))
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}
