//! zhiban-domain: the types and rules of duty-lawyer rostering, with no I/O.
//!
//! Modules:
//! - [`account`]: people's accounts: login names, states, the password rules, invitation
//!   codes and the brute-force delay;
//! - [`ids`]: identifier codes (`CentreId`, `StationId`, `FirmId`, `LawyerId`);
//! - [`centre`]: legal-aid centres and law firms;
//! - [`station`]: stations, their kinds, half-day templates and weekly demand;
//! - [`lawyer`]: panel lawyers, limits, weekly unavailability, leave and preferences;
//! - [`calendar`]: the working-day calendar (holidays, make-up working days);
//! - [`dataset`]: a whole data set, validated as a whole;
//! - [`problem`]: slots and the [`RosterProblem`] a solver consumes;
//! - [`report`]: a roster's report (the run's statistics and the roster's evaluation) and a
//!   solve's progress, as documents the store keeps with their form's version ([`Versioned`]);
//! - [`roster`]: rosters (who is on duty where, primary or backup), their differences, and
//!   edits of a draft ([`Roster::apply`]);
//! - [`subsidy`]: subsidy policies and the arithmetic of statements (integer fen);
//! - [`month`]: statement months (`YYYY-MM`) and the rules that keep a locked month fixed;
//! - [`attendance`]: whether a duty was really attended (check-in window and lateness,
//!   geofence, check-out window, time on site), what counts for pay, duty states, duty
//!   windows and the forwarding deadline;
//! - [`presence`]: what a centre accepts as proof of presence, and whether a check-in meets it;
//! - [`swap`]: swap policy: who may hand a published duty to whom, and when;
//! - [`geo`], [`time`]: coordinates, half-days and weekdays.
//!
//! Every check returns a [`ValidationError`] naming the record and field at fault.
//!
//! ```
//! use zhiban_domain::{WorkingCalendar, HalfDay};
//! use chrono::NaiveDate;
//!
//! let cal = WorkingCalendar::cn_2026();
//! let make_up_saturday = NaiveDate::from_ymd_opt(2026, 2, 14).unwrap();
//! assert!(cal.is_working_day(make_up_saturday));
//! assert!(cal.is_holiday(NaiveDate::from_ymd_opt(2026, 10, 5).unwrap()));
//! assert_eq!(HalfDay::parse("上午").unwrap(), HalfDay::Am);
//! ```

pub mod account;
pub mod attendance;
pub mod calendar;
pub mod centre;
pub mod dataset;
pub mod error;
pub mod fairness;
pub mod fitness;
pub mod geo;
pub mod ids;
pub mod labels;
pub mod lawyer;
pub mod leave_request;
pub mod month;
pub mod notify;
pub mod notify_route;
pub mod notify_settle;
pub mod notify_text;
pub mod presence;
pub mod problem;
pub mod report;
pub mod reports;
pub mod roster;
pub mod station;
pub mod subsidy;
pub mod swap;
pub mod time;

#[cfg(test)]
mod testkit;

pub use calendar::{CalendarDay, DayKind, WorkingCalendar};
pub use centre::{Centre, DEFAULT_TIME_ZONE, Firm, parse_time_zone};
pub use dataset::{Dataset, DatasetError, RuleSettings, Settings, Table};
pub use error::ValidationError;
pub use fairness::FairnessPolicy;
pub use geo::Coordinates;
pub use ids::{CentreId, FirmId, LawyerId, StationId};
pub use lawyer::{Lawyer, Leave, Limits, Preference, PreferenceTarget, WeeklyUnavailability};
pub use problem::{
    PastDuty, ProblemError, ProblemLawyer, ProblemStation, RosterProblem, Slot, pool_of,
};
pub use report::{JobProgress, SolveReport, Versioned};
pub use roster::{Assignment, Diff, Edit, EditError, Edited, Role, Roster};
pub use station::{DemandRule, Station, StationKind, beyond_demand};
pub use subsidy::SubsidyPolicy;
pub use time::{HalfDay, HalfDayTemplate, parse_time, parse_weekday, weekday_code};
