//! Law firms.

use super::Conn;
use super::corrupt;
use super::settings::PanelTx;
use crate::StoreError;
use sqlx::Row;
use zhiban_domain::{CentreId, Firm, FirmId};

/// Inserts a firm or updates the one with its code.
pub async fn upsert_firm(tx: &mut PanelTx<'_>, f: &Firm) -> Result<(), StoreError> {
    let conn = tx.conn();
    sqlx::query(
        "INSERT INTO firms (id, name, centre_id) VALUES ($1, $2, $3) \
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, centre_id = excluded.centre_id",
    )
    .bind(f.id.as_str())
    .bind(&f.name)
    .bind(f.centre_id.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// All firms, by code.
pub async fn list_firms(conn: &mut Conn) -> Result<Vec<Firm>, StoreError> {
    let rows = sqlx::query("SELECT id, name, centre_id FROM firms ORDER BY id")
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| {
            let id: String = r.try_get("id")?;
            let bad = |m: String| corrupt("firms", &id, m);
            Ok(Firm {
                id: FirmId::parse(&id).map_err(bad)?,
                name: r.try_get("name")?,
                centre_id: CentreId::parse(&r.try_get::<String, _>("centre_id")?).map_err(bad)?,
            })
        })
        .collect()
}
