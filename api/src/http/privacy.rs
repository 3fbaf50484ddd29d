//! Personal data (个人信息保护法): `GET /api/v1/me/data` gives a person everything zhiban
//! holds about them, as one JSON download: their account and sessions, and for a lawyer
//! their panel record (phone and e-mail included), availability, duties, swaps, check-ins with the
//! positions still kept, ledger entries, imported busy times, the messages sent to them and
//! their notification preferences; what the audit log holds
//! about them (what they did, and what was done to their account) and the sign-in attempts
//! under their login name. Each download is audited, and at most [`AT_ONCE`] are made at
//! once in a process.
//!
//! Positions of check-ins are kept exactly for the centre's `position_retention_days`
//! (default 90); `crate::retention` forgets them after that, keeping the distance and the
//! inside/outside verdict.

use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::http::out::{AttendanceOut, AuditOut, DutyOut, LedgerEntryOut, MeOut, SwapOut};
use crate::http::panel::Availability;
use crate::http::signin::SessionOut;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::{Lawyer, LawyerId};
use zhiban_store::{BusyTime, DutyQuery, Page, TokenRole};

/// Most records of each kind in one download (a lawyer on duty every working day for twenty
/// years stays below it); the download says when a list was cut, keeping the newest.
pub(crate) const MAX_RECORDS: u32 = 10_000;

/// Downloads made at once in one process; more wait their turn.
pub(crate) const AT_ONCE: usize = 2;

static DOWNLOADS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(AT_ONCE);

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(my_data))
}

/// Everything zhiban holds about the person asking.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MyData {
    /// When this was made (UTC).
    made_at: chrono::DateTime<chrono::Utc>,
    /// Who: the account (or token) and its reach.
    me: MeOut,
    /// The person's live sessions (signed-in people only).
    sessions: Vec<SessionOut>,
    /// The lawyer's record in the panel, phone and address position included.
    lawyer: Option<Lawyer>,
    /// The lawyer's weekly unavailability, leave and wishes.
    availability: Option<Availability>,
    /// Duties of published rosters, newest first.
    duties: Vec<DutyOut>,
    /// Swaps offered by or to the lawyer, newest first.
    swaps: Vec<SwapOut>,
    /// Check-ins, newest first; `check_in_lat`/`check_in_lon` are null once the centre's
    /// retention period has passed.
    check_ins: Vec<AttendanceOut>,
    /// Ledger entries (台账), newest first.
    ledger: Vec<LedgerEntryOut>,
    /// Busy times imported from the lawyer's own calendar.
    busy_times: Vec<BusyTime>,
    /// Messages to the lawyer (reminders scheduled for later included), newest first, with
    /// how each was delivered.
    notifications: Vec<zhiban_store::Notification>,
    /// The person's choice of notification channels and quiet hours.
    notification_prefs: Option<zhiban_domain::notify_route::Prefs>,
    /// A coordinator's or finance officer's own address and phone for notifications.
    notification_contact: Option<ContactOut>,
    /// Audit entries the person made, or that name their account or login name, newest
    /// first.
    audit: Vec<AuditOut>,
    /// Sign-in attempts under their login name (kept for a day), newest first.
    sign_in_attempts: Vec<AttemptOut>,
    /// Lists cut at [`MAX_RECORDS`] items, by name.
    truncated: Vec<&'static str>,
}

/// A staff member's own address and phone for notifications ('' for none).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ContactOut {
    /// E-mail address.
    email: String,
    /// Mobile phone.
    phone: String,
}

/// A sign-in attempt.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AttemptOut {
    /// The client's address.
    ip: String,
    /// When (UTC).
    at: chrono::DateTime<chrono::Utc>,
    /// Whether the password was right.
    ok: bool,
}

/// Downloads everything zhiban holds about the person asking, as JSON
/// (`zhiban-my-data.json`).
#[utoipa::path(get, path = "/api/v1/me/data", tag = "auth",
    responses((status = 200, body = MyData), (status = 401, body = crate::error::Problem)))]
async fn my_data(State(state): State<AppState>, who: Principal) -> Result<Response, ApiError> {
    let _turn = DOWNLOADS
        .acquire()
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let now = state.now();
    let sessions = match &who.session {
        Some(s) => state
            .store
            .list_sessions(s.1.id, now)
            .await?
            .into_iter()
            .map(|x| SessionOut::of(x, s.0.id))
            .collect(),
        None => vec![],
    };
    let mut data = MyData {
        made_at: now,
        me: MeOut::of(&who),
        sessions,
        lawyer: None,
        availability: None,
        duties: vec![],
        swaps: vec![],
        check_ins: vec![],
        ledger: vec![],
        busy_times: vec![],
        notifications: vec![],
        notification_prefs: None,
        notification_contact: None,
        audit: vec![],
        sign_in_attempts: vec![],
        truncated: vec![],
    };
    if let Some(l) = who.lawyer().cloned() {
        lawyer_data(&state, &l, &mut data).await?;
    }
    // An account is named by id (sign-ins, role changes), by login name (invitations) and
    // as a login attempted (failures, lockouts); a token by its id.
    let (account, targets) = match who.user() {
        Some(u) => (
            format!("user/{}", u.id),
            vec![
                format!("user/{}", u.id),
                format!("user/{}", u.login),
                format!("login/{}", u.login),
            ],
        ),
        None => {
            let t = format!("token/{}", who.token.id);
            (t.clone(), vec![t])
        }
    };
    data.audit = state
        .store
        .personal_audit(&who.actor(), &targets, MAX_RECORDS)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    // An account's own address, phone and choices, whatever its role now.
    if let Some(u) = who.user()
        && u.role != TokenRole::Lawyer
        && let Some(s) = state.store.staff_notify(u.id).await?
    {
        data.notification_prefs = Some(s.prefs);
        data.notification_contact = Some(ContactOut {
            email: s.email,
            phone: s.phone,
        });
    }
    if let Some(u) = who.user() {
        data.sign_in_attempts = state
            .store
            .login_attempts_of(&u.login)
            .await?
            .into_iter()
            .map(|a| AttemptOut {
                ip: a.ip,
                at: a.at,
                ok: a.ok,
            })
            .collect();
    }
    let a = who.audit(
        None,
        "privacy.download",
        account.clone(),
        serde_json::json!({"duties": data.duties.len(), "check_ins": data.check_ins.len()}),
    );
    state.store.record_audit(&a).await?;
    let body = serde_json::to_vec_pretty(&data).map_err(|e| ApiError::Internal(e.into()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"zhiban-my-data.json\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}

/// Fills in what is held about lawyer `l`.
async fn lawyer_data(state: &AppState, l: &LawyerId, data: &mut MyData) -> Result<(), ApiError> {
    let ds = state.dataset().await?;
    data.lawyer = ds.lawyer(l).cloned();
    data.availability = Some(Availability::of(&ds, l));
    let page = Page {
        limit: MAX_RECORDS,
        offset: 0,
    };
    let q = DutyQuery {
        lawyer: Some(l.clone()),
        ..DutyQuery::default()
    };
    let mut duties = state.store.list_duties(&q, page).await?;
    if duties.total > u64::from(MAX_RECORDS) {
        // Oldest first in the store: the newest are the last page.
        data.truncated.push("duties");
        let newest = Page {
            limit: MAX_RECORDS,
            offset: duties.total - u64::from(MAX_RECORDS),
        };
        duties = state.store.list_duties(&q, newest).await?;
    }
    data.duties = duties.items.into_iter().rev().map(Into::into).collect();
    let swaps = state.store.list_swaps(None, Some(l), None, page).await?;
    if swaps.total > u64::from(MAX_RECORDS) {
        data.truncated.push("swaps");
    }
    data.swaps = swaps.items.into_iter().map(Into::into).collect();
    let check_ins = state.store.lawyer_attendance(l, MAX_RECORDS).await?;
    if check_ins.len() >= MAX_RECORDS as usize {
        data.truncated.push("check_ins");
    }
    data.check_ins = check_ins.into_iter().map(Into::into).collect();
    let ledger = state.store.lawyer_ledger(l, MAX_RECORDS).await?;
    if ledger.len() >= MAX_RECORDS as usize {
        data.truncated.push("ledger");
    }
    data.ledger = ledger.into_iter().map(Into::into).collect();
    let q = zhiban_store::NotificationQuery {
        lawyer: Some(l.clone()),
        ..Default::default()
    };
    data.notifications = state.store.list_notifications(&q, MAX_RECORDS).await?;
    if data.notifications.len() >= MAX_RECORDS as usize {
        data.truncated.push("notifications");
    }
    data.notification_prefs = Some(state.store.notification_prefs(l).await?);
    let far = chrono::Duration::days(3660);
    data.busy_times = state
        .store
        .list_busy_times(Some(l), data.made_at - far, data.made_at + far)
        .await?;
    Ok(())
}
