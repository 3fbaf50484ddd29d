//! Centres.

use super::Conn;
use super::corrupt;
use super::settings::PanelTx;
use crate::StoreError;
use sqlx::Row;
use zhiban_domain::{Centre, CentreId, parse_time_zone};

/// Inserts a centre or updates the one with its code.
pub async fn upsert_centre(tx: &mut PanelTx<'_>, c: &Centre) -> Result<(), StoreError> {
    let conn = tx.conn();
    sqlx::query(
        "INSERT INTO centres (id, name, parent_id, time_zone, shares_pool) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, parent_id = excluded.parent_id, \
         time_zone = excluded.time_zone, shares_pool = excluded.shares_pool",
    )
    .bind(c.id.as_str())
    .bind(&c.name)
    .bind(c.parent_id.as_ref().map(|p| p.as_str()))
    .bind(c.time_zone.name())
    .bind(c.shares_pool)
    .execute(conn)
    .await?;
    Ok(())
}

/// All centres, by code.
pub async fn list_centres(conn: &mut Conn) -> Result<Vec<Centre>, StoreError> {
    let rows =
        sqlx::query("SELECT id, name, parent_id, time_zone, shares_pool FROM centres ORDER BY id")
            .fetch_all(conn)
            .await?;
    rows.iter()
        .map(|r| {
            let id: String = r.try_get("id")?;
            let bad = |m: String| corrupt("centres", &id, m);
            Ok(Centre {
                id: CentreId::parse(&id).map_err(bad)?,
                name: r.try_get("name")?,
                parent_id: r
                    .try_get::<Option<String>, _>("parent_id")?
                    .map(|p| CentreId::parse(&p))
                    .transpose()
                    .map_err(bad)?,
                time_zone: parse_time_zone(&r.try_get::<String, _>("time_zone")?).map_err(bad)?,
                shares_pool: r.try_get("shares_pool")?,
            })
        })
        .collect()
}
