// Over the ~600-line sizing rule on purpose: the one implementation of the Store trait, each method a transaction around the SQL modules.
//! The aggregate traits of [`Store`] implemented once over the shared SQL modules; each
//! backend module compiles this file with its own `Backend`, `Conn` and dialect, and uses
//! of the backend only what `crate::backend` declares.

use super::{
    Backend, Conn, attendance, audit, calendar, centres, corrections, feeds, firms, jobs, lawyers,
    leave_requests, ledger, notifications, open_duties, reminders, rosters, settings, stations,
    swaps,
};
use crate::backend::{Backend as _, WriteTx as _};
use crate::prelude::*;
use crate::records::*;
use crate::{Counts, Dump, Revisions, StoreError};
use async_trait::async_trait;
use sqlx::Row;
use std::collections::BTreeSet;
use zhiban_domain::*;

async fn counts_on(conn: &mut Conn) -> Result<Counts, StoreError> {
    let r = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM centres), (SELECT COUNT(*) FROM firms), \
         (SELECT COUNT(*) FROM stations), (SELECT COUNT(*) FROM demand_rules), \
         (SELECT COUNT(*) FROM lawyers), (SELECT COUNT(*) FROM lawyer_unavailability), \
         (SELECT COUNT(*) FROM lawyer_leave), (SELECT COUNT(*) FROM lawyer_preferences), \
         (SELECT COUNT(*) FROM calendar_days)",
    )
    .fetch_one(conn)
    .await?;
    let n = |i: usize| -> Result<u64, StoreError> {
        Ok(u64::try_from(r.try_get::<i64, _>(i)?).unwrap_or(0))
    };
    Ok(Counts {
        centres: n(0)?,
        firms: n(1)?,
        stations: n(2)?,
        demand: n(3)?,
        lawyers: n(4)?,
        unavailability: n(5)?,
        leave: n(6)?,
        preferences: n(7)?,
        calendar: n(8)?,
    })
}

/// The whole data set, read on `conn` (inside a transaction: a consistent snapshot).
async fn dataset_on(conn: &mut Conn) -> Result<Dataset, StoreError> {
    let settings = settings::get_settings(&mut *conn)
        .await?
        .unwrap_or(Settings {
            name: "zhiban".into(),
            description: String::new(),
            rules: RuleSettings::default(),
            subsidy: vec![],
            labels: Default::default(),
        });
    Ok(Dataset {
        settings,
        centres: centres::list_centres(&mut *conn).await?,
        firms: firms::list_firms(&mut *conn).await?,
        stations: stations::list_stations(&mut *conn, None).await?,
        demand: stations::list_demand(&mut *conn).await?,
        lawyers: lawyers::list_lawyers(&mut *conn, None).await?,
        unavailability: lawyers::list_unavailability(&mut *conn).await?,
        leave: lawyers::list_leave(&mut *conn).await?,
        preferences: lawyers::list_preferences(&mut *conn).await?,
        calendar: calendar::get_calendar(&mut *conn).await?,
    })
}

#[async_trait]
impl PanelStore for Backend {
    async fn import_dataset(&self, ds: &Dataset) -> Result<Counts, StoreError> {
        let mut tx = self.write().await?;
        // A re-import may not reprice a month finance approved.
        let old = settings::get_settings(&mut tx)
            .await?
            .map(|s| s.subsidy)
            .unwrap_or_default();
        for c in centres::list_centres(&mut tx).await? {
            let locked: Vec<zhiban_domain::month::Month> =
                attendance::locked_months(&mut tx, &c.id)
                    .await?
                    .iter()
                    .filter_map(|m| zhiban_domain::month::Month::parse(&m.month).ok())
                    .collect();
            zhiban_domain::month::policies_keep_locked_months(
                &old,
                &ds.settings.subsidy,
                &c.id,
                &locked,
            )
            .map_err(StoreError::Locked)?;
        }
        // The records this import changes, for workbooks exported before it.
        let changed = {
            let mut before = dataset_on(&mut tx).await?;
            let mut next = ds.clone();
            before.normalize();
            next.normalize();
            settings::changed_records(&before, &next)
        };
        let mut p = settings::panel_write(&mut tx).await?;
        settings::put_settings(&mut p, &ds.settings).await?;
        for c in &ds.centres {
            centres::upsert_centre(&mut p, c).await?;
        }
        for f in &ds.firms {
            firms::upsert_firm(&mut p, f).await?;
        }
        for s in &ds.stations {
            stations::upsert_station(&mut p, s).await?;
            stations::replace_demand(
                &mut p,
                &s.id,
                ds.demand.iter().filter(|d| d.station_id == s.id),
            )
            .await?;
        }
        for l in &ds.lawyers {
            lawyers::upsert_lawyer(&mut p, l).await?;
            lawyers::replace_availability(
                &mut p,
                &l.id,
                ds.unavailability.iter().filter(|u| u.lawyer_id == l.id),
                ds.leave.iter().filter(|v| v.lawyer_id == l.id),
                ds.preferences.iter().filter(|p| p.lawyer_id == l.id),
            )
            .await?;
        }
        calendar::replace_years(&mut p, &ds.calendar).await?;
        for (kind, code) in &changed {
            settings::note_change(&mut p, kind, code).await?;
        }
        let counts = counts_on(&mut tx).await?;
        tx.commit().await?;
        Ok(counts)
    }

    async fn write_panel(&self, w: &PanelWrite, audits: &[Audit]) -> Result<Revisions, StoreError> {
        let mut tx = self.write().await?;
        // Duties that now start at other times take their unsent reminders along.
        let moved = reminders::moved_by(&mut tx, w).await?;
        let rev = settings::write_changes(&mut tx, w).await?;
        for centre in &moved {
            let now = w.now.unwrap_or_else(chrono::Utc::now);
            reminders::follow_policy(&mut tx, centre, now).await?;
        }
        for a in audits {
            audit::insert_audit(&mut tx, a).await?;
        }
        tx.commit().await?;
        Ok(rev)
    }

    async fn create_import(&self, i: &NewImport) -> Result<ImportRecord, StoreError> {
        let mut tx = self.write().await?;
        let rec = settings::insert_import(&mut tx, i).await?;
        tx.commit().await?;
        Ok(rec)
    }

    async fn get_import(&self, id: i64) -> Result<Option<ImportRecord>, StoreError> {
        settings::get_import(&mut *self.read_pool().acquire().await?, id).await
    }

    async fn create_leave_request(
        &self,
        r: &NewLeaveRequest,
        a: &Audit,
    ) -> Result<i64, StoreError> {
        let mut tx = self.write().await?;
        let id = leave_requests::insert(&mut tx, r).await?;
        let mut a = a.clone();
        a.target = format!("leave_request/{id}");
        audit::insert_audit(&mut tx, &a).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn get_leave_request(&self, id: i64) -> Result<Option<LeaveRequest>, StoreError> {
        leave_requests::get(&mut *self.read_pool().acquire().await?, id).await
    }

    async fn list_leave_requests(
        &self,
        q: &LeaveQuery,
        page: Page,
    ) -> Result<Paged<LeaveRequest>, StoreError> {
        leave_requests::list(&mut *self.read_pool().acquire().await?, q, page).await
    }

    async fn decide_leave_request(
        &self,
        d: &LeaveDecision,
        a: &Audit,
    ) -> Result<LeaveRequest, StoreError> {
        let mut tx = self.write().await?;
        let r = leave_requests::decide(&mut tx, d).await?;
        notifications::leave_decided(&mut tx, &r, d.now).await?;
        audit::insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(r)
    }

    async fn panel_changed_since(
        &self,
        revision: i64,
    ) -> Result<Vec<(String, String)>, StoreError> {
        settings::changed_since(&mut *self.read_pool().acquire().await?, revision).await
    }

    async fn apply_import(
        &self,
        id: i64,
        w: &PanelWrite,
        a: &Audit,
    ) -> Result<Revisions, StoreError> {
        let mut tx = self.write().await?;
        settings::mark_applied(&mut tx, id, &a.actor).await?;
        let rev = settings::write_changes(&mut tx, w).await?;
        audit::insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(rev)
    }

    async fn export_dataset(&self) -> Result<Dataset, StoreError> {
        // One read transaction, so the export is a consistent snapshot.
        let mut tx = self.read_pool().begin().await?;
        let ds = dataset_on(&mut tx).await?;
        tx.commit().await?;
        Ok(ds)
    }

    async fn revisions(&self) -> Result<Revisions, StoreError> {
        settings::get_revisions(&mut *self.read_pool().acquire().await?).await
    }

    async fn counts(&self) -> Result<Counts, StoreError> {
        let mut conn = self.read_pool().acquire().await?;
        counts_on(&mut conn).await
    }

    async fn list_centres(&self) -> Result<Vec<Centre>, StoreError> {
        centres::list_centres(&mut *self.read_pool().acquire().await?).await
    }

    async fn list_firms(&self) -> Result<Vec<Firm>, StoreError> {
        firms::list_firms(&mut *self.read_pool().acquire().await?).await
    }

    async fn list_stations(&self, centre: Option<&CentreId>) -> Result<Vec<Station>, StoreError> {
        stations::list_stations(&mut *self.read_pool().acquire().await?, centre).await
    }

    async fn list_lawyers(&self, centre: Option<&CentreId>) -> Result<Vec<Lawyer>, StoreError> {
        lawyers::list_lawyers(&mut *self.read_pool().acquire().await?, centre).await
    }

    async fn calendar(&self) -> Result<WorkingCalendar, StoreError> {
        calendar::get_calendar(&mut *self.read_pool().acquire().await?).await
    }

    async fn replace_lawyer_availability(
        &self,
        lawyer: &LawyerId,
        weekly: &[WeeklyUnavailability],
        leave: &[Leave],
        preferences: &[Preference],
        a: &Audit,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        let mut p = settings::panel_write(&mut tx).await?;
        lawyers::replace_availability(
            &mut p,
            lawyer,
            weekly.iter(),
            leave.iter(),
            preferences.iter(),
        )
        .await?;
        settings::note_change(&mut p, "availability", lawyer.as_str()).await?;
        audit::insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn centre_policy(&self, centre: &CentreId) -> Result<CentrePolicy, StoreError> {
        audit::get_policy(&mut *self.read_pool().acquire().await?, centre).await
    }

    async fn put_centre_policy(
        &self,
        centre: &CentreId,
        policy: &CentrePolicy,
        now: chrono::DateTime<chrono::Utc>,
        a: &Audit,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        let before = audit::get_policy(&mut tx, centre).await?;
        // Cached with the panel (`Revisions`): the `PanelTx` bumps its revision.
        audit::put_policy(&mut settings::panel_write(&mut tx).await?, centre, policy).await?;
        if (before.reminder_evening, before.reminder_before_minutes)
            != (policy.reminder_evening, policy.reminder_before_minutes)
        {
            reminders::follow_policy(&mut tx, centre, now).await?;
        }
        audit::insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn put_subsidy_policy(&self, p: &SubsidyPolicy, a: &Audit) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        // Serialised with approvals: a month cannot be locked between this check and the write.
        super::dialect::lock_centre(&mut tx, p.centre_id.as_str()).await?;
        let locked: Vec<zhiban_domain::month::Month> =
            attendance::locked_months(&mut tx, &p.centre_id)
                .await?
                .iter()
                .filter_map(|m| zhiban_domain::month::Month::parse(&m.month).ok())
                .collect();
        let mut s = settings::get_settings(&mut tx).await?.unwrap_or(Settings {
            name: "zhiban".into(),
            description: String::new(),
            rules: RuleSettings::default(),
            subsidy: vec![],
            labels: Default::default(),
        });
        zhiban_domain::month::policy_change_allowed(&s.subsidy, p, &locked)
            .map_err(StoreError::Locked)?;
        s.subsidy
            .retain(|x| !(x.centre_id == p.centre_id && x.effective_from == p.effective_from));
        s.subsidy.push(p.clone());
        s.subsidy.sort_by(|a, b| {
            (&a.centre_id, a.effective_from).cmp(&(&b.centre_id, b.effective_from))
        });
        settings::put_settings(&mut settings::panel_write(&mut tx).await?, &s).await?;
        audit::insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[async_trait]
impl RosterStore for Backend {
    async fn get_roster(&self, id: i64) -> Result<Option<RosterRecord>, StoreError> {
        rosters::get_roster(&mut *self.read_pool().acquire().await?, id).await
    }

    async fn list_rosters(
        &self,
        centres: Option<&[CentreId]>,
        page: Page,
    ) -> Result<Paged<RosterRecord>, StoreError> {
        rosters::list_rosters(&mut *self.read_pool().acquire().await?, centres, page).await
    }

    async fn list_versions(&self, roster: i64) -> Result<Vec<VersionRecord>, StoreError> {
        rosters::list_versions(&mut *self.read_pool().acquire().await?, roster).await
    }

    async fn get_version(&self, id: i64) -> Result<Option<StoredVersion>, StoreError> {
        let mut tx = self.read_pool().begin().await?;
        let v = rosters::get_version(&mut tx, id).await?;
        tx.commit().await?;
        Ok(v)
    }

    async fn create_version(&self, v: &NewVersion, a: &Audit) -> Result<i64, StoreError> {
        let mut tx = self.write().await?;
        let id = rosters::insert_version(&mut tx, v).await?;
        let mut a = a.clone();
        if a.target.is_empty() {
            a.target = format!("roster_version/{id}");
        }
        audit::insert_audit(&mut tx, &a).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn update_draft(
        &self,
        id: i64,
        revision: i64,
        assignments: &[zhiban_domain::Assignment],
        pins: &BTreeSet<zhiban_domain::Assignment>,
        report: &zhiban_domain::SolveReport,
        a: &Audit,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        rosters::update_draft(&mut tx, id, revision, assignments, pins, report).await?;
        audit::insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn publish_version(
        &self,
        id: i64,
        now: chrono::DateTime<chrono::Utc>,
        a: &Audit,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        rosters::publish_version(&mut tx, id, &a.actor, now).await?;
        audit::insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_duties(&self, q: &DutyQuery, page: Page) -> Result<Paged<Duty>, StoreError> {
        let mut tx = self.read_pool().begin().await?;
        let d = rosters::list_duties(&mut tx, q, page).await?;
        tx.commit().await?;
        Ok(d)
    }

    async fn create_swap(&self, s: &NewSwap, a: &Audit) -> Result<i64, StoreError> {
        let mut tx = self.write().await?;
        let id = swaps::insert_swap(&mut tx, s).await?;
        notifications::swap_changed(&mut tx, id, chrono::Utc::now()).await?;
        let mut a = a.clone();
        a.target = format!("swap/{id}");
        audit::insert_audit(&mut tx, &a).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn create_open_duty(&self, d: &NewOpenDuty, a: &Audit) -> Result<i64, StoreError> {
        let mut tx = self.write().await?;
        let id = open_duties::insert(&mut tx, d).await?;
        notifications::insert_many(&mut tx, &d.offers, d.now).await?;
        let mut a = a.clone();
        a.target = format!("open_duty/{id}");
        audit::insert_audit(&mut tx, &a).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn cancel_open_duty(
        &self,
        id: i64,
        now: chrono::DateTime<chrono::Utc>,
        a: &Audit,
    ) -> Result<OpenDuty, StoreError> {
        let mut tx = self.write().await?;
        let d = open_duties::cancel(&mut tx, id, now).await?;
        audit::insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(d)
    }

    async fn get_open_duty(&self, id: i64) -> Result<Option<OpenDuty>, StoreError> {
        open_duties::get(&mut *self.read_pool().acquire().await?, id).await
    }

    async fn list_open_duties(
        &self,
        centres: Option<&[CentreId]>,
        from: chrono::NaiveDate,
        only_open: bool,
        limit: u32,
    ) -> Result<Vec<OpenDuty>, StoreError> {
        let mut conn = self.read_pool().acquire().await?;
        open_duties::list(&mut conn, centres, from, only_open, limit).await
    }

    async fn extra_posts(
        &self,
        centres: &[CentreId],
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<Vec<(StationId, chrono::NaiveDate, zhiban_domain::HalfDay, u32)>, StoreError> {
        let mut conn = self.read_pool().acquire().await?;
        open_duties::extra_posts(&mut conn, centres, from, to).await
    }

    async fn claim_open_duty(
        &self,
        c: &NewClaim,
        v: &NewVersion,
        a: &Audit,
    ) -> Result<i64, StoreError> {
        let mut tx = self.write().await?;
        let version = open_duties::claim(&mut tx, c, v).await?;
        audit::insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(version)
    }

    async fn bid_open_duty(&self, c: &NewClaim, a: &Audit) -> Result<OpenDutyBid, StoreError> {
        let mut tx = self.write().await?;
        let bid = open_duties::bid(&mut tx, c).await?;
        audit::insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(bid)
    }

    async fn end_bid(
        &self,
        id: i64,
        bid: Option<i64>,
        lawyer: Option<&LawyerId>,
        to: BidStatus,
        now: chrono::DateTime<chrono::Utc>,
        a: &Audit,
    ) -> Result<OpenDutyBid, StoreError> {
        let mut tx = self.write().await?;
        let b = open_duties::end_bid(&mut tx, id, bid, lawyer, to, now).await?;
        audit::insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(b)
    }

    async fn list_bids(&self, ids: &[i64]) -> Result<Vec<OpenDutyBid>, StoreError> {
        let mut conn = self.read_pool().acquire().await?;
        open_duties::bids(&mut conn, ids).await
    }

    async fn get_swap(&self, id: i64) -> Result<Option<SwapRecord>, StoreError> {
        swaps::get_swap(&mut *self.read_pool().acquire().await?, id).await
    }

    async fn list_swaps(
        &self,
        centres: Option<&[CentreId]>,
        lawyer: Option<&LawyerId>,
        firm: Option<&FirmId>,
        page: Page,
    ) -> Result<Paged<SwapRecord>, StoreError> {
        swaps::list_swaps(
            &mut *self.read_pool().acquire().await?,
            centres,
            lawyer,
            firm,
            page,
        )
        .await
    }

    async fn set_swap_status(
        &self,
        id: i64,
        from: &[SwapStatus],
        to: SwapStatus,
        result: Option<&NewVersion>,
        a: &Audit,
    ) -> Result<Option<i64>, StoreError> {
        let mut tx = self.write().await?;
        let version = match result {
            Some(v) => Some(rosters::insert_version(&mut tx, v).await?),
            None => None,
        };
        swaps::set_swap_status(&mut tx, id, from, to, &a.actor, version).await?;
        notifications::swap_changed(&mut tx, id, chrono::Utc::now()).await?;
        audit::insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(version)
    }

    async fn duty_history(
        &self,
        lawyer: Option<&LawyerId>,
        station: Option<&StationId>,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<(Vec<PublishedVersion>, Vec<DutyVersion>), StoreError> {
        let mut tx = self.read_pool().begin().await?;
        let r = feeds::duty_history(&mut tx, lawyer, station, from, to).await?;
        tx.commit().await?;
        Ok(r)
    }
}

#[async_trait]
impl JobStore for Backend {
    async fn create_job(
        &self,
        centre: &CentreId,
        kind: JobKind,
        request: &serde_json::Value,
        roster_id: Option<i64>,
        a: &Audit,
    ) -> Result<i64, StoreError> {
        let mut tx = self.write().await?;
        let id = jobs::insert_job(&mut tx, centre, kind, request, roster_id, &a.actor).await?;
        let mut a = a.clone();
        a.target = format!("job/{id}");
        audit::insert_audit(&mut tx, &a).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn get_job(&self, id: i64) -> Result<Option<JobRecord>, StoreError> {
        jobs::get_job(&mut *self.read_pool().acquire().await?, id).await
    }

    async fn claim_next_job(&self, worker: &str) -> Result<Option<JobRecord>, StoreError> {
        let mut tx = self.write().await?;
        let job = jobs::claim_next_job(&mut tx, worker, chrono::Utc::now()).await?;
        tx.commit().await?;
        Ok(job)
    }

    async fn heartbeat_job(&self, id: i64, worker: &str) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let held = jobs::heartbeat_job(&mut tx, id, worker, chrono::Utc::now()).await?;
        tx.commit().await?;
        Ok(held)
    }

    async fn requeue_stale_jobs(
        &self,
        stale_before: chrono::DateTime<chrono::Utc>,
        max_attempts: u32,
    ) -> Result<(u64, u64), StoreError> {
        let mut tx = self.write().await?;
        let r = jobs::requeue_stale_jobs(&mut tx, stale_before, max_attempts, chrono::Utc::now())
            .await?;
        tx.commit().await?;
        Ok(r)
    }

    async fn set_job_progress(
        &self,
        id: i64,
        progress: &zhiban_domain::JobProgress,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        jobs::set_job_progress(&mut tx, id, progress).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn finish_job(
        &self,
        id: i64,
        worker: &str,
        result: Result<&NewVersion, &str>,
        a: &Audit,
    ) -> Result<Option<i64>, StoreError> {
        let mut tx = self.write().await?;
        let version = match result {
            Ok(v) => {
                let vid = rosters::insert_version(&mut tx, v).await?;
                jobs::finish_job(&mut tx, id, worker, Ok(vid)).await?;
                Some(vid)
            }
            Err(e) => {
                jobs::finish_job(&mut tx, id, worker, Err(e)).await?;
                None
            }
        };
        audit::insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(version)
    }
}

#[async_trait]
impl AttendanceStore for Backend {
    async fn create_attendance(
        &self,
        a: &NewAttendance,
        audit_entry: &Audit,
    ) -> Result<(AttendanceRecord, bool), StoreError> {
        // The usual case, a new record, in one round trip where the backend can.
        if let Some(rec) = self.insert_new_attendance(a, audit_entry).await? {
            return Ok((rec, true));
        }
        let mut tx = self.write().await?;
        // One lawyer's check-ins queue one behind another (PostgreSQL), so a retried
        // request finds the first one's record instead of racing it.
        super::dialect::lock(&mut tx, &format!("lawyer:{}", a.duty.lawyer_id)).await?;
        let (rec, new) = attendance::insert_attendance(&mut tx, a).await?;
        if !new {
            tx.commit().await?;
            return Ok((rec, false));
        }
        let mut au = audit_entry.clone();
        au.target = format!("attendance/{}", rec.id);
        audit::insert_audit(&mut tx, &au).await?;
        tx.commit().await?;
        Ok((rec, true))
    }

    async fn attendance_by_key(
        &self,
        lawyer: &LawyerId,
        key: &str,
    ) -> Result<Option<AttendanceRecord>, StoreError> {
        attendance::by_idempotency_key(&mut *self.read_pool().acquire().await?, lawyer, key).await
    }

    async fn get_attendance(&self, id: i64) -> Result<Option<AttendanceRecord>, StoreError> {
        attendance::get_attendance(&mut *self.read_pool().acquire().await?, id).await
    }

    async fn check_out(
        &self,
        id: i64,
        lawyer: &LawyerId,
        at: chrono::DateTime<chrono::Utc>,
        a: &Audit,
    ) -> Result<AttendanceRecord, StoreError> {
        self.check_out_attendance(id, lawyer, at, a).await
    }

    async fn approve_attendance(&self, id: i64, a: &Audit) -> Result<AttendanceRecord, StoreError> {
        let mut tx = self.write().await?;
        attendance::approve(&mut tx, id).await?;
        audit::insert_audit(&mut tx, a).await?;
        let rec = attendance::get_attendance(&mut tx, id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("attendance {id}")))?;
        tx.commit().await?;
        Ok(rec)
    }

    async fn reject_attendance(
        &self,
        id: i64,
        reason: &str,
        a: &Audit,
    ) -> Result<AttendanceRecord, StoreError> {
        let mut tx = self.write().await?;
        attendance::reject(&mut tx, id, reason).await?;
        audit::insert_audit(&mut tx, a).await?;
        let rec = attendance::get_attendance(&mut tx, id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("attendance {id}")))?;
        tx.commit().await?;
        Ok(rec)
    }

    async fn list_attendance(
        &self,
        centre: &CentreId,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<Vec<AttendanceRecord>, StoreError> {
        attendance::list_attendance(&mut *self.read_pool().acquire().await?, centre, from, to).await
    }

    async fn put_ledger(
        &self,
        e: &LedgerEntry,
        by: LedgerWriter,
        a: &Audit,
    ) -> Result<LedgerEntry, StoreError> {
        let mut tx = self.write().await?;
        let stored = ledger::put_ledger(&mut tx, e, by).await?;
        audit::insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn list_ledger(
        &self,
        centre: &CentreId,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<Vec<LedgerEntry>, StoreError> {
        let mut tx = self.read_pool().begin().await?;
        let l = ledger::list_ledger(&mut tx, centre, from, to).await?;
        tx.commit().await?;
        Ok(l)
    }

    async fn locked_months(&self, centre: &CentreId) -> Result<Vec<LockedMonth>, StoreError> {
        attendance::locked_months(&mut *self.read_pool().acquire().await?, centre).await
    }

    async fn lock_month(
        &self,
        centre: &CentreId,
        month: zhiban_domain::month::Month,
        statement: &Statement,
        policies: &[SubsidyPolicy],
        a: &Audit,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        super::dialect::lock_centre(&mut tx, centre.as_str()).await?;
        super::dialect::lock(&mut tx, &format!("month:{centre}")).await?;
        attendance::lock_month(&mut tx, centre, month, &a.actor, statement, policies).await?;
        audit::insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn apply_correction(
        &self,
        c: &NewCorrection,
        a: &Audit,
    ) -> Result<CorrectionRecord, StoreError> {
        let mut tx = self.write().await?;
        // Serialised with approvals of the centre's months.
        super::dialect::lock_centre(&mut tx, c.centre_id.as_str()).await?;
        let rec = corrections::apply_correction(&mut tx, c).await?;
        let mut au = a.clone();
        au.target = format!("correction/{}", rec.id);
        audit::insert_audit(&mut tx, &au).await?;
        tx.commit().await?;
        Ok(rec)
    }

    async fn list_corrections(
        &self,
        centre: &CentreId,
        month: Option<zhiban_domain::month::Month>,
    ) -> Result<Vec<CorrectionRecord>, StoreError> {
        corrections::list_corrections(&mut *self.read_pool().acquire().await?, centre, month).await
    }

    async fn confirm_ledger(
        &self,
        centre: &CentreId,
        duties: &[(StationId, chrono::NaiveDate, HalfDay, LawyerId, u32)],
        by: &str,
        a: &Audit,
    ) -> Result<u64, StoreError> {
        let mut tx = self.write().await?;
        let n = corrections::confirm_ledger(&mut tx, centre, duties, by).await?;
        audit::insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(n)
    }
}

#[async_trait]
impl FeedStore for Backend {
    async fn rotate_feed_token(
        &self,
        kind: FeedKind,
        subject: &str,
        hash: &str,
        a: &Audit,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        feeds::rotate_feed_token(&mut tx, kind, subject, hash).await?;
        audit::insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn feed_subject(&self, hash: &str) -> Result<Option<(FeedKind, String)>, StoreError> {
        feeds::feed_subject(&mut *self.read_pool().acquire().await?, hash).await
    }

    async fn replace_busy_times(
        &self,
        lawyer: &LawyerId,
        busy: &[BusyTime],
        a: &Audit,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        feeds::replace_busy(&mut tx, lawyer, busy).await?;
        audit::insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_busy_times(
        &self,
        lawyer: Option<&LawyerId>,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<BusyTime>, StoreError> {
        feeds::list_busy(&mut *self.read_pool().acquire().await?, lawyer, from, to).await
    }
}

#[async_trait]
impl AdminStore for Backend {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(self.read_pool()).await?;
        Ok(())
    }

    async fn create_token(&self, t: &NewToken, a: &Audit) -> Result<TokenRecord, StoreError> {
        let mut tx = self.write().await?;
        let rec = audit::insert_token(&mut tx, t).await?;
        audit::insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(rec)
    }

    async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError> {
        audit::find_token(&mut *self.read_pool().acquire().await?, hash).await
    }

    async fn revoke_token(&self, id: i64, a: &Audit) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let done = audit::revoke_token(&mut tx, id).await?;
        settings::bump_revision(&mut tx, "tokens").await?;
        audit::insert_audit(&mut tx, a).await?;
        tx.commit().await?;
        Ok(done)
    }

    async fn list_tokens(&self) -> Result<Vec<TokenListing>, StoreError> {
        audit::list_tokens(&mut *self.read_pool().acquire().await?).await
    }

    async fn touch_token(
        &self,
        id: i64,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        audit::touch_token(&mut tx, id, at).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_audit(
        &self,
        centre: Option<&CentreId>,
        page: Page,
    ) -> Result<Paged<AuditEntry>, StoreError> {
        audit::list_audit(&mut *self.read_pool().acquire().await?, centre, page).await
    }

    async fn backup_to(&self, path: &std::path::Path) -> Result<(), StoreError> {
        self.backup_file(path).await
    }

    async fn server_secret(&self, name: &str, candidate: &str) -> Result<String, StoreError> {
        let key = format!("secret:{name}");
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT(key) DO NOTHING",
        )
        .bind(&key)
        .bind(candidate)
        .execute(&mut *tx)
        .await?;
        let v: String = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(&key)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(v)
    }

    async fn dump_tables(&self) -> Result<Dump, StoreError> {
        use super::dialect::{LIST_COLUMNS, LIST_TABLES, cell};
        // One read transaction: a consistent snapshot.
        let mut tx = self.read_pool().begin().await?;
        let tables: Vec<String> = sqlx::query_scalar(LIST_TABLES).fetch_all(&mut *tx).await?;
        let mut out = Dump::new();
        for t in tables {
            let cols: Vec<String> = sqlx::query_scalar(LIST_COLUMNS)
                .bind(&t)
                .fetch_all(&mut *tx)
                .await?;
            let mut order: Vec<usize> = (0..cols.len()).collect();
            order.sort_by(|a, b| cols[*a].cmp(&cols[*b]));
            // Table and column names come from the schema itself, not from input.
            let list = cols
                .iter()
                .map(|c| format!("\"{c}\""))
                .collect::<Vec<_>>()
                .join(", ");
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {list} FROM \"{t}\"")))
                .fetch_all(&mut *tx)
                .await?;
            let mut lines = Vec::with_capacity(rows.len());
            for r in &rows {
                let mut line = String::new();
                for &i in &order {
                    if !line.is_empty() {
                        line.push('|');
                    }
                    line.push_str(&cols[i]);
                    line.push('=');
                    line.push_str(&cell(r, i)?.replace('\\', "\\\\").replace('|', "\\|"));
                }
                lines.push(line);
            }
            lines.sort();
            out.insert(t, lines);
        }
        tx.commit().await?;
        Ok(out)
    }
}
