//! Records of the panel beyond the domain's own types: a centre's policy for swaps and
//! check-ins, the revision counters that caches compare, and row counts.

use serde::{Deserialize, Serialize};

/// A centre's rules for swaps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CentrePolicy {
    /// Swaps only between lawyers of one firm.
    pub swap_same_firm: bool,
    /// A swap must be made at least this many hours before the duty starts.
    pub swap_min_hours: u32,
    /// Valid swaps take effect without a coordinator's approval.
    pub swap_auto_approve: bool,
    /// Check-in opens this many minutes before a duty starts (default 30).
    #[serde(default = "default_early")]
    pub checkin_early_minutes: u32,
    /// A check-in later than the start plus this many minutes is late (default 10).
    #[serde(default = "default_grace")]
    pub late_grace_minutes: u32,
    /// Check-out is accepted until this many minutes after a duty ends (default 60, at most
    /// 240).
    #[serde(default = "default_checkout_grace")]
    pub checkout_grace_minutes: u32,
    /// Time on site must cover this share of the half-day to count as attended (percent,
    /// default 50).
    #[serde(default = "default_presence")]
    pub min_presence_pct: u32,
    /// Plea agreements claimed on one duty above this are flagged as outliers (default 10).
    #[serde(default = "default_max_plea")]
    pub max_plea_signings: u32,
    /// What proves a lawyer was at the station: `geofence` (default), `code` (the station
    /// display's rotating code) or `both`. A check-in without the required proof is recorded
    /// and waits for a coordinator's approval.
    #[serde(default)]
    pub presence_proof: PresenceProof,
    /// Check-in positions are kept exactly for this many days (default 90, 1 to 3650);
    /// after it only the distance and the inside/outside verdict remain (个人信息保护法).
    #[serde(default = "default_retention")]
    pub position_retention_days: u32,
    /// Leave is requested at least this many days before it starts (default 3, at most 90).
    #[serde(default = "default_leave_notice")]
    pub leave_notice_days: u32,
    /// Whether the coordinator picks among the lawyers who claim an open duty (claims wait
    /// as bids); otherwise (the default) the first valid claim wins.
    #[serde(default)]
    pub claims_picked: bool,
    /// Lawyers' calendars remind them the evening before a duty at this local time
    /// (`HH:MM`, default `18:00`; null for no such reminder).
    #[serde(default = "default_reminder_evening")]
    #[schema(value_type = Option<String>, example = "18:00")]
    pub reminder_evening: Option<chrono::NaiveTime>,
    /// ... and this many minutes before it starts (default 60, at most 1440; 0 for none).
    #[serde(default = "default_reminder_before")]
    pub reminder_before_minutes: u32,
    /// Coordinators are told of a duty with no check-in this many minutes after its start
    /// (default 30, at most 240; 0 for never).
    #[serde(default = "default_alert_late")]
    pub alert_late_minutes: u32,
    /// ... and of posts still uncovered this many days before their date (default 3, at
    /// most 30; 0 for never).
    #[serde(default = "default_alert_uncovered")]
    pub alert_uncovered_days: u32,
    /// How the centre's rosters weigh fairness and spread duties over time (issue 25): by
    /// station kind or not, and the weight of each spread term.
    #[serde(default)]
    pub fairness: zhiban_domain::FairnessPolicy,
}

fn default_alert_late() -> u32 {
    30
}

fn default_alert_uncovered() -> u32 {
    3
}

fn default_reminder_evening() -> Option<chrono::NaiveTime> {
    chrono::NaiveTime::from_hms_opt(18, 0, 0)
}

fn default_reminder_before() -> u32 {
    60
}

fn default_leave_notice() -> u32 {
    3
}

fn default_retention() -> u32 {
    90
}

pub use zhiban_domain::presence::PresenceProof;

fn default_checkout_grace() -> u32 {
    60
}

fn default_presence() -> u32 {
    50
}

fn default_max_plea() -> u32 {
    10
}

impl CentrePolicy {
    /// The rules of [`zhiban_domain::attendance::assess`].
    pub fn presence(&self) -> zhiban_domain::attendance::Presence {
        zhiban_domain::attendance::Presence {
            early_minutes: self.checkin_early_minutes,
            checkout_grace_minutes: self.checkout_grace_minutes,
            min_presence_pct: self.min_presence_pct,
        }
    }
}

fn default_early() -> u32 {
    30
}

fn default_grace() -> u32 {
    10
}

impl Default for CentrePolicy {
    fn default() -> Self {
        Self {
            swap_same_firm: false,
            swap_min_hours: 24,
            swap_auto_approve: false,
            checkin_early_minutes: default_early(),
            late_grace_minutes: default_grace(),
            checkout_grace_minutes: default_checkout_grace(),
            min_presence_pct: default_presence(),
            max_plea_signings: default_max_plea(),
            presence_proof: PresenceProof::Geofence,
            position_retention_days: default_retention(),
            leave_notice_days: default_leave_notice(),
            claims_picked: false,
            reminder_evening: default_reminder_evening(),
            reminder_before_minutes: default_reminder_before(),
            alert_late_minutes: default_alert_late(),
            alert_uncovered_days: default_alert_uncovered(),
            fairness: zhiban_domain::FairnessPolicy::default(),
        }
    }
}

/// Counters bumped in the same transaction as every change of the panel (centres, firms,
/// stations, demand, lawyers, availability, calendar, settings, centre policies) and every publication of a
/// roster version, and every revocation of a token. Equal counters mean an unchanged panel or set of published versions, so
/// a cache (the API's panel cache, its iCal feeds) need only read these to stay exact.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Revisions {
    /// Panel changes.
    pub panel: i64,
    /// Publications.
    pub published: i64,
    /// Token revocations.
    pub tokens: i64,
}

/// Rows of each table after an import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Counts {
    /// Centres.
    pub centres: u64,
    /// Firms.
    pub firms: u64,
    /// Stations.
    pub stations: u64,
    /// Demand rules.
    pub demand: u64,
    /// Lawyers.
    pub lawyers: u64,
    /// Weekly unavailability rows.
    pub unavailability: u64,
    /// Leave rows.
    pub leave: u64,
    /// Preferences.
    pub preferences: u64,
    /// Calendar entries.
    pub calendar: u64,
}

impl Counts {
    /// Whether there is no panel at all.
    pub fn is_empty(&self) -> bool {
        self.centres == 0 && self.lawyers == 0 && self.stations == 0
    }
}

/// Changed panel records to write in one transaction (an edit in the page or the API, or an
/// import's apply).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PanelWrite {
    /// The panel revision the change was made against: refused if it moved on.
    pub base: Option<i64>,
    /// Firms to add or update.
    pub firms: Vec<zhiban_domain::Firm>,
    /// Stations to add or update, with their contracted firms.
    pub stations: Vec<zhiban_domain::Station>,
    /// Stations whose weekly demand is replaced, with the new rules.
    pub demand: Vec<(zhiban_domain::StationId, Vec<zhiban_domain::DemandRule>)>,
    /// Lawyers to add or update (their availability is kept unless listed below).
    pub lawyers: Vec<zhiban_domain::Lawyer>,
    /// Lawyers whose weekly unavailability, leave and wishes are replaced.
    #[serde(default)]
    pub availability: Vec<LawyerAvailability>,
    /// Centres to update (their name, pool sharing).
    #[serde(default)]
    pub centres: Vec<zhiban_domain::Centre>,
    /// Years of the working calendar replaced by these days.
    #[serde(default)]
    pub calendar: Option<zhiban_domain::WorkingCalendar>,
    /// The server's clock at the change (duties that now start at other times have their
    /// unsent reminders moved from then on); none: the real time.
    #[serde(default)]
    pub now: Option<chrono::DateTime<chrono::Utc>>,
}

/// One lawyer's availability, replaced whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LawyerAvailability {
    /// The lawyer.
    pub lawyer_id: zhiban_domain::LawyerId,
    /// Weekly half-days never available.
    pub weekly: Vec<zhiban_domain::WeeklyUnavailability>,
    /// Dated leave.
    pub leave: Vec<zhiban_domain::Leave>,
    /// Wishes.
    pub preferences: Vec<zhiban_domain::Preference>,
}

/// A spreadsheet import as previewed, and whether it was applied.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRecord {
    /// Id.
    pub id: i64,
    /// The centre whose panel it changes.
    pub centre_id: zhiban_domain::CentreId,
    /// `merge` or `replace`.
    pub mode: String,
    /// The panel revision the preview was made against.
    pub base_revision: i64,
    /// The preview: the records to write, the changes and the errors.
    pub preview: serde_json::Value,
    /// When it was previewed (UTC).
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// By whom.
    pub created_by: String,
    /// When it was applied, if it was.
    pub applied_at: Option<chrono::DateTime<chrono::Utc>>,
    /// By whom.
    pub applied_by: Option<String>,
}

/// A preview to keep.
#[derive(Debug, Clone)]
pub struct NewImport {
    /// The centre.
    pub centre_id: zhiban_domain::CentreId,
    /// `merge` or `replace`.
    pub mode: String,
    /// The panel revision it was made against.
    pub base_revision: i64,
    /// The preview.
    pub preview: serde_json::Value,
    /// By whom.
    pub created_by: String,
    /// When, by the server's clock.
    pub now: chrono::DateTime<chrono::Utc>,
}

/// A leave request (请假申请).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeaveRequest {
    /// Id.
    pub id: i64,
    /// Whose leave.
    pub lawyer_id: zhiban_domain::LawyerId,
    /// The lawyer's home centre when it was asked: whose coordinators decide it.
    pub centre_id: zhiban_domain::CentreId,
    /// First day away.
    pub from: chrono::NaiveDate,
    /// Last day away.
    pub to: chrono::NaiveDate,
    /// Only this half-day of each day, or whole days.
    pub half_day: Option<zhiban_domain::HalfDay>,
    /// Why (病假, 开庭, 年假…).
    pub reason: String,
    /// Where it stands.
    pub status: zhiban_domain::leave_request::LeaveStatus,
    /// When it was asked.
    pub requested_at: chrono::DateTime<chrono::Utc>,
    /// Who asked (the lawyer, or their firm's administrator).
    pub requested_by: String,
    /// When it was decided or withdrawn.
    pub decided_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Who decided or withdrew it.
    pub decided_by: Option<String>,
    /// The coordinator's note with the decision.
    pub note: String,
}

/// A leave request to store.
#[derive(Debug, Clone)]
pub struct NewLeaveRequest {
    /// Whose leave.
    pub lawyer_id: zhiban_domain::LawyerId,
    /// The lawyer's home centre.
    pub centre_id: zhiban_domain::CentreId,
    /// First day away.
    pub from: chrono::NaiveDate,
    /// Last day away.
    pub to: chrono::NaiveDate,
    /// Only this half-day, or whole days.
    pub half_day: Option<zhiban_domain::HalfDay>,
    /// Why.
    pub reason: String,
    /// Who asks.
    pub requested_by: String,
    /// When.
    pub now: chrono::DateTime<chrono::Utc>,
}

/// Which leave requests to list (each filter only when given).
#[derive(Debug, Clone, Default)]
pub struct LeaveQuery {
    /// Of lawyers of these centres.
    pub centres: Option<Vec<zhiban_domain::CentreId>>,
    /// Of this lawyer.
    pub lawyer: Option<zhiban_domain::LawyerId>,
    /// Of this firm's lawyers.
    pub firm: Option<zhiban_domain::FirmId>,
    /// In this status.
    pub status: Option<zhiban_domain::leave_request::LeaveStatus>,
    /// Overlapping these days (first, last), both inclusive.
    pub overlapping: Option<(chrono::NaiveDate, chrono::NaiveDate)>,
}

/// A decision on (or the withdrawal of) a leave request.
#[derive(Debug, Clone)]
pub struct LeaveDecision {
    /// The request.
    pub id: i64,
    /// The status it takes (from `requested` only).
    pub to: zhiban_domain::leave_request::LeaveStatus,
    /// Who.
    pub by: String,
    /// A note.
    pub note: String,
    /// When.
    pub now: chrono::DateTime<chrono::Utc>,
}
