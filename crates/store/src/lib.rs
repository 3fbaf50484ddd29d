//! zhiban-store: persistence behind one [`Store`] trait.
//!
//! The embedded default is SQLite (bundled, WAL, foreign keys on, `synchronous=FULL`), one
//! file; a PostgreSQL implementation of the same trait follows for multi-instance
//! deployments. Modules, one per aggregate, each a set of `verb_noun` functions taking a
//! connection or transaction (the caller owns begin and commit):
//! - [`sqlite::centres`], [`sqlite::firms`], [`sqlite::stations`] (with weekly demand),
//!   [`sqlite::lawyers`] (with unavailability, leave and preferences),
//!   [`sqlite::calendar`], [`sqlite::settings`].
//!
//! Importing a data set is one transaction: it either all lands or nothing changes.
//!
//! ```no_run
//! # async fn demo(ds: zhiban_domain::Dataset) -> Result<(), zhiban_store::StoreError> {
//! let store = zhiban_store::connect("sqlite://zhiban.db").await?;
//! let summary = store.import_dataset(&ds).await?;
//! println!("{} lawyers", summary.lawyers);
//! let back = store.export_dataset().await?;
//! # Ok(()) }
//! ```

pub mod sqlite;

use async_trait::async_trait;
use serde::Serialize;
use std::sync::Arc;
use zhiban_domain::{Centre, CentreId, Dataset, Firm, Lawyer, Station, WorkingCalendar};

/// What the store could not do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL is not one zhiban can open.
    #[error("database URL {url:?}: {message}")]
    InvalidUrl {
        /// The URL, without credentials.
        url: String,
        /// Why.
        message: String,
    },
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored row does not decode into a valid domain value.
    #[error("stored {table} row {key}: {message}")]
    Corrupt {
        /// Table.
        table: &'static str,
        /// Key of the row.
        key: String,
        /// What is wrong.
        message: String,
    },
}

/// Rows of each table after an import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
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

/// Persistence for zhiban, one implementation per database.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Checks the database answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Imports a whole, validated data set in one transaction. Records are matched by
    /// their codes: existing ones are updated, new ones added. A station's demand and
    /// contracted firms, a lawyer's unavailability, leave and preferences, and the
    /// calendar of each year the data set lists are replaced by the data set's.
    /// On any error nothing changes.
    async fn import_dataset(&self, ds: &Dataset) -> Result<Counts, StoreError>;

    /// Everything, as a data set.
    async fn export_dataset(&self) -> Result<Dataset, StoreError>;

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
}

/// Opens the database at `url` and brings its schema up to date.
///
/// `sqlite://PATH` (or `sqlite:PATH`, or a bare file path) opens or creates a SQLite file;
/// `sqlite::memory:` an in-memory database.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Err(StoreError::InvalidUrl {
            url: redact(url),
            message: "PostgreSQL support is not built yet; use a sqlite:// URL".into(),
        });
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
