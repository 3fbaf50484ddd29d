// Over the ~600-line sizing rule on purpose: the eight aggregate traits are the store's whole contract, kept together so one file reads as the API of persistence.
//! zhiban-store: persistence behind one [`Store`] trait.
//!
//! [`Store`] is the sum of one trait per aggregate, so that each reads as a unit and a
//! caller names what it uses: [`PanelStore`] (data sets, centres, firms, stations, lawyers,
//! calendar, availability, centre and subsidy policies, revisions and counts),
//! [`RosterStore`] (series, versions, publication, duties, swaps, duty history),
//! [`JobStore`] (solve and repair jobs), [`AttendanceStore`] (check-ins, the ledger, locked
//! months, corrections, confirmations), [`FeedStore`] (feed tokens, busy times),
//! [`AdminStore`] (health, API tokens, audit log, backups, server secrets, table dumps) and
//! [`AccountStore`] (people's accounts, sessions, sign-in attempts).
//! `Arc<dyn Store>` is the handle; on a concrete store, `use zhiban_store::prelude::*;`
//! brings every method into scope.
//!
//! The embedded default is SQLite (bundled, WAL, foreign keys on, `synchronous=FULL`), one
//! file; [`postgres`] implements the same traits for several processes on one PostgreSQL
//! database. Both compile the same SQL modules (`src/sql/`, `$1`-style parameters) with a
//! small per-backend dialect. Modules:
//! - [`records`]: backend-neutral records, one module per aggregate ([`records::panel`],
//!   [`records::rosters`], [`records::jobs`], [`records::attendance`], [`records::feeds`],
//!   [`records::admin`]), all re-exported at the crate root;
//! - [`StoreError`] and [`ErrorClass`] (`error.rs`): what went wrong, classified for callers;
//! - [`sqlite`] and [`postgres`]: the two backends; each compiles the SQL modules of
//!   `src/sql/`, one per aggregate, each a set of `verb_noun` functions taking a connection or
//!   transaction (the caller owns begin and commit): [`sqlite::centres`], [`sqlite::firms`],
//!   [`sqlite::stations`] (with weekly demand), [`sqlite::lawyers`] (with unavailability,
//!   leave and preferences), [`sqlite::calendar`], [`sqlite::settings`]; [`sqlite::rosters`]
//!   (series, versions, assignments, published duties, jobs, swaps), [`sqlite::audit`] (audit
//!   log, API tokens, centre policies), [`sqlite::attendance`] (check-ins, ledger, locked
//!   subsidy months), [`sqlite::corrections`], [`sqlite::feeds`] (feed tokens, busy times,
//!   duty history); and `store_impl.rs`, the aggregate traits implemented once over them;
//! - [`migrate`]: moving a SQLite database to PostgreSQL, checked table by table;
//! - `backend.rs`: the contract a backend fulfils for the SQL modules and `store_impl.rs`:
//!   a `Backend` trait for its store type, and a documented module shape;
//! - `codec.rs`: encodings both backends share (instants, tags, weekdays).
//!
//! Importing a data set is one transaction: it either all lands or nothing changes. Every
//! other write records its audit entry in the same transaction as the change.
//!
//! ```no_run
//! # async fn demo(ds: zhiban_domain::Dataset) -> Result<(), zhiban_store::StoreError> {
//! let store = zhiban_store::connect("sqlite://zhiban.db").await?;
//! let summary = store.import_dataset(&ds).await?;
//! println!("{} lawyers", summary.lawyers);
//! let back = store.export_dataset().await?;
//! # Ok(()) }
//! ```

mod account_store;
mod backend;
mod codec;
mod error;
pub mod migrate;
mod notify_store;
pub mod postgres;
pub mod records;
pub mod sqlite;

pub use records::*;

use async_trait::async_trait;
use std::collections::BTreeSet;
use std::sync::Arc;
use zhiban_domain::{
    Assignment, Centre, CentreId, Dataset, Firm, FirmId, Lawyer, LawyerId, Leave, Preference,
    Station, WeeklyUnavailability, WorkingCalendar,
};

pub use account_store::AccountStore;
pub use error::{ErrorClass, StoreError};
pub use notify_store::NotifyStore;

/// Persistence for zhiban, one implementation per database: every aggregate's trait.
///
/// A blanket impl makes every type implementing the eight aggregate traits a `Store`, so
/// `Arc<dyn Store>` is the one handle the API passes around. Calling a method through it
/// needs its aggregate trait in scope: `use zhiban_store::prelude::*;`.
pub trait Store:
    PanelStore
    + RosterStore
    + JobStore
    + AttendanceStore
    + FeedStore
    + AdminStore
    + AccountStore
    + NotifyStore
{
}

impl<T> Store for T where
    T: PanelStore
        + RosterStore
        + JobStore
        + AttendanceStore
        + FeedStore
        + AdminStore
        + AccountStore
        + NotifyStore
{
}

/// The [`Store`] trait and its aggregate traits, to bring their methods into scope.
pub mod prelude {
    pub use crate::{
        AccountStore, AdminStore, AttendanceStore, FeedStore, JobStore, NotifyStore, PanelStore,
        RosterStore, Store,
    };
}

/// The panel: importing and exporting data sets, centres, firms, stations, lawyers and
/// their availability, the working calendar, centre and subsidy policies, and the revision
/// counters that caches compare.
#[async_trait]
pub trait PanelStore: Send + Sync + 'static {
    /// Imports a whole, validated data set in one transaction. Records are matched by
    /// their codes: existing ones are updated, new ones added. A station's demand and
    /// contracted firms, a lawyer's unavailability, leave and preferences, and the
    /// calendar of each year the data set lists are replaced by the data set's.
    /// On any error nothing changes.
    async fn import_dataset(&self, ds: &Dataset) -> Result<Counts, StoreError>;

    /// Everything, as a data set.
    async fn export_dataset(&self) -> Result<Dataset, StoreError>;

    /// Writes changed firms, stations, weekly demand and lawyers in one transaction with
    /// their audit entries; a `Conflict` when the panel revision is no longer `w.base`. The
    /// new revisions.
    async fn write_panel(&self, w: &PanelWrite, audits: &[Audit]) -> Result<Revisions, StoreError>;

    /// Keeps a spreadsheet import's preview, and forgets previews never applied within a
    /// week (applying one answers 404 then: preview the workbook again).
    async fn create_import(&self, i: &NewImport) -> Result<ImportRecord, StoreError>;

    /// An import by id.
    async fn get_import(&self, id: i64) -> Result<Option<ImportRecord>, StoreError>;

    /// The panel records changed after panel revision `revision`, as (kind, code): kind
    /// `firm`, `station`, `demand` (a station's), `lawyer` or `availability` (a lawyer's).
    async fn panel_changed_since(&self, revision: i64)
    -> Result<Vec<(String, String)>, StoreError>;

    /// Stores a leave request (`requested`) with its audit entry; its id.
    async fn create_leave_request(
        &self,
        r: &NewLeaveRequest,
        audit: &Audit,
    ) -> Result<i64, StoreError>;

    /// A leave request.
    async fn get_leave_request(&self, id: i64) -> Result<Option<LeaveRequest>, StoreError>;

    /// Leave requests matching `q`, newest first.
    async fn list_leave_requests(
        &self,
        q: &LeaveQuery,
        page: Page,
    ) -> Result<Paged<LeaveRequest>, StoreError>;

    /// Decides or withdraws a waiting leave request in one transaction with its audit entry
    /// (an approval adds the leave to the lawyer's availability); a conflict if it was
    /// decided meanwhile. The request as it is now.
    async fn decide_leave_request(
        &self,
        d: &LeaveDecision,
        audit: &Audit,
    ) -> Result<LeaveRequest, StoreError>;

    /// Applies an import's records in one transaction and marks it applied, with its audit
    /// entry: a `Conflict` if it was applied already or the panel revision is no longer
    /// `w.base`.
    async fn apply_import(
        &self,
        id: i64,
        w: &PanelWrite,
        audit: &Audit,
    ) -> Result<Revisions, StoreError>;

    /// The revision counters of the panel and of published rosters: caches of either are
    /// current while these are unchanged.
    async fn revisions(&self) -> Result<Revisions, StoreError>;

    /// Rows per table.
    async fn counts(&self) -> Result<Counts, StoreError>;

    /// All centres, by code.
    async fn list_centres(&self) -> Result<Vec<Centre>, StoreError>;

    /// All firms, by code.
    async fn list_firms(&self) -> Result<Vec<Firm>, StoreError>;

    /// Stations, by code, of one centre or all.
    async fn list_stations(&self, centre: Option<&CentreId>) -> Result<Vec<Station>, StoreError>;

    /// Lawyers, by code, of one home centre or all.
    async fn list_lawyers(&self, centre: Option<&CentreId>) -> Result<Vec<Lawyer>, StoreError>;

    /// The working-day calendar.
    async fn calendar(&self) -> Result<WorkingCalendar, StoreError>;

    /// Replaces one lawyer's weekly unavailability, leave and preferences.
    async fn replace_lawyer_availability(
        &self,
        lawyer: &LawyerId,
        weekly: &[WeeklyUnavailability],
        leave: &[Leave],
        preferences: &[Preference],
        audit: &Audit,
    ) -> Result<(), StoreError>;

    /// A centre's policy (the default when none was set).
    async fn centre_policy(&self, centre: &CentreId) -> Result<CentrePolicy, StoreError>;

    /// Sets a centre's policy; new reminder times move the reminders not yet sent of its
    /// duties from `now` (the server's clock) on.
    async fn put_centre_policy(
        &self,
        centre: &CentreId,
        policy: &CentrePolicy,
        now: chrono::DateTime<chrono::Utc>,
        audit: &Audit,
    ) -> Result<(), StoreError>;

    /// Adds a subsidy policy version, or replaces the one of the same centre and date.
    async fn put_subsidy_policy(
        &self,
        policy: &zhiban_domain::SubsidyPolicy,
        audit: &Audit,
    ) -> Result<(), StoreError>;
}

/// Rosters: series, versions (drafts, publication), published duties, swaps, and the
/// history of published versions.
#[async_trait]
pub trait RosterStore: Send + Sync + 'static {
    /// A roster series.
    async fn get_roster(&self, id: i64) -> Result<Option<RosterRecord>, StoreError>;

    /// Roster series of some centres (None: all), newest period first.
    async fn list_rosters(
        &self,
        centres: Option<&[CentreId]>,
        page: Page,
    ) -> Result<Paged<RosterRecord>, StoreError>;

    /// The versions of a series, oldest first.
    async fn list_versions(&self, roster: i64) -> Result<Vec<VersionRecord>, StoreError>;

    /// A version with its assignments.
    async fn get_version(&self, id: i64) -> Result<Option<StoredVersion>, StoreError>;

    /// Stores a new version (publishing it at once if asked); its id. An empty
    /// `audit.target` is filled in with the new version.
    async fn create_version(&self, v: &NewVersion, audit: &Audit) -> Result<i64, StoreError>;

    /// Replaces a draft's assignments if it is still at `revision`; a conflict otherwise,
    /// or if it is not a draft.
    async fn update_draft(
        &self,
        id: i64,
        revision: i64,
        assignments: &[Assignment],
        pins: &BTreeSet<Assignment>,
        report: &zhiban_domain::SolveReport,
        audit: &Audit,
    ) -> Result<(), StoreError>;

    /// Publishes a draft, superseding the series' published version; a conflict if it is not
    /// a draft or another published roster of the centre overlaps its period. `now` is the
    /// server's clock (the publication's time, and from when reminders are scheduled).
    async fn publish_version(
        &self,
        id: i64,
        now: chrono::DateTime<chrono::Utc>,
        audit: &Audit,
    ) -> Result<(), StoreError>;

    /// Duties of published versions.
    async fn list_duties(&self, q: &DutyQuery, page: Page) -> Result<Paged<Duty>, StoreError>;

    /// Stores a swap offer.
    async fn create_swap(&self, s: &NewSwap, audit: &Audit) -> Result<i64, StoreError>;

    /// A swap.
    async fn get_swap(&self, id: i64) -> Result<Option<SwapRecord>, StoreError>;

    /// Stores an open duty with its audit entry; its id.
    async fn create_open_duty(&self, d: &NewOpenDuty, audit: &Audit) -> Result<i64, StoreError>;

    /// An open duty.
    async fn get_open_duty(&self, id: i64) -> Result<Option<OpenDuty>, StoreError>;

    /// Withdraws an open duty's unclaimed posts with the audit entry (passing over the bids
    /// still waiting); a conflict unless it was open. The open duty as it is now.
    async fn cancel_open_duty(
        &self,
        id: i64,
        now: chrono::DateTime<chrono::Utc>,
        audit: &Audit,
    ) -> Result<OpenDuty, StoreError>;

    /// Open duties of `centres` (all when none) from `from` on, by date; only those still
    /// open when `only_open`; at most `limit`.
    async fn list_open_duties(
        &self,
        centres: Option<&[CentreId]>,
        from: chrono::NaiveDate,
        only_open: bool,
        limit: u32,
    ) -> Result<Vec<OpenDuty>, StoreError>;

    /// Extra posts (surges) not withdrawn at `centres` in `[from, to]`: station, date,
    /// half-day and posts.
    async fn extra_posts(
        &self,
        centres: &[CentreId],
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<
        Vec<(
            zhiban_domain::StationId,
            chrono::NaiveDate,
            zhiban_domain::HalfDay,
            u32,
        )>,
        StoreError,
    >;

    /// Takes a post of an open duty and publishes `v` in one transaction with the audit
    /// entry; the new version's id. A conflict when no post is left, the lawyer holds one
    /// already, or the published version changed meanwhile. The lawyer's bid, if any, is
    /// picked, and once no post is left the bids still waiting are passed over.
    async fn claim_open_duty(
        &self,
        c: &NewClaim,
        v: &NewVersion,
        audit: &Audit,
    ) -> Result<i64, StoreError>;

    /// Records a bid for a post of an open duty (a centre that picks among claimants) with
    /// the audit entry. A conflict when the duty is not open, or the lawyer bid or holds a
    /// post of it already.
    async fn bid_open_duty(&self, c: &NewClaim, audit: &Audit) -> Result<OpenDutyBid, StoreError>;

    /// Ends a waiting bid of open duty `id` as `to` (declined or withdrawn) with the audit
    /// entry: `bid` names one bid, `lawyer` the lawyer's own. A conflict unless it waited.
    async fn end_bid(
        &self,
        id: i64,
        bid: Option<i64>,
        lawyer: Option<&LawyerId>,
        to: BidStatus,
        now: chrono::DateTime<chrono::Utc>,
        audit: &Audit,
    ) -> Result<OpenDutyBid, StoreError>;

    /// The bids for these open duties, oldest first.
    async fn list_bids(&self, open_duties: &[i64]) -> Result<Vec<OpenDutyBid>, StoreError>;

    /// Swaps of some centres and/or one lawyer and/or a firm's lawyers (giving or taking),
    /// newest first.
    async fn list_swaps(
        &self,
        centres: Option<&[CentreId]>,
        lawyer: Option<&LawyerId>,
        firm: Option<&FirmId>,
        page: Page,
    ) -> Result<Paged<SwapRecord>, StoreError>;

    /// Moves a swap from one of `from` to `to`, storing `result` (a version published at
    /// once) in the same transaction; the new version's id.
    async fn set_swap_status(
        &self,
        id: i64,
        from: &[SwapStatus],
        to: SwapStatus,
        result: Option<&NewVersion>,
        audit: &Audit,
    ) -> Result<Option<i64>, StoreError>;

    /// Published and superseded versions with matching duties in `[from, to]`, and those duties.
    async fn duty_history(
        &self,
        lawyer: Option<&LawyerId>,
        station: Option<&zhiban_domain::StationId>,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<(Vec<PublishedVersion>, Vec<DutyVersion>), StoreError>;
}

/// Solve and repair jobs, leased to worker processes.
#[async_trait]
pub trait JobStore: Send + Sync + 'static {
    /// Queues a solve or repair job; a conflict if the centre has one queued or running.
    async fn create_job(
        &self,
        centre: &CentreId,
        kind: JobKind,
        request: &serde_json::Value,
        roster_id: Option<i64>,
        audit: &Audit,
    ) -> Result<i64, StoreError>;

    /// A job.
    async fn get_job(&self, id: i64) -> Result<Option<JobRecord>, StoreError>;

    /// Leases the oldest queued job to `worker` (a process's name): it becomes running.
    /// Processes claiming at once each get a different job or none.
    async fn claim_next_job(&self, worker: &str) -> Result<Option<JobRecord>, StoreError>;

    /// Renews `worker`'s lease on a running job; false when it lost the lease.
    async fn heartbeat_job(&self, id: i64, worker: &str) -> Result<bool, StoreError>;

    /// Takes back running jobs whose lease was not renewed since `stale_before` (their
    /// process died): queued again under `max_attempts`, failed at it. (requeued, failed).
    async fn requeue_stale_jobs(
        &self,
        stale_before: chrono::DateTime<chrono::Utc>,
        max_attempts: u32,
    ) -> Result<(u64, u64), StoreError>;

    /// Records a running job's progress.
    async fn set_job_progress(
        &self,
        id: i64,
        progress: &zhiban_domain::JobProgress,
    ) -> Result<(), StoreError>;

    /// Ends a job `worker` holds, storing its version in the same transaction; the
    /// version's id. A conflict (and nothing stored) when the lease was lost.
    async fn finish_job(
        &self,
        id: i64,
        worker: &str,
        result: Result<&NewVersion, &str>,
        audit: &Audit,
    ) -> Result<Option<i64>, StoreError>;
}

/// Attendance: check-ins and check-outs, the duty ledger, locked (approved) subsidy
/// months, corrections of locked months, and confirmations of claimed plea agreements.
#[async_trait]
pub trait AttendanceStore: Send + Sync + 'static {
    /// Stores an attendance record. With an idempotency key the lawyer used before, returns
    /// that record unchanged (`false`: nothing new); a conflict if the duty has a record.
    async fn create_attendance(
        &self,
        a: &NewAttendance,
        audit: &Audit,
    ) -> Result<(AttendanceRecord, bool), StoreError>;

    /// The record a lawyer made with an idempotency key.
    async fn attendance_by_key(
        &self,
        lawyer: &LawyerId,
        key: &str,
    ) -> Result<Option<AttendanceRecord>, StoreError>;

    /// One attendance record.
    async fn get_attendance(&self, id: i64) -> Result<Option<AttendanceRecord>, StoreError>;

    /// Checks `lawyer` out of their record `id`, writing `audit` with it (its centre, when it
    /// names none, is the record's). Not found unless the record is theirs (another lawyer's
    /// is not shown to exist); a conflict unless it is checked in.
    async fn check_out(
        &self,
        id: i64,
        lawyer: &LawyerId,
        at: chrono::DateTime<chrono::Utc>,
        audit: &Audit,
    ) -> Result<AttendanceRecord, StoreError>;

    /// Rejects a check-in waiting for approval (e.g. outside the geofence): the record is
    /// voided with the coordinator's reason and never counts for pay. Refused (conflict) when
    /// it is not waiting, or its month is locked.
    async fn reject_attendance(
        &self,
        id: i64,
        reason: &str,
        a: &Audit,
    ) -> Result<AttendanceRecord, StoreError>;

    /// Approves an outside-geofence check-in.
    async fn approve_attendance(
        &self,
        id: i64,
        audit: &Audit,
    ) -> Result<AttendanceRecord, StoreError>;

    /// Attendance records of a centre's duties between two days.
    async fn list_attendance(
        &self,
        centre: &CentreId,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<Vec<AttendanceRecord>, StoreError>;

    /// Writes a duty's ledger entry as `by`, setting only the columns that writer owns, in
    /// one statement: a lawyer's write never undoes a coordinator's rating written meanwhile.
    /// A coordinator's write confirms its plea agreements as written; a lawyer's leaves the
    /// confirmed count as it was. Refused in a locked month. Returns the entry as stored.
    async fn put_ledger(
        &self,
        e: &LedgerEntry,
        by: LedgerWriter,
        audit: &Audit,
    ) -> Result<LedgerEntry, StoreError>;

    /// Ledger entries of a centre between two days.
    async fn list_ledger(
        &self,
        centre: &CentreId,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<Vec<LedgerEntry>, StoreError>;

    /// Months of a centre finance approved, oldest first.
    async fn locked_months(&self, centre: &CentreId) -> Result<Vec<LockedMonth>, StoreError>;

    /// Approves (locks) a month with its statement and the policy versions that priced it
    /// (frozen, to price later corrections); a conflict if locked already.
    async fn lock_month(
        &self,
        centre: &CentreId,
        month: zhiban_domain::month::Month,
        statement: &Statement,
        policies: &[zhiban_domain::SubsidyPolicy],
        audit: &Audit,
    ) -> Result<(), StoreError>;

    /// Applies a coordinator's correction of one duty in a locked month, with its audit
    /// entry, in one transaction; a conflict when the month is open.
    async fn apply_correction(
        &self,
        c: &NewCorrection,
        audit: &Audit,
    ) -> Result<CorrectionRecord, StoreError>;

    /// A centre's corrections (of one corrected month, or all), oldest first.
    async fn list_corrections(
        &self,
        centre: &CentreId,
        month: Option<zhiban_domain::month::Month>,
    ) -> Result<Vec<CorrectionRecord>, StoreError>;

    /// Confirms the claimed plea agreements of duties (station, day, half-day, lawyer, the
    /// claim the coordinator saw) of a centre, with one audit entry; returns how many entries
    /// were confirmed (a claim changed since it was seen stays pending).
    async fn confirm_ledger(
        &self,
        centre: &CentreId,
        duties: &[(
            zhiban_domain::StationId,
            chrono::NaiveDate,
            zhiban_domain::HalfDay,
            LawyerId,
            u32,
        )],
        by: &str,
        audit: &Audit,
    ) -> Result<u64, StoreError>;
}

/// Feeds: iCal feed tokens and imported busy times.
#[async_trait]
pub trait FeedStore: Send + Sync + 'static {
    /// Makes a new feed token for a lawyer or station, revoking the old one.
    async fn rotate_feed_token(
        &self,
        kind: FeedKind,
        subject: &str,
        hash: &str,
        audit: &Audit,
    ) -> Result<(), StoreError>;

    /// Whose feed a live token (by hash) opens.
    async fn feed_subject(&self, hash: &str) -> Result<Option<(FeedKind, String)>, StoreError>;

    /// Replaces a lawyer's busy times.
    async fn replace_busy_times(
        &self,
        lawyer: &LawyerId,
        busy: &[BusyTime],
        audit: &Audit,
    ) -> Result<(), StoreError>;

    /// Busy times overlapping `[from, to)`, of one lawyer or all.
    async fn list_busy_times(
        &self,
        lawyer: Option<&LawyerId>,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<BusyTime>, StoreError>;
}

/// Administration: health, API tokens, the audit log, backups, server secrets and the
/// canonical table dump.
#[async_trait]
pub trait AdminStore: Send + Sync + 'static {
    /// Checks the database answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Stores a new token's hash.
    async fn create_token(&self, t: &NewToken, audit: &Audit) -> Result<TokenRecord, StoreError>;

    /// The live token with this hash.
    async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>, StoreError>;

    /// Revokes a token; false when no live token has that id.
    async fn revoke_token(&self, id: i64, audit: &Audit) -> Result<bool, StoreError>;

    /// Every token, live ones first, newest first (at most 1,000).
    async fn list_tokens(&self) -> Result<Vec<TokenListing>, StoreError>;

    /// Notes a token's use (at most every five minutes).
    async fn touch_token(
        &self,
        id: i64,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError>;

    /// The audit log of one centre (or all), newest first.
    async fn list_audit(
        &self,
        centre: Option<&CentreId>,
        page: Page,
    ) -> Result<Paged<AuditEntry>, StoreError>;

    /// Writes a consistent copy of the whole database to a new file while it stays in use
    /// (SQLite `VACUUM INTO`); refuses an existing file.
    async fn backup_to(&self, path: &std::path::Path) -> Result<(), StoreError>;

    /// A server secret by name: the stored one, or `candidate` stored now if there is none
    /// (the first caller wins, so every process agrees).
    async fn server_secret(&self, name: &str, candidate: &str) -> Result<String, StoreError>;

    /// Every row of every table in a canonical text form (`column=value|...`, columns by
    /// name, flags as 0/1, dates as YYYY-MM-DD, NULL as `NULL`), rows sorted, from one
    /// snapshot: two databases, of either backend, with equal dumps hold the same content.
    async fn dump_tables(&self) -> Result<Dump, StoreError>;
}

/// Opens the database at `url` and brings its schema up to date.
///
/// `sqlite://PATH` (or `sqlite:PATH`, or a bare file path) opens or creates a SQLite file;
/// `sqlite::memory:` an in-memory database; `postgres://USER@HOST:PORT/DB` a PostgreSQL
/// database (created beforehand; zhiban creates its tables).
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Arc::new(postgres::PgStore::open(url).await?));
    }
    let url = if url.contains("://") || url.starts_with("sqlite:") {
        url.to_string()
    } else {
        format!("sqlite://{url}")
    };
    if !url.starts_with("sqlite:") {
        return Err(StoreError::InvalidUrl {
            url: redact(&url),
            message: "expected sqlite://PATH".into(),
        });
    }
    Ok(Arc::new(sqlite::SqliteStore::open(&url).await?))
}

/// `url` with any password replaced by `***`, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &creds[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            redact("postgres://zb:secret@db:5432/x"),
            "postgres://zb:***@db:5432/x"
        );
        assert_eq!(redact("sqlite://a.db"), "sqlite://a.db");
    }
}
