//! Duty reminders in the outbox: scheduled when a roster is published (the evening before
//! a duty and shortly before it, at the centre's times), each a row due at its time, so
//! they survive restarts; a duty taken away by a later publication takes its unsent
//! reminders with it, and a duty added (or moved) gets its own.

use super::Conn;
use super::notifications::insert_many;
use crate::StoreError;
use crate::records::NewNotification;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use sqlx::Row;
use std::collections::BTreeMap;
use zhiban_domain::notify::DutyLine;
use zhiban_domain::notify_text::{Reminder, reminder_message, reminder_times};
use zhiban_domain::{CentreId, HalfDay, LawyerId, Role};

/// One duty: (date, half-day, station, role) of a lawyer.
pub type Duty = (NaiveDate, String, String, String);

/// The idempotency key of `lawyer`'s reminder of `kind` for duty `d`: the same for the
/// same duty in every version, so republishing an unchanged duty adds nothing.
fn key(kind: Reminder, lawyer: &str, d: &Duty) -> String {
    format!(
        "zhiban-{}-{}-{}-{}-{}-{}",
        kind.event(),
        d.2,
        d.0,
        d.1,
        d.3,
        lawyer
    )
}

/// A station's name, address, phone and half-day start times.
struct StationInfo {
    name: String,
    address: String,
    phone: String,
    am: NaiveTime,
    pm: NaiveTime,
}

async fn stations(
    conn: &mut Conn,
    ids: impl Iterator<Item = &String>,
) -> Result<BTreeMap<String, StationInfo>, StoreError> {
    let mut out = BTreeMap::new();
    for id in ids {
        if out.contains_key(id) {
            continue;
        }
        let Some(r) = sqlx::query(
            "SELECT name, address, phone, am_start, pm_start FROM stations WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        else {
            continue;
        };
        let time = |c: &str| -> Result<NaiveTime, StoreError> {
            let raw: String = r.try_get(c)?;
            NaiveTime::parse_from_str(&raw, "%H:%M")
                .or_else(|_| NaiveTime::parse_from_str(&raw, "%H:%M:%S"))
                .map_err(|e| super::corrupt("stations", id, format!("{c}: {e}")))
        };
        out.insert(
            id.clone(),
            StationInfo {
                name: r.try_get("name")?,
                address: r.try_get("address")?,
                phone: r.try_get("phone")?,
                am: time("am_start")?,
                pm: time("pm_start")?,
            },
        );
    }
    Ok(out)
}

/// In the caller's transaction: drops the unsent reminders of the duties `removed` and
/// schedules those of the duties `added` (by lawyer), of `centre`'s roster published at
/// `now`, at the centre's reminder times. With `keep_started`, a reminder already sent
/// over some channel (the rest waiting for quiet hours to end, or a retry), or being sent
/// now, is kept as it is: it is not sent again over the channels it reached.
pub async fn reschedule(
    conn: &mut Conn,
    centre: &CentreId,
    added: &BTreeMap<String, Vec<Duty>>,
    removed: &BTreeMap<String, Vec<Duty>>,
    now: DateTime<Utc>,
    keep_started: bool,
) -> Result<(), StoreError> {
    let mut gone = Vec::new();
    for (lawyer, duties) in removed {
        for d in duties {
            for kind in [Reminder::Evening, Reminder::Before] {
                gone.push(key(kind, lawyer, d));
            }
        }
    }
    for chunk in gone.chunks(200) {
        let list = serde_json::Value::from(chunk.to_vec()).to_string();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM notifications WHERE status = 'pending' AND idempotency_key IN {} \
             AND ($2 = 0 OR (delivered = '' AND lease_owner IS NULL))",
            super::dialect::JSON_LIST_1
        )))
        .bind(list)
        .bind(i64::from(keep_started))
        .execute(&mut *conn)
        .await?;
    }
    if added.is_empty() {
        return Ok(());
    }
    let policy = super::audit::get_policy(&mut *conn, centre).await?;
    if policy.reminder_evening.is_none() && policy.reminder_before_minutes == 0 {
        return Ok(());
    }
    let tz_name: Option<String> = sqlx::query_scalar("SELECT time_zone FROM centres WHERE id = $1")
        .bind(centre.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    let tz = zhiban_domain::parse_time_zone(tz_name.as_deref().unwrap_or(""))
        .unwrap_or(zhiban_domain::DEFAULT_TIME_ZONE);
    let info = stations(&mut *conn, added.values().flatten().map(|d| &d.2)).await?;
    let local_now = now.with_timezone(&tz).naive_local();
    // A local time in a gap (a clock put forward) counts as the time an hour later.
    let utc = |t: chrono::NaiveDateTime| {
        tz.from_local_datetime(&t)
            .earliest()
            .or_else(|| {
                tz.from_local_datetime(&(t + chrono::Duration::hours(1)))
                    .earliest()
            })
            .map(|t| t.to_utc())
    };
    let mut rows = Vec::new();
    for (lawyer, duties) in added {
        let Ok(lawyer_id) = LawyerId::parse(lawyer) else {
            continue;
        };
        for d in duties {
            let Some(st) = info.get(&d.2) else { continue };
            let half = HalfDay::parse(&d.1).unwrap_or(HalfDay::Am);
            let start_time = if half == HalfDay::Am { st.am } else { st.pm };
            let start = d.0.and_time(start_time);
            let Some(start_utc) = utc(start) else {
                continue;
            };
            let line = DutyLine {
                date: d.0,
                half_day: half,
                station: st.name.clone(),
                role: Role::parse(&d.3).unwrap_or(Role::Primary),
            };
            let times = reminder_times(
                start,
                policy.reminder_evening,
                policy.reminder_before_minutes,
                local_now,
            );
            for (kind, at) in times {
                let Some(due) = utc(at) else { continue };
                let m = reminder_message(kind, &line, start_time, &st.address, &st.phone);
                rows.push(NewNotification {
                    centre_id: centre.clone(),
                    lawyer_id: Some(lawyer_id.clone()),
                    audience: "lawyer",
                    event: kind.event().to_string(),
                    subject: m.subject,
                    body: m.body,
                    link: "/#view=mine".into(),
                    idempotency_key: key(kind, lawyer, d),
                    due,
                    expires_at: Some(start_utc),
                    urgent: false,
                });
            }
        }
    }
    insert_many(conn, &rows, now).await
}

/// In the caller's transaction, after `centre`'s reminder times changed: the unsent
/// reminders of its published duties from today on are scheduled again at the new times
/// (those already sent stay sent).
pub async fn follow_policy(
    conn: &mut Conn,
    centre: &CentreId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let today = local_today(&mut *conn, centre, now).await?;
    let rows = sqlx::query(
        "SELECT a.lawyer_id, a.date, a.half_day, a.station_id, a.role FROM assignments a \
         JOIN roster_versions v ON v.id = a.version_id JOIN rosters r ON r.id = v.roster_id \
         WHERE v.status = 'published' AND r.centre_id = $1 AND a.date >= $2",
    )
    .bind(centre.as_str())
    .bind(today)
    .fetch_all(&mut *conn)
    .await?;
    let mut duties: BTreeMap<String, Vec<Duty>> = BTreeMap::new();
    for r in rows {
        duties.entry(r.try_get("lawyer_id")?).or_default().push((
            r.try_get("date")?,
            r.try_get("half_day")?,
            r.try_get("station_id")?,
            r.try_get("role")?,
        ));
    }
    reschedule(conn, centre, &duties, &duties, now, true).await
}

/// The centres whose duties start at other times after panel write `w`: a station's
/// half-day start changed, or a centre's time zone (read before the write).
pub async fn moved_by(
    conn: &mut Conn,
    w: &crate::records::PanelWrite,
) -> Result<std::collections::BTreeSet<CentreId>, StoreError> {
    let mut moved = std::collections::BTreeSet::new();
    let time = |raw: &str| {
        NaiveTime::parse_from_str(raw, "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(raw, "%H:%M:%S"))
            .ok()
    };
    for st in &w.stations {
        let old = sqlx::query("SELECT am_start, pm_start FROM stations WHERE id = $1")
            .bind(st.id.as_str())
            .fetch_optional(&mut *conn)
            .await?;
        if let Some(r) = old {
            let (am, pm): (String, String) = (r.try_get("am_start")?, r.try_get("pm_start")?);
            if time(&am) != Some(st.am.start) || time(&pm) != Some(st.pm.start) {
                moved.insert(st.centre_id.clone());
            }
        }
    }
    for c in &w.centres {
        let old: Option<String> = sqlx::query_scalar("SELECT time_zone FROM centres WHERE id = $1")
            .bind(c.id.as_str())
            .fetch_optional(&mut *conn)
            .await?;
        if old.is_some_and(|tz| tz != c.time_zone.name()) {
            moved.insert(c.id.clone());
        }
    }
    Ok(moved)
}

/// The local date of `now` in `centre`'s time zone.
pub async fn local_today(
    conn: &mut Conn,
    centre: &CentreId,
    now: DateTime<Utc>,
) -> Result<NaiveDate, StoreError> {
    let tz_name: Option<String> = sqlx::query_scalar("SELECT time_zone FROM centres WHERE id = $1")
        .bind(centre.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    let tz = zhiban_domain::parse_time_zone(tz_name.as_deref().unwrap_or(""))
        .unwrap_or(zhiban_domain::DEFAULT_TIME_ZONE);
    Ok(now.with_timezone(&tz).date_naive())
}
