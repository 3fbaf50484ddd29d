//! Alerts found by looking, not caused by one change: every minute each `zhiban serve`
//! looks, per centre and in its local time, for
//! - a duty with no check-in `alert_late_minutes` after its start (to coordinators);
//! - a check-in outside the station's range waiting for review (to coordinators);
//! - posts still uncovered `alert_uncovered_days` before their date (to coordinators);
//! - a month ended with every check-in reviewed and not yet approved (to finance).
//!
//! Each alert has an idempotency key (the duty, the record, the centre and date, the
//! month), so several processes and repeated looks write it once.

use crate::AppState;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use std::collections::BTreeSet;
use zhiban_domain::notify::DutyLine;
use zhiban_domain::notify_text::{
    late_alert, month_ready_message, out_of_fence_alert, uncovered_alert,
};
use zhiban_domain::{Centre, HalfDay, Role};
use zhiban_store::{DutyQuery, NewNotification, Page, VersionStatus};

/// Whether `key` was looked at before (by this process: `Config::looked`).
fn seen(state: &AppState, key: &str) -> bool {
    state
        .notify
        .looked
        .lock()
        .map(|s| s.contains(key))
        .unwrap_or(false)
}

/// Notes `key` as looked at; whether this is the first look. Forgotten when it grows large.
fn first_look(state: &AppState, key: &str) -> bool {
    let Ok(mut s) = state.notify.looked.lock() else {
        return true;
    };
    if s.len() > 100_000 {
        s.clear();
    }
    s.insert(key.to_string())
}

/// How often the alerts are looked for.
pub const EVERY: std::time::Duration = std::time::Duration::from_secs(60);

fn staff(
    centre: &Centre,
    audience: &'static str,
    event: &str,
    m: zhiban_domain::notify::Message,
    key: String,
    now: DateTime<Utc>,
) -> NewNotification {
    NewNotification {
        centre_id: centre.id.clone(),
        lawyer_id: None,
        audience,
        event: event.to_string(),
        subject: m.subject,
        body: m.body,
        link: zhiban_domain::notify_text::link_of(event).to_string(),
        idempotency_key: key,
        due: now,
        expires_at: None,
        // A duty under way without its lawyer is today's matter: its SMS goes in quiet
        // hours too.
        urgent: event == "late_alert",
    }
}

/// Looks once at `now`; how many alerts were written (repeats included, dropped by key).
/// A centre whose look fails is logged and left for the next look; the others go on.
pub async fn scan(state: &AppState, now: DateTime<Utc>) -> Result<usize, String> {
    let ds = state.dataset().await.map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    // Keys decided once (a day's uncovered posts, a month's readiness), noted as looked at
    // only once what was found is written.
    let mut decided = Vec::new();
    for c in &ds.centres {
        if let Err(e) = centre_alerts(state, &ds, c, now, &mut rows, &mut decided).await {
            tracing::warn!(centre = %c.id, error = %e, "looking for a centre's alerts failed");
        }
    }
    let n = rows.len();
    state
        .store
        .write_notifications(&rows, now)
        .await
        .map_err(|e| e.to_string())?;
    for key in decided {
        first_look(state, &key);
    }
    Ok(n)
}

/// The alerts of centre `c` at `now`, added to `rows`; keys decided once to `decided`.
async fn centre_alerts(
    state: &AppState,
    ds: &zhiban_domain::Dataset,
    c: &Centre,
    now: DateTime<Utc>,
    rows: &mut Vec<NewNotification>,
    decided: &mut Vec<String>,
) -> Result<(), String> {
    {
        let policy = state
            .store
            .centre_policy(&c.id)
            .await
            .map_err(|e| e.to_string())?;
        let local = now.with_timezone(&c.time_zone).naive_local();
        let today = local.date();
        let stations: Vec<_> = ds.stations.iter().filter(|s| s.centre_id == c.id).collect();
        let name = |id: &zhiban_domain::StationId| {
            stations
                .iter()
                .find(|s| &s.id == id)
                .map_or_else(|| id.to_string(), |s| s.name.clone())
        };
        let lawyer = |id: &zhiban_domain::LawyerId| ds.lawyers.iter().find(|l| &l.id == id);
        // Today's check-ins (and yesterday's, for reviews still waiting).
        let records = state
            .store
            .list_attendance(&c.id, today - Duration::days(1), today)
            .await
            .map_err(|e| e.to_string())?;
        for r in &records {
            if r.outside_geofence && !r.approved && !r.voided {
                let duty = line(&r.duty, name(&r.duty.station_id));
                let who = lawyer(&r.duty.lawyer_id).map_or("律师", |l| l.name.as_str());
                let m = out_of_fence_alert(&duty, who, r.distance_m.map(|d| d.round() as u32));
                let key = format!("zhiban-outfence-{}", r.id);
                rows.push(staff(c, "coordinator", "out_of_fence", m, key, now));
            }
        }
        if policy.alert_late_minutes > 0 {
            let late = late_alerts(state, c, ds, policy.alert_late_minutes, &records, now).await?;
            rows.extend(late);
        }
        if policy.alert_uncovered_days > 0 {
            let day = today + Duration::days(i64::from(policy.alert_uncovered_days));
            let key = format!("zhiban-uncovered-{}-{day}", c.id);
            // Looked at once a day per centre (in this process): the date N days ahead.
            if !seen(state, &key) {
                decided.push(key.clone());
                let lines = uncovered_on(state, c, day, &name).await?;
                if !lines.is_empty() {
                    let m = uncovered_alert(day, &lines);
                    rows.push(staff(c, "coordinator", "uncovered", m, key, now));
                }
            }
        }
        if let Some(row) = month_ready(state, c, today, now, decided).await? {
            rows.push(row);
        }
    }
    Ok(())
}

/// To coordinators: today's primary duties of `centre` with no attendance record
/// `minutes` after their start (until the half-day ends).
async fn late_alerts(
    state: &AppState,
    c: &Centre,
    ds: &zhiban_domain::Dataset,
    minutes: u32,
    records: &[zhiban_store::AttendanceRecord],
    now: DateTime<Utc>,
) -> Result<Vec<NewNotification>, String> {
    let local = now.with_timezone(&c.time_zone).naive_local();
    let today = local.date();
    let checked: BTreeSet<_> = records
        .iter()
        .map(|r| {
            (
                r.duty.station_id.clone(),
                r.duty.date,
                r.duty.half_day,
                r.duty.lawyer_id.clone(),
            )
        })
        .collect();
    let duties = state
        .store
        .list_duties(
            &DutyQuery {
                centres: Some(vec![c.id.clone()]),
                from: Some(today),
                to: Some(today),
                ..DutyQuery::default()
            },
            Page {
                limit: 5000,
                offset: 0,
            },
        )
        .await
        .map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    for d in &duties.items {
        let a = &d.assignment;
        let Some(st) = ds.station(&a.station_id) else {
            continue;
        };
        let half = if a.half_day == HalfDay::Am {
            st.am
        } else {
            st.pm
        };
        let due = a.date.and_time(half.start) + Duration::minutes(i64::from(minutes));
        let end = a.date.and_time(half.end);
        let key = (
            a.station_id.clone(),
            a.date,
            a.half_day,
            a.lawyer_id.clone(),
        );
        if a.role != Role::Primary || local < due || local >= end || checked.contains(&key) {
            continue;
        }
        let l = ds.lawyer(&a.lawyer_id);
        let m = late_alert(
            &line(a, st.name.clone()),
            l.map_or("律师", |l| l.name.as_str()),
            l.map_or("", |l| l.phone.as_str()),
            minutes,
        );
        let key = format!(
            "zhiban-late-{}-{}-{}-{}",
            a.station_id,
            a.date,
            a.half_day.code(),
            a.lawyer_id
        );
        rows.push(staff(c, "coordinator", "late_alert", m, key, now));
    }
    Ok(rows)
}

fn line(a: &zhiban_domain::Assignment, station: String) -> DutyLine {
    DutyLine {
        date: a.date,
        half_day: a.half_day,
        station,
        role: a.role,
    }
}

/// The posts of `centre` on `day` its published rosters leave without a lawyer: each
/// station and half-day with how many are missing.
async fn uncovered_on(
    state: &AppState,
    centre: &Centre,
    day: NaiveDate,
    name: &(dyn Fn(&zhiban_domain::StationId) -> String + Sync),
) -> Result<Vec<(String, u32)>, String> {
    let e = |e: zhiban_store::StoreError| e.to_string();
    let rosters = state
        .store
        .list_rosters(
            Some(std::slice::from_ref(&centre.id)),
            Page {
                limit: 100,
                offset: 0,
            },
        )
        .await
        .map_err(e)?;
    let mut out = Vec::new();
    for r in rosters
        .items
        .iter()
        .filter(|r| r.from <= day && day <= r.to())
    {
        let versions = state.store.list_versions(r.id).await.map_err(e)?;
        let Some(v) = versions
            .iter()
            .find(|v| v.status == VersionStatus::Published)
        else {
            continue;
        };
        let Some(stored) = state.store.get_version(v.id).await.map_err(e)? else {
            continue;
        };
        for u in v
            .report
            .evaluation
            .uncovered
            .iter()
            .filter(|u| u.date == day)
        {
            // The report is the solve's; count what the published version holds now
            // (claims and repairs may have filled the post since).
            let held = stored
                .assignments
                .iter()
                .filter(|a| {
                    a.date == day
                        && a.half_day == u.half_day
                        && a.station_id == u.station_id
                        && a.role == Role::Primary
                })
                .count() as u32;
            let missing = u.wanted.saturating_sub(held);
            if missing > 0 {
                out.push((
                    format!("{} {}", name(&u.station_id), u.half_day.label_zh()),
                    missing,
                ));
            }
        }
    }
    Ok(out)
}

/// To finance, from the 1st of a month: last month's subsidies are ready to approve when
/// it had duties, no check-in of it waits for review, and it is not approved yet.
async fn month_ready(
    state: &AppState,
    centre: &Centre,
    today: NaiveDate,
    now: DateTime<Utc>,
    decided: &mut Vec<String>,
) -> Result<Option<NewNotification>, String> {
    let e = |e: zhiban_store::StoreError| e.to_string();
    if today.day() > 10 {
        return Ok(None);
    }
    let last = today.with_day(1).and_then(|d| d.pred_opt()).ok_or("date")?;
    let first = last.with_day(1).ok_or("date")?;
    let month = format!("{:04}-{:02}", last.year(), last.month());
    let key = format!("zhiban-month-ready-{}-{month}", centre.id);
    if seen(state, &key) {
        return Ok(None);
    }
    let locked = state.store.locked_months(&centre.id).await.map_err(e)?;
    if locked.iter().any(|m| m.month == month) {
        decided.push(key.clone());
        return Ok(None);
    }
    let duties = state
        .store
        .list_duties(
            &DutyQuery {
                centres: Some(vec![centre.id.clone()]),
                from: Some(first),
                to: Some(last),
                ..DutyQuery::default()
            },
            Page {
                limit: 1,
                offset: 0,
            },
        )
        .await
        .map_err(e)?;
    if duties.total == 0 {
        decided.push(key.clone());
        return Ok(None);
    }
    let month_records = state
        .store
        .list_attendance(&centre.id, first, last)
        .await
        .map_err(e)?;
    if month_records
        .iter()
        .any(|r| r.outside_geofence && !r.approved && !r.voided)
    {
        return Ok(None);
    }
    decided.push(key.clone());
    let m = month_ready_message(&centre.name, &month, duties.total);
    Ok(Some(staff(centre, "finance", "month_ready", m, key, now)))
}

/// Looks every [`EVERY`] for good.
pub fn start(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        loop {
            tick.tick().await;
            if let Err(e) = scan(&state, (state.clock)()).await {
                tracing::warn!(error = %e, "looking for alerts failed");
            }
        }
    });
}
