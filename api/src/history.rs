//! `zhiban demo-history --year Y`: a year of a city's duty work, made up but lived through
//! the real paths, for the demo and the reports' benchmarks. For each centre with
//! stations: rosters solved by the solver and published (26 weeks at a time, from the week
//! holding 1 January to the one holding 31 December); for each primary duty whose day has
//! passed, a check-in (mostly on time, some late, some outside the station's range and
//! approved, a few absences excused or missed; those of the current month outside the range
//! still wait for review) and its ledger (台账: consultations, plea agreements confirmed,
//! applications forwarded, a few late); and every month that is over approved by finance
//! with its statement. The messages this year would have brought (publications, reminders)
//! count as read in the page at their time; those still to come wait as usual. A seed
//! makes it repeatable: the same seed and panel give the same
//! year. A centre that already has rosters in the year is left alone.

use crate::AppState;
use crate::error::ApiError;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use zhiban_domain::month::Month;
use zhiban_domain::{CentreId, HalfDay, Role};
use zhiban_solver::{SolveInput, SolveSettings, solve};
use zhiban_store::{
    Audit, CheckInMethod, DutyQuery, LedgerApplication, LedgerEntry, LedgerWriter, NewAttendance,
    NewVersion, Page, RosterRef, VersionOrigin,
};

/// What was made.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct History {
    /// Rosters published.
    pub rosters: u32,
    /// Check-ins recorded (absences excused included).
    pub check_ins: u32,
    /// Ledger entries written.
    pub ledgers: u32,
    /// Months approved (centre × month).
    pub months: u32,
    /// Centres left alone (rosters in the year already).
    pub skipped: Vec<CentreId>,
}

/// A deterministic stream of numbers in [0, 1) from a seed and a key (SplitMix64).
fn roll(seed: u64, key: &str, n: u64) -> f64 {
    let mut x = seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for b in key.bytes() {
        x = (x ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3);
    }
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

fn audit(centre: &CentreId, action: &str, target: String) -> Audit {
    Audit {
        actor: "demo-history".into(),
        centre_id: Some(centre.clone()),
        action: action.into(),
        target,
        detail: serde_json::json!({"generated": true}),
    }
}

/// Makes year `year` of every centre with stations (see the module), seeded by `seed`,
/// solving each roster within `time_limit` seconds; `say` hears of each step.
pub async fn generate(
    state: &AppState,
    year: i32,
    seed: u64,
    time_limit: f64,
    say: &mut (dyn FnMut(String) + Send),
) -> Result<History, ApiError> {
    let bad = || ApiError::invalid("year", format!("{year} is not a year zhiban can plan"));
    let jan1 = NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(bad)?;
    let dec31 = NaiveDate::from_ymd_opt(year, 12, 31).ok_or_else(bad)?;
    let start = jan1 - Duration::days(i64::from(jan1.weekday().num_days_from_monday()));
    let weeks_total = u32::try_from((dec31 - start).num_days() / 7 + 1).unwrap_or(53);
    let ds = state.dataset().await?;
    let mut out = History::default();
    let centres: Vec<CentreId> = ds
        .centres
        .iter()
        .filter(|c| ds.stations.iter().any(|s| s.centre_id == c.id))
        .map(|c| c.id.clone())
        .collect();
    for centre in &centres {
        let existing = state
            .store
            .list_rosters(
                Some(std::slice::from_ref(centre)),
                Page {
                    limit: 1000,
                    offset: 0,
                },
            )
            .await?;
        if existing
            .items
            .iter()
            .any(|r| r.from <= dec31 && r.to() >= start)
        {
            out.skipped.push(centre.clone());
            continue;
        }
        let mut from = start;
        let mut left = weeks_total;
        while left > 0 {
            let weeks = left.min(26);
            let (_, problem) =
                crate::planning::problem_for(state, centre, from, weeks, None).await?;
            let settings = SolveSettings {
                time_limit: std::time::Duration::from_secs_f64(time_limit),
                ..SolveSettings::default()
            };
            let solved = tokio::task::spawn_blocking(move || {
                solve(
                    SolveInput {
                        problem: &problem,
                        pins: &[],
                        previous: None,
                    },
                    &settings,
                )
            })
            .await
            .map_err(|e| ApiError::Internal(e.into()))?
            .map_err(|e| ApiError::Conflict(e.to_string()))?;
            // Published a week before it starts, at 09:00 Beijing.
            let published = (from - Duration::days(7))
                .and_hms_opt(1, 0, 0)
                .map_or_else(Utc::now, |t| t.and_utc());
            let v = NewVersion {
                roster: RosterRef::New {
                    centre_id: centre.clone(),
                    from,
                    weeks,
                },
                based_on: None,
                origin: VersionOrigin::Solve,
                report: solved.report,
                assignments: solved.roster.assignments,
                pins: Default::default(),
                publish: true,
                created_by: "demo-history".into(),
                now: published,
            };
            state
                .store
                .create_version(&v, &audit(centre, "version.publish", String::new()))
                .await?;
            out.rosters += 1;
            say(format!("{centre}: published {weeks} weeks from {from}"));
            from += Duration::days(i64::from(weeks) * 7);
            left -= weeks;
        }
        lived(state, centre, jan1, dec31, seed, &mut out).await?;
        // The year's messages were read in the page then; only those still to come wait.
        state
            .store
            .settle_past_notifications(centre, state.now())
            .await?;
        say(format!("{centre}: check-ins and ledgers written"));
    }
    let skipped = out.skipped.clone();
    out.months = approve(state, &centres, &skipped, year).await?;
    Ok(out)
}

/// Check-ins and ledgers of `centre`'s published primary duties from `from` to `to` whose
/// day has passed.
async fn lived(
    state: &AppState,
    centre: &CentreId,
    from: NaiveDate,
    to: NaiveDate,
    seed: u64,
    out: &mut History,
) -> Result<(), ApiError> {
    let ds = state.dataset().await?;
    let tz = ds
        .centre(centre)
        .map_or(zhiban_domain::DEFAULT_TIME_ZONE, |c| c.time_zone);
    let now = state.now();
    let today = now.with_timezone(&tz).date_naive();
    let this_month = Month::of(today);
    let q = DutyQuery {
        centres: Some(vec![centre.clone()]),
        from: Some(from),
        to: Some(to.min(today - Duration::days(1))),
        ..DutyQuery::default()
    };
    let mut offset = 0;
    loop {
        let page = state
            .store
            .list_duties(
                &q,
                Page {
                    limit: 2000,
                    offset,
                },
            )
            .await?;
        let n = page.items.len();
        for d in page.items {
            let a = d.assignment;
            if a.role != Role::Primary {
                continue;
            }
            let Some(station) = ds.station(&a.station_id) else {
                continue;
            };
            let key = format!(
                "{}|{}|{:?}|{}",
                a.station_id, a.date, a.half_day, a.lawyer_id
            );
            let t = match a.half_day {
                HalfDay::Am => &station.am,
                HalfDay::Pm => &station.pm,
            };
            let at = |time: chrono::NaiveTime, minutes: i64| -> DateTime<Utc> {
                crate::notify::local_to_utc(tz, a.date.and_time(time)) + Duration::minutes(minutes)
            };
            let r = roll(seed, &key, 1);
            if (0.95..0.98).contains(&r) {
                continue; // missed
            }
            let excused = r >= 0.98;
            let late_by = if (0.85..0.91).contains(&r) {
                11 + (roll(seed, &key, 2) * 50.0) as i64
            } else {
                (roll(seed, &key, 2) * 8.0) as i64 - 5
            };
            let outside = (0.91..0.95).contains(&r);
            let waiting = outside && Month::of(a.date) == this_month;
            let rec = NewAttendance {
                centre_id: centre.clone(),
                roster_id: d.roster_id,
                duty: a.clone(),
                status: if excused {
                    zhiban_domain::attendance::AttendanceStatus::Excused
                } else {
                    zhiban_domain::attendance::AttendanceStatus::Attended
                },
                method: (!excused).then_some(CheckInMethod::App),
                check_in_at: (!excused).then(|| at(t.start, late_by)),
                check_out_at: (!excused).then(|| at(t.end, 2)),
                lat: (!excused).then_some(station.location.lat + if outside { 0.01 } else { 0.0 }),
                lon: (!excused).then_some(station.location.lon),
                distance_m: (!excused).then_some(if outside { 1100.0 } else { 40.0 }),
                minutes_late: u32::try_from(late_by.max(0)).unwrap_or(0),
                late: late_by > 10,
                outside_geofence: outside,
                approved: !excused && !waiting,
                proof: if excused { "" } else { "geofence" },
                checkout_window: None,
                reason: if excused {
                    "病假，已提前报备".into()
                } else {
                    String::new()
                },
                idempotency_key: None,
            };
            state
                .store
                .create_attendance(&rec, &audit(centre, "checkin.create", key.clone()))
                .await?;
            out.check_ins += 1;
            if excused {
                continue;
            }
            let entry = ledger_of(centre, &a, seed, &key, at(t.start, 60), at(t.end, 30));
            state
                .store
                .put_ledger(
                    &entry,
                    LedgerWriter::Coordinator,
                    &audit(centre, "ledger.put", key),
                )
                .await?;
            out.ledgers += 1;
        }
        offset += n as u64;
        if n == 0 || offset >= page.total {
            break;
        }
    }
    Ok(())
}

/// The ledger of duty `a` (key `key`): consultations, plea agreements confirmed, now and
/// then an application (received at `received`, mostly forwarded within hours); written at
/// `written`.
fn ledger_of(
    centre: &CentreId,
    a: &zhiban_domain::Assignment,
    seed: u64,
    key: &str,
    received: DateTime<Utc>,
    written: DateTime<Utc>,
) -> LedgerEntry {
    let applications = if roll(seed, key, 3) < 0.3 {
        let hours = if roll(seed, key, 4) < 0.1 { 30 } else { 3 };
        vec![LedgerApplication {
            applicant: "某当事人".into(),
            received_at: received,
            forwarded_at: Some(received + Duration::hours(hours)),
        }]
    } else {
        vec![]
    };
    let plea = (roll(seed, key, 5) * 3.0) as u32;
    LedgerEntry {
        centre_id: centre.clone(),
        station_id: a.station_id.clone(),
        date: a.date,
        half_day: a.half_day,
        lawyer_id: a.lawyer_id.clone(),
        consultations: (roll(seed, key, 6) * 7.0) as u32,
        plea_signings: plea,
        confirmed_plea_signings: Some(plea),
        confirmed_by: Some("demo-history".into()),
        confirmed_at: Some(written),
        quality: None,
        notes: String::new(),
        applications,
        updated_at: written,
        updated_by: "demo-history".into(),
    }
}

/// Approves every month of `year` that is over, for the centres made; how many.
async fn approve(
    state: &AppState,
    centres: &[CentreId],
    skipped: &[CentreId],
    year: i32,
) -> Result<u32, ApiError> {
    let ds = state.dataset().await?;
    let mut approved = 0;
    for centre in centres.iter().filter(|c| !skipped.contains(c)) {
        let tz = ds
            .centre(centre)
            .map_or(zhiban_domain::DEFAULT_TIME_ZONE, |c| c.time_zone);
        let today = state.now().with_timezone(&tz).date_naive();
        for m in 1..=12 {
            let Some(first) = NaiveDate::from_ymd_opt(year, m, 1) else {
                continue;
            };
            let month = Month::of(first);
            if month.last() >= today {
                break;
            }
            let s = crate::statement::statement_at(state, &ds, centre, month).await?;
            let policies = crate::statement::centre_policies(&ds, centre);
            state
                .store
                .lock_month(
                    centre,
                    month,
                    &s,
                    &policies,
                    &audit(
                        centre,
                        "statement.approve",
                        format!("statement/{centre}/{month}"),
                    ),
                )
                .await?;
            approved += 1;
        }
    }
    Ok(approved)
}

#[cfg(test)]
mod tests {
    use super::roll;

    #[test]
    fn rolls_are_repeatable_and_spread() {
        assert_eq!(roll(1, "a", 1), roll(1, "a", 1));
        assert_ne!(roll(1, "a", 1), roll(2, "a", 1));
        assert_ne!(roll(1, "a", 1), roll(1, "b", 1));
        let xs: Vec<f64> = (0..10_000).map(|i| roll(7, &i.to_string(), 1)).collect();
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
        let low = xs.iter().filter(|x| **x < 0.5).count();
        assert!((4_700..5_300).contains(&low), "{low}");
    }
}
