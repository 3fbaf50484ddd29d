//! The JSON API under `/api/v1`, one module per resource. Each module holds its routes, its
//! request and response types and thin handlers: authorise, parse, one domain call, one
//! store call, and the mapping to HTTP. [`router`] merges them.
//!
//! - [`health`]: `GET /healthz`;
//! - [`panel`]: centres, stations, firms, lawyers, availability, calendar, 名册;
//!   [`panel_edit`] and [`station_edit`]: keeping firms, lawyers, stations and demand;
//!   [`centre_edit`]: a centre's name and pool sharing, and the working calendar;
//!   [`panel_files`]: the panel as an Excel workbook, and its template; [`imports`]: a
//!   centre's panel imported from a workbook, previewed then applied;
//! - [`rosters`]: roster series, solve and repair jobs; [`versions`]: reading, drafting,
//!   publishing and comparing versions; [`edits`]: edits to drafts and slot suggestions;
//!   [`duties`]: published duties; [`roster_export`]: a version as a spreadsheet (排班表);
//! - [`swaps`]: lawyers hand duties to each other; [`swap_candidates`]: who could take one;
//!   [`leave`]: leave requests and their decisions; [`open_duties`]: posts opened for
//!   claiming, [`open_bids`]: coordinators picking among claimants, and [`open_claims`]:
//!   taking a post under the rules;
//! - [`checkins`]: check-in, check-out, manual entries, approvals and excuses;
//!   [`attendance`]: every duty's state; [`presence`]: station displays and codes;
//!   [`poster`]: a station's printable check-in QR poster;
//! - [`notifications`]: the notification log, its retries, and lawyers' inboxes;
//! - [`ledger`]: the duty ledger (台账) and its confirmation;
//! - [`finance`]: subsidy policies, statements and approval; [`exports`]: statement CSV
//!   and XLSX; [`corrections`]: corrections of locked months;
//! - [`feeds`]: iCal feeds and busy calendars; [`audit`]: the audit log;
//! - [`signin`]: signing in and out, invitation codes, one's own password and sessions;
//!   [`users`]: people's accounts; [`tokens`]: API tokens for machines; [`privacy`]: a
//!   person's download of what is held about them.

use crate::AppState;
use utoipa_axum::router::OpenApiRouter;

pub(crate) mod attendance;
pub(crate) mod audit;
pub(crate) mod centre_edit;
pub(crate) mod checkins;
pub(crate) mod corrections;
pub(crate) mod display;
pub(crate) mod duties;
pub(crate) mod edits;
pub(crate) mod exports;
pub(crate) mod feeds;
pub(crate) mod finance;
pub mod health;
pub(crate) mod import_diff;
pub(crate) mod imports;
pub(crate) mod leave;
pub(crate) mod ledger;
pub(crate) mod notifications;
pub(crate) mod notify_prefs;
pub(crate) mod notify_settings;
pub(crate) mod open_bids;
pub(crate) mod open_claims;
pub(crate) mod open_duties;
pub(crate) mod out;
pub(crate) mod panel;
pub(crate) mod panel_edit;
pub(crate) mod panel_files;
pub(crate) mod poster;
pub mod presence;
pub(crate) mod privacy;
pub(crate) mod report_files;
pub(crate) mod reports;
pub(crate) mod roster_export;
pub(crate) mod roster_pdf;
pub(crate) mod rosters;
pub(crate) mod signin;
pub(crate) mod station_edit;
pub(crate) mod swap_candidates;
pub(crate) mod swaps;
pub(crate) mod tokens;
pub(crate) mod users;
pub(crate) mod versions;

/// Every resource's routes, merged into `base`.
pub(crate) fn router(base: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    base.merge(health::router())
        .merge(panel::router())
        .merge(panel_edit::router())
        .merge(centre_edit::router())
        .merge(panel_files::router())
        .merge(imports::router())
        .merge(station_edit::router())
        .merge(rosters::router())
        .merge(versions::router())
        .merge(roster_export::router())
        .merge(roster_pdf::router())
        .merge(reports::router())
        .merge(report_files::router())
        .merge(edits::router())
        .merge(duties::router())
        .merge(swap_candidates::router())
        .merge(swaps::router())
        .merge(leave::router())
        .merge(open_duties::router())
        .merge(open_bids::router())
        .merge(notifications::router())
        .merge(notify_settings::router())
        .merge(notify_prefs::router())
        .merge(display::router())
        .merge(audit::router())
        .merge(checkins::router())
        .merge(attendance::router())
        .merge(ledger::router())
        .merge(finance::router())
        .merge(exports::router())
        .merge(corrections::router())
        .merge(presence::router())
        .merge(poster::router())
        .merge(privacy::router())
        .merge(feeds::router())
        .merge(signin::router())
        .merge(users::router())
        .merge(tokens::router())
}
