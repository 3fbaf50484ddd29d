//! Backend-neutral records the store reads and writes, one module per aggregate, all
//! re-exported here (and from the crate root): `zhiban_store::LedgerEntry` is
//! [`attendance::LedgerEntry`].
//!
//! - [`panel`]: centre policies, revision counters, row counts;
//! - [`rosters`]: series, versions, duties, swaps, duty history;
//! - [`jobs`]: solve and repair jobs;
//! - [`attendance`]: check-ins, the ledger, locked months, corrections;
//! - [`feeds`]: feed tokens' subjects, busy times;
//! - [`admin`]: API tokens, the audit log, table dumps;
//! - [`accounts`]: people's accounts, sessions and sign-in attempts.
//!
//! [`Page`] and [`Paged`], for lists of any aggregate, live here.

pub mod accounts;
pub mod admin;
pub mod attendance;
pub mod feeds;
pub mod jobs;
pub mod notify;
pub mod panel;
pub mod rosters;

pub use accounts::*;
pub use admin::*;
pub use attendance::*;
pub use feeds::*;
pub use jobs::*;
pub use notify::*;
pub use panel::*;
pub use rosters::*;

use serde::Serialize;

/// A slice of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// At most this many.
    pub limit: u32,
    /// Skip this many.
    pub offset: u64,
}

/// A slice of a list and the list's length.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Paged<T> {
    /// The items.
    pub items: Vec<T>,
    /// How many match in all.
    pub total: u64,
}
