//! The store's error, and its classification for callers that map errors to their own
//! (the API's HTTP statuses) without knowing the database driver.

/// What kind of failure a [`StoreError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The database cannot be reached or has no connection free: try again later.
    Unavailable,
    /// The change conflicts with what is stored (a unique key, a published version, a
    /// locked month).
    Conflict,
    /// The change refers to something that does not exist (a foreign key).
    Invalid,
    /// The record asked for does not exist.
    NotFound,
    /// Anything else: a bug or a damaged database.
    Internal,
}

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
    /// The change conflicts with the current state (a published version, a running job).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The write would change a month finance approved.
    #[error("locked: {0}")]
    Locked(String),
    /// A check-out outside the instants when it counts.
    #[error("check-out counts only from {from} until {until}")]
    CheckOutWindow {
        /// Earliest.
        from: chrono::DateTime<chrono::Utc>,
        /// Latest.
        until: chrono::DateTime<chrono::Utc>,
    },
    /// A record the change refers to does not exist.
    #[error("not found: {0}")]
    NotFound(String),
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

impl StoreError {
    /// The kind of failure, for mapping to a caller's own errors.
    pub fn class(&self) -> ErrorClass {
        match self {
            StoreError::Conflict(_) | StoreError::Locked(_) => ErrorClass::Conflict,
            StoreError::CheckOutWindow { .. } => ErrorClass::Invalid,
            StoreError::NotFound(_) => ErrorClass::NotFound,
            StoreError::Database(e) => classify(e),
            StoreError::InvalidUrl { .. } | StoreError::Migrate(_) | StoreError::Corrupt { .. } => {
                ErrorClass::Internal
            }
        }
    }
}

fn classify(e: &sqlx::Error) -> ErrorClass {
    match e {
        sqlx::Error::PoolTimedOut => ErrorClass::Unavailable,
        sqlx::Error::Database(db) if db.is_unique_violation() => ErrorClass::Conflict,
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => ErrorClass::Invalid,
        _ => ErrorClass::Internal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_errors_are_classified_without_the_caller_knowing_the_driver() {
        assert_eq!(StoreError::Locked("x".into()).class(), ErrorClass::Conflict);
        assert_eq!(
            StoreError::NotFound("x".into()).class(),
            ErrorClass::NotFound
        );
        assert_eq!(
            StoreError::Database(sqlx::Error::PoolTimedOut).class(),
            ErrorClass::Unavailable
        );
        assert_eq!(
            StoreError::Database(sqlx::Error::RowNotFound).class(),
            ErrorClass::Internal
        );
    }
}
