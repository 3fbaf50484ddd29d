//! Data-set settings, kept as TOML under one key.

use super::Conn;
use super::corrupt;
use crate::StoreError;
use zhiban_domain::Settings;

const KEY: &str = "dataset";

/// Stores the data-set settings, replacing earlier ones.
pub async fn put_settings(conn: &mut Conn, s: &Settings) -> Result<(), StoreError> {
    let text = toml::to_string(s).map_err(|e| corrupt("settings", KEY, e.to_string()))?;
    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
        .bind(KEY)
        .bind(text)
        .execute(conn)
        .await?;
    Ok(())
}

/// The data-set settings, if any were imported.
pub async fn get_settings(conn: &mut Conn) -> Result<Option<Settings>, StoreError> {
    let raw: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(KEY)
        .fetch_optional(conn)
        .await?;
    raw.map(|r| toml::from_str(&r).map_err(|e| corrupt("settings", KEY, e.to_string())))
        .transpose()
}
